"""The SQLite case store on a local disk runs in WAL mode with synchronous=FULL; on a
network file system it keeps the rollback journal and says once that PostgreSQL is
advised. The WAL side files are owner-only like the store file."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections import namedtuple
from datetime import UTC, datetime

import psutil
import pytest

from vigile.case import open_store
from vigile.case import store as store_mod

DISCOVERED = datetime(2021, 2, 14, 9, 0, tzinfo=UTC)


def _modes(store) -> tuple[str, int]:
    with store.engine.connect() as conn:
        journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    return journal, sync


def test_local_store_is_wal_full_and_its_side_files_owner_only(tmp_path, key):
    old = os.umask(0o022)  # a common umask: would give 0644 to files created without a mode
    try:
        db = tmp_path / "case.db"
        with open_store(f"sqlite:///{db}", key=key) as store:
            store.new_incident("x", DISCOVERED)
            assert _modes(store) == ("wal", 2)  # 2 = FULL: every commit fsyncs the WAL
            side = [tmp_path / "case.db-wal", tmp_path / "case.db-shm"]
            assert all(p.exists() for p in side)
            for p in (db, *side):
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
            # Another process reading the file (a backup, an anchor, `case verify`) sees
            # the rows still in the WAL: SQLite readers merge it.
            with sqlite3.connect(db) as raw:
                assert raw.execute("select count(*) from incidents").fetchone() == (1,)
            with open_store(f"sqlite:///{db}", key=key) as other:
                assert other.audit_report().rows == store.audit_report().rows > 0
                assert other.verify_audit()
    finally:
        os.umask(old)


def test_a_store_made_with_the_rollback_journal_moves_to_wal(tmp_path, key):
    db = tmp_path / "old.db"
    with open_store(f"sqlite:///{db}", key=key) as store:
        store.new_incident("x", DISCOVERED)
    with sqlite3.connect(db) as raw:  # as stores were written before
        assert raw.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    with open_store(f"sqlite:///{db}", key=key) as store:
        assert _modes(store) == ("wal", 2)
        assert store.incident().name == "x"


def test_network_file_system_keeps_the_rollback_journal_and_warns_once(
    tmp_path, key, monkeypatch, caplog
):
    part = namedtuple("part", "device mountpoint fstype opts")
    mounts = [part("/dev/vda", "/", "ext4", "rw"), part("srv:/x", str(tmp_path), "nfs4", "rw")]
    monkeypatch.setattr(psutil, "disk_partitions", lambda all=False: mounts)
    monkeypatch.setattr(store_mod, "_network_warned", set())
    db = tmp_path / "shared" / "case.db"
    with caplog.at_level(logging.WARNING, logger="vigile.case.store"):
        with open_store(f"sqlite:///{db}", key=key) as store:
            store.new_incident("x", DISCOVERED)
        with sqlite3.connect(db) as raw:  # a store file in WAL mode moved there
            raw.execute("PRAGMA journal_mode=WAL").fetchone()
        for _ in range(2):
            with open_store(f"sqlite:///{db}", key=key) as store:
                assert _modes(store) == ("delete", 2)
                assert store.incident().name == "x"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "network file system (nfs4)" in warnings[0] and "PostgreSQL" in warnings[0]
    assert not (tmp_path / "shared" / "case.db-wal").exists()


@pytest.mark.parametrize(
    ("path", "fstype"),
    [("/mnt/share/case.db", "cifs"), ("/mnt/shareX/case.db", "ext4"), ("/srv/c.db", "ext4")],
)
def test_file_system_is_the_longest_mount_above_the_file(monkeypatch, path, fstype):
    part = namedtuple("part", "device mountpoint fstype opts")
    mounts = [part("a", "/", "ext4", ""), part("b", "/mnt/share", "cifs", "")]
    monkeypatch.setattr(psutil, "disk_partitions", lambda all=False: mounts)
    assert store_mod._file_system(path) == fstype


def test_a_purge_leaves_no_sealed_bytes_in_the_file_or_its_wal(tmp_path, key):
    """Regression: with WAL, pages written before a purge stayed in the -wal file (and
    deleted rows in free pages of the .db) until a checkpoint; a copy of the three files
    taken after the purge still held every person's sealed record and reference."""
    from vigile.case import AffectedPerson

    db = tmp_path / "case.db"
    with open_store(f"sqlite:///{db}", key=key) as store:
        iid = store.new_incident("x", DISCOVERED)
        store.replace_affected(
            iid,
            [
                AffectedPerson(
                    patient_id=f"PAT-{i}",
                    match_probability=0.99,
                    match_method="nir",
                    categories=frozenset({"nir", "last_name"}),
                    identity={"last_name": f"NOM{i}", "first_name": "Maëlys"},
                )
                for i in range(40)
            ],
            0,
        )
        with sqlite3.connect(db) as raw:
            rows = raw.execute("select person_ref, sealed from affected").fetchall()
        assert len(rows) == 40
        assert store.purge(iid) == 40
        blob = b"".join(p.read_bytes() for p in (db, tmp_path / "case.db-wal") if p.exists())
        left = [ref for ref, sealed in rows if ref.encode() in blob or bytes(sealed) in blob]
        assert left == []
        assert store.verify_audit()


def test_an_old_store_readable_by_others_is_made_owner_only(tmp_path, key, caplog):
    db = tmp_path / "case.db"
    with open_store(f"sqlite:///{db}", key=key) as store:
        store.new_incident("x", DISCOVERED)
    for p in tmp_path.iterdir():
        os.chmod(p, 0o644)  # as an older vigile or a copy under umask 022 left it
    with caplog.at_level(logging.WARNING), open_store(f"sqlite:///{db}", key=key) as store:
        assert store.incident().name == "x"
    for p in tmp_path.iterdir():
        if p.name.startswith("case.db"):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    assert "owner-only" in caplog.text and "case.db" in caplog.text
