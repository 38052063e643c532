"""End to end: synth -> `vigile scan` in every output format, with no raw value in any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from vigile.categories import CATEGORIES
from vigile.scan import render_scan, scan_path
from vigile.synth import ExportSpec, generate_lab_export

# Categories whose raw values must never appear in an output (short codes like sex are exempt).
PERSONAL = {
    "nir",
    "last_name",
    "first_name",
    "birth_date",
    "address",
    "phone",
    "email",
    "iban",
    "password",
    "login",
}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("scan") / "export.csv"
    generate_lab_export(ExportSpec(rows=2_000, seed=7, encoding="cp1252", separator=";"), out)
    truth = json.loads(Path(f"{out}.truth.json").read_text(encoding="utf-8"))
    return out, truth


def _raw_values(path: Path, truth: dict) -> set[str]:
    df = pl.read_csv(path.read_bytes().decode("cp1252").encode(), separator=";", infer_schema=False)
    values: set[str] = set()
    for col, cat in truth["columns"].items():
        if cat in PERSONAL:
            values |= {v for v in df[col].drop_nulls().unique().to_list() if len(v) >= 6}
    return values


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vigile", *args], capture_output=True, text=True)


def test_scan_classifies_like_truth(export):
    path, truth = export
    result = scan_path(path)
    [table] = result.tables
    assert table.rows == truth["rows"]
    got = {c.name: c.category for c in table.columns}
    wrong = {k: (v, got.get(k)) for k, v in truth["columns"].items() if got.get(k) != v}
    assert not wrong


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_outputs_hold_no_raw_value(export, fmt):
    path, truth = export
    text = render_scan(scan_path(path), fmt)
    raw = _raw_values(path, truth)
    assert len(raw) > 1000  # the check below is meaningful
    # Values that are also structural words (a surname "COMMENT" inside the column name
    # "COMMENTAIRE", a password "password" = a category id) prove nothing either way.
    structural = " ".join([*truth["columns"], *CATEGORIES, "password"]).lower()
    leaked = [v for v in raw if v in text and v.lower() not in structural]
    assert not leaked, f"{len(leaked)} raw values in {fmt} output"


def test_cli_json_schema(export, tmp_path):
    path, truth = export
    out = tmp_path / "scan.json"
    r = run_cli("scan", str(path), "--format", "json", "--output", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "vigile.scan/1"
    [f] = doc["files"]
    assert f["rows"] == truth["rows"] and len(f["sha256"]) == 64
    assert {"name", "category", "confidence", "share", "text_categories", "masked_samples"} <= set(
        f["columns"][0]
    )


def test_cli_bad_input_is_one_clear_line(tmp_path):
    r = run_cli("scan", str(tmp_path / "missing.csv"))
    assert r.returncode == 2
    assert "no such file" in r.stderr and "Traceback" not in r.stderr
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 50)
    r = run_cli("scan", str(garbage), "--format", "json")
    assert "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["files"][0]["errors"] and "garbage.bin" in doc["files"][0]["errors"][0]


def test_cli_help_teaches():
    r = run_cli("scan", "--help")
    assert r.returncode == 0 and "--format" in r.stdout


def test_cli_usage_errors_exit_2_and_bare_command_shows_help():
    r = run_cli("scan", "--format", "nope", "x")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "internal failure" not in r.stderr
    r = run_cli()
    assert r.returncode == 0 and "scan" in r.stdout
