"""`vigile sweep` over a small mixed tree: planted exports found, clean files quiet, index reused."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile

import pyrage
import pytest
from pyrage import x25519
from sweep_tree import build_tree
from typer.testing import CliRunner

import vigile.cli.sweep_cmd  # noqa: F401  (registers `sweep`)
from vigile.cli.app import app
from vigile.protect.encrypted import encryption_of
from vigile.protect.sweep import sweep


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("share")
    planted = build_tree(root, files=30, planted=4, seed=3)
    return root, planted


@pytest.fixture(scope="module")
def first(tree, tmp_path_factory):
    index = tmp_path_factory.mktemp("idx") / "sweep.db"
    return sweep([tree[0]], index=index, workers=2), index


def test_every_planted_export_found_and_no_false_alarm(tree, first):
    root, planted = tree
    result, _ = first
    assert result.seen == 30
    assert {f.path for f in result.found} == planted
    for f in result.found:
        assert {"last_name", "phone"} <= set(f.categories)
        assert f.persons > 10 and f.owner and f.age_days == 0 and f.encrypted is None


def test_second_sweep_reads_nothing_and_a_change_is_seen(tree, first):
    root, planted = tree
    _, index = first
    again = sweep([root], index=index, workers=1)
    assert again.inspected == 0 and all(f.cached for f in again.files)
    assert {f.path for f in again.found} == planted
    victim = sorted(planted)[0]
    os.unlink(victim)
    clean = next(f.path for f in again.files if f.path.endswith(".csv") and f.status == "clean")
    with open(clean, "a") as fh:
        fh.write("0,0,0,0\n")
    third = sweep([root], index=index, workers=1)
    assert third.inspected == 1
    assert {f.path for f in third.found} == planted - {victim}


def test_encrypted_files_are_recognised(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("enc")
    ident = x25519.Identity.generate()
    (tmp_path / "x.age").write_bytes(pyrage.encrypt(b"secret", [ident.to_public()]))
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "hello")
    data = bytearray(z.read_bytes())
    data[6] |= 1  # general purpose flag bit 0 (encrypted), local header and central directory
    data[data.find(b"PK\x01\x02") + 8] |= 1
    z.write_bytes(bytes(data))
    assert encryption_of(tmp_path / "x.age", (tmp_path / "x.age").read_bytes()[:64]) == "age"
    assert encryption_of(z, z.read_bytes()[:64]) == "zip"
    assert encryption_of(tmp_path / "x.age", b"NUM;NOM\n") is None
    r = sweep([tmp_path], index=tmp_path_factory.mktemp("i") / "i.db", workers=1)
    assert {f.status for f in r.files} == {"encrypted"} and not r.found


def test_cli_formats_and_exit_codes(tree, first, tmp_path):
    root, planted = tree
    idx = str(tmp_path / "cli.db")
    (tmp_path / "cli.db").write_bytes(first[1].read_bytes())  # contents already inspected
    planted = {p for p in planted if os.path.exists(p)}  # an earlier test removed one
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", str(root), "--index", idx, "-f", "json", "--workers", "1"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["files_found"] == len(planted) and doc["files_seen"] == 29
    res = runner.invoke(app, ["sweep", str(root), "--index", idx, "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert res.exit_code == 1 and {r["path"] for r in rows} == planted
    assert all(r["owner"] and int(r["persons"]) > 0 for r in rows)
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.csv").write_text("sku,qty\nA1,3\nB2,4\n")
    res = runner.invoke(app, ["sweep", str(clean), "--index", idx])
    assert res.exit_code == 0 and "0 file(s)" in res.stdout
