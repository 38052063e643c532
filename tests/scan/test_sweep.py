"""`vigile sweep` over a small mixed tree: planted exports found, clean files quiet, index
reused; hostile files reported as not read, never as clean, and a crash isolated."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519
from sweep_tree import build_tree
from typer.testing import CliRunner

import vigile.cli.sweep_cmd  # noqa: F401  (registers `sweep`)
from vigile.cli.app import app
from vigile.read.encrypted import encryption_of
from vigile.scan.sweep import CRASHED, FILE_SECONDS, inspect_file, sweep


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
    assert result.complete and not result.errors
    statuses = {f.status for f in result.files}
    assert statuses <= {"found", "clean", "unsupported"} and "unsupported" in statuses
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
    assert "No personal or health data found." in res.stdout


# -- hostile files (issue 13) -------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The read layer's hostile corpus (small forms) as a share."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "read"))
    import hostile_corpus as hc

    root = tmp_path_factory.mktemp("hostile_share")
    return root, hc.build(root), hc


def test_hostile_files_are_never_clean_and_names_are_shown(hostile, tmp_path):
    root, files, hc = hostile
    result = sweep([root], index=tmp_path / "i.db", workers=2)
    by_case = {f.path.split("/")[-2]: f for f in result.files}
    assert set(by_case) == set(files)
    # Not (fully) read: reported with the reason, never clean.
    for case in ("ods_malformed", "ods_repeat_bomb", "xlsx_far_cell", "zip_zero_members"):
        f = by_case[case]
        assert f.status == "unreadable" and f.not_read and not f.complete, case
    for case in ("xlsx_corner_cell", "sql_unterminated_string"):
        f = by_case[case]
        assert f.status == "found" and f.not_read, case  # the rest was read and found
    assert "#S" in by_case["xlsx_corner_cell"].not_read[0]
    assert not result.complete and len(result.not_fully_read) == 6
    # Read in full: the glob name, the non-UTF-8 name, the stray quote.
    for case in ("glob_name", "non_utf8_name", "csv_stray_quote", "terminal_escapes_name"):
        assert by_case[case].status == "found" and by_case[case].complete, case
    assert by_case["glob_name"].persons == 50
    # Every path shown: escaped and masked; the JSON is valid UTF-8.
    text = json.dumps(result.to_json(), ensure_ascii=False)
    text.encode("utf-8")
    assert "fuite_\\\\xe9t\\\\xe9.csv" in text and "\x1b" not in text and "\n" not in text
    for value in (hc.nir(1), hc.FIRST[1], hc.SURNAMES[1]):
        assert value not in text


def test_cli_exit_code_when_nothing_found_but_not_all_read(hostile, tmp_path):
    root, files, _ = hostile
    share = tmp_path / "share"
    share.mkdir()
    (share / "stock.csv").write_text("sku,qty\nA1,3\nB2,4\n")
    (share / "broken.ods").write_bytes(files["ods_malformed"].read_bytes())
    res = CliRunner().invoke(app, ["sweep", str(share), "--index", str(tmp_path / "i.db")])
    assert res.exit_code == 3, res.stdout
    assert "Not fully read: 1 file(s)" in res.stdout and "broken.ods" in res.stdout
    assert "does not show that the folders are clean" in res.stdout
    res = CliRunner().invoke(
        app, ["sweep", str(share), "--index", str(tmp_path / "i.db"), "-f", "json"]
    )
    doc = json.loads(res.stdout)
    assert res.exit_code == 3 and not doc["complete"] and doc["files_not_fully_read"] == 1
    [f] = doc["files"]
    assert f["status"] == "unreadable" and f["path"].endswith("broken.ods") and f["not_read"]


def test_a_copy_reuses_the_answer_with_its_own_path(hostile, tmp_path):
    root, files, _ = hostile
    share = tmp_path / "share"
    share.mkdir()
    (share / "a.xlsx").write_bytes(files["xlsx_corner_cell"].read_bytes())
    (share / "b.xlsx").write_bytes(files["xlsx_corner_cell"].read_bytes())
    result = sweep([share], index=tmp_path / "i.db", workers=1)
    assert result.inspected == 1
    a, b = result.files
    assert a.not_read[0].startswith(f"{a.path}#S: ") and b.not_read[0].startswith(f"{b.path}#S: ")


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    share = tmp_path / "share"
    (share / "locked").mkdir(parents=True)
    (share / "locked" / "x.csv").write_text("a\n1\n")
    (share / "open.csv").write_text("a\n1\n")
    real = os.scandir

    def scandir(d):  # as for a folder without the x permission (the tests run as root)
        if str(d).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(d)

    monkeypatch.setattr("vigile.scan.sweep.os.scandir", scandir)
    result = sweep([share], index=tmp_path / "i.db", workers=1)
    assert result.seen == 1 and not result.complete
    assert result.errors == [f"{share}/locked: permission denied; its files were not swept"]


def test_a_crashing_worker_is_isolated_and_retried_next_sweep(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sweep_crash import crash_share, crashing_inspect

    share = tmp_path / "share"
    crash_share(share, 6)
    index = tmp_path / "i.db"
    first = sweep([share], index=index, workers=2, inspect=crashing_inspect)
    crashed = [f for f in first.files if f.path.endswith("crash.csv")]
    assert [f.status for f in crashed] == ["unreadable"]
    assert CRASHED.format(seconds=FILE_SECONDS) in crashed[0].not_read[0]
    assert len(first.found) == 6 and not first.complete
    # The next sweep is not broken: the other files come from the index, the crashed one
    # (not remembered) is tried again.
    second = sweep([share], index=index, workers=2, inspect=crashing_inspect)
    assert second.inspected == 1 and len(second.found) == 6
    third = sweep([share], index=index, workers=2)
    assert third.complete and third.inspected == 1


def test_a_hanging_file_is_stopped(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sweep_crash import crashing_inspect

    share = tmp_path / "share"
    share.mkdir()
    (share / "hang.csv").write_text("a\n1\n")
    (share / "leak.csv").write_text("TEL\n" + "".join(f"06{j:08d}\n" for j in range(40)))
    r = sweep([share], index=tmp_path / "i.db", workers=2, inspect=crashing_inspect,
              file_seconds=2)  # fmt: skip
    hang, leak = r.files
    assert hang.status == "unreadable" and "longer than 2 s" in hang.not_read[0]
    assert leak.status == "found"


def test_inspect_file_answer_is_plain_and_relative(hostile):
    _, files, _ = hostile
    answer = inspect_file(os.fsencode(files["xlsx_corner_cell"]), 100)
    assert json.loads(json.dumps(answer)) == answer
    assert answer["status"] == "found" and answer["not_read"][0].startswith("#S: ")


def test_cli_a_failed_spark_job_is_one_line_without_paths(tmp_path, monkeypatch):
    """A Spark job that fails (executors lost, a cluster stopped) ends in one line naming
    the error's class and what to do, never the error's text (it can quote file names)."""
    from vigile.cli import sweep_cmd
    from vigile.scan import sweep_spark

    share = tmp_path / "share"
    share.mkdir()
    (share / "DUPONT_Jean_bilan.csv").write_text("a\n1\n")

    def lost(*_a, **_k):
        raise RuntimeError(f"Task failed while reading {share}/DUPONT_Jean_bilan.csv")

    monkeypatch.setattr(sweep_cmd, "spark_or_fail", lambda *_a, **_k: object())
    monkeypatch.setattr(sweep_spark, "sweep_spark", lost)
    res = CliRunner().invoke(
        app, ["sweep", str(share), "--engine", "spark", "--index", str(tmp_path / "i.db")]
    )
    assert res.exit_code == 2
    assert "RuntimeError" in res.output and "run the same command again" in res.output
    assert "DUPONT" not in res.output and len(res.output.strip().splitlines()) <= 2
