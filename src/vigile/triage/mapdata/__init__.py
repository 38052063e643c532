"""Simplified département outlines for the HTML map (see build.py for source and licence)."""
