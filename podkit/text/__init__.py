"""Text in: reading a column, cleaning it, and turning it into speakable sentences.

The modules follow the data, top to bottom:

- :mod:`podkit.text.reading`: bytes -> :class:`~podkit.text.reading.Source` (decoding, mojibake, odd spaces, kind)
- :mod:`podkit.text.lines`: text or Markdown -> units, one a line, with the features the rules look at
- :mod:`podkit.text.junk`: the junk rules (navigation, sign-up lines, related links, cookie notices ...)
- :mod:`podkit.text.bylines`: bylines, author bios and dates in single lines
- :mod:`podkit.text.extract`: the article's run of prose, its title, author, bio and date
- :mod:`podkit.text.article`: ``Article`` and ``clean``
- :mod:`podkit.text.sentences`, :mod:`podkit.text.markdown`: the one sentence splitter, the one ``plain_text``
- :mod:`podkit.text.speech`: written text -> what the voice should say

Callers import the module they need (``from podkit.text import article``); this
package imports nothing itself, so reaching :mod:`podkit.text.speech` does not
pull in the decoders (charset-normalizer, ftfy) that only reading needs.
"""
