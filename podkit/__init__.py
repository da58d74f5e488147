"""podkit: turn a written commentary into a podcast episode, offline."""

__version__ = "0.1.0"
