"""Triage on mutated exports: persons with a password exposed, plain vs hashed, exactly
as the generator's truth says, whatever the password style and headers (issue 14)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from vigile.synth import ExportSpec, generate_lab_export
from vigile.synth.mutate import mutate_export
from vigile.synth.truth import persons_path
from vigile.triage import triage_path

PLAIN = ("human", "random", "mixed_plain")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("mutcred") / "base.csv"
    truth = generate_lab_export(
        ExportSpec(rows=800, seed=41, header_style="lis", fields="full", nir="full"), path
    )
    frame = pl.read_csv(path, separator=";", infer_schema=False)
    person = pl.read_parquet(persons_path(path))["person"].to_numpy()
    return frame, person, truth


def _persons_with_password(frame: pl.DataFrame, person: np.ndarray, header: str) -> int:
    filled = frame[header].str.strip_chars().str.len_bytes().fill_null(0) > 0
    return int(np.unique(person[filled.to_numpy()]).size)


# The password column's header: opaque (seeds 1, 4), synonym (2), abbreviation (11); the
# styles: the generator's own mix of plain and hashed, clear text, a hex and a PHC hash.
@pytest.mark.parametrize(
    ("seed", "style"), [(1, "original"), (2, "mixed_plain"), (11, "argon2"), (4, "md5_upper")]
)
def test_password_persons_plain_and_hashed_equal_the_truth(base, tmp_path, seed, style):
    frame, person, truth = base
    m = mutate_export(frame, seed, person, password_style=style)
    [pw] = [c.header for c in m.columns if c.key == "password"]
    path = tmp_path / "mutated.csv"
    m.frame.write_csv(path, separator=m.separator)
    result = triage_path(path, reference_date=dt.date.fromisoformat(truth.age_reference_date))
    exposed = _persons_with_password(m.frame, person, pw)
    if style == "original":
        plain, hashed = truth.passwords["plain"], truth.passwords["hash"]
        assert plain + hashed == exposed and plain and hashed
    else:
        plain, hashed = (exposed, 0) if style in PLAIN else (0, exposed)
    assert result.credentials == {
        "persons_with_password": exposed,
        "plain_text": plain,
        "hashed_only": hashed,
    }
