"""The notification log: every letter, e-mail and request answer, state by state, in bulk.

A batch's rows and one audit entry go in one transaction: the commit point that makes a
killed run resumable. The detail column holds JSON without personal values (reference,
batch, page, SMTP code, Message-ID). Called through CaseStore's methods.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import insert, select

from .clock import utcnow
from .models import NOTIFICATION_STATES
from .schema import notifications

LETTER = "letter"
EMAIL = "email"
CNIL = "cnil"


def log_many(
    store,
    incident_id: int,
    channel: str,
    state: str,
    rows: Iterable[tuple[str, dict | str | None]],
    audit: dict | None = None,
    action: str = "notify.log",
) -> int:
    """Record `state` for every (person_ref, detail) in one transaction with one audit entry
    (a dict detail is stored as JSON, a text as it is)."""
    if state not in NOTIFICATION_STATES:
        raise ValueError(f"state must be one of {sorted(NOTIFICATION_STATES)}")
    now = utcnow()
    values = [
        {
            "incident_id": incident_id,
            "person_ref": ref,
            "channel": channel,
            "state": state,
            "detail": (
                json.dumps(detail, separators=(",", ":")) if isinstance(detail, dict) else detail
            )
            or None,
            "at": now,
        }
        for ref, detail in rows
    ]
    with store.engine.begin() as conn:
        store._ensure_incident(conn, incident_id)
        if values:
            conn.execute(insert(notifications), values)
        store._audit(
            conn,
            action,
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
    """(person_ref, state, detail) of a channel, oldest first (purged rows left out)."""
    q = (
        select(notifications.c.person_ref, notifications.c.state, notifications.c.detail)
        .where(notifications.c.incident_id == incident_id, notifications.c.channel == channel)
        .order_by(notifications.c.id)
    )
    with store._read() as conn:
        return [
            (ref, state, json.loads(detail) if detail else {})
            for ref, state, detail in conn.execute(q)
            if ref is not None
        ]


def latest_states(store, incident_id: int, channel: str) -> dict[str, str]:
    """person_ref -> its latest state on this channel."""
    return {ref: state for ref, state, _ in entries(store, incident_id, channel)}
