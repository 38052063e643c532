"""`vigile portal serve`: refuses clearly before serving anything."""

from __future__ import annotations

from typer.testing import CliRunner

import vigile.cli.portal_cmd  # noqa: F401  (registers the command)
from vigile.cli.app import app


def test_serve_refuses_a_missing_store(tmp_path):
    r = CliRunner().invoke(app, ["portal", "serve", "--case", "x", "--db", str(tmp_path / "no.db")])
    assert r.exit_code == 2 and "no case store" in r.output


def test_serve_refuses_without_key(case):
    r = CliRunner().invoke(app, ["portal", "serve", "--case", "fuite-labo-test", "--db", case.url])
    assert r.exit_code == 2 and "personal data" in r.output


def test_serve_refuses_an_unknown_incident(case, monkeypatch):
    import base64

    monkeypatch.setenv("VIGILE_KEY", base64.b64encode(case.key).decode())
    r = CliRunner().invoke(app, ["portal", "serve", "--case", "autre", "--db", case.url])
    assert r.exit_code == 2 and "no incident named" in r.output
