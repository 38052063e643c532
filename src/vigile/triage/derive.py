"""Per batch, a small frame of derived values per row: hashes and codes only.

Everything is a polars expression over the whole batch; nothing runs in
Python per cell. Raw values never leave the batch: names become 64-bit
hashes, addresses a département code, passwords a kind.

Costly expressions (date parsing, NIR keys, name folding, free-text lexicons)
are evaluated once per distinct value of their input columns and joined
back: a lab export repeats each patient on several rows and comments follow
templates, so this divides their cost several times over.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..categories import CATEGORY_IDS
from ..detect.extract import departement_from_nir, departement_from_postcode, parse_date
from ..detect.extract import password_kind as password_kind_expr
from ..detect.text import health_mention_exprs, text_other_exprs
from .persons import (
    IDENTITY_PART_KIND,
    KeyPlan,
    date_part,
    fast_fold,
    hash64,
    identity_expr,
    nir_expr,
    part_expr,
)
from .roles import Roles

# Cell values that say "nothing here" in French exports.
NOTHING = ("neant", "néant", "aucun", "aucune", "non", "sans", "nc", "na", "n/a", "-", "--",
           "0", "ras", "null")  # fmt: skip
YES = ("oui", "o", "yes", "y", "1", "vrai", "true", "x", "enceinte")
HEALTH_KIND_NAMES = ("pregnancy", "hiv", "disability", "chronic_disease", "mental_health",
                     "addiction", "infectious_disease", "other_condition", "treatment")  # fmt: skip


def non_empty(c: str) -> pl.Expr:
    # Byte length only: ~30x cheaper than stripping every cell of ~50 columns; readers
    # turn empty fields into null or "", and whitespace-only cells are rare.
    return pl.col(c).str.len_bytes().fill_null(0) > 0


def filled(c: str) -> pl.Expr:
    """Non-empty and not a 'nothing' marker such as NEANT or AUCUN."""
    s = pl.col(c).str.strip_chars().str.to_lowercase()
    return s.is_not_null() & (s.str.len_bytes() > 0) & ~s.is_in(NOTHING)


def _any(exprs: list[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal(exprs) if exprs else pl.lit(False)


Keys = dict[str, pl.Expr]  # name -> expression of the batch's columns


@dataclass(frozen=True)
class Plan:
    """What to evaluate per batch: costly groups (once per distinct key), then the final select."""

    groups: tuple[tuple[Keys, tuple[pl.Expr, ...]], ...]
    final: tuple[pl.Expr, ...]


class _Groups:
    """Costly expressions, gathered by the key they are evaluated on."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], tuple[Keys, list[pl.Expr]]] = {}
        self.ids: dict[str, int] = {}  # column -> short id for internal names

    def add(self, keys: Keys, *exprs: pl.Expr) -> None:
        self.groups.setdefault(tuple(keys), (keys, []))[1].extend(exprs)

    def on_column(self, c: str, *exprs: pl.Expr) -> None:
        self.add({c: pl.col(c)}, *exprs)

    def part(self, c: str, kind: str) -> pl.Expr:
        """Column `c` normalised as `kind` (see persons.part_expr), computed per distinct value."""
        i = self.ids.setdefault(c, len(self.ids))
        name = f"__{kind}{i}"
        known = {e.meta.output_name() for _, exprs in self.groups.values() for e in exprs}
        if name not in known:
            if kind == "date":  # keyed on the date part: sample dates carry a time
                key = f"__datekey{i}"
                self.add({key: date_part(pl.col(c))}, parse_date(pl.col(key)).alias(name))
            elif kind == "dep":
                self.on_column(c, departement_from_postcode(pl.col(c)).alias(name))
            else:
                self.on_column(c, part_expr(kind, pl.col(c)).alias(name))
        return pl.col(name)

    def plan(self, final: list[pl.Expr]) -> Plan:
        return Plan(tuple((k, tuple(e)) for k, e in self.groups.values()), tuple(final))


