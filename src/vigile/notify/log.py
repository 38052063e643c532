"""The notification log, read and written in bulk for half a million letters.

`CaseStore.log_notification` writes one row and one audit entry per call: right for a
CNIL notification, far too slow for 491,840 letters. `log_many` writes a whole batch's
rows and one audit entry in a single transaction, on the store's own tables and audit
chain (a bulk method in CaseStore would be the better home: asked of the lead).
The detail column holds JSON without personal values: reference, batch, page, SMTP code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import insert, select

from ..case import audit as audit_chain
from ..case.clock import utcnow
from ..case.models import NOTIFICATION_STATES
from ..case.schema import notifications

LETTER = "letter"
EMAIL = "email"


def log_many(
    store,
    incident_id: int,
    channel: str,
    state: str,
    rows: Iterable[tuple[str, dict | None]],
    audit: dict | None = None,
) -> int:
    """Record `state` for every (person_ref, detail) in one transaction with one audit entry."""
    if state not in NOTIFICATION_STATES:
        raise ValueError(f"state must be one of {sorted(NOTIFICATION_STATES)}")
    now = utcnow()
    values = [
        {
            "incident_id": incident_id,
            "person_ref": ref,
            "channel": channel,
            "state": state,
            "detail": json.dumps(detail, separators=(",", ":")) if detail else None,
            "at": now,
        }
        for ref, detail in rows
    ]
    with store.engine.begin() as conn:
        store._ensure_incident(conn, incident_id)
        if values:
            conn.execute(insert(notifications), values)
        audit_chain.append(
            conn,
            store.actor,
            "notify.log",
            {
                "incident_id": incident_id,
                "channel": channel,
                "state": state,
                "count": len(values),
                **(audit or {}),
            },
        )
    return len(values)


def entries(store, incident_id: int, channel: str) -> list[tuple[str, str, dict]]:
    """(person_ref, state, detail) of a channel, oldest first."""
    q = (
        select(notifications.c.person_ref, notifications.c.state, notifications.c.detail)
        .where(notifications.c.incident_id == incident_id, notifications.c.channel == channel)
        .order_by(notifications.c.id)
    )
    with store.engine.connect() as conn:
        return [
            (ref, state, json.loads(detail) if detail else {})
            for ref, state, detail in conn.execute(q)
            if ref is not None  # purged rows
        ]


def latest_states(store, incident_id: int, channel: str) -> dict[str, str]:
    """person_ref -> its latest state on this channel."""
    return {ref: state for ref, state, _ in entries(store, incident_id, channel)}


def affected_pages(store, incident_id: int, page_size: int):
    """Affected persons as (person_ref, AffectedPerson) lists of `page_size`, by keyset pages.

    `CaseStore.affected` streams over one open cursor, which on SQLite holds a read lock that
    blocks the log writes made between batches; short reads per page avoid that. Uses the
    store's cipher and row binding (an `affected(..., after=, limit=)` in CaseStore would be
    the better home: asked of the lead).
    """
    from ..case.models import AffectedPerson
    from ..case.schema import affected
    from ..case.store import _affected_aad

    cipher = store._require_key()
    store.audit("affected.read", {"incident_id": incident_id, "by": "notify"})
    last = 0
    cols = (
        affected.c.id,
        affected.c.person_ref,
        affected.c.match_probability,
        affected.c.match_method,
        affected.c.categories,
        affected.c.sealed,
    )
    while True:
        q = (
            select(*cols)
            .where(affected.c.incident_id == incident_id, affected.c.id > last)
            .order_by(affected.c.id)
            .limit(page_size)
        )
        with store.engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return
        page = []
        for rid, ref, prob, method, cats, sealed in rows:
            data = cipher.open(bytes(sealed), _affected_aad(incident_id, ref))
            page.append(
                (
                    ref,
                    AffectedPerson(
                        patient_id=data["patient_id"],
                        match_probability=prob,
                        match_method=method,
                        categories=frozenset(cats.split(",")) if cats else frozenset(),
                        identity=data["identity"],
                    ),
                )
            )
            last = rid
        yield page
