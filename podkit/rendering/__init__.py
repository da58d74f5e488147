"""Rendering: resolve the request once, plan the segments, synthesise them in workers, assemble the file."""
