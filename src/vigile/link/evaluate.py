"""Precision and recall of a link result against a generator's ground truth (tests, benchmark)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .pipeline import LinkResult


@dataclass(frozen=True)
class Score:
    precision: float  # share of affected patients found that are truly in the leak
    recall: float  # share of the leak's patients found
    true_positives: int
    predicted: int
    expected: int
    pair_precision: float  # share of (leak person -> patient) links that are right


def score(result: LinkResult, row_person: pl.Series, truth: pl.DataFrame) -> Score:
    """row_person: the hidden person index of every leak row, in reading order.
    truth: `person` (index) -> `patient_id` for leak persons present in the database."""
    rows = pl.DataFrame({"leak_key": result.leak.row_person, "person": row_person})
    linked = rows.join(result.matches.select("leak_key", "patient_id"), on="leak_key").unique(
        ["person", "patient_id"]
    )
    right = linked.join(truth, on=["person", "patient_id"], how="semi").height
    found = set(result.matches.get_column("patient_id").to_list())
    expected = set(truth.get_column("patient_id").to_list())
    tp = len(found & expected)
    return Score(
        precision=tp / len(found) if found else 1.0,
        recall=tp / len(expected) if expected else 1.0,
        true_positives=tp,
        predicted=len(found),
        expected=len(expected),
        pair_precision=right / linked.height if linked.height else 1.0,
    )
