"""The sweep's unit of work on Spark gives the one-machine answers, file for file."""

from __future__ import annotations

import os

import pytest

sweep = pytest.importorskip(
    "vigile.scan.sweep", reason="vigile.scan.sweep (the per-file sweep) absent"
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    from vigile.synth import ExportSpec, generate_lab_export

    root = tmp_path_factory.mktemp("share")
    (root / "lab").mkdir()
    generate_lab_export(ExportSpec(rows=300, seed=3, fields="full"), root / "lab" / "export.csv")
    (root / "stock.csv").write_text("ref;qty\n" + "".join(f"A{i};{i}\n" for i in range(50)))
    (root / "notes.txt").write_text("réunion mardi, rien à signaler\n")
    (root / "blob.bin").write_bytes(bytes(range(256)) * 8)
    odd = os.fsencode(str(root)) + b"/caf\xe9.csv"  # a name that is not UTF-8
    with open(odd, "wb") as fh:
        fh.write(b"a;b\n1;2\n")
    files = [os.fsencode(str(p)) for p in root.rglob("*") if p.is_file()]
    return root, sorted(set(files) | {odd})


def test_same_findings_as_one_machine(spark, tree):
    from vigile.scan.sweep_spark import RESULT_FIELDS, inspect_files_spark

    _, tree = tree
    got = inspect_files_spark(spark, tree, sample_rows=1000, partitions=3)
    assert got.height == len(tree)
    by_path = {r["path"]: r for r in got.iter_rows(named=True)}
    statuses = set()
    for p in tree:
        want = sweep.inspect_file(p, 1000)
        have = by_path[p]
        for k in RESULT_FIELDS:
            w = want.get(k)
            assert (list(w) if isinstance(w, list | tuple) else w) == have[k], k
        statuses.add(have["status"])
    assert "found" in statuses and len(statuses) >= 2


def _seen(result) -> list[tuple]:
    return [(f.path, f.status, f.categories, f.persons, f.tables, f.not_read) for f in result.files]


def test_hashes_on_executors(spark, tree, tmp_path):
    """The executors hash as the driver's threads do, in order, a vanished file included."""
    from vigile.scan.sweep_spark import hash_files_spark

    _, files = tree
    paths = [os.fsdecode(p) for p in files] + [str(tmp_path / "gone.csv")]
    got = hash_files_spark(spark, paths, partitions=3)
    assert got == sweep.hash_files(paths)
    assert all(h for h, _ in got[:-1]) and got[-1][0] is None and got[-1][1]
    assert hash_files_spark(spark, []) == []


def _index_rows(db) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(db) as con:
        return sorted(con.execute("select path, size, mtime_ns, sha256 from files"))


def test_incremental_index_on_spark(spark, tree, tmp_path, monkeypatch):
    """The Spark runner keeps the one-machine sweep's index: an unchanged tree is not read
    again, a changed file alone is, and the findings are the local pool's. The driver
    hashes nothing: the executors do."""
    from vigile.scan.sweep_spark import sweep_spark

    root, _ = tree
    local = sweep.sweep([root], index=tmp_path / "local.db", workers=1, sample_rows=1000)

    def driver_must_not_hash(path):
        raise AssertionError("the driver hashed a file")

    monkeypatch.setattr(sweep, "_sha256", driver_must_not_hash)
    first = sweep_spark([root], spark, index=tmp_path / "spark.db", sample_rows=1000)
    assert _seen(first) == _seen(local)
    assert _index_rows(tmp_path / "spark.db") == _index_rows(tmp_path / "local.db")
    assert first.inspected == local.inspected >= 4
    assert any(f.status == "found" for f in first.files)

    second = sweep_spark([root], spark, index=tmp_path / "spark.db", sample_rows=1000)
    assert second.inspected == 0 and all(f.cached for f in second.files)
    assert _seen(second) == _seen(first)

    with open(root / "stock.csv", "a") as fh:
        fh.write("B1;1\n")
    third = sweep_spark([root], spark, index=tmp_path / "spark.db", sample_rows=1000)
    assert third.inspected == 1
    assert [f.path for f in third.files if not f.cached] == [
        f.path for f in first.files if f.path.endswith("stock.csv")
    ]


def test_cli_sweep_engine_spark(spark, tree, tmp_path):
    """`vigile sweep --engine spark` reports what the local engine reports."""
    import json

    from typer.testing import CliRunner

    from vigile.cli import app

    root, _ = tree
    out = {}
    for engine, extra in (("local", ["--workers", "1"]), ("spark", ["--spark-master", "local[2]"])):
        res = CliRunner().invoke(
            app,
            ["sweep", str(root / "lab"), str(root / "stock.csv"), "--rows", "300",
             "--index", str(tmp_path / f"{engine}.db"),
             "-f", "json", "-q", "--engine", engine, *extra],
        )  # fmt: skip
        assert res.exit_code == 1, res.output  # found
        out[engine] = json.loads(res.stdout)
    assert out["spark"] == out["local"]
    assert out["spark"]["files_found"] >= 1 and out["spark"]["files_inspected"] >= 2


def test_a_crashing_or_hanging_file_does_not_take_the_spark_sweep_down(spark, tmp_path):
    """A reader that kills its process (as calamine did) or hangs ends a child of the task,
    not Spark's Python worker: the other files are answered, the culprit is reported
    unreadable and tried again next sweep (before, the task failed four times and the
    whole job with it)."""
    from pathlib import Path

    from vigile.scan.sweep import CRASHED
    from vigile.scan.sweep_spark import sweep_spark

    here = Path(__file__).resolve().parents[1] / "scan" / "sweep_crash.py"
    spark.sparkContext.addPyFile(str(here))  # executors (and their children) import it
    from sweep_crash import crash_share, crashing_inspect  # noqa: I001 - after addPyFile

    share = tmp_path / "share"
    crash_share(share, 5, hang=True)
    index = tmp_path / "i.db"
    first = sweep_spark(
        [share], spark, index=index, partitions=2, inspect=crashing_inspect, file_seconds=4
    )
    by_name = {f.path.rsplit("/", 1)[-1]: f for f in first.files}
    for bad in ("crash.csv", "hang.csv"):
        assert by_name[bad].status == "unreadable"
        assert CRASHED.format(seconds=4) in by_name[bad].not_read[0]
    assert len(first.found) == 5 and not first.complete
    second = sweep_spark([share], spark, index=index, partitions=2, file_seconds=4)
    assert second.inspected == 2 and second.complete and len(second.found) == 5


def test_waves_report_progress_and_a_killed_sweep_keeps_its_done_waves(
    spark, tree, tmp_path, monkeypatch
):
    """The Spark runner answers wave by wave: progress moves as each wave's job ends
    (not in one jump after one job), and a sweep stopped in its second wave has recorded
    the first (the next sweep reads only the rest), with the findings of a sweep never
    stopped."""
    from vigile.scan import sweep_spark as module

    root, _ = tree
    monkeypatch.setattr(sweep, "RECORD_EVERY", 2)
    whole = module.sweep_spark([root], spark, index=tmp_path / "whole.db", sample_rows=1000)
    total = whole.inspected
    events: list[str] = []
    real = module.inspect_files_spark

    def job(spark, paths, **kw):
        events.append(f"job {len(paths)}")
        return real(spark, paths, **kw)

    monkeypatch.setattr(module, "inspect_files_spark", job)
    module.sweep_spark(
        [root], spark, index=tmp_path / "p.db", sample_rows=1000, wave_files=2,
        progress=lambda done, total: events.append(f"done {done}"),
    )  # fmt: skip
    want = ["done 0"]
    for start in range(0, total, 2):
        n = min(2, total - start)
        want += [f"job {n}", *(f"done {start + k + 1}" for k in range(n))]
    assert events == want

    class Killed(Exception):
        pass

    def kill_in_second_wave(done: int, total: int) -> None:
        if done == 3:
            raise Killed

    events.clear()
    with pytest.raises(Killed):
        module.sweep_spark(
            [root], spark, index=tmp_path / "k.db", sample_rows=1000, wave_files=2,
            progress=kill_in_second_wave,
        )  # fmt: skip
    assert events == ["job 2", "job 2"]  # the later waves never ran
    again = module.sweep_spark([root], spark, index=tmp_path / "k.db", sample_rows=1000)
    assert again.inspected == total - 2
    assert _seen(again) == _seen(whole)
