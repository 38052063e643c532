"""Tracing through files: any format and dialect, columns renamed, reordered, dropped,
values reformatted; the answer's JSON shape; hostile files end in a clear message."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest

from read import hostile_corpus as hc  # tests/read (tests/ is on the path)
from vigile.provenance import (
    TRACE_SCHEMA,
    ProvenanceError,
    open_registry,
    register_file,
    trace_path,
)

from .world import history, renamed, transform


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("trace")
    df = history(d / "hist.csv", 2_400, seed=57).drop("__person")
    half = df.height // 2
    df.head(half).write_csv(d / "a.csv", separator=";")
    df.tail(df.height - half).write_csv(d / "b.csv", separator=";")
    db = str(d / "store.db")
    with open_registry(db, d / "r.key", create=True) as reg:
        register_file(d / "a.csv", reg, recipient="Éditeur A", purpose="migration", software="X")
        register_file(d / "b.csv", reg, recipient="Éditeur B", purpose="étude", software="Y")
    return d, df.head(half), db


def _trace(db, path):
    from pathlib import Path

    with open_registry(db, Path(db).with_name("r.key")) as reg:
        return trace_path(path, reg)


@pytest.mark.parametrize(
    "fmt", ["csv-comma-cp1252", "csv-tab", "csv-pipe-bom", "parquet", "xlsx", "json"]
)
def test_a_transformed_fragment_in_any_format_is_traced(setup, fmt, tmp_path):
    d, a, db = setup
    rng = random.Random(fmt)
    frag = renamed(transform(a.sample(300, seed=7), rng))
    path = tmp_path / f"found.{fmt.split('-')[0]}"
    if fmt == "csv-comma-cp1252":
        path.write_bytes(frag.write_csv(separator=",").encode("cp1252", errors="replace"))
    elif fmt == "csv-tab":
        frag.write_csv(path, separator="\t")
    elif fmt == "csv-pipe-bom":
        frag.write_csv(path, separator="|", include_bom=True)
    elif fmt == "parquet":
        frag.write_parquet(path)
    elif fmt == "xlsx":
        frag.write_excel(path)
    else:
        path.write_text(json.dumps(frag.to_dicts(), ensure_ascii=False), encoding="utf-8")
    r = _trace(db, path)
    assert r.matches and r.matches[0].export.name == "a.csv", fmt
    assert r.matches[0].share > 0.9 and r.matches[0].confidence > 0.99
    assert all(m.export.name != "b.csv" or m.confidence < 0.01 for m in r.matches)


def test_json_answer_has_the_contract_shape(setup, tmp_path):
    d, a, db = setup
    path = tmp_path / "found.csv"
    a.sample(50, seed=1).write_csv(path)
    doc = _trace(db, path).to_json()
    assert doc["schema"] == TRACE_SCHEMA
    m = doc["matches"][0]
    assert set(m) == {"export", "recipient", "purpose", "registered_at", "rows_matched",
                      "share", "canaries", "confidence"}  # fmt: skip
    assert (m["export"], m["recipient"], m["rows_matched"]) == ("a.csv", "Éditeur A", 50)


def test_a_file_without_registered_rows_matches_nothing(setup, tmp_path):
    d, a, db = setup
    others = history(tmp_path / "others.csv", 600, seed=99).drop("__person")
    path = tmp_path / "found.csv"
    renamed(others).write_csv(path)
    r = _trace(db, path)
    assert r.matches == [] and r.rows == 600
    assert r.to_json()["matches"] == []


def test_a_file_merged_from_two_exports_names_both(setup, tmp_path):
    d, a, db = setup
    b = pl.read_csv(d / "b.csv", separator=";", infer_schema=False)
    path = tmp_path / "merged.csv"
    pl.concat([a.sample(200, seed=2), b.sample(100, seed=3)]).write_csv(path)
    r = _trace(db, path)
    sources = [m.export.name for m in r.matches if m.source]
    assert sources == ["a.csv", "b.csv"]
    assert all(m.confidence > 0.99 for m in r.matches[:2])


def test_hostile_files_end_in_a_clear_message(setup, tmp_path):
    _, _, db = setup
    built = hc.build(tmp_path / "corpus")
    assert len(built) >= 10
    for name, path in built.items():
        try:
            r = _trace(db, path)
        except ProvenanceError as e:
            msg = str(e)
            assert "\n" not in msg and len(msg) < 400, name
            continue
        assert isinstance(r.matches, list), name