def derive_plan(roles: Roles, plan: KeyPlan, *, present_categories: list[str]) -> Plan:
    g = _Groups()
    final: list[pl.Expr] = []

    nir_cols = [*roles.nir_full, *(c for pair in roles.nir_split for c in pair)]
    if nir_cols:
        g.add({c: pl.col(c) for c in dict.fromkeys(nir_cols)}, nir_expr(roles).alias("__nir"))
        nir = pl.col("__nir")
    else:
        nir = pl.lit(None, pl.String)
    final += [hash64(nir, "N").alias("nir_h"), nir.str.slice(1, 4).alias("nir_yymm")]
    parts = [g.part(getattr(roles, r), IDENTITY_PART_KIND[r]) for r in plan.identity_roles]
    final.append(hash64(identity_expr(parts), "I").alias("id_h"))
    link = [g.part(getattr(roles, r), IDENTITY_PART_KIND[r]) for r in plan.link_roles]
    final.append(hash64(identity_expr(link), "L").alias("link_h"))
    final.append(
        (g.part(roles.city, "name") if roles.city else pl.lit(None, pl.String)).alias("city")
    )
    for role, out in (("birth_date", "birth"), ("event_date", "event")):
        c = getattr(roles, role)
        final.append((g.part(c, "date") if c else pl.lit(None, pl.Date)).alias(out))
    # NIR with birth date and first name: tells apart children (twins too) recorded under
    # the NIR of the insured parent (see persons.resolve_persons).
    nir_parts = [nir]
    if roles.birth_date:
        nir_parts.append(g.part(roles.birth_date, "date").cast(pl.String))
    if roles.first_name:
        nir_parts.append(g.part(roles.first_name, "name"))
    nird = (
        pl.concat_str(nir_parts, separator="|") if len(nir_parts) > 1 else pl.lit(None, pl.String)
    )
    final.append(hash64(nird, "D").alias("nird_h"))
    if roles.prescriber_id:
        presc = hash64(pl.col(roles.prescriber_id).str.replace_all(r"\D", ""), "R")
    elif roles.prescriber_name:
        presc = hash64(g.part(roles.prescriber_name, "name"), "P")
    else:
        presc = pl.lit(None, pl.UInt64)
    final.append(presc.alias("presc_h"))

    dep_parts = []
    if roles.postcode:
        dep_parts.append(g.part(roles.postcode, "dep"))
    if nir_cols:
        dep_parts.append(departement_from_nir(nir))
    final.append((pl.coalesce(dep_parts) if dep_parts else pl.lit(None, pl.String)).alias("dep"))
    src = pl.lit(None, pl.String)
    if nir_cols:
        src = pl.when(nir.is_not_null()).then(pl.lit("nir")).otherwise(src)
    if roles.postcode:
        src = pl.when(dep_parts[0].is_not_null()).then(pl.lit("postcode")).otherwise(src)
    final.append(src.alias("dep_src"))

    pws = []
    for i, c in enumerate(roles.passwords):
        k = password_kind_expr(pl.col(c))
        # Any non-empty cell of a password column is a password; not hash-shaped means clear text.
        kind = pl.when(filled(c)).then(
            pl.when(k == "hash").then(pl.lit("hash")).otherwise(pl.lit("plain"))
        )
        g.on_column(c, kind.alias(f"__pw{i}"))
        pws.append(pl.col(f"__pw{i}"))
    final.append((pl.coalesce(pws) if pws else pl.lit(None, pl.String)).alias("pw"))

    kinds: dict[str, list[pl.Expr]] = {k: [] for k in HEALTH_KIND_NAMES}
    for i, c in enumerate(roles.text_columns):
        mentions = health_mention_exprs(fast_fold(pl.col(c)), folded=True)
        g.on_column(c, *(e.fill_null(False).alias(f"__k{i}_{k}") for k, e in mentions.items()))
        for k in mentions:
            kinds.setdefault(k, []).append(pl.col(f"__k{i}_{k}"))
    in_text: dict[str, list[pl.Expr]] = {}
    for i, (c, cats) in enumerate(roles.text_others):
        found = text_other_exprs(pl.col(c), fast_fold(pl.col(c)))
        g.on_column(c, *(found[cat].alias(f"__t{i}_{cat}") for cat in cats))
        for cat in cats:
            in_text.setdefault(cat, []).append(pl.col(f"__t{i}_{cat}"))

    # "NEANT", "AUCUN" in health columns are not exposures: checked per distinct value.
    filled_cols: dict[str, pl.Expr] = {}
    health_cols = [c for cat in ("health_condition", "medication", "lab_test", "blood_group")
                   for c in roles.by_category.get(cat, ()) if c not in roles.pregnancy_flags]  # fmt: skip
    for i, c in enumerate(dict.fromkeys([*roles.treatments, *health_cols])):
        g.on_column(c, filled(c).alias(f"__filled{i}"))
        filled_cols[c] = pl.col(f"__filled{i}")

    for c in roles.pregnancy_flags:
        flag = pl.col(c).str.strip_chars().str.to_lowercase().is_in(YES).fill_null(False)
        kinds["pregnancy"].append(flag)
    kinds["treatment"] += [filled_cols[c] for c in roles.treatments]
    kind_flags = {k: _any(v) for k, v in kinds.items()}
    final += [e.alias(f"k_{k}") for k, e in kind_flags.items()]

    # Category flags: a non-empty cell in a column of that category, or a mention in text.
    for cat in present_categories:
        # (a pregnancy flag reveals health data whatever its value, OUI or NON)
        flags = [filled_cols.get(c, non_empty(c)) for c in roles.by_category.get(cat, ())]
        flags += in_text.get(cat, [])
        if cat == "health_condition":
            flags += [e for k, e in kind_flags.items() if k != "treatment"]
        if cat == "medication":
            flags.append(kind_flags["treatment"])
        final.append(_any(flags).alias(f"c_{cat}"))

    est = []
    if roles.lab_name:
        est.append(pl.col(roles.lab_name).str.strip_chars().str.to_uppercase())
    if roles.finess:
        est.append(pl.lit("FINESS ") + pl.col(roles.finess).str.replace_all(r"\D", ""))
    estab = (
        pl.concat_str(est, separator=" · ", ignore_nulls=True) if est else pl.lit(None, pl.String)
    )
    final.append(estab.alias("estab"))
    return g.plan(final)


