"""Canaries planted in a registered export are set aside by `vigile link`: they are never
linked, counted as persons found in no record, or notified."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from vigile.cli.app import app

from .world import history

runner = CliRunner()


def test_link_sets_canaries_aside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIGILE_PROVENANCE_KEY_FILE", str(tmp_path / "registry.key"))
    df = history(tmp_path / "hist.csv", 400, seed=7).drop("__person")
    df.write_csv("lab.csv", separator=";")
    # The controller's patient database: the same persons, with an id.
    df.with_row_index("IPP").with_columns(pl.col("IPP").cast(pl.String)).write_csv(
        "patients.csv", separator=";"
    )
    r = runner.invoke(app, ["provenance", "register", "lab.csv", "--recipient", "Éditeur X",
                            "--purpose", "migration", "--canaries", "3", "--out", "sent.csv",
                            "--db", "store.db", "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["case", "new", "fuite", "--discovered", "2026-12-01 10:00",
                            "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["link", "run", "sent.csv", "--patients", "patients.csv",
                            "--id-column", "IPP", "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "3 canary record(s) of a registered export set aside" in r.output
    # Canaries never collide with a patient: had they been kept, they would be counted
    # as leak persons found in no record (and drive a public communication).
    assert "found in no record: 0 leak persons" in r.output
