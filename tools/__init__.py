"""Developer tools of the book (not part of emcore): ``python -m tools.notebooks execute``."""
