"""The mutation benchmark's mutator (vigile.synth.mutate): deterministic, truthful."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from vigile.synth import ExportSpec, generate_lab_export
from vigile.synth.fields import FIELDS
from vigile.synth.mutate import HEADER_KINDS, abbreviate, mutate_export
from vigile.synth.truth import persons_path


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("mut") / "base.csv"
    generate_lab_export(ExportSpec(rows=600, seed=3, header_style="lis"), path)
    frame = pl.read_csv(path, separator=";", infer_schema=False)
    person = pl.read_parquet(persons_path(path))["person"].to_numpy()
    return frame, person


def test_same_seed_same_table_and_input_untouched(export):
    frame, person = export
    before = frame.clone()
    a, b = mutate_export(frame, 11, person), mutate_export(frame, 11, person)
    assert a.frame.equals(b.frame) and a.columns == b.columns
    assert frame.equals(before)
    assert not a.frame.equals(mutate_export(frame, 12, person).frame)


@pytest.mark.parametrize("seed", range(6))
def test_truth_names_every_column_and_keeps_categories(export, seed):
    frame, person = export
    m = mutate_export(frame, seed, person)
    assert [c.header for c in m.columns] == m.frame.columns
    assert len(set(m.frame.columns)) == m.frame.width
    by_key = {f.key: f.category for f in FIELDS}
    for c in m.columns:
        assert c.header_kind in HEADER_KINDS
        if c.key.startswith("decoy:"):
            assert c.category is None
        else:
            assert c.category == by_key[c.key]
    # every original column is still there, decoys came along
    assert {c.key for c in m.columns} >= {FIELDS_BY_LIS[h] for h in frame.columns}
    assert any(c.key.startswith("decoy:") for c in m.columns)


FIELDS_BY_LIS = {f.lis: f.key for f in FIELDS}


def test_a_persons_password_stays_the_same_on_their_rows(export):
    frame, person = export
    for seed in range(12):
        m = mutate_export(frame, seed, person)
        [pw] = [c.header for c in m.columns if c.key == "password"]
        per = pl.DataFrame({"p": person, "pw": m.frame[pw]}).drop_nulls()
        assert per.group_by("p").agg(pl.col("pw").n_unique())["pw"].max() == 1


def test_abbreviations_are_three_to_six_characters():
    rng = np.random.default_rng(0)
    for name in ("Date de naissance", "Mot de passe", "Numéro adhérent", "Ville", "Prénom"):
        for _ in range(20):
            assert 3 <= len(abbreviate(name, rng)) <= 6
