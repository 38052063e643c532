"""E-mail addresses: a local part, '@', a domain with a TLD of two letters or more.

The pattern is deliberately narrower than RFC 5322 (no quoted local parts, no IP
literals): exports hold addresses people typed, and the narrower shape keeps `Camille@2021`
(a password) out. The shape runs only on columns where at least GATE_SHARE of the cells
hold an '@' (`features.Features.at`).
"""

from __future__ import annotations

import re

import polars as pl

from vigile.detect.mask import mask_email

PATTERN = r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
MIN_LEN = 5
HEADER_HINTS = (
    "mail", "email", "e mail", "courriel", "adresse mail", "adresse email",
    "adresse electronique", "mel",
)  # fmt: skip

CONTENT_SHARE = 0.6  # e-mail-shaped cells, content alone
HEADER_SHARE = 0.3  # with an e-mail header
GATE_SHARE = 0.3  # cells with an '@' for the shape to run at all

mask = mask_email
_RE = re.compile(PATTERN)


def is_email(e: pl.Expr) -> pl.Expr:
    """Per stripped value: shaped like an e-mail address."""
    return e.str.contains(PATTERN)


def is_email_value(value: str) -> bool:
    """`is_email` for one value (its oracle in the tests)."""
    return bool(_RE.fullmatch(value))


def normalized(e: pl.Expr) -> pl.Expr:
    """Lowercased, stripped e-mail, or null when not e-mail-shaped."""
    s = e.str.strip_chars().str.to_lowercase()
    return pl.when(s.str.contains(PATTERN)).then(s).otherwise(None)
