"""Audio: the speech engine, loudness, mixing and encoding.

Callers import the module they need, which keeps each process's start-up light
(the parent imports the engine to check voices without loading numpy or pydub):

* :mod:`podkit.audio.voices`: the engine interface: which engine speaks a voice id (``piper:NAME``
  or a ``.onnx`` path: Piper; any other: eSpeak NG), voice checks, listing and cache-key descriptions;
* :mod:`podkit.audio.engine`: pyttsx3 / eSpeak NG; voices, ``Engine.synthesize`` -> ``Speech``;
* :mod:`podkit.audio.piper`: the optional Piper engine (``podkit[piper]``): voice files found on
  disk and in installed packages, one ONNX session per voice per worker, never a download;
* :mod:`podkit.audio.loudness`: BS.1770 loudness, ``measure`` and ``normalize``;
* :mod:`podkit.audio.true_peak`: oversampled true peak and the look-ahead limiter;
* :mod:`podkit.audio.mixing`: ``Clip``, PCM helpers, speech joined with pauses, music beds and stings;
* :mod:`podkit.audio.encode`: MP3 by LAME, the other formats through ffmpeg;
* :mod:`podkit.audio.decoded`: an encoded file decoded again: its true peak per span and its bitrate;
* :mod:`podkit.audio.ffmpeg`: finding and running the ffmpeg binary;
* :mod:`podkit.audio.mp3`: facts about MP3 frames (pure Python).
"""
