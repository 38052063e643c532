"""Reading the lexicon text files shipped in `data/` (one term a line, `#` comments)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

_DATA = files(__package__).joinpath("data")


@cache
def load_terms(name: str) -> tuple[str, ...]:
    """Terms of `data/<name>.txt`, folded, in file order, duplicates dropped.

    Files are stored folded (tests/lexicons holds every file to it), so lines are taken
    as they are: folding 17,000 lines again in Python cost a tenth of a second per scan.
    """
    text = _DATA.joinpath(f"{name}.txt").read_text(encoding="utf-8")
    terms = dict.fromkeys(
        t for t in (line.strip() for line in text.splitlines()) if t and not t.startswith("#")
    )
    return tuple(terms)
