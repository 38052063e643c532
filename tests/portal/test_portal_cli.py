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
    assert r.exit_code == 2 and "no key for this case store" in r.output


def test_serve_refuses_an_unknown_incident(case, monkeypatch):
    import base64

    monkeypatch.setenv("VIGILE_KEY", base64.b64encode(case.key).decode())
    r = CliRunner().invoke(app, ["portal", "serve", "--case", "autre", "--db", case.url])
    assert r.exit_code == 2 and "no incident named" in r.output


def _default_key_file(case):
    """The key where `vigile case new` puts it (VIGILE_KEY_DIR is a throwaway folder)."""
    import base64

    from vigile.case import default_key_path

    path = default_key_path(case.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64encode(case.key) + b"\n")
    path.chmod(0o600)
    return path


def test_serve_finds_the_key_of_case_new_and_hands_it_to_the_workers(case, monkeypatch):
    import vigile.portal.server as server

    path = _default_key_file(case)
    seen = {}
    monkeypatch.setattr(server, "serve", lambda *a, **kw: seen.update(args=a, kwargs=kw))
    r = CliRunner().invoke(app, ["portal", "serve", "--case", "fuite-labo-test", "--db", case.url])
    assert r.exit_code == 0, r.output
    assert seen["kwargs"]["key_file"] == path
    assert seen["args"][1] == case.incident_id
    # A worker process: no key in its environment, it finds the same file by itself.
    monkeypatch.setenv(server.ENV_DB, case.url)
    monkeypatch.setenv(server.ENV_INCIDENT, str(case.incident_id))
    from fastapi.testclient import TestClient

    with TestClient(server.app_from_env()) as client:
        assert client.get("/").status_code == 200


def test_serve_puts_the_key_file_where_workers_look(case, monkeypatch, tmp_path):
    import json
    import os

    import uvicorn

    import vigile.portal.server as server

    path = _default_key_file(case)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: None)
    for var in (server.ENV_DB, server.ENV_INCIDENT, server.ENV_CONFIG, "VIGILE_KEY_FILE"):
        # set, then deleted: undoing restores "absent", so what serve() writes into the
        # environment does not leak into later tests (it did: a stray VIGILE_KEY_FILE)
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    server.serve(case.url, case.incident_id, key_file=path, workers=2)
    assert os.environ["VIGILE_KEY_FILE"] == str(path)
    cfg = json.loads(os.environ[server.ENV_CONFIG])
    assert cfg["no_code_requests_per_hour"] == 1_000  # counted in the store: not divided
    # counted in the store (vigile.case.Throttle): not divided either
    assert cfg["identity_requests_per_day"] == 5
    assert cfg["global_code_failures_per_hour"] == 5_000
    assert cfg["client_requests_per_minute"] == 120  # load shedding, in memory
    assert cfg["global_rate"] == 750  # in memory per worker: divided


def test_requests_finds_the_key_of_case_new(case):
    _default_key_file(case)
    r = CliRunner().invoke(app, ["portal", "requests", "--db", case.url])
    assert r.exit_code == 0, r.output
    assert "no-code requests of incident 'fuite-labo-test'" in r.output


def test_requests_without_key_says_what_to_do(tmp_path):
    from portal_support import build_case

    c = build_case(tmp_path, persons=1, with_codes=0)
    r = CliRunner().invoke(app, ["portal", "requests", "--db", c.url])
    assert r.exit_code == 2 and "--key-file" in r.output and "Traceback" not in r.output