def present_categories(roles: Roles) -> list[str]:
    cats = set(roles.by_category)
    if roles.text_columns or roles.pregnancy_flags:
        cats.add("health_condition")
    if roles.text_columns or roles.treatments:
        cats.add("medication")
    cats.update(cat for _, found in roles.text_others for cat in found)
    return [c for c in CATEGORY_IDS if c in cats]


def _per_distinct(batch: pl.DataFrame, keys: Keys, exprs: tuple[pl.Expr, ...]) -> pl.DataFrame:
    """Evaluate `exprs` once per distinct key, returned in the batch's row order."""
    key_frame = batch.select(**keys)
    table = key_frame.unique().with_columns(*exprs)
    joined = key_frame.join(
        table, on=list(keys), how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.drop(list(keys))


def derive_batch(
    batch: pl.DataFrame, plan: Plan, row_offset: int, source_index: int
) -> pl.DataFrame:
    """Evaluate the derived frame of one batch; `row_h` identifies rows that have no key."""
    if any(dtype != pl.String for dtype in batch.dtypes):  # readers give strings; be lenient
        batch = batch.cast(pl.String)
    parts = [_per_distinct(batch, keys, exprs) for keys, exprs in plan.groups]
    work = pl.concat([batch, *parts], how="horizontal") if parts else batch
    rows = pl.int_range(row_offset, row_offset + batch.height, dtype=pl.UInt64)
    return work.select(
        *plan.final,
        row_h=(pl.lit(f"R{source_index}:") + rows.cast(pl.String)).hash(0x0B),
        src=pl.lit(source_index, pl.UInt16),
    )
