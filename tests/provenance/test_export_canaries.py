"""`vigile export run --register --canaries N`: canaries planted in the export's own
columns and styles, checked against --patients, registered with the export; `vigile
link` sets them aside and tracing the export finds them."""

from __future__ import annotations

import json
import re

import polars as pl
from typer.testing import CliRunner

import vigile.cli  # noqa: F401  (registers every command)
from vigile.cli.app import app
from vigile.protect import open_export, plan_export
from vigile.provenance import open_registry

from .lab import export_keys, lab_folder
from .world import renamed

runner = CliRunner()
IDENTITY = ("NIR", "NOM", "NOM_JF", "PRENOM", "TEL_DOM", "TEL_PORT", "MAIL")


def test_export_run_plants_registers_and_link_sets_aside(tmp_path, monkeypatch):
    d = tmp_path
    df = lab_folder(d, monkeypatch, 200, seed=8)
    df.with_row_index("IPP").with_columns(pl.col("IPP").cast(pl.String)).write_csv(
        d / "patients.csv", separator=";"
    )
    keys = d / "keys"
    ident = export_keys(d)
    # A migration to a new LIS: identities leave as they are (kept, not pseudonymised).
    profile = plan_export(str(d / "lab.csv"))
    for c in IDENTITY:
        profile = re.sub(rf'("{c}": {{action: )"pseudonymise"', r'\1"keep"', profile)
    (d / "profile.yaml").write_text(profile)
    args = ["export", "run", "lab.csv", "-p", "profile.yaml", "-r", str(ident.to_public()),
            "--out", "exp-1", "--signing-key", str(keys / "signing.key"),
            "--secret-file", str(keys / "pseudonym.secret"), "--register", "--to", "Éditeur Y",
            "--purpose", "migration", "--db", "store.db", "--canaries", "3",
            "--patients", "patients.csv"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "with 3 canary records" in r.output
    [part] = open_export(d / "exp-1", keys / "id.agekey", d / "clear")
    sent = pl.read_parquet(part)
    assert sent.height == df.height + 3
    assert set(sent.columns) >= set(IDENTITY)
    extra = sent.join(df.select(IDENTITY), on=list(IDENTITY), how="anti", nulls_equal=True)
    assert extra.height == 3  # the canaries: nobody of the source
    assert extra["NIR"].str.replace_all(" ", "").str.len_chars().to_list() == [15, 15, 15]
    with open_registry("store.db") as reg:
        [rec] = reg.exports().values()
    assert (rec.name, rec.canaries, rec.rows) == ("exp-1", 3, df.height)

    # Tracing a copy of the export finds its canaries.
    renamed(sent).write_csv(d / "found.csv")
    r = runner.invoke(app, ["provenance", "trace", "found.csv", "--db", "store.db", "-f",
                            "json", "-q"])  # fmt: skip
    assert r.exit_code == 0, r.output
    m = json.loads(r.output)["matches"][0]
    assert (m["export"], m["canaries"]) == ("exp-1", 3) and m["confidence"] > 0.99

    # Linking the leaked copy to the patients: the canaries are set aside, not counted as
    # persons found in no record.
    r = runner.invoke(app, ["case", "new", "fuite", "--discovered", "2026-12-01 10:00",
                            "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    sent.write_csv(d / "leaked.csv", separator=";")
    r = runner.invoke(app, ["link", "run", "leaked.csv", "--patients", "patients.csv",
                            "--id-column", "IPP", "--db", "store.db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "3 canary record(s) of a registered export set aside" in r.output
    assert "found in no record: 0 leak persons" in r.output


def test_canaries_need_register(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["export", "run", "x.csv", "-p", "p.yaml", "-r", "age1x", "--out",
                            "o", "--signing-key", "k", "--secret-file", "s", "--canaries", "2"])  # fmt: skip
    assert r.exit_code == 2 and "go with --register" in r.output and "Traceback" not in r.output
