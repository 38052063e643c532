"""From the concatenated derived rows to the figures of the report (whole file, every row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .derive import HEALTH_KIND_NAMES
from .geography import DEPARTEMENTS, REGIONS
from .model import SMALL_CELL

TOP_TOWNS = 10
MAX_ESTABLISHMENTS = 50


@dataclass(frozen=True)
class Figures:
    rows: int
    persons: int
    rows_by_key: dict[str, int]
    persons_by_key: dict[str, int]
    minors: int
    over_75: int
    categories: dict[str, int]
    health_mentions: dict[str, int]
    credentials: dict
    departements: dict[str, int]
    departement_sources: dict[str, int]
    regions: dict[str, int]
    top_towns: tuple[tuple[str, int], ...]
    establishments: tuple[tuple[str, int], ...]
    prescribers: int | None
    time_span: dict


def _birth_from_nir(yymm: pl.Expr, ref: dt.date) -> pl.Expr:
    """Approximate birth date from NIR year and month; the century is the one that makes the
    person not yet born in the future (a NIR alone cannot tell 1920 from 2020)."""
    yy = yymm.str.slice(0, 2).cast(pl.Int32, strict=False)
    mm = yymm.str.slice(2, 2).cast(pl.Int32, strict=False)
    year = pl.when(2000 + yy <= ref.year).then(2000 + yy).otherwise(1900 + yy)
    month = pl.when(mm.is_between(1, 12)).then(mm).otherwise(1)
    return pl.date(year, month, 1)


def _age(birth: pl.Expr, ref: dt.date) -> pl.Expr:
    had_birthday = (birth.dt.month() < ref.month) | (
        (birth.dt.month() == ref.month) & (birth.dt.day() <= ref.day)
    )
    return pl.lit(ref.year) - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)


def compute(rows: pl.DataFrame, categories: list[str], reference_date: dt.date) -> Figures:
    """`rows` holds the derived columns plus `person` and `key_kind` (see persons.py)."""
    n_rows = rows.height
    flags = [f"c_{c}" for c in categories if f"c_{c}" in rows.columns]
    kinds = [f"k_{k}" for k in HEALTH_KIND_NAMES if f"k_{k}" in rows.columns]
    key_rank = pl.col("key_kind").replace_strict(
        {"nir": 0, "nir_via_identity": 1, "identity": 2, "row": 3}, return_dtype=pl.Int8
    )
    per_person = (
        rows.lazy()
        .group_by("person")
        .agg(
            *[pl.col(c).any() for c in flags + kinds],
            key_rank.min().alias("key_rank"),
            pl.col("birth").drop_nulls().first(),
            pl.col("nir_yymm").drop_nulls().first(),
            pl.col("dep").drop_nulls().first(),
            pl.col("dep_src").drop_nulls().first(),
            pl.col("city").drop_nulls().first(),
            (pl.col("pw") == "plain").any().alias("pw_plain"),
            (pl.col("pw") == "hash").any().alias("pw_hash"),
        )
        .with_columns(
            birth_any=pl.coalesce("birth", _birth_from_nir(pl.col("nir_yymm"), reference_date))
        )
        .with_columns(age=_age(pl.col("birth_any"), reference_date))
        .collect()
    )
    n_persons = per_person.height
    sums = per_person.select(
        *[pl.col(c).sum() for c in flags + kinds],
        minors=pl.col("age")
        .is_between(0, 17)
        .sum(),  # a birth date after the reference is an error
        over_75=(pl.col("age") >= 75).sum(),
        pw_any=(pl.col("pw_plain") | pl.col("pw_hash")).sum(),
        pw_plain=pl.col("pw_plain").sum(),
        pw_hash=(pl.col("pw_hash") & ~pl.col("pw_plain")).sum(),
    ).row(0, named=True)

    kind_names = ["nir", "nir_via_identity", "identity", "row"]
    rows_by_key = dict(rows.get_column("key_kind").value_counts().iter_rows())
    persons_by_key = dict(per_person.get_column("key_rank").value_counts().iter_rows())

    deps = per_person.filter(pl.col("dep").is_not_null()).get_column("dep").value_counts()
    departements = {d: n for d, n in deps.iter_rows() if d in DEPARTEMENTS}
    other = sum(n for d, n in deps.iter_rows() if d not in DEPARTEMENTS)
    unknown = n_persons - sum(departements.values())
    regions: dict[str, int] = {}
    for d, n in departements.items():
        name = REGIONS[DEPARTEMENTS[d][1]]
        regions[name] = regions.get(name, 0) + n
    dep_sources = dict(
        per_person.get_column("dep_src").fill_null("unknown").value_counts().iter_rows()
    )
    dep_sources["abroad_or_other"] = other
    dep_sources["without_departement"] = unknown

    towns = (
        per_person.filter(pl.col("city").is_not_null())
        .group_by("city")
        .len()
        .filter(pl.col("len") >= SMALL_CELL)
        .sort(["len", "city"], descending=[True, False])
        .head(TOP_TOWNS)
    )

    est = (
        rows.lazy()
        .filter(pl.col("estab").is_not_null() & (pl.col("estab").str.len_bytes() > 0))
        .group_by("estab")
        .agg(pl.col("person").n_unique().alias("n"))
        .sort(["n", "estab"], descending=[True, False])
        .head(MAX_ESTABLISHMENTS)
        .collect()
    )
    presc = rows.get_column("presc_h")
    prescribers = presc.drop_nulls().n_unique() if presc.null_count() < n_rows else None

    events = rows.lazy().filter(pl.col("event").is_not_null())
    span = events.select(
        pl.col("event").min().alias("lo"), pl.col("event").max().alias("hi")
    ).collect()
    by_year = (
        events.group_by(pl.col("event").dt.year().alias("year"))
        .agg(pl.len().alias("rows"), pl.col("person").n_unique().alias("persons"))
        .sort("year")
        .collect()
    )
    lo, hi = span.row(0)
    time_span = {
        "earliest": lo.isoformat() if lo else None,
        "latest": hi.isoformat() if hi else None,
        "rows_with_date": int(by_year.get_column("rows").sum()) if by_year.height else 0,
        "by_year": {str(y): {"rows": r, "persons": p} for y, r, p in by_year.iter_rows()},
    }

    return Figures(
        rows=n_rows,
        persons=n_persons,
        rows_by_key={k: int(rows_by_key.get(k, 0)) for k in kind_names},
        persons_by_key={k: int(persons_by_key.get(i, 0)) for i, k in enumerate(kind_names)},
        minors=int(sums["minors"]),
        over_75=int(sums["over_75"]),
        categories={c: int(sums[f"c_{c}"]) for c in categories if f"c_{c}" in sums},
        health_mentions={k[2:]: int(sums[k]) for k in kinds},
        credentials={
            "persons_with_password": int(sums["pw_any"]),
            "plain_text": int(sums["pw_plain"]),
            "hashed_only": int(sums["pw_hash"]),
        },
        departements=dict(sorted(departements.items())),
        departement_sources={k: int(v) for k, v in dep_sources.items()},
        regions=dict(sorted(regions.items(), key=lambda kv: -kv[1])),
        top_towns=tuple((t, int(n)) for t, n in towns.iter_rows()),
        establishments=tuple((e, int(n)) for e, n in est.iter_rows()),
        prescribers=prescribers,
        time_span=time_span,
    )
