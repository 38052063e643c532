"""Purge takes the portal's rows (codes, typed identities, e-mails) with the persons."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from vigile.case import AffectedPerson, open_store
from vigile.case.codes import find_person, issue_code


def test_purge_deletes_portal_codes(sqlite_url, key):
    store = open_store(sqlite_url, key=key)
    iid = store.new_incident("leak", datetime(2021, 2, 14, 9, tzinfo=UTC))
    people = [
        AffectedPerson(f"P{i}", 0.99, "nir", frozenset({"nir"}), {"last_name": "X", "city": "Y"})
        for i in range(3)
    ]
    store.replace_affected(iid, people, 0)
    code = issue_code(store, iid, store.person_ref("P1"))
    assert find_person(store, iid, code) == store.person_ref("P1")
    store.purge(iid)
    assert find_person(store, iid, code) is None
    with store.engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM portal_access_codes")).scalar_one()
    assert left == 0
    assert store.verify_audit()
