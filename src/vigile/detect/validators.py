"""Validators: check digits and plausibility, as polars expressions where it pays.

The NIR, RPPS and FINESS keys run on every candidate cell, so they are polars
expressions (integer arithmetic, no per-cell Python); their tests prove them
equal to python-stdnum (`stdnum.fr.nir`, `stdnum.luhn`). IBAN and SIRET/SIREN
are rarer and are checked with python-stdnum on *distinct* candidates only,
capped at `MAX_DISTINCT_VALIDATIONS` per column and batch: beyond the cap the
validated share of the checked candidates is extrapolated to the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl
from stdnum import iban as std_iban
from stdnum import luhn as std_luhn
from stdnum.fr import nir as std_nir
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

MAX_DISTINCT_VALIDATIONS = 20_000

# Real département prefixes of French postcodes and FINESS numbers. Corsica is
# "20" in postcodes and "2A"/"2B" in FINESS / NIR.
POSTCODE_PREFIX_REGEX = r"^(?:0[1-9]|[1-8]\d|9[0-5]|97[1-8]|98[678])"


# --- NIR -------------------------------------------------------------------

NIR_COMPACT_REGEX = r"^\d{5}(?:\d{2}|2A|2B)\d{8}$"


def nir_compact(e: pl.Expr) -> pl.Expr:
    """The compaction of `stdnum.fr.nir.compact` (drop spaces and dots, strip, uppercase),
    dropping hyphens as well (`1-84-05-...`, as some exports print it)."""
    return (
        e.str.replace_all(" ", "", literal=True)
        .str.replace_all(".", "", literal=True)
        .str.replace_all("-", "", literal=True)
        .str.strip_chars()
        .str.to_uppercase()
    )


def nir_key_valid(e: pl.Expr) -> pl.Expr:
    """True where `stdnum.fr.nir.is_valid` would be true once hyphens are dropped, computed
    without Python per cell.

    The key is 97 - (the 13 first digits mod 97), with 2A read as 19 and 2B as 18.
    Null input gives False.
    """
    c = nir_compact(e)
    # Once the shape holds, the only letters are a 2A/2B at offset 5: literal replaces
    # turn the whole NIR into one integer (body * 100 + key), cheaper than slicing.
    n = (
        c.str.replace("2A", "19", literal=True)
        .str.replace("2B", "18", literal=True)
        .cast(pl.Int64, strict=False)
    )
    return (c.str.contains(NIR_COMPACT_REGEX) & nir_key_matches(n)).fill_null(False)


def nir_bare_key_valid(e: pl.Expr) -> pl.Expr:
    """`nir_key_valid` for the common case of a bare 15-digit string (its own compaction):
    one anchored regex and integer arithmetic, no string rewriting."""
    shaped = e.str.contains(r"^\d{15}$")
    return (shaped & nir_key_matches(e.cast(pl.Int64, strict=False))).fill_null(False)


def nir_key_matches(n: pl.Expr) -> pl.Expr:
    """For n = body * 100 + key (2A/2B already read as 19/18): key == 97 - body mod 97."""
    return (pl.lit(97) - (n // 100) % 97) == n % 100


def nir_is_valid(value: str) -> bool:
    """Per-value check (tests and small candidate sets only)."""
    return std_nir.is_valid(value)


# --- Luhn family (RPPS, FINESS, SIREN/SIRET) --------------------------------


def luhn_valid(e: pl.Expr, length: int) -> pl.Expr:
    """Luhn check of a `length`-digit string, vectorised as integer arithmetic.

    Hand-written because no library offers a vectorised Luhn; `stdnum.luhn` is
    the oracle in tests. Non-digit or wrong-length cells give False.
    """
    n = e.cast(pl.Int64, strict=False)
    total = pl.lit(0, dtype=pl.Int64)
    for pos in range(length):  # pos 0 = rightmost digit
        d = (n // (10**pos)) % 10
        if pos % 2 == 1:
            d = d * 2
            d = pl.when(d > 9).then(d - 9).otherwise(d)
        total = total + d
    shaped = e.str.contains(rf"^\d{{{length}}}$")
    return (shaped & (total % 10 == 0)).fill_null(False)


def rpps_valid(e: pl.Expr) -> pl.Expr:
    """RPPS: 11 digits, Luhn. No library validates RPPS numbers, hence this."""
    return luhn_valid(e, 11)


FINESS_PREFIX_REGEX = r"^(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|9[78]\d)"


def finess_valid(e: pl.Expr) -> pl.Expr:
    """FINESS: 9 characters, département prefix (incl. 2A/2B), Luhn key.

    No library validates FINESS numbers. For Corsica the Luhn runs with 2A/2B
    read as 20 (a convention: the key is computed on the digits).
    """
    digits = e.str.replace(r"^2[AB]", "20")
    return (e.str.contains(FINESS_PREFIX_REGEX) & luhn_valid(digits, 9)).fill_null(False)


def luhn_is_valid(value: str) -> bool:
    return std_luhn.is_valid(value)


# --- Python-level validators for distinct candidates ------------------------


def iban_is_valid(value: str) -> bool:
    return std_iban.is_valid(value)


def siret_is_valid(value: str) -> bool:
    return std_siret.is_valid(value)


def siren_is_valid(value: str) -> bool:
    return std_siren.is_valid(value)


def validated_share_of_distinct(
    values: Iterable[str], check: Callable[[str], bool], cap: int = MAX_DISTINCT_VALIDATIONS
) -> tuple[int, int]:
    """Validate at most `cap` distinct values; returns (checked, valid).

    Callers extrapolate valid/checked to all candidates (documented in the
    module docstring). Values never leave this function.
    """
    checked = valid = 0
    for v in values:
        if checked >= cap:
            break
        checked += 1
        valid += bool(check(v))
    return checked, valid
