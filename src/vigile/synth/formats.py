"""Vectorised formatting of values the way French LIS exports show them."""

from __future__ import annotations

import polars as pl


def _pairs(digits: pl.Expr, sep: str) -> pl.Expr:
    return pl.concat_str([digits.str.slice(i, 2) for i in range(0, 10, 2)], separator=sep)


def phone(digits: pl.Expr, style: pl.Expr) -> pl.Expr:
    """10-digit national numbers in four styles: 0 '06 12 34 56 78', 1 '0612345678',
    2 '+33 6 12 34 56 78', 3 '06.12.34.56.78'."""
    intl = pl.concat_str(
        [pl.lit("+33 "), digits.str.slice(1, 1), pl.lit(" "), _pairs(digits.str.slice(0, 10), " ")
         .str.slice(3)]
    )  # fmt: skip
    overseas = digits.str.contains("^0(59|26)")  # own country codes: keep them national
    return (
        pl.when((style == 0) | ((style == 2) & overseas))
        .then(_pairs(digits, " "))
        .when(style == 1)
        .then(digits)
        .when(style == 2)
        .then(intl)
        .otherwise(_pairs(digits, "."))
    )


def nir(body13: pl.Expr, key: pl.Expr, spaced: bool) -> pl.Expr:
    """15-character NIR, compact or as printed on the carte Vitale: '2 84 05 29 019 123 45'."""
    if not spaced:
        return pl.concat_str([body13, key])
    cuts = ((0, 1), (1, 2), (3, 2), (5, 2), (7, 3), (10, 3))
    return pl.concat_str([body13.str.slice(a, b) for a, b in cuts] + [key], separator=" ")


def euros(cents: pl.Expr) -> pl.Expr:
    """Amounts with a decimal comma: 1250 -> '12,50'."""
    return pl.concat_str(
        [(cents // 100).cast(pl.String), pl.lit(","), (cents % 100).cast(pl.String).str.zfill(2)]
    )
