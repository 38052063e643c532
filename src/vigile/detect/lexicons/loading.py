"""Reading the lexicon text files shipped in `data/` (one term a line, `#` comments)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from .folding import fold

_DATA = files(__package__).joinpath("data")


@cache
def load_terms(name: str) -> tuple[str, ...]:
    """Terms of `data/<name>.txt`, folded, in file order, duplicates dropped.

    Files are already stored folded (a test holds them to it); folding again here
    only guards the contract if a file is edited by hand.
    """
    text = _DATA.joinpath(f"{name}.txt").read_text(encoding="utf-8")
    terms: dict[str, None] = {}
    for line in text.splitlines():
        term = fold(line)
        if term and not term.startswith("#"):
            terms[term] = None
    return tuple(terms)
