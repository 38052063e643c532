"""Account identifiers (logins): e-mail-shaped, handles, numeric ids.

A login alone is a token like many others; what betrays a column of them is (in the
profiler and `detect.context`) a password column filled on the same rows, a header, or
that most of them are built from a person's name (`jean.dupont`, `jdupont42`,
`dupont.j@...`), which `name_based` tells with the name lexicons.
"""

from __future__ import annotations

import re

import polars as pl

from vigile.detect.extract import EMAIL_REGEX
from vigile.detect.ids.password import HEX_OR_UUID

HANDLE = r"^[A-Za-z][A-Za-z0-9._\-]{2,63}$"
NUMERIC_ID = r"^\d{4,12}$"
PREFIXED_ID = r"^[A-Za-z]{1,4}[\-_]?\d{4,12}$"
LOGIN_REGEX = "|".join(f"(?:{p})" for p in (EMAIL_REGEX, HANDLE, NUMERIC_ID, PREFIXED_ID))
_LOGIN_RE = re.compile(LOGIN_REGEX)


def is_login(e: pl.Expr) -> pl.Expr:
    """Per stripped value: shaped like an account identifier (not a UUID nor hex)."""
    return e.str.contains(LOGIN_REGEX) & ~e.str.contains(HEX_OR_UUID)


def is_login_value(value: str) -> bool:
    v = value.strip()
    return bool(_LOGIN_RE.search(v)) and not re.match(HEX_OR_UUID, v)


def letters_head(e: pl.Expr) -> pl.Expr:
    """The first run of letters of a value, lowercased (`Jean.Dupont42` -> `jean`)."""
    return e.str.to_lowercase().str.extract(r"^([a-z]+)", 1)


def name_based(e: pl.Expr, first_names: pl.Series, last_names: pl.Series) -> pl.Expr:
    """Per value: starts with a given name or a family name, or with an initial and a
    family name (`jdupont`); `first_names`/`last_names` are one-value list series of
    folded names (engine.first_name_list)."""
    head = letters_head(e)
    return (
        head.is_in(first_names) | head.is_in(last_names) | head.str.slice(1).is_in(last_names)
    ).fill_null(False)
