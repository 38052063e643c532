"""What persons tell the controller through the portal: no-code requests and e-mail
opt-ins, sealed with the store key like every personal field.

A no-code request is queued `pending`; handling it (`answer_request`) records its outcome
(a letter or e-mail queued for the affected person it matched, or no match) exactly once.
An e-mail opt-in is the channel `vigile notify email` then uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from .clock import from_db, utcnow
from .schema import portal_contacts as contacts
from .schema import portal_requests as requests

REQUEST_FIELDS = ("last_name", "first_name", "birth_date", "postcode")
OUTCOMES = frozenset({"letter", "email", "no_match", "duplicate"})


@dataclass(frozen=True)
class NoCodeRequest:
    id: int
    fields: dict[str, str]  # what the person typed (sealed at rest)
    created_at: datetime
    state: str = "pending"
    outcome: str | None = None
    person_ref: str | None = None


def _request_aad(incident_id: int) -> bytes:
    return f"vigile.portal/request/{incident_id}".encode()


def _contact_aad(incident_id: int, person_ref: str) -> bytes:
    return f"vigile.portal/contact/{incident_id}/{person_ref}".encode()


def queue_request(store, incident_id: int, fields: dict[str, str]) -> int:
    """Queue a no-code request (sealed); returns its id."""
    cipher = store._require_key()
    sealed = cipher.seal({k: fields.get(k, "") for k in REQUEST_FIELDS}, _request_aad(incident_id))
    with store.engine.begin() as conn:
        rid = conn.execute(
            insert(requests).values(
                incident_id=incident_id, sealed=sealed, state="pending", created_at=utcnow()
            )
        ).inserted_primary_key[0]
        store._audit(conn, "portal.request", {"incident_id": incident_id})
    return int(rid)


def count_requests(store, incident_id: int, since: datetime | None = None) -> int:
    """How many requests were queued (since a time): for the portal's global bound."""
    from sqlalchemy import func

    q = select(func.count()).select_from(requests).where(requests.c.incident_id == incident_id)
    if since is not None:
        q = q.where(requests.c.created_at >= since)
    with store._read() as conn:
        return int(conn.execute(q).scalar_one())


def list_requests(store, incident_id: int, pending_only: bool = True) -> list[NoCodeRequest]:
    """The requests with what was typed, for the operator (the read is audited)."""
    cipher = store._require_key()
    q = select(requests).where(requests.c.incident_id == incident_id).order_by(requests.c.id)
    if pending_only:
        q = q.where(requests.c.state == "pending")
    with store.engine.begin() as conn:
        rows = conn.execute(q).mappings().all()
        store._audit(conn, "portal.requests_read", {"incident_id": incident_id, "n": len(rows)})
    aad = _request_aad(incident_id)
    return [
        NoCodeRequest(
            id=r["id"],
            fields=cipher.open(bytes(r["sealed"]), aad),
            created_at=from_db(r["created_at"]),
            state=r["state"],
            outcome=r["outcome"],
            person_ref=r["person_ref"],
        )
        for r in rows
    ]


def answer_request(
    store,
    incident_id: int,
    request_id: int,
    outcome: str,
    person_ref: str | None = None,
) -> bool:
    """Handle a pending request in one transaction: record its outcome and, when it matched
    an affected person (`outcome` "letter" or "email"), queue that person's notification
    on the channel ("planned", detail {"request": id}) for `vigile notify letters|email`.

    Exactly once: returns False, queuing nothing, when the request was already handled."""
    from .notifications import EMAIL, LETTER

    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}")
    if outcome in ("letter", "email") and not person_ref:
        raise ValueError("a letter or e-mail answer needs the matched person_ref")
    import json

    from sqlalchemy import insert as _insert

    from .schema import notifications

    now = utcnow()
    with store.engine.begin() as conn:
        n = conn.execute(
            update(requests)
            .where(
                requests.c.incident_id == incident_id,
                requests.c.id == request_id,
                requests.c.state == "pending",
            )
            .values(
                state="handled",
                outcome=outcome,
                person_ref=person_ref,
                handled_at=now,
                handled_by=store.actor,
            )
        ).rowcount
        if not n:
            return False
        if outcome in ("letter", "email"):
            conn.execute(
                _insert(notifications).values(
                    incident_id=incident_id,
                    person_ref=person_ref,
                    channel=LETTER if outcome == "letter" else EMAIL,
                    state="planned",
                    detail=json.dumps({"request": request_id}, separators=(",", ":")),
                    at=now,
                )
            )
        store._audit(
            conn,
            "portal.request_handled",
            {"incident_id": incident_id, "request_id": request_id, "outcome": outcome},
        )
    return True


def save_email_optin(store, incident_id: int, person_ref: str, email: str) -> None:
    cipher = store._require_key()
    sealed = cipher.seal({"email": email}, _contact_aad(incident_id, person_ref))
    with store.engine.begin() as conn:
        conn.execute(
            delete(contacts).where(
                contacts.c.incident_id == incident_id, contacts.c.person_ref == person_ref
            )
        )
        conn.execute(
            insert(contacts).values(
                incident_id=incident_id, person_ref=person_ref, sealed=sealed, created_at=utcnow()
            )
        )
        store._audit(
            conn, "portal.email_optin", {"incident_id": incident_id, "person_ref": person_ref}
        )


def email_optin(store, incident_id: int, person_ref: str) -> str | None:
    cipher = store._require_key()
    with store._read() as conn:
        blob = conn.execute(
            select(contacts.c.sealed).where(
                contacts.c.incident_id == incident_id, contacts.c.person_ref == person_ref
            )
        ).scalar_one_or_none()
    if blob is None:
        return None
    return cipher.open(bytes(blob), _contact_aad(incident_id, person_ref))["email"]


def email_optins(store, incident_id: int) -> dict[str, str]:
    """person_ref -> the e-mail address the person chose on the portal (audited read)."""
    cipher = store._require_key()
    with store.engine.begin() as conn:
        rows = conn.execute(
            select(contacts.c.person_ref, contacts.c.sealed).where(
                contacts.c.incident_id == incident_id
            )
        ).all()
        store._audit(conn, "portal.optins_read", {"incident_id": incident_id, "n": len(rows)})
    return {
        ref: cipher.open(bytes(blob), _contact_aad(incident_id, ref))["email"] for ref, blob in rows
    }
