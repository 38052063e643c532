"""The canonical folded form every lexicon term and every scanned text is compared in.

`fold` (Python, for small inputs and for building the lexicons) and `fold_expr`
(polars, for whole columns) give the same result; a hypothesis test holds them
together. Folding: NFKD, lowercase, combining marks (Unicode category M) dropped,
French ligatures spelt out (oe, ae: NFKD leaves them alone), typographic apostrophes
-> ', every run of whitespace -> one space, trimmed.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.resources import files

import polars as pl

# Apostrophe look-alikes met in French exports (Word, PDF copy-paste, keyboards).
_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u0060\u00b4"
_LIGATURES = {"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae"}  # capitals for fold_expr's table
# Explicit class (not `\s`) so Python `re` and the Rust engine of polars agree on it.
_OTHER_SPACES = "\t\n\u000b\u000c\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A run of two or more whitespace characters, or a single one that is not a plain
# space: single spaces (most of them) are left alone, which is faster in polars.
_SPACE_RUNS = f"[ {_OTHER_SPACES}]{{2,}}|[{_OTHER_SPACES}]"
_SPACES = re.compile(_SPACE_RUNS)
_REPLACEMENTS = {**{c: "'" for c in _APOSTROPHES}, **_LIGATURES}
_TRANSLATE = str.maketrans(_REPLACEMENTS)


def fold(text: str) -> str:
    """Canonical form of `text` for lexicon matching (see module docstring)."""
    # NFKD before lowercasing so compatibility forms lowercase like their plain letters.
    # Marks dropped and apostrophes mapped before lowercasing, as fold_expr does (the
    # Greek final sigma rule looks at neighbours), and marks again after it (U+0130
    # lowercases to i + combining dot). No second NFKD is needed: no code point
    # lowercases to a decomposable one.
    s = _unmarked(unicodedata.normalize("NFKD", text)).translate(_TRANSLATE)
    s = _unmarked(s.lower())
    return _SPACES.sub(" ", s).strip(" ")


def fold_expr(expr: pl.Expr, chars: Iterable[str] | None = None) -> pl.Expr:
    """The polars (vectorised) twin of `fold`, for whole string columns.

    One multi-pattern pass maps every character to its decomposed, unmarked form
    (a table built from `unicodedata` once), then polars lowercases: about three times
    as fast as `str.normalize("NFKD")` plus a mark-stripping regex. The table covers the
    Basic Multilingual Plane (less Hangul syllables) and the mathematical letters;
    other astral characters are only lowercased.

    `chars`, when given, holds every non-ASCII character of the values to fold
    (`chars_beyond_ascii`): only their entries of the table are used, which gives the
    same result (each entry is one character) without building the whole table's
    automaton, which polars does on every call (about 7 ms).
    """
    keys, values = _char_table() if chars is None else _table_for(frozenset(chars))
    e = expr.str.replace_many(keys, values) if keys else expr
    e = e.str.to_lowercase()
    return e.str.replace_all(_SPACE_RUNS, " ").str.strip_chars(" ")


def chars_beyond_ascii(values: pl.Series) -> frozenset[str]:
    """The distinct non-ASCII characters of a string series (for `fold_expr`)."""
    wide = values.filter(values.str.len_bytes() != values.str.len_chars())
    found = wide.str.extract_all(r"[^\x00-\x7f]").explode().drop_nulls().unique()
    return frozenset(found.to_list())


@lru_cache(maxsize=64)
def _table_for(chars: frozenset[str]) -> tuple[list[str], list[str]]:
    """The table's entries for `chars` and for every ASCII key (always kept)."""
    keys, values = _char_table()
    picked = [(k, v) for k, v in zip(keys, values, strict=True) if k in chars or k < "\x80"]
    return [k for k, _ in picked], [v for _, v in picked]


def _unmarked(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith("M"))


TABLE_FILE = "fold_table.json"  # in data/: `_computed_table()` for one Unicode version


@cache
def _char_table() -> tuple[list[str], list[str]]:
    """`_computed_table()`, read from the file shipped for this Python's Unicode version
    (building it walks 70,000 code points in Python: a quarter of a second per run)."""
    doc = json.loads(files(__package__).joinpath("data", TABLE_FILE).read_text("utf-8"))
    if doc["unidata_version"] == unicodedata.unidata_version:
        return doc["keys"], doc["values"]
    return _computed_table()


def write_table(path: str) -> None:
    """Write the shipped table (run on a Python of the Unicode version to serve)."""
    keys, values = _computed_table()
    doc = {"unidata_version": unicodedata.unidata_version, "keys": keys, "values": values}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=True, separators=(",", ":"))


def _computed_table() -> tuple[list[str], list[str]]:
    """Characters whose NFKD form without marks differs from themselves, and that form.

    Not lowercased here: lowercasing the whole string afterwards keeps the Greek final
    sigma rule intact. The few letters whose lowercase brings a mark back (U+0130) are
    stored lowercased and unmarked.
    """
    keys, values = [], []
    planes = itertools.chain(range(0x20, 0xAC00), range(0xD7A4, 0x10000), range(0x1D400, 0x1D800))
    for cp in planes:
        c = chr(cp)
        if unicodedata.category(c) in ("Cs", "Cn"):
            continue
        v = _unmarked(unicodedata.normalize("NFKD", c)).translate(_TRANSLATE)
        if _unmarked(v.lower()) != v.lower():
            v = _unmarked(v.lower())
        if v != c:
            keys.append(c)
            values.append(v)
    return keys, values
