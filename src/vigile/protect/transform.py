"""Apply a table's profile to one batch: every transformation a polars expression.

Only pseudonymisation leaves polars, for the keyed hash of each distinct value.
"""

from __future__ import annotations

import polars as pl

from .profile import ColumnRule, TableProfile
from .pseudonym import Pseudonymiser

COMPACT = ("nir", "phone", "iban")  # spacing inside these never matters
_YEAR = r"(?:^|\D)((?:18|19|20)\d{2})(?:\D|$)"
_ISO_MONTH = r"^\s*((?:18|19|20)\d{2})[-/.](\d{1,2})\b"
_FR_MONTH = r"^\s*\d{1,2}[-/.](\d{1,2})[-/.]((?:18|19|20)\d{2})\b"


def year(col: pl.Expr) -> pl.Expr:
    """The 4-digit year of a date in any common layout (or null)."""
    return pl.coalesce(
        col.str.extract(_YEAR, 1),
        col.str.extract(r"^\s*((?:18|19|20)\d{2})\d{4}\s*$", 1),  # 19850512
        col.str.extract(r"^\s*\d{4}((?:18|19|20)\d{2})\s*$", 1),  # 12051985
    )


def month(col: pl.Expr) -> pl.Expr:
    """`YYYY-MM` from ISO (`1985-05-12`) or French (`12/05/1985`) dates; else the year."""
    iso = pl.concat_str(
        col.str.extract(_ISO_MONTH, 1), col.str.extract(_ISO_MONTH, 2).str.zfill(2), separator="-"
    )
    fr = pl.concat_str(
        col.str.extract(_FR_MONTH, 2), col.str.extract(_FR_MONTH, 1).str.zfill(2), separator="-"
    )
    return pl.coalesce(iso, fr, year(col))


def department(col: pl.Expr) -> pl.Expr:
    """Postcode -> département: 2 digits, 3 overseas (97x, 98x), 2A / 2B for Corsica."""
    digits = col.str.replace_all(r"\s", "").str.extract(r"^(\d{5})$", 1)
    two = digits.str.slice(0, 2)
    return (
        pl.when(two.is_in(["97", "98"]))
        .then(digits.str.slice(0, 3))
        .when(two == "20")
        .then(
            pl.when(digits.str.slice(0, 3).is_in(["200", "201"]))
            .then(pl.lit("2A"))
            .otherwise(pl.lit("2B"))
        )
        .otherwise(two)
    )


def masked(col: pl.Expr, keep_last: int) -> pl.Expr:
    """Letters and digits become `*`, separators stay; the last `keep_last` characters stay
    only in values more than twice that long, so a short value is never left whole."""
    full = col.str.replace_all(r"[^\W_]", "*")
    if keep_last <= 0:
        return full
    n = col.str.len_chars().cast(pl.Int64)
    head = col.str.slice(0, n - keep_last).str.replace_all(r"[^\W_]", "*")
    return (
        pl.when(n > 2 * keep_last)
        .then(pl.concat_str(head, col.str.slice(-keep_last)))
        .otherwise(full)
    )


def _expr(rule: ColumnRule) -> pl.Expr:
    col = pl.col(rule.name)
    if rule.action == "generalise":
        return {"year": year, "month": month, "department": department}[rule.to or ""](col)
    if rule.action == "mask":
        return masked(col, rule.keep_last)
    return col


def output_columns(table: TableProfile, source_columns: list[str]) -> list[ColumnRule]:
    """The rules of the columns that leave, in source order."""
    rules = [table.rule(c) for c in source_columns]
    return [r for r in rules if r is not None and r.action != "drop"]


def _computed(col: pl.Series, rule: ColumnRule) -> pl.Series:
    """A generalised or masked column, computed once per distinct value when values
    repeat (postcodes, birth dates): the regexes then run on a fraction of the rows."""
    distinct = col.unique()
    if distinct.len() * 2 > col.len():
        return col.to_frame().select(_expr(rule)).to_series()
    done = distinct.to_frame().select(_expr(rule)).to_series()
    return col.replace_strict(distinct, done, default=None, return_dtype=pl.String)


def _plain(batch: pl.DataFrame, rules: list[ColumnRule]) -> pl.DataFrame:
    """Every column but the pseudonymised ones."""
    return pl.DataFrame(
        [
            _computed(batch[r.name], r) if r.action in ("generalise", "mask") else batch[r.name]
            for r in rules
            if r.action != "pseudonymise"
        ]
    )


def apply(batch: pl.DataFrame, rules: list[ColumnRule], pseudo: Pseudonymiser) -> pl.DataFrame:
    specs = {
        r.name: (r.format == "nir" or r.category in COMPACT, r.format == "nir")
        for r in rules
        if r.action == "pseudonymise"
    }
    if not specs:
        return _plain(batch, rules)
    plain = pseudo.pool.submit(_plain, batch, rules)  # alongside the keyed hashing
    hashed = pseudo.columns(batch, specs)
    done = plain.result()
    # (a frame without columns has no height: nothing to stack onto)
    return (done.hstack(hashed) if done.width else hashed).select([r.name for r in rules])
