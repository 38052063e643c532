"""A pregnancy yes/no flag found by relation (opaque header) counts as one in triage."""

import numpy as np
import polars as pl

from vigile.detect.context import FEMALE_FLAG_NOTE
from vigile.detect.profiler import classify
from vigile.triage.roles import assign_roles


def _frame(n: int = 3000) -> pl.DataFrame:
    rng = np.random.default_rng(14)
    sex = rng.choice(["M", "F"], n)
    flag = np.where(sex == "F", rng.choice(["O", "N"], n, p=[0.1, 0.9]), None)
    return pl.DataFrame({"C03": sex.tolist(), "C09": flag.tolist()})


def test_a_flag_filled_on_womens_rows_only_is_a_pregnancy_flag_in_triage():
    df = _frame()
    findings = classify(df)
    flag = next(f for f in findings if f.name == "C09")
    assert flag.category == "health_condition" and flag.note == FEMALE_FLAG_NOTE
    roles = assign_roles(findings, df)
    assert roles.pregnancy_flags == ("C09",)
    assert "C09" not in roles.text_columns  # read as a flag, not searched as free text


def test_a_flag_filled_for_both_sexes_is_not_one():
    df = _frame().with_columns(pl.col("C09").fill_null("N"))
    roles = assign_roles(classify(df), df)
    assert "C09" not in roles.pregnancy_flags
