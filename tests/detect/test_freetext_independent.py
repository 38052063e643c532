"""The independent free-text benchmark (benchmarks/freetext_independent.py), small: comments
written without vigile.synth's templates, from the shipped reference terms, on seeds held
back while the detectors were tuned. Per-cell precision and recall of the free-text
health_condition and medication flags against the generator's cell-level truth."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "freetext_independent.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("freetext_independent", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_is_deterministic_and_truthful(bench):
    a = bench.generate(101, 200, published=False)
    assert a.equals(bench.generate(101, 200, published=False))
    assert not a.equals(bench.generate(102, 200, published=False))
    # truth follows the clause kinds
    for row in a.iter_rows(named=True):
        kinds = row["kinds"].split("+")
        assert row["health_condition"] == any(
            k in ("pos_condition", "pos_drug_revealing") for k in kinds
        )
        assert row["medication"] == any(k.startswith("pos_drug") for k in kinds)


def test_held_back_seeds_per_cell_precision_and_recall(bench):
    truth = bench.generate(bench.HELD_SEEDS[0], 3000, published=False)
    got = bench.scores(truth, bench.detect(truth["text"]))
    for cat in bench.CATEGORIES:
        assert got[cat]["cells"] > 500, cat
        assert got[cat]["precision"] >= 0.98, (cat, got[cat])
        assert got[cat]["recall"] >= 0.95, (cat, got[cat])
