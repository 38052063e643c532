"""ProtectError: a refusal or failure whose message names files, tables and columns only."""

from __future__ import annotations


class ProtectError(Exception):
    """An export, verification or opening that cannot go on. Never quotes a cell value."""
