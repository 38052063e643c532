"""End to end: synth -> `vigile scan` in every output format, with no raw value in any output."""

from __future__ import annotations

import json
import re
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


# -- hostile inputs: every output safe, honest about what was not read -------------------

from read import hostile_corpus as hc  # noqa: E402  (tests/ is on sys.path under pytest)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return hc.build(tmp_path_factory.mktemp("hostile"))


def run_cli_bytes(*args: str | bytes) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vigile", *args], capture_output=True)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_no_value_or_escape_from_a_name_in_any_output(hostile, fmt):
    paths = [
        hostile[k] for k in ("values_in_names", "terminal_escapes_name", "ndjson_keyed_by_nir")
    ]
    text = render_scan(scan_path(paths), fmt)
    values = [hc.nir(i) for i in (1, 6, 7, 8)] + [hc.phone(5), hc.phone(9), hc.nir(0)]
    assert not [v for v in values if v in text]
    assert "\x1b" not in text and "\u202e" not in text
    plain = {
        "json": lambda t: t.replace("\\\\", "\\"),
        "markdown": lambda t: re.sub(r"\\(?=[\\`*_\[\]<>|~])", "", t),
    }.get(fmt, lambda t: t)(text)
    assert "rapport\\x1b[2J" in plain  # shown, escaped


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_not_fully_read_is_said_in_every_output(hostile, fmt):
    result = scan_path([hostile["ods_malformed"], hostile["xlsx_far_cell"]])
    assert not result.complete and len(result.unread) == 2
    text = render_scan(result, fmt)
    assert "No sensitive data found." not in text
    if fmt == "json":
        doc = json.loads(text)
        assert doc["complete"] is False and len(doc["not_fully_read"]) == 2
    else:
        assert "Not fully read" in text


def test_complete_scan_says_nothing_found(tmp_path):
    p = tmp_path / "clean.csv"
    p.write_text("A;B\n1;2\n")
    result = scan_path(p)
    assert result.complete and "No sensitive data found." in render_scan(result, "table")


def test_exit_codes_for_unread_inputs(hostile, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text("A;B\n1;2\n")
    r = run_cli("scan", str(hostile["ods_malformed"]), str(clean), "-q", "--exit-code")
    assert r.returncode == 3 and "Not fully read" in r.stdout
    assert "No sensitive data found." not in r.stdout
    r = run_cli("scan", str(hostile["ods_malformed"]), str(clean), "-q")
    assert r.returncode == 0
    r = run_cli("scan", str(hostile["ods_malformed"]), "-q")
    assert r.returncode == 2  # nothing at all could be read
    r = run_cli("scan", str(hostile["sql_unterminated_string"]), "-q", "--exit-code")
    assert r.returncode == 1  # the NIRs were still found, as text
    r = run_cli("scan", str(hostile["glob_name"]), "-q", "--exit-code", "-f", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["files"][0]["rows"] == 50


def test_cli_non_utf8_name_gives_valid_utf8_json(hostile):
    folder = hostile["non_utf8_name"].parent
    r = run_cli_bytes("scan", str(folder), "-q", "-f", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.decode("utf-8"))  # strict: fails on a raw 0xE9 byte
    [f] = doc["files"]
    assert f["path"].endswith("fuite_\\xe9t\\xe9.csv") and f["rows"] == 50


def test_cli_terminal_escapes_never_reach_the_terminal(hostile):
    r = run_cli_bytes("scan", str(hostile["terminal_escapes_name"].parent), "-q")
    assert b"\x1b" not in r.stdout and b"\x1b" not in r.stderr
    missing = hostile["terminal_escapes_name"].parent / f"gone_{hc.nir(2)}\x1b[31m.csv"
    r = run_cli_bytes("scan", str(missing))
    assert r.returncode == 2 and b"\x1b" not in r.stderr and hc.nir(2).encode() not in r.stderr


def test_a_crashing_workbook_does_not_stop_the_scan(hostile):
    from vigile.read import Limits

    # With the sheet guard off, calamine asks for 512 GiB and aborts its child process.
    limits = Limits(max_sheet_cells=10**15, worker_memory=1 << 30)
    result = scan_path([hostile["xlsx_corner_cell"], hostile["glob_name"]], limits=limits)
    assert any("isolated reader" in r for _p, r in result.unread)
    assert [t.rows for t in result.tables if t.rows] == [5, 50]


@pytest.mark.parametrize("command", ["triage", "sweep", "scan"])
def test_a_missing_name_is_shown_masked_and_escaped(hostile, command):
    # Regression: require_paths printed the raw name (value and escapes) to the terminal.
    missing = hostile["terminal_escapes_name"].parent / f"CR_{hc.nir(4)}_{hc.phone(4)}\x1b[2J.csv"
    r = run_cli_bytes(command, str(missing))
    assert r.returncode == 2 and b"no such file" in r.stderr, r.stderr
    assert b"\x1b" not in r.stderr and b"\\x1b[2J" in r.stderr.replace(b"\n", b"")
    assert hc.nir(4).encode() not in r.stderr and hc.phone(4).encode() not in r.stderr
