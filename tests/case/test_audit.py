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


def test_rehashed_row_is_detected_by_its_mac(store):
    # Regression (issue 13): the chain was plain SHA-256 with its head in the same file, so
    # a tamperer could edit a row and recompute it. Without the key the MAC cannot be made.
    from vigile.case.audit import row_hash

    with store.engine.begin() as c:
        r = c.execute(text("SELECT * FROM audit_log WHERE seq = 2")).mappings().one()
        new = row_hash(r["prev_hash"], 2, r["at"], "mallory", r["action"], r["details"])
        c.execute(
            text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE seq = 2"), {"h": new}
        )
    report = store.audit_report()
    assert not report.ok and "row 2 was altered" in report.problem


def _recompute_plain(store, edit=None, keep=None):
    """What a tamperer with write access but no key can do: rewrite rows (optionally keep
    only some), recompute the whole chain as plain SHA-256 and fix the stored head."""
    import json as _json

    from vigile.case.audit import GENESIS, row_hash

    with store.engine.begin() as c:
        rows = c.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings().all()
        c.execute(text("DELETE FROM audit_log"))
        prev, seq = GENESIS, 0
        for r in rows:
            if keep is not None and r["seq"] not in keep:
                continue
            seq += 1
            actor = edit(r) if edit else r["actor"]
            h = row_hash(prev, seq, r["at"], actor, r["action"], r["details"])
            c.execute(
                text("INSERT INTO audit_log VALUES (:s, :at, :a, :ac, :d, :p, :h)"),
                {"s": seq, "at": r["at"], "a": actor, "ac": r["action"], "d": r["details"],
                 "p": prev, "h": h},
            )  # fmt: skip
            prev = h
        c.execute(
            text("UPDATE case_meta SET value = :v WHERE key = 'audit_head'"),
            {"v": _json.dumps([seq, prev]).encode()},
        )
        c.execute(text("DELETE FROM case_meta WHERE key = 'audit_keyed_from'"))


def test_tampering_campaign_alter_recompute_delete_truncate_wipe(sqlite_url, key):
    """Each tampering either fails `verify` at once or against the anchor kept outside."""
    import json as _json

    made = []

    def fresh():
        made.append(1)
        s = open_store(sqlite_url.replace("case.db", f"case{len(made)}.db"), key=key)
        iid = s.new_incident("x", datetime(2021, 2, 14, 9, tzinfo=UTC))
        for i in range(5):
            s.audit("step", {"i": i, "incident_id": iid})
        with s.engine.begin() as c:
            for t in ("audit_log_no_update", "audit_log_no_delete"):
                c.execute(text(f"DROP TRIGGER IF EXISTS {t}"))
        return s, s.audit_anchor()

    # alter + recompute the whole chain (plain SHA, marker removed)
    s, anchor = fresh()
    _recompute_plain(s, edit=lambda r: "mallory" if r["seq"] == 3 else r["actor"])
    assert not s.verify_audit() or s.check_audit_anchor(anchor) is not None
    assert s.check_audit_anchor(anchor) is not None
    s.close()
    # delete middle rows and renumber
    s, anchor = fresh()
    _recompute_plain(s, keep={1, 2, 5, 6, 7})
    assert s.check_audit_anchor(anchor) is not None
    s.close()
    # truncate the tail and fix the head: the chain alone cannot tell, the anchor does
    s, anchor = fresh()
    rows = anchor["rows"]
    _exec(s, f"DELETE FROM audit_log WHERE seq > {rows - 2}")
    with s.engine.begin() as c:
        h = c.execute(text(f"SELECT hash FROM audit_log WHERE seq = {rows - 2}")).scalar()
        c.execute(text("UPDATE case_meta SET value = :v WHERE key = 'audit_head'"),
                  {"v": _json.dumps([rows - 2, h]).encode()})  # fmt: skip
    assert s.verify_audit()  # consistent in itself...
    assert "cut" in s.check_audit_anchor(anchor)  # ...but the anchor saw more rows
    s.close()
    # wipe the log entirely
    s, anchor = fresh()
    _exec(s, "DELETE FROM audit_log")
    _exec(s, "DELETE FROM case_meta WHERE key IN ('audit_head', 'audit_keyed_from')")
    assert s.check_audit_anchor(anchor) is not None
    s.close()
    # an anchor edited to fit the cut log is refused (its MAC)
    s, anchor = fresh()
    assert s.check_audit_anchor({**anchor, "rows": 1}) is not None
    assert s.check_audit_anchor(anchor) is None  # untouched: holds (the log may grow)
    s.close()


def test_writing_needs_the_key(sqlite_url, key):
    from vigile.case import KeyMissingError

    with open_store(sqlite_url, key=key) as s:
        s.new_incident("x", datetime(2021, 2, 14, 9, tzinfo=UTC))
    with open_store(sqlite_url) as locked:
        with pytest.raises(KeyMissingError, match="keyed audit log"):
            locked.audit("anything")
        report = locked.audit_report()  # read-only check without the key: links only
        assert report.ok and not report.keyed


def test_chain_continues_after_reopen(sqlite_url, key):
    with open_store(sqlite_url, key=key) as s:
        s.audit("one")
    with open_store(sqlite_url, key=key) as s:
        s.audit("two")
        report = s.audit_report()
    assert report.ok and report.rows == 2
