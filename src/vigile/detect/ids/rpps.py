"""RPPS (Répertoire partagé des professionnels de santé): the 11-digit number of a health
professional, starting with 1, whose last digit is a Luhn key. The older ADELI number
(9 digits, no public key) is recognised by its header only and reported as rpps.

No library validates RPPS numbers: `valid` is the Luhn of `ids.luhn` (`stdnum.luhn` in
the tests).
"""

from __future__ import annotations

import polars as pl

from vigile.detect.ids.luhn import luhn_is_valid, luhn_valid
from vigile.detect.mask import mask_generic

PATTERN = r"^1\d{10}$"  # an RPPS number
CANDIDATE = r"^\d{11}$"  # what the key is checked on (`valid` takes any 11 digits)
LENGTH = 11
HEADER_HINTS = (
    "rpps", "n rpps", "num rpps", "rpps prescripteur", "rpps medecin", "id rpps", "adeli",
    "n adeli", "num adeli", "id pro",
)  # fmt: skip

CONTENT_SHARE = 0.9  # share of valid cells from which content alone says rpps
CHECK_FROM = 0.0  # the validated share of an RPPS-headed column is always reported
HEADER_SHARE = 0.5  # share of shaped cells an RPPS header needs (or a numeric column)
HEADER_NUMERIC = 0.8

mask = mask_generic


def valid(e: pl.Expr) -> pl.Expr:
    """Per stripped value: 11 digits with a good Luhn key."""
    return luhn_valid(e, LENGTH)


def is_valid(value: str) -> bool:
    """`valid` for one value (its oracle in the tests)."""
    return len(value) == LENGTH and value.isascii() and value.isdigit() and luhn_is_valid(value)
