"""Bad input at each step of an incident: one line that says what to do, nothing else.

Each case runs the real `vigile` entry point in a child process (so its last line of
defence, not a test runner, decides what is printed) and asserts: a non-zero exit, exactly
one non-empty line of output, starting with "error:", saying what to do, no traceback, and
none of the personal values of the inputs (the leak's first rows, the planted values of the
patient database without identity columns).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from incident_support import child_env, vigile_cmd

INCIDENT = "fuite-test"
DPO = "dpo@labo-test.invalid, 02 99 00 00 00"
# Planted in the patient database without identity columns: never to be printed.
PLANTED = ("DUPONT-SENTINELLE", "285057800608436", "sentinelle@exemple.invalid")
DO_WORDS = re.compile(
    r"\b(run|rerun|pass|give|set|use|choose|check|open|point|add|see|name|follow|create|"
    r"export|save|convert|lancez|indiquez|choisissez|vérifiez|ouvrez)\b",
    re.I,
)

# The commands of an incident, as a DPO types them ({...}: filled per case).
COMMANDS: dict[str, list[str]] = {
    "triage": ["triage", "{leak}", "--case", "{incident}", "--db", "{db}", "-q", "-f", "json",
               "-o", "{out}/triage.json"],
    "link": ["link", "{leak}", "--patients", "{patients}", "--db", "{db}", "--incident",
             "{incident}", "-q"],
    "notify cnil": ["notify", "cnil", "--out", "{out}/cnil", "--db", "{db}", "--incident",
                    "{incident}"],
    "notify letters": ["notify", "letters", "--out", "{out}/letters", "--db", "{db}",
                       "--incident", "{incident}", "-q"],
    "notify email": ["notify", "email", "--smtp", "smtp://127.0.0.1:9", "--db", "{db}",
                     "--incident", "{incident}", "-q"],
    "portal requests": ["portal", "requests", "--process", "--db", "{db}", "--incident",
                        "{incident}"],
    "case status": ["case", "status", "{incident}", "--db", "{db}"],
    "case verify": ["case", "verify", "--db", "{db}"],
}  # fmt: skip
WITH_INCIDENT = [c for c in COMMANDS if "{incident}" in COMMANDS[c]]
WITH_LEAK = ["triage", "link"]


@dataclass
class Setup:
    root: Path
    db: Path
    leak: Path
    patients: Path
    env: dict[str, str]
    secrets: tuple[str, ...]


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Setup:
    """A small incident, triaged and linked, with its key where `case new` puts it."""
    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    root = tmp_path_factory.mktemp("bad-input")
    env = child_env(VIGILE_KEY_DIR=str(root / "keys"))
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        env.pop(var, None)
    leak, patients, db = root / "fuite.csv", root / "patients.parquet", root / "case.db"
    truth = generate_lab_export(ExportSpec(rows=300, seed=3, fields="full"), leak)
    generate_patient_db(PatientDbSpec(size=600, seed=3), truth, patients)
    run = dict(env=env, cwd=root, capture_output=True, text=True)
    for args in (
        ["case", "new", INCIDENT, "--discovered", "2021-02-23T09:00", "--controller",
         "Laboratoire Test", "--dpo", DPO, "--db", str(db)],
        ["case", "set", "--portal-url", "https://verif.labo-test.invalid", "--db", str(db)],
        ["triage", str(leak), "--case", INCIDENT, "--db", str(db), "-q", "-f", "json",
         "-o", str(root / "triage.json")],
        ["link", str(leak), "--patients", str(patients), "--db", str(db), "-q"],
    ):  # fmt: skip
        p = subprocess.run(vigile_cmd(*args), **run)
        assert p.returncode == 0, p.stderr
    head = pl.read_csv(leak, separator=truth.spec["separator"] or ",", infer_schema=False,
                       n_rows=30, encoding="utf8-lossy")  # fmt: skip
    values = {
        v
        for col in ("NOM", "PRENOM", "NIR", "MAIL", "ADR1", "TEL_PORT")
        if col in head.columns
        for v in head.get_column(col).drop_nulls().to_list()
        if len(v) >= 5
    }
    return Setup(root, db, leak, patients, env, tuple(values) + PLANTED)


def _args(name: str, s: Setup, out: Path, **over) -> list[str]:
    values = {
        "leak": str(s.leak),
        "patients": str(s.patients),
        "db": str(s.db),
        "incident": INCIDENT,
        "out": str(out),
        **over,
    }
    return [a.format(**values) for a in COMMANDS[name]]


def _run(args: list[str], s: Setup, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        vigile_cmd(*args),
        env={**s.env, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(p: subprocess.CompletedProcess, s: Setup) -> str:
    out = p.stdout + p.stderr
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert p.returncode != 0, out
    assert "Traceback" not in out, out
    assert len(lines) == 1, out
    line = lines[0]
    assert line.startswith(("error:", "erreur :")), line
    assert "internal failure" not in line, line
    assert DO_WORDS.search(line), f"says nothing to do: {line}"
    print(f"\n{line}")  # shown with -s: the messages, to read them
    leaked = [v for v in s.secrets if v in out]
    assert not leaked, "a personal value was printed"
    return line


@pytest.mark.parametrize("command", list(COMMANDS))
def test_wrong_key(command, setup, tmp_path):
    """A key that is not the store's (VIGILE_KEY holding another key)."""
    other = base64.b64encode(os.urandom(32)).decode()
    p = _run(_args(command, setup, tmp_path), setup, tmp_path, VIGILE_KEY=other)
    line = assert_one_line_error(p, setup)
    assert "--key-file" in line


