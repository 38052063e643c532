"""`vigile notify letters | email | mark` through the command line: one-line errors, progress,
and two or four operators at once on one case (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from notify_case import check_letters, env_with_key, make_case
from typer.testing import CliRunner

from vigile.case import open_store
from vigile.cli import app

runner = CliRunner()
BUSY = "another run of this step"


def _env(url, key):
    return {"VIGILE_DB": url, "VIGILE_KEY": base64.b64encode(key).decode()}


def test_cnil_and_letters(case, tmp_path):
    url, key, iid = case
    res = runner.invoke(
        app, ["notify", "cnil", "--out", str(tmp_path / "cnil")], env=_env(url, key)
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cnil" / "cnil-notification-v1.pdf").exists()
    out = tmp_path / "letters"
    res = runner.invoke(
        app,
        ["notify", "letters", "--out", str(out), "--batch-size", "20", "--place", "Rennes"],
        env=_env(url, key),
    )
    assert res.exit_code == 0, res.output
    assert "25 letters rendered in 2 batches" in res.stdout
    assert "no CNIL submission is recorded" in res.stderr
    with open(out / "manifest.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 25
    res = runner.invoke(app, ["notify", "mark", "handed_over", "--batch", "1"], env=_env(url, key))
    assert res.exit_code == 0 and "20 letters marked handed_over" in res.output


def test_letters_refuse_without_a_verification_phone(tmp_path, key):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with open_store(url, key=key) as store:
        store.new_incident(
            "i", datetime(2021, 2, 23, tzinfo=UTC), controller="Lab", dpo_contact="dpo@lab.test"
        )
    res = runner.invoke(
        app, ["notify", "letters", "--out", str(tmp_path / "o")], env=_env(url, key)
    )
    assert res.exit_code == 2
    assert "phone number" in res.output


@pytest.mark.parametrize("command", [["letters", "--out", "o"], ["email", "--smtp", "smtp://h"]])
def test_without_portal_address_letters_and_emails_say_how_to_set_it(tmp_path, key, command):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    make_case(url, key, 3, portal_url=None)
    res = runner.invoke(app, ["notify", *command], env=_env(url, key) | {"COLUMNS": "500"})
    assert res.exit_code == 2
    assert res.stdout == ""
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: ") and "vigile case set --portal-url URL" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("step", "command"),
    [("letters", ["letters", "--out", "o"]), ("email", ["email", "--smtp", "smtp://127.0.0.1:9"])],
)
def test_a_second_run_at_once_is_refused_in_one_line(case, tmp_path, step, command):
    url, key, iid = case
    with open_store(url, key=key) as store, store.lease(iid, step):
        res = runner.invoke(app, ["notify", *command], env=_env(url, key) | {"COLUMNS": "500"})
    assert res.exit_code == 2, res.output
    (line,) = res.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: ") and BUSY in line and "Traceback" not in res.output


def test_progress_on_request_and_quiet(case, tmp_path):
    url, key, _ = case
    res = runner.invoke(
        app,
        ["notify", "letters", "--out", str(tmp_path / "a"), "--batch-size", "10", "--progress"],
        env=_env(url, key),
    )
    assert res.exit_code == 0, res.output
    assert "letters" in res.stderr and "25/25" in res.stderr and "ETA" in res.stderr
    res = runner.invoke(
        app, ["notify", "letters", "--out", str(tmp_path / "b"), "--quiet"], env=_env(url, key)
    )
    assert res.exit_code == 0 and "ETA" not in res.stderr


def _operators(url: str, key: bytes, out, n: int) -> list[subprocess.CompletedProcess]:
    """n `vigile notify letters` processes started at once on the same case and folder."""
    env = env_with_key(key) | {"VIGILE_DB": url, "COLUMNS": "500"}
    env.pop("VIGILE_KEY_FILE", None)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vigile",
                "notify",
                "letters",
                "--out",
                str(out),
                "--batch-size",
                "10",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(n)
    ]
    done = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return done


def _one_run_did_it(results, persons: int) -> None:
    rendered = 0
    busy = 0
    for r in results:
        if r.returncode == 0:
            rendered += int(re.match(r"(\d+) letters rendered", r.stdout).group(1))
        else:
            assert r.returncode == 2, r.stderr[-2000:]
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and BUSY in lines[0], lines
            busy += 1
    assert rendered == persons  # the letters were rendered by one run, never twice
    assert busy >= 1  # started together: the others found the lease taken


@pytest.mark.parametrize("n", [2, 4])
def test_operators_at_once_on_sqlite(tmp_path, key, n):
    url = f"sqlite:///{tmp_path / 'case.db'}"
    iid = make_case(url, key, 80)
    out = tmp_path / "letters"
    _one_run_did_it(_operators(url, key, out, n), 80)
    with open_store(url, key=key) as store:
        check_letters(store, iid, out)


@pytest.mark.parametrize("n", [2, 4])
def test_operators_at_once_on_postgresql(pg_url, tmp_path, key, n):
    iid = make_case(pg_url, key, 80)
    out = tmp_path / "letters"
    _one_run_did_it(_operators(pg_url, key, out, n), 80)
    with open_store(pg_url, key=key) as store:
        check_letters(store, iid, out)
