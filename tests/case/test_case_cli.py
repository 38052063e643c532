"""`vigile case new | status | verify | purge` through typer's CliRunner."""

from __future__ import annotations

import json
import stat
from datetime import datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import vigile.cli.case_cmd  # noqa: F401  (registers `case`)
from vigile.case import AffectedPerson, default_key_path, load_key, open_store
from vigile.cli.app import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(app, ["case", *args], **kw)


def test_new_creates_store_and_key_file(cli, tmp_path):
    r = cli("new", "labs-2021", "--discovered", "2021-02-14T09:00+01:00", "--controller", "Labo")
    assert r.exit_code == 0, r.output
    db = tmp_path / "vigile-case.db"
    keyf = default_key_path(f"sqlite:///{db}")
    # The key goes to the user's configuration folder, never beside the data (issue 13).
    assert keyf.parent != db.parent and not list(tmp_path.glob("*.key"))
    assert db.exists() and keyf.exists() and str(keyf) in r.output
    assert stat.S_IMODE(keyf.stat().st_mode) == 0o600
    assert "2021-02-17 09:00 Europe/Paris (UTC+01:00)" in r.output  # deadline, Paris time
    key = load_key(key_file=keyf)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("vigile-case.db*"))  # with -wal
    assert key not in raw and keyf.read_bytes().strip() not in raw
    with open_store(f"sqlite:///{db}", key=key) as s:  # the created key opens the store
        assert s.incident().controller == "Labo"

    again = cli("new", "labs-2021", "--discovered", "2021-02-14T09:00", "--key-file", str(keyf))
    assert again.exit_code == 2 and "already exists" in again.output


def test_status_and_verify(cli, tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    monkeypatch.setenv("VIGILE_DB", str(db))
    assert cli("new", "inc", "--discovered", "2021-02-14T09:00+00:00").exit_code == 0
    key = load_key(key_file=default_key_path(f"sqlite:///{db}"))
    with open_store(str(db), key=key) as s:
        iid = s.incident().id
        s.add_evidence(iid, "leak.csv", "c" * 64, 10)
        s.replace_affected(iid, [AffectedPerson("P", 1.0, "nir", frozenset({"nir"}), {})], 0)

    r = cli("status", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "passed" in r.output and "evidence recorded (1)" in r.output
    fr = cli("status")
    assert "dépassée de" in fr.output and "preuves enregistrées" in fr.output
    assert "heure de Paris" in fr.output
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
    key = load_key(key_file=default_key_path(f"sqlite:///{tmp_path / 'vigile-case.db'}"))
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


def test_set_records_the_case_facts_and_commands_find_the_key(cli, tmp_path):
    assert cli("new", "inc", "--discovered", "2021-02-14T09:00").exit_code == 0
    r = cli("set", "--portal-url", "https://verif.labo.example", "--dpo-name", "Anne Martin")
    assert r.exit_code == 0, r.output
    bad = cli("set", "--portal-url", "verif.labo.example")
    assert bad.exit_code == 2 and "https://" in bad.output
    with open_store(None) as s:
        assert s.incident().settings == {
            "portal_url": "https://verif.labo.example",
            "dpo_name": "Anne Martin",
        }
    from vigile.cli.common import open_case

    with open_case(None, None) as s:  # the key `case new` created is found by every command
        assert not s.locked


def test_a_naive_time_is_paris_time(cli, tmp_path):
    assert cli("new", "inc", "--discovered", "2021-02-14T09:00").exit_code == 0
    with open_store(None) as s:
        assert s.incident().discovered.isoformat() == "2021-02-14T08:00:00+00:00"


def test_legacy_key_beside_the_store_is_found_with_a_warning(tmp_path, caplog):
    import base64
    import os

    from vigile.cli.common import open_case

    db = tmp_path / "old.db"
    key = os.urandom(32)
    (tmp_path / "old.key").write_bytes(base64.b64encode(key))
    os.chmod(tmp_path / "old.key", 0o600)
    with open_store(str(db), key=key) as s:
        s.new_incident("x", datetime(2021, 2, 14))
    with caplog.at_level("WARNING"), open_case(str(db), None) as s:
        assert not s.locked
    assert "beside the store" in caplog.text
