"""What each leak row exposes: categories (a bit mask), health kinds (a bit mask), password form.

The row-level rules are the triage's (`vigile.triage.derive`): a non-empty cell of a
categorised column exposes its category, except that "NEANT"/"AUCUN" in a health or
password column exposes nothing; free text exposes the health kinds it mentions
(negation aware, `vigile.detect.text`) and the other categories the scan found in
it; a pregnancy yes/no column reveals health data whatever its value and the
pregnancy kind when it says yes; a password cell is "hashed" when hash-shaped,
else in clear. Costly expressions run once per distinct value of their column and
are joined back; nothing runs in Python per cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from ..categories import CATEGORY_IDS
from ..detect.extract import password_kind
from ..detect.lexicons import HEALTH_KINDS
from ..detect.text import health_mention_exprs, text_other_exprs
from ..triage.derive import YES, filled, non_empty
from ..triage.persons import fast_fold
from ..triage.roles import Roles

CATEGORY_BIT = {c: i for i, c in enumerate(CATEGORY_IDS)}
KIND_BIT = {k: i for i, k in enumerate(HEALTH_KINDS)}
assert len(CATEGORY_IDS) <= 32 and len(HEALTH_KINDS) <= 16, "masks are UInt32 / UInt16"
# Password form of a row (the max over a person's rows is the person's).
PW_NONE, PW_HASHED, PW_PLAIN = 0, 1, 2
PASSWORD_FORM = {PW_HASHED: "hashed", PW_PLAIN: "plain"}
# Columns of these categories expose nothing when they say NEANT, AUCUN...
FILLED_CATEGORIES = ("health_condition", "medication", "lab_test", "blood_group", "password")
_FOLD = "__fold"


def categories_of(mask: int) -> frozenset[str]:
    return frozenset(c for c, i in CATEGORY_BIT.items() if mask >> i & 1)


def kinds_of(bits: int) -> frozenset[str]:
    return frozenset(k for k, i in KIND_BIT.items() if bits >> i & 1)


def _bit(cond: pl.Expr, bit: int, dtype) -> pl.Expr:
    return pl.when(cond).then(pl.lit(1 << bit, dtype)).otherwise(pl.lit(0, dtype))


def _or(terms: list[pl.Expr], dtype) -> pl.Expr:
    if not terms:
        return pl.lit(0, dtype)
    return pl.fold(pl.lit(0, dtype), lambda acc, x: acc | x, terms).cast(dtype)


@dataclass(frozen=True)
class ColumnPlan:
    """Expressions over the distinct values of one column (its fold as `__fold`)."""

    column: str
    fold: bool
    mask: pl.Expr  # UInt32
    kinds: pl.Expr  # UInt16
    pw: pl.Expr  # UInt8


@dataclass(frozen=True)
class ExposurePlan:
    cheap: pl.Expr  # UInt32 mask of the columns whose cells need no per-value work
    columns: tuple[ColumnPlan, ...]


def exposure_plan(roles: Roles, columns: Iterable[str]) -> ExposurePlan:
    present = set(columns)
    cat_terms: dict[str, list[pl.Expr]] = {}
    kind_terms: dict[str, list[pl.Expr]] = {}
    pw_terms: dict[str, list[pl.Expr]] = {}
    folds: set[str] = set()
    cheap: list[pl.Expr] = []
    preg = set(roles.pregnancy_flags)

    def add(col: str, cat: str, cond: pl.Expr) -> None:
        if cat in CATEGORY_BIT:
            cat_terms.setdefault(col, []).append(_bit(cond, CATEGORY_BIT[cat], pl.UInt32))

    for cat, cols in roles.by_category.items():
        for c in cols:
            if c not in present or cat not in CATEGORY_BIT:
                continue
            if cat in FILLED_CATEGORIES and c not in preg:
                add(c, cat, filled(c))
            else:  # a pregnancy flag reveals health data whatever its value
                cheap.append(_bit(non_empty(c), CATEGORY_BIT[cat], pl.UInt32))
    for c in roles.pregnancy_flags:
        if c in present:
            yes = pl.col(c).str.strip_chars().str.to_lowercase().is_in(YES).fill_null(False)
            kind_terms.setdefault(c, []).append(_bit(yes, KIND_BIT["pregnancy"], pl.UInt16))
    for c in roles.text_columns:
        if c not in present:
            continue
        folds.add(c)
        found = health_mention_exprs(pl.col(_FOLD), folded=True)
        kind_terms.setdefault(c, []).extend(
            _bit(found[k], KIND_BIT[k], pl.UInt16) for k in HEALTH_KINDS
        )
        add(c, "health_condition", pl.any_horizontal(*(found[k] for k in HEALTH_KINDS)))
        add(c, "medication", found["treatment"])
    for c, cats in roles.text_others:
        if c not in present:
            continue
        folds.add(c)
        found = text_other_exprs(pl.col(c), pl.col(_FOLD))
        for cat in cats:
            if cat in found:
                add(c, cat, found[cat])
    for c in roles.passwords:
        if c in present:
            kind = pl.when(password_kind(pl.col(c)) == "hash")
            form = kind.then(pl.lit(PW_HASHED, pl.UInt8)).otherwise(pl.lit(PW_PLAIN, pl.UInt8))
            form = pl.when(filled(c)).then(form).otherwise(pl.lit(PW_NONE, pl.UInt8))
            pw_terms.setdefault(c, []).append(form)

    plans = []
    for c in dict.fromkeys([*cat_terms, *kind_terms, *pw_terms]):
        pws = pw_terms.get(c, [])
        plans.append(
            ColumnPlan(
                column=c,
                fold=c in folds,
                mask=_or(cat_terms.get(c, []), pl.UInt32),
                kinds=_or(kind_terms.get(c, []), pl.UInt16),
                pw=pl.max_horizontal(pws).cast(pl.UInt8) if pws else pl.lit(PW_NONE, pl.UInt8),
            )
        )
    return ExposurePlan(_or(cheap, pl.UInt32), tuple(plans))


def _distinct(batch: pl.DataFrame, p: ColumnPlan) -> pl.DataFrame:
    """mask, kinds, pw of column `p.column` for every row, evaluated per distinct value."""
    key = batch.select(p.column)
    table = key.unique()
    if p.fold:
        table = table.with_columns(fast_fold(pl.col(p.column)).alias(_FOLD))
    table = table.select(p.column, p.mask.alias("m"), p.kinds.alias("k"), p.pw.alias("p"))
    return key.join(table, on=p.column, how="left", nulls_equal=True, maintain_order="left")


def exposure_columns(batch: pl.DataFrame, plan: ExposurePlan) -> pl.DataFrame:
    """`mask` (UInt32 category bits), `kinds` (UInt16 health-kind bits), `pw` (UInt8 form)."""
    out = batch.select(
        plan.cheap.alias("mask"),
        pl.lit(0, pl.UInt16).alias("kinds"),
        pl.lit(PW_NONE, pl.UInt8).alias("pw"),
    )
    for p in plan.columns:
        d = _distinct(batch, p)
        out = out.with_columns(
            (pl.col("mask") | d.get_column("m").fill_null(0)).alias("mask"),
            (pl.col("kinds") | d.get_column("k").fill_null(0)).alias("kinds"),
            pl.max_horizontal("pw", d.get_column("p").fill_null(0)).alias("pw"),
        )
    # A health kind is health data even where its column is not a health column.
    health = _bit(pl.col("kinds") != 0, CATEGORY_BIT["health_condition"], pl.UInt32)
    return out.select(
        (pl.col("mask") | health).cast(pl.UInt32).alias("mask"),
        pl.col("kinds").cast(pl.UInt16),
        pl.col("pw").cast(pl.UInt8),
    )
