"""Numbers with units of measure: "100km" -> "one hundred kilometres", "-5°C", "70mph", "5bn"."""

from __future__ import annotations

import re

from podkit.text.speech.numbers import GATE_DIGIT, NUM, SIGN_WORDS, cardinal_words, is_one
from podkit.text.speech.rules import Context, Rule, looks_plural, next_word, previous_word

_UNITS = {
    # written: (singular, plural)
    "km": ("kilometre", "kilometres"),
    "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"),
    "m": ("metre", "metres"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "yds": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ml": ("millilitre", "millilitres"),
    "l": ("litre", "litres"),
    "L": ("litre", "litres"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometre per hour", "kilometres per hour"),
    "kph": ("kilometre per hour", "kilometres per hour"),
    "kmh": ("kilometre per hour", "kilometres per hour"),
    "m/s": ("metre per second", "metres per second"),
    "mpg": ("mile per gallon", "miles per gallon"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "ºC": ("degree Celsius", "degrees Celsius"),
    "℃": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "ºF": ("degree Fahrenheit", "degrees Fahrenheit"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
    "C": ("degree Celsius", "degrees Celsius"),
    "F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "º": ("degree", "degrees"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "MW": ("megawatt", "megawatts"),
    "MWh": ("megawatt hour", "megawatt hours"),
    "GW": ("gigawatt", "gigawatts"),
    "GWh": ("gigawatt hour", "gigawatt hours"),
    "TWh": ("terawatt hour", "terawatt hours"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "ha": ("hectare", "hectares"),
    "sq ft": ("square foot", "square feet"),
    "sq m": ("square metre", "square metres"),
    "m²": ("square metre", "square metres"),
    "m2": ("square metre", "square metres"),
    "km²": ("square kilometre", "square kilometres"),
    "km2": ("square kilometre", "square kilometres"),
    "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "h": ("hour", "hours"),
    "yr": ("year", "years"),
    "yrs": ("year", "years"),
    "bpm": ("beat per minute", "beats per minute"),
    "kcal": ("kilocalorie", "kilocalories"),
    "cal": ("calorie", "calories"),
    "ppm": ("part per million", "parts per million"),
    "dB": ("decibel", "decibels"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "bn": ("billion", "billion"),
    "tn": ("trillion", "trillion"),
    "trn": ("trillion", "trillion"),
    "mn": ("million", "million"),
    "k": ("thousand", "thousand"),
    "in": ("inch", "inches"),
}
_UNIT_ALTS = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_RE = re.compile(
    rf"(?<![\w.,])(?P<s>[-−+±])?(?P<n>{NUM})(?:[ ]?(?:-|–|to)[ ]?(?P<n2>{NUM}))?(?P<sep>[ ]?|-)"
    rf"(?P<u>{_UNIT_ALTS})(?![\w/²]|\.\w)"
)
_SINGLE_LETTER_UNITS = frozenset({"C", "F", "K", "L", "h", "g", "l", "m", "k"})


def unit(m: re.Match[str], ctx: Context) -> str | None:
    """Numbers with units: "100km" -> "one hundred kilometres", "-5°C", "70mph", "5bn"."""
    u, sep = m.group("u"), m.group("sep")
    if u in ("C", "F", "in") and sep:
        return None  # "5 C" is more likely a grade or a list label than a temperature
    if u in _SINGLE_LETTER_UNITS and sep == " " and u not in ("m", "km", "g", "kg"):
        return None
    words = SIGN_WORDS[m.group("s")] if m.group("s") != "-" or previous_word(m)[1][-1:] in ("", " ", "(") else ""
    if m.group("s") == "-" and not words:
        return None
    words += cardinal_words(m.group("n"))
    if m.group("n2"):
        words += " to " + cardinal_words(m.group("n2"))
    single, plural = _UNITS[u]
    if u == "m":
        _, nxt = next_word(m)
        if sep != "-" and (looks_plural(nxt) or nxt in ("dollars", "pounds", "euros", "people", "users", "of", "in")):
            single = plural = "million"
        elif sep != "-" and nxt and nxt[0].islower() and not m.group("n2"):
            ctx.warn("ambiguous", m.group(), f"'{m.group()}' read as metres; write 'million' or 'metres' to be sure")
    one = is_one(m.group("n")) and not m.group("n2")
    return f"{words} {single if one or sep == '-' else plural}"


UNIT = Rule("unit", _UNIT_RE, unit, gate=GATE_DIGIT)
