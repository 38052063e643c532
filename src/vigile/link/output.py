"""Where a link result goes: the case store (encrypted) and the affected-patients CSV."""

from __future__ import annotations

import os

import polars as pl

from ..categories import CATEGORY_IDS
from .exposure import PASSWORD_FORM
from .pipeline import LinkResult, iter_affected_persons
from .review import review_items

AFFECTED_CSV_COLUMNS = (
    "patient_id",
    "match_probability",
    "match_method",
    "categories",
    "password",
    "minor",
    "protected",
)


def categories_expr(mask: pl.Expr) -> pl.Expr:
    """Comma-separated category ids (in categories.md order) of a UInt32 exposure mask."""
    parts = [
        pl.when((mask & (1 << i)) != 0).then(pl.lit(c)).otherwise(None)
        for i, c in enumerate(CATEGORY_IDS)
    ]
    return pl.concat_str(parts, separator=",", ignore_nulls=True)


def write_affected_csv(result: LinkResult, path: str | os.PathLike) -> int:
    """One row per affected patient: the database's own id, probability, method, categories,
    password form, and whether the letter goes to a legal representative (minor, protected).

    Only the controller's own ids leave the process here, no identity field (nor the
    health kinds: they stay in the encrypted case store).
    """
    out = result.affected().select(
        "patient_id",
        pl.col("match_probability").round(6),
        "match_method",
        categories_expr(pl.col("mask")).alias("categories"),
        pl.col("pw")
        .replace_strict(PASSWORD_FORM, default=None, return_dtype=pl.String)
        .alias("password"),
        "minor",
        "protected",
    )
    out.write_csv(path)
    return out.height


def save_to_case(result: LinkResult, store, incident_id: int) -> dict[str, int]:
    """Affected persons (replacing a previous run) and the review queue, into the case store."""
    affected = store.replace_affected(
        incident_id, iter_affected_persons(result.affected()), result.unmatched_leak_persons
    )
    items = review_items(
        result.review, result.leak.persons, result.patients.frame, result.reference_date
    )
    queued = store.add_review(incident_id, items, replace_pending=True)
    store.audit(
        "link.run",
        {
            "incident_id": incident_id,
            **{k: int(v) for k, v in result.counts().items()},
        },
    )
    return {"affected": affected, "review": queued}
