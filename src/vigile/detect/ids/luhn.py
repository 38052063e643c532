"""The Luhn check (ISO/IEC 7812-1) as integer arithmetic over a polars column, shared by
RPPS, FINESS and SIREN/SIRET.

Hand-written because no library offers a vectorised Luhn; `stdnum.luhn` is its oracle in
the tests.
"""

from __future__ import annotations

import polars as pl
from stdnum import luhn as std_luhn


def luhn_valid(e: pl.Expr, length: int) -> pl.Expr:
    """Luhn check of a `length`-digit string. Non-digit or wrong-length cells give False."""
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


def luhn_is_valid(value: str) -> bool:
    return std_luhn.is_valid(value)
