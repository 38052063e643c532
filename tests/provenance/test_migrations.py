"""The registry's Alembic chain: a registry written in an older layout still traces the
same after `open_registry` upgrades it (and after a downgrade back), on SQLite and
PostgreSQL."""

from __future__ import annotations

import os

import numpy as np
import pytest
from alembic import command
from sqlalchemy import create_engine, func, insert, select

from vigile.provenance import open_registry, register_file, trace_path
from vigile.provenance import registry as registry_mod
from vigile.provenance.migrate import HEAD, alembic_config, current_revision
from vigile.provenance.registry import RECORD, Registry
from vigile.provenance.schema import blocks

from .world import history


def _old_insert_blocks(conn, eid, frame) -> None:
    """Revision p0001's writer: one row per 16-bit bucket (h >> 46) and export."""
    rec = np.empty(frame.height, dtype=RECORD)
    rec["h"] = frame["h"].to_numpy()
    rec["unit"] = frame["unit"].to_numpy()
    rec["view"] = frame["view"].to_numpy().astype(np.int8)
    bucket = rec["h"] >> 46
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(rec)]
    conn.execute(insert(blocks), [
        {"bucket": int(bucket[a]), "export_id": eid, "data": rec[a:b].tobytes()}
        for a, b in zip(starts, ends, strict=True)
    ])  # fmt: skip


def _migrate(url: str, target: str, downgrade: bool = False) -> None:
    engine = create_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(cfg, target)
    engine.dispose()


def _blocks(url: str) -> tuple[int, int, int, int]:
    """(rows, bytes, lowest bucket, highest bucket) of the blocks table."""
    engine = create_engine(url)
    with engine.connect() as conn:
        out = conn.execute(
            select(
                func.count(),
                func.sum(func.length(blocks.c.data)),
                func.min(blocks.c.bucket),
                func.max(blocks.c.bucket),
            )  # fmt: skip
        ).one()
    engine.dispose()
    return tuple(out)


def _answer(found, reg) -> list[tuple]:
    res = trace_path(found, reg)
    return [(m.export.name, m.rows_matched, m.canaries, round(m.confidence, 4))
            for m in res.matches]  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("migrations")
    df = history(d / "lab.csv", 600, seed=31).drop("__person")
    a, b = d / "lab_a.csv", d / "lab_b.csv"
    df.head(400).write_csv(a, separator=";")
    df.tail(400).write_csv(b, separator=";")  # rows 200-399 shared with a
    found = d / "found.csv"
    df.slice(150, 100).sample(fraction=1.0, shuffle=True, seed=3).write_csv(found)
    return a, b, found


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


def test_a_p0001_registry_traces_the_same_after_upgrade_and_downgrade(
    url, files, tmp_path, monkeypatch
):
    a, b, found = files
    secret = os.urandom(32)
    _migrate(url, "p0001")
    # Registered by revision p0001's code: 16-bit buckets, keyed (bucket, export).
    with monkeypatch.context() as m:
        m.setattr(registry_mod, "BLOCK_THRESHOLD", 10)
        m.setattr(registry_mod, "BUCKET_BITS", 16)
        m.setattr(registry_mod, "_insert_blocks", _old_insert_blocks)
        with Registry(create_engine(url), secret) as reg:
            reg._check_key()
            register_file(a, reg, recipient="X", purpose="m", canaries=2,
                          out=tmp_path / "sent_a.csv")  # fmt: skip
            register_file(b, reg, recipient="Y", purpose="m")
            before = _answer(found, reg)
    assert before[0][:2] == ("sent_a.csv", 100), before
    old = _blocks(url)
    assert old[3] >= 2**14  # 16-bit buckets

    with open_registry(url, secret=secret) as reg:  # upgrades to HEAD
        assert current_revision(reg.engine) == HEAD
        assert _answer(found, reg) == before
    new = _blocks(url)
    assert new[1] == old[1] and new[0] < old[0]  # the same records, re-packed
    assert 0 <= new[2] and new[3] < 2**registry_mod.BUCKET_BITS

    _migrate(url, "p0001", downgrade=True)
    assert _blocks(url) == old
    with monkeypatch.context() as m:
        m.setattr(registry_mod, "BUCKET_BITS", 16)
        with Registry(create_engine(url), secret) as reg:
            assert _answer(found, reg) == before


def test_bucket_bits_match_the_head_revision():
    """p0002 re-packs into 14-bit buckets: the registry's constant must agree (changing
    it needs a new migration)."""
    assert registry_mod.BUCKET_BITS == 14 and HEAD == "p0002"
