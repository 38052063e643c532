"""`vigile notify cnil | letters | mark` through the command line."""

from __future__ import annotations

import base64
import csv
from datetime import UTC, datetime

from typer.testing import CliRunner

import vigile.cli.notify_cmd  # noqa: F401  (registers `notify` until the lead adds it)
from vigile.case import open_store
from vigile.cli import app

runner = CliRunner()


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
    assert "25 letters rendered in 2 batches" in res.output
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
