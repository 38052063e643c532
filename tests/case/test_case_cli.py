"""`vigile case new | status | verify | purge` through typer's CliRunner."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
from vigile.case import AffectedPerson, load_key, open_store
from vigile.cli.app import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(app, ["case", *args], **kw)


def test_new_creates_store_and_key_file(cli, tmp_path):
    r = cli("new", "labs-2021", "--discovered", "2021-02-14T09:00+01:00", "--controller", "Labo")
    assert r.exit_code == 0, r.output
    db, keyf = tmp_path / "vigile-case.db", tmp_path / "vigile-case.key"
    assert db.exists() and keyf.exists() and str(keyf) in r.output
    assert stat.S_IMODE(keyf.stat().st_mode) == 0o600
    assert "2021-02-17T08:00:00+00:00" in r.output  # deadline, in UTC
    key = load_key(key_file=keyf)
    assert key not in db.read_bytes() and keyf.read_bytes().strip() not in db.read_bytes()
    with open_store(f"sqlite:///{db}", key=key) as s:  # the created key opens the store
        assert s.incident().controller == "Labo"

    again = cli("new", "labs-2021", "--discovered", "2021-02-14T09:00", "--key-file", str(keyf))
    assert again.exit_code == 2 and "already exists" in again.output


def test_status_and_verify(cli, tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("VIGILE_DB", str(db))
    assert cli("new", "inc", "--discovered", "2021-02-14T09:00+00:00").exit_code == 0
    key = load_key(key_file=tmp_path / "store.key")
    with open_store(str(db), key=key) as s:
        iid = s.incident().id
        s.add_evidence(iid, "leak.csv", "c" * 64, 10)
        s.replace_affected(iid, [AffectedPerson("P", 1.0, "nir", frozenset({"nir"}), {})], 0)

    r = cli("status")
    assert r.exit_code == 0, r.output
    assert "passed" in r.output and "evidence recorded (1)" in r.output
    st = json.loads(cli("status", "inc", "--json").output)
    assert st["clock"]["overdue"] and st["steps"]["persons_linked"]["count"] == 1
    assert "triage_saved" in st["due"]

    ok = cli("verify")
    assert ok.exit_code == 0 and "intact" in ok.output
    with open_store(str(db)) as s, s.engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_log_no_update"))
        c.execute(text("UPDATE audit_log SET action = 'nothing' WHERE seq = 1"))
    bad = cli("verify")
    assert bad.exit_code == 1 and "BROKEN" in bad.output


def test_purge_needs_confirmation(cli, tmp_path):
    assert cli("new", "inc", "--discovered", "2021-02-14T09:00").exit_code == 0
    key = load_key(key_file=tmp_path / "vigile-case.key")
    with open_store(None, key=key) as s:
        s.replace_affected(
            s.incident().id, [AffectedPerson("P", 1.0, "nir", frozenset(), {"city": "Brest"})], 0
        )
    assert cli("purge", input="n\n").exit_code == 1
    r = cli("purge", "inc", "--yes")
    assert r.exit_code == 0 and "purged 1" in r.output
    with open_store(None) as s:
        assert s.count_affected(s.incident().id) == 0 and s.verify_audit()


def test_errors_are_one_clear_line(cli, tmp_path):
    r = cli("status", "--db", str(tmp_path / "none.db"))
    assert r.exit_code == 2 and "no case store" in r.output
    assert not (tmp_path / "none.db").exists()
    r = cli("new", "x", "--discovered", "yesterday")
    assert r.exit_code == 2 and "ISO time" in r.output
    assert cli("new", "x", "--discovered", "2021-02-14").exit_code == 0
    assert cli("status", "nope").exit_code == 2
