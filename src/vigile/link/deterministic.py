"""First pass: exact join on the validated NIR, kept only when the birth dates agree.

A NIR alone is not enough: a child is often registered under a parent's NIR
(ouvrant droit), so the same NIR can belong to several patients. The birth date
decides, with an explained tolerance for a typo:
- same date, or either side missing;
- same year and month (what the NIR itself encodes) with a different day;
- day and month swapped (a classic dd/mm vs mm/dd entry error).
A NIR that agrees with no patient's birth date, or with several, is left to
the probabilistic pass.
"""

from __future__ import annotations

import polars as pl


def birth_dates_agree(left: pl.Expr, right: pl.Expr) -> pl.Expr:
    """ISO date strings (yyyy-mm-dd); true when equal, missing, same year-month, or day/month swap."""
    swapped = right.str.slice(0, 5) + right.str.slice(8, 2) + pl.lit("-") + right.str.slice(5, 2)
    return (
        left.is_null()
        | right.is_null()
        | (left.str.slice(0, 7) == right.str.slice(0, 7))
        | (left == swapped)
    )


def nir_matches(leak: pl.DataFrame, patients: pl.DataFrame) -> pl.DataFrame:
    """leak_key, patient_id, match_probability (1.0) for leak persons linked by NIR."""
    # Select, then filter: filtering first would copy every column of the patient table
    # (its identity too), a transient second copy of the largest frame of a link.
    pairs = (
        leak.select("leak_key", "nir", pl.col("birth_date").alias("bd_l"))
        .filter(pl.col("nir").is_not_null())
        .join(
            patients.select("patient_id", "nir", pl.col("birth_date").alias("bd_r")).filter(
                pl.col("nir").is_not_null()
            ),
            on="nir",
        )
        .filter(birth_dates_agree(pl.col("bd_l"), pl.col("bd_r")))
    )
    # Exact birth date first; a NIR shared by several agreeing patients stays ambiguous.
    pairs = pairs.with_columns((pl.col("bd_l") == pl.col("bd_r")).fill_null(False).alias("_exact"))
    best = pairs.group_by("leak_key").agg(
        pl.col("patient_id").filter(pl.col("_exact")).alias("_exact_ids"),
        pl.col("patient_id").alias("_ids"),
    )
    chosen = pl.when(pl.col("_exact_ids").list.len() == 1).then(pl.col("_exact_ids").list.first())
    chosen = chosen.when(pl.col("_ids").list.len() == 1).then(pl.col("_ids").list.first())
    return (
        best.select("leak_key", chosen.otherwise(None).alias("patient_id"))
        .filter(pl.col("patient_id").is_not_null())
        .with_columns(pl.lit(1.0).alias("match_probability"))
    )
