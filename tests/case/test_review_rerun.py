"""A new linkage run replaces the pending review queue; decisions already made stay."""

from __future__ import annotations

from datetime import UTC, datetime

from vigile.case import ReviewItem, open_store


def item(i: int) -> ReviewItem:
    return ReviewItem(None, f"L{i}", f"P{i}", 0.7, {"nom": "D*****"}, {"nom": "D*****"})


def test_rerun_replaces_pending_but_keeps_decisions(sqlite_url, key):
    store = open_store(sqlite_url, key=key)
    iid = store.new_incident("leak", datetime(2021, 2, 14, 9, tzinfo=UTC))
    store.add_review(iid, [item(1), item(2), item(3)])
    first = store.review_queue(iid)
    store.decide_review(first[0].id, accept=True)
    store.add_review(iid, [item(2), item(3)], replace_pending=True)
    pending = store.review_queue(iid)
    assert sorted(r.leak_key for r in pending) == ["L2", "L3"]  # not duplicated
    decided = [r for r in store.review_queue(iid, include_decided=True) if r.decision]
    assert [(r.leak_key, r.decision) for r in decided] == [("L1", "accepted")]
    # without replace_pending the queue grows, as before
    store.add_review(iid, [item(4)])
    assert len(store.review_queue(iid)) == 3
    assert store.verify_audit()
