"""Audio: the speech engine, loudness, MP3 frames, mixing and encoding."""
