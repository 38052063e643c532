"""NIR (numéro d'inscription au répertoire, the social security number): sex digit, year,
month, département (2A/2B for Corsica) or 99, commune, order number, then a two-digit key,
97 - (the first 13 digits mod 97), with 2A read as 19 and 2B as 18.

`key_valid` equals `stdnum.fr.nir.is_valid` once hyphens are dropped (tests hold them
together with hypothesis), computed without Python per cell. The key may stand in a
column of its own beside the 13-character body (`BODY_PATTERN`, `KEY_PATTERN`): the
profiler then checks the pair row by row (`extract.nir_from_parts`).
"""

from __future__ import annotations

import polars as pl
from stdnum.fr import nir as std_nir

from vigile.detect.mask import mask_nir

PATTERN = (
    r"^[12378][\s.\-]?\d{2}[\s.\-]?\d{2}[\s.\-]?(?:\d{2}|2[ABab])[\s.\-]?\d{3}[\s.\-]?\d{3}"
    r"[\s.\-]?\d{2}$"
)
BODY_PATTERN = (
    r"^[12378][\s.\-]?\d{2}[\s.\-]?\d{2}[\s.\-]?(?:\d{2}|2[ABab])[\s.\-]?\d{3}[\s.\-]?\d{3}$"
)
KEY_PATTERN = r"^\d{1,2}$"
COMPACT_REGEX = r"^\d{5}(?:\d{2}|2A|2B)\d{8}$"
MIN_LEN, MAX_LEN = 13, 25  # characters of a NIR with or without separators

# Shares of a column's cells whose key validates:
CONTENT_SHARE = 0.6  # nir from its content alone
HEADER_SHARE = 0.3  # nir with a NIR header
CHECK_FROM = 0.3  # the keys are computed only from this share of shaped candidates
NUMERIC_FROM = 0.3  # the shape runs only on columns at least this numeric-like

mask = mask_nir


def compact(e: pl.Expr) -> pl.Expr:
    """The compaction of `stdnum.fr.nir.compact` (drop spaces and dots, strip, uppercase),
    dropping hyphens as well (`1-84-05-...`, as some exports print it)."""
    return (
        e.str.replace_all(" ", "", literal=True)
        .str.replace_all(".", "", literal=True)
        .str.replace_all("-", "", literal=True)
        .str.strip_chars()
        .str.to_uppercase()
    )


def key_valid(e: pl.Expr) -> pl.Expr:
    """True where `stdnum.fr.nir.is_valid` would be true once hyphens are dropped. Null
    input gives False."""
    c = compact(e)
    # Once the shape holds, the only letters are a 2A/2B at offset 5: literal replaces
    # turn the whole NIR into one integer (body * 100 + key), cheaper than slicing.
    n = (
        c.str.replace("2A", "19", literal=True)
        .str.replace("2B", "18", literal=True)
        .cast(pl.Int64, strict=False)
    )
    return (c.str.contains(COMPACT_REGEX) & key_matches(n)).fill_null(False)


def bare_key_valid(e: pl.Expr) -> pl.Expr:
    """`key_valid` for the common case of a bare 15-digit string (its own compaction):
    one anchored regex and integer arithmetic, no string rewriting."""
    shaped = e.str.contains(r"^\d{15}$")
    return (shaped & key_matches(e.cast(pl.Int64, strict=False))).fill_null(False)


def key_matches(n: pl.Expr) -> pl.Expr:
    """For n = body * 100 + key (2A/2B already read as 19/18): key == 97 - body mod 97."""
    return (pl.lit(97) - (n // 100) % 97) == n % 100


def is_valid(value: str) -> bool:
    """Per-value check (tests and small candidate sets only)."""
    return std_nir.is_valid(value)
