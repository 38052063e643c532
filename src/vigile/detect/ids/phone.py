"""Phone numbers: French numbers by their shape (national `0X XX XX XX XX`, `+33`/`0033`,
with or without `(0)`, any of the usual separators), foreign ones by `phonenumbers`.

The French shape is a polars regex over every candidate cell; a foreign number (`+`/`00`
and a country code other than 33 and 5) is checked with `phonenumbers` (Google's
libphonenumber metadata), per value but on capped distinct candidates only
(`checks.validate_distinct`), and only where at least INTL_FROM of the cells are shaped so.
"""

from __future__ import annotations

import re

import phonenumbers
import polars as pl

from vigile.detect.mask import mask_phone

FR_PATTERN = r"^(?:(?:\+|00)33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-/]?\d{2}){4}$"
INTL_PATTERN = r"^(?:\+|00)(?:[1-246-9]|3[0-24-9])[\d\s.\-()]{6,18}$"
FR_MIN_LEN, FR_MAX_LEN = 9, 25
INTL_MIN_LEN, INTL_MAX_LEN = 8, 25
HEADER_HINTS = (
    "tel", "telephone", "tel port", "tel portable", "portable", "mobile", "phone", "gsm",
    "fixe", "tel dom", "tel domicile", "tel fixe", "tel pro", "fax", "telephone portable",
    "phone number", "cell", "numero telephone",
)  # fmt: skip

CONTENT_SHARE = 0.6  # French-shaped plus valid foreign cells, content alone
HEADER_SHARE = 0.3  # the same with a phone header
INTL_FROM = 0.1  # foreign-shaped share from which foreign numbers are validated

mask = mask_phone
_FR_RE = re.compile(FR_PATTERN, re.ASCII)


def is_fr(e: pl.Expr) -> pl.Expr:
    """Per stripped value: shaped like a French phone number."""
    return e.str.contains(FR_PATTERN)


def is_fr_value(value: str) -> bool:
    """`is_fr` for one value (its oracle in the tests; ASCII classes, as the Rust regex's
    `\\s` and `\\d` are over the values phones are written with)."""
    return bool(_FR_RE.fullmatch(value))


def is_intl(e: pl.Expr) -> pl.Expr:
    """Per stripped value: shaped like a foreign number (validated by `intl_is_valid`)."""
    return e.str.contains(INTL_PATTERN)


def intl_is_valid(value: str) -> bool:
    """A foreign number that `phonenumbers` says is valid (`00` read as `+`)."""
    try:
        return phonenumbers.is_valid_number(
            phonenumbers.parse(
                value.replace("00", "+", 1) if value.startswith("00") else value, None
            )
        )
    except phonenumbers.NumberParseException:
        return False
