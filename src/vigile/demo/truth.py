"""What each linked patient's own leak rows expose, computed from the generator's truth only.

    expected = exposure_truth(leak_truth, db_truth.links, on=date(2021, 2, 23))
    expected["P0001234"].categories, .password, .minor

The expectation comes from what `vigile.synth` wrote (the values of each categorised
column, the comment template and clinical label behind each free-text cell, the hidden
row -> person map and each person's birth date and password form), never from vigile's
own detection, so comparing it with the case's exposure records, the letters, the
e-mails and the portal checks vigile against an independent source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ..synth import GroundTruth

PLAIN, HASHED = "plain", "hashed"


@dataclass(frozen=True)
class PersonTruth:
    categories: frozenset[str]  # categories.md ids found in the person's own rows
    password: str | None  # "plain", "hashed", or None when no password cell was filled
    minor: bool  # under 18 on the reference date


def _read_leak(truth: GroundTruth, path: str | Path) -> pl.DataFrame:
    """The generated CSV as strings (empty cell -> null), in its own encoding."""
    spec = truth.spec
    if spec.get("format", "csv") != "csv":
        raise ValueError("exposure_truth reads the CSV exports of vigile.synth")
    text = Path(path).read_bytes().decode(spec.get("encoding") or "utf-8")
    return pl.read_csv(
        text.encode("utf-8"), separator=spec.get("separator") or ",", infer_schema=False
    )


def _age_on(birth: pl.Expr, on: date) -> pl.Expr:
    before_birthday = (birth.dt.month() > on.month) | (
        (birth.dt.month() == on.month) & (birth.dt.day() > on.day)
    )
    return pl.lit(on.year) - birth.dt.year() - before_birthday.cast(pl.Int32)


def exposure_truth(
    truth: GroundTruth, links: pl.DataFrame, on: date, leak_path: str | Path | None = None
) -> dict[str, PersonTruth]:
    """patient_id -> what that patient's own rows expose (leak persons absent from `links`,
    the patient database's leak_person -> patient_id map, are left out)."""
    from ..synth.clinical import COMMENT_TEMPLATES

    values = _read_leak(truth, leak_path or truth.path)
    rows = truth.row_persons().sort("row")
    if rows.height != values.height:
        raise ValueError("the export and its hidden row map disagree on the number of rows")
    values = values.with_columns(rows.get_column("person").alias("__person"))

    # (person, category) from every categorised column holding a value in the person's rows.
    pairs = [
        values.filter(pl.col(header).is_not_null()).select(
            pl.col("__person").alias("person"), pl.lit(cat).alias("category")
        )
        for header, cat in truth.columns.items()
        if cat is not None and header in values.columns
    ]
    # Free text: the categories of the comment template, and of the clinical label, behind
    # each cell.
    templates = pl.DataFrame(
        {
            "comment_template": list(range(len(COMMENT_TEMPLATES))),
            "category": [sorted(t.categories) for t in COMMENT_TEMPLATES],
        },
        schema={"comment_template": pl.Int64, "category": pl.List(pl.String)},
    ).explode("category")
    pairs.append(
        rows.join(templates, on="comment_template")
        .filter(pl.col("category").is_not_null())
        .select("person", "category")
    )
    pairs.append(
        rows.filter(pl.col("clinical_kind").is_not_null()).select(
            "person",
            category=pl.when(pl.col("clinical_kind") == "treatment")
            .then(pl.lit("medication"))
            .otherwise(pl.lit("health_condition")),
        )
    )
    cats = (
        pl.concat(pairs)
        .group_by("person")
        .agg(pl.col("category").unique().sort().alias("categories"))
    )
    # The password's form, for persons whose rows show one.
    shown = pl.DataFrame(
        {"person": [], "shown": []}, schema={"person": pl.Int64, "shown": pl.Boolean}
    )
    if "MDP" in values.columns:
        shown = (
            values.filter(pl.col("MDP").is_not_null())
            .select(pl.col("__person").alias("person"))
            .unique()
            .with_columns(shown=pl.lit(True))
        )
    hidden = truth.persons_frame().select(
        "person", "pw_kind", minor=_age_on(pl.col("birth_date"), on) < 18
    )
    frame = (
        links.select(pl.col("leak_person").alias("person"), "patient_id")
        .join(hidden, on="person", how="left")
        .join(cats, on="person", how="left")
        .join(shown, on="person", how="left")
        .with_columns(
            password=pl.when(pl.col("shown").fill_null(False))
            .then(pl.when(pl.col("pw_kind") == PLAIN).then(pl.lit(PLAIN)).otherwise(pl.lit(HASHED)))
            .otherwise(None)
        )
    )
    return {
        pid: PersonTruth(frozenset(c or ()), pw, bool(minor))
        for pid, c, pw, minor in frame.select(
            "patient_id", "categories", "password", "minor"
        ).iter_rows()
    }
