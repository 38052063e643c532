"""The hash chain shows edited, deleted and truncated audit rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from vigile.case import open_store


@pytest.fixture
def store(sqlite_url, key):
    s = open_store(sqlite_url, key=key, actor="alice")
    iid = s.new_incident("x", datetime(2021, 2, 14, 9, tzinfo=UTC))
    s.add_evidence(iid, "a.csv", "0" * 64, 1)
    s.audit("export.report", {"format": "html"})
    s.audit("custom", {"n": 1})
    # A tamperer with write access first removes the append-only triggers.
    with s.engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_log_no_update"))
        c.execute(text("DROP TRIGGER audit_log_no_delete"))
    yield s
    s.close()


def _exec(store, sql: str) -> None:
    with store.engine.begin() as c:
        c.execute(text(sql))


def test_intact_chain_verifies(store):
    report = store.audit_report()
    assert report.ok and report.rows == 4 and len(report.head) == 64


def test_edited_row_is_detected(store):
    _exec(store, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    report = store.audit_report()
    assert not report.ok and "row 2 was altered" in report.problem


def test_edited_details_are_detected(store):
    _exec(store, """UPDATE audit_log SET details = '{"format":"csv"}' WHERE seq = 3""")
    assert not store.verify_audit()


def test_deleted_middle_row_is_detected(store):
    _exec(store, "DELETE FROM audit_log WHERE seq = 2")
    report = store.audit_report()
    assert not report.ok and "row 2 is missing" in report.problem


def test_truncated_tail_is_detected(store):
    _exec(store, "DELETE FROM audit_log WHERE seq = 4")
    report = store.audit_report()
    assert not report.ok and "head" in report.problem


def test_rehashed_row_breaks_the_link_to_the_next(store):
    # Recomputing one row's hash after editing it still breaks the following row's prev_hash.
    from vigile.case.audit import row_hash

    with store.engine.begin() as c:
        r = c.execute(text("SELECT * FROM audit_log WHERE seq = 2")).mappings().one()
        new = row_hash(r["prev_hash"], 2, r["at"], "mallory", r["action"], r["details"])
        c.execute(
            text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE seq = 2"), {"h": new}
        )
    report = store.audit_report()
    assert not report.ok and "row 3" in report.problem


def test_chain_continues_after_reopen(sqlite_url, key):
    with open_store(sqlite_url, key=key) as s:
        s.audit("one")
    with open_store(sqlite_url, key=key) as s:
        s.audit("two")
        report = s.audit_report()
    assert report.ok and report.rows == 2
