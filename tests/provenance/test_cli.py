"""`vigile provenance register | trace` and `vigile export run --register`: one-line
errors, JSON on stdout, evidence and the CNIL sentence recorded in the case, no raw
value printed."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from vigile.cli.app import app
from vigile.protect import open_export, plan_export

from .lab import export_keys, lab_folder
from .world import renamed

runner = CliRunner()


@pytest.fixture
def lab(tmp_path, monkeypatch):
    return tmp_path, lab_folder(tmp_path, monkeypatch, 700, seed=61)


def _no_values(text: str, df: pl.DataFrame) -> None:
    for c in ("NIR", "NOM", "MAIL", "TEL_PORT"):
        for v in df[c].drop_nulls().unique().head(200).to_list():
            assert v not in text, c


def test_register_then_trace_json_and_case_evidence(lab):
    d, df = lab
    r = runner.invoke(app, ["provenance", "register", "lab.csv", "--recipient", "Éditeur X",
                            "--purpose", "migration", "--canaries", "2", "--out", "sent.csv",
                            "--db", "store.db", "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "2 canaries" in r.output
    renamed(df.sample(120, seed=1)).write_csv(d / "found.csv", separator="\t")
    r = runner.invoke(app, ["case", "new", "fuite", "--discovered", "2026-12-01 10:00",
                            "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["provenance", "trace", "found.csv", "--db", "store.db", "-f", "json",
                            "--case", "fuite", "--found-where", "forum", "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output[: r.output.rindex("}") + 1])
    assert doc["schema"] == "vigile.provenance/1"
    assert doc["matches"][0]["export"] == "sent.csv" and doc["matches"][0]["rows_matched"] == 120
    _no_values(r.output, df)
    from vigile.case import open_store

    with open_store("store.db", create=False) as store:
        inc = store.incident("fuite")
        ev = store.evidence(inc.id)
        assert ev[0].found_where == "forum" and ev[0].sha256 == doc["file"]["sha256"]
        answer = inc.settings["cnil_answers"]["origin.circumstances"]
        assert answer.startswith("Le fichier trouvé") and "« sent.csv »" in answer


def test_errors_are_one_line(lab):
    r = runner.invoke(app, ["provenance", "trace", "lab.csv", "--db", "none.db"])
    assert r.exit_code == 2 and "register an export first" in r.output
    r = runner.invoke(app, ["provenance", "register", "lab.csv", "--recipient", "X",
                            "--purpose", "m", "--canaries", "2", "--db", "s.db"])  # fmt: skip
    assert r.exit_code == 2 and "--out" in r.output
    assert "Traceback" not in r.output


def test_export_run_registers_what_leaves(lab):
    d, df = lab
    keys = d / "keys"
    ident = export_keys(d)
    (d / "profile.yaml").write_text(plan_export(str(d / "lab.csv")))
    r = runner.invoke(app, ["export", "run", "lab.csv", "-p", "profile.yaml",
                            "-r", str(ident.to_public()), "--out", "exp-2026-12",
                            "--signing-key", str(keys / "signing.key"),
                            "--secret-file", str(keys / "pseudonym.secret"),
                            "--register", "--to", "Éditeur Y", "--purpose", "migration",
                            "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    [part] = open_export(d / "exp-2026-12", keys / "id.agekey", d / "clear")
    leaked = pl.read_parquet(part).sample(80, seed=4)
    renamed(leaked).write_csv(d / "leaked.csv")
    r = runner.invoke(app, ["provenance", "trace", "leaked.csv", "--db", "store.db", "-f",
                            "json", "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    m = doc["matches"][0]
    assert (m["export"], m["recipient"], m["purpose"]) == ("exp-2026-12", "Éditeur Y", "migration")
    assert m["rows_matched"] == 80 and m["confidence"] > 0.99
    r = runner.invoke(app, ["export", "run", "lab.csv", "-p", "profile.yaml",
                            "-r", str(ident.to_public()), "--out", "other",
                            "--signing-key", str(keys / "signing.key"),
                            "--secret-file", str(keys / "pseudonym.secret"),
                            "--register", "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 2 and "--purpose" in r.output
