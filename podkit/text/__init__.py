"""Text in: reading a column, cleaning it, and turning it into speakable sentences."""