@pytest.mark.parametrize("command", WITH_INCIDENT)
def test_unknown_incident(command, setup, tmp_path):
    p = _run(_args(command, setup, tmp_path, incident="fuite-inconnue"), setup, tmp_path)
    line = assert_one_line_error(p, setup)
    assert "fuite-inconnue" in line


@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_store_without_db(command, setup, tmp_path):
    """No --db and no store in the current folder (the default ./vigile-case.db)."""
    args = _args(command, setup, tmp_path)
    i = args.index("--db")
    del args[i : i + 2]
    p = _run(args, setup, tmp_path)
    line = assert_one_line_error(p, setup)
    assert "vigile case new" in line or "--db" in line
    assert not (tmp_path / "vigile-case.db").exists(), "a store was created by a reader"


def _png(path: Path) -> Path:
    import zlib

    raw = b"\x00" + b"\xff\x00\x00" * 4
    chunk = lambda kind, data: (  # noqa: E731
        len(data).to_bytes(4, "big") + kind + data
        + zlib.crc32(kind + data).to_bytes(4, "big")
    )  # fmt: skip
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", (4).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00")
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


NOT_TABLES = {
    "png": lambda d: _png(d / "fuite.png"),
    "png named csv": lambda d: _png(d / "fuite.csv"),
    "random bytes named csv": lambda d: _bytes(
        d / "fuite.csv", bytes(range(256)) * 64 + os.urandom(4096)
    ),
    "empty csv": lambda d: _bytes(d / "fuite.csv", b""),
}


@pytest.mark.parametrize("kind", list(NOT_TABLES))
@pytest.mark.parametrize("command", WITH_LEAK)
def test_leak_that_is_not_a_table(command, kind, setup, tmp_path):
    leak = NOT_TABLES[kind](tmp_path)
    p = _run(_args(command, setup, tmp_path, leak=str(leak)), setup, tmp_path)
    assert_one_line_error(p, setup)


@pytest.mark.parametrize("command", WITH_LEAK)
def test_leak_that_does_not_exist(command, setup, tmp_path):
    p = _run(_args(command, setup, tmp_path, leak=str(tmp_path / "absente.csv")), setup, tmp_path)
    line = assert_one_line_error(p, setup)
    assert "absente.csv" in line


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_patient_database_without_identity_columns(suffix, setup, tmp_path):
    db = tmp_path / f"patients.{suffix}"
    frame = pl.DataFrame(
        {
            "code_interne": [f"X{i:05d}" for i in range(50)],
            "commentaire": [f"{PLANTED[0]} {PLANTED[1]} {PLANTED[2]}"] * 50,
            "montant": [str(i * 3.5) for i in range(50)],
        }
    )
    frame.write_csv(db, separator=";") if suffix == "csv" else frame.write_parquet(db)
    p = _run(_args("link", setup, tmp_path, patients=str(db)), setup, tmp_path)
    assert_one_line_error(p, setup)


def test_second_case_new_with_the_same_name(setup, tmp_path):
    args = ["case", "new", INCIDENT, "--discovered", "2021-03-01T10:00", "--db", str(setup.db)]
    p = _run(args, setup, tmp_path)
    line = assert_one_line_error(p, setup)
    assert INCIDENT in line


def test_smtp_user_without_password_and_no_terminal(setup, tmp_path):
    """A password is never typed on the command line: without VIGILE_SMTP_PASSWORD and
    without a terminal to ask it at, one line says how to give it."""
    args = _args("notify email", setup, tmp_path)
    args[args.index("--smtp") + 1] = "smtps://dpo@127.0.0.1:9"
    p = _run(args, setup, tmp_path)
    line = assert_one_line_error(p, setup)
    assert "VIGILE_SMTP_PASSWORD" in line


def test_smtp_password_from_the_environment(monkeypatch):
    from urllib.parse import urlsplit

    from vigile.cli.notify_cmd import _with_password

    monkeypatch.setenv("VIGILE_SMTP_PASSWORD", "p@ss:wörd")
    url = _with_password("smtps://dpo@smtp.labo.invalid:465?starttls=0")
    u = urlsplit(url)
    assert (u.username, u.hostname, u.port, u.query) == (
        "dpo",
        "smtp.labo.invalid",
        465,
        "starttls=0",
    )
    from vigile.notify.email import smtp_params

    assert smtp_params(url)["password"] == "p@ss:wörd"
    assert _with_password("smtp://127.0.0.1:25") == "smtp://127.0.0.1:25"
    assert _with_password("smtps://a:b@h") == "smtps://a:b@h"
