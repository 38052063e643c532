"""FINESS (Fichier national des établissements sanitaires et sociaux): the 9-character
number of a health or social establishment (hospital, clinic, laboratory, pharmacy) -
two characters of département (2A/2B for Corsica, 97x/98x overseas), six digits, a Luhn
key. An establishment is no person: a FINESS column is reported for what it tells of the
export's origin.

No library validates FINESS numbers: `valid` and `is_valid` are hand-written (the Luhn of
`stdnum.luhn`, with 2A/2B read as 20: a convention, the key is computed on the digits).
"""

from __future__ import annotations

import re

import polars as pl

from vigile.detect.ids.luhn import luhn_is_valid, luhn_valid
from vigile.detect.mask import mask_generic

PATTERN = r"^(?:\d{2}|2[AB])\d{7}$"
PREFIX_REGEX = r"^(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|9[78]\d)"
LENGTH = 9
HEADER_HINTS = (
    "finess", "n finess", "num finess", "finess etablissement", "finess labo", "finess geo",
    "finess ej",
)  # fmt: skip

CONTENT_SHARE = 0.9  # share of valid cells from which content alone says finess
CHECK_FROM = 0.5  # keys computed only from this share of shaped candidates
HEADER_SHARE = 0.5  # share of shaped cells that a FINESS header needs

mask = mask_generic
_PATTERN_RE, _PREFIX_RE = re.compile(PATTERN), re.compile(PREFIX_REGEX)


def valid(e: pl.Expr) -> pl.Expr:
    """Per stripped value: département prefix (incl. 2A/2B), nine characters, Luhn key."""
    digits = e.str.replace(r"^2[AB]", "20")
    return (e.str.contains(PREFIX_REGEX) & luhn_valid(digits, LENGTH)).fill_null(False)


def is_valid(value: str) -> bool:
    """`valid` for one value (its oracle in the tests)."""
    if not _PREFIX_RE.match(value):
        return False
    digits = re.sub(r"^2[AB]", "20", value)
    return len(digits) == LENGTH and digits.isascii() and digits.isdigit() and luhn_is_valid(digits)
