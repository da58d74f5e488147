"""A show: a folder of episodes with one ``show.yaml``, and the podcast feed written from it.

The top of the data flow, above the library's front doors for scripts and columns
(:mod:`podkit.api`, :mod:`podkit.columns`), whose scripts take their show's defaults from
:mod:`podkit.show_file` (``show.yaml``: read there, below them); :mod:`podkit.show.feed` writes the show's RSS feed from the
rendered episodes in the folder; :mod:`podkit.show.feed_check` checks a feed offline;
:mod:`podkit.show.sources` and :mod:`podkit.show.batch` turn many commentaries into
episodes of the show.

The layout is flat: ``DIR/show.yaml``, ``DIR/cover.png`` (or ``.jpg``), ``DIR/feed.xml``
and, per episode, ``DIR/NAME.episode.md`` beside ``DIR/NAME.mp3`` (or ``.m4a``) and its
sidecars.  Everything in DIR is published under the show's base URL, so every file's URL
is the base URL and its name.
"""
