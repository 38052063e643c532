"""Everything the portal reads from or writes to the case store (and nothing else does).

Uses the store's engine, cipher and audit helper read-only, as vigile.case.codes does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    delete,
    insert,
    select,
)

from ..case.clock import utcnow
from ..case.schema import affected
from ..case.schema import portal_contacts as contacts
from ..case.schema import portal_requests as requests
from ..case.store import CaseStore, _affected_aad

IDENTITY_FIELDS = ("last_name", "first_name", "birth_date", "postcode")


def _request_aad(incident_id: int) -> bytes:
    return f"vigile.portal/request/{incident_id}".encode()


def _contact_aad(incident_id: int, person_ref: str) -> bytes:
    return f"vigile.portal/contact/{incident_id}/{person_ref}".encode()


@dataclass(frozen=True)
class PersonView:
    categories: frozenset[str]
    identity: dict[str, str]


def person(store: CaseStore, incident_id: int, person_ref: str, purpose: str) -> PersonView | None:
    """The person's exposed categories and identity; the access is audited as `purpose`."""
    cipher = store._require_key()
    with store.engine.begin() as conn:
        row = conn.execute(
            select(affected.c.categories, affected.c.sealed).where(
                affected.c.incident_id == incident_id, affected.c.person_ref == person_ref
            )
        ).first()
        if row is None:
            return None
        # The pseudonymous reference is what lets the controller answer "who saw my page".
        store._audit(conn, purpose, {"incident_id": incident_id, "person_ref": person_ref})
    data = cipher.open(bytes(row.sealed), _affected_aad(incident_id, person_ref))
    cats = frozenset(row.categories.split(",")) if row.categories else frozenset()
    return PersonView(cats, dict(data["identity"]))


def queue_request(store: CaseStore, incident_id: int, fields: dict[str, str]) -> None:
    """Queue a no-code request, sealed; answered later through the channel on file."""
    cipher = store._require_key()
    sealed = cipher.seal({k: fields.get(k, "") for k in IDENTITY_FIELDS}, _request_aad(incident_id))
    with store.engine.begin() as conn:
        conn.execute(
            insert(requests).values(
                incident_id=incident_id, sealed=sealed, state="pending", created_at=utcnow()
            )
        )
        store._audit(conn, "portal.request", {"incident_id": incident_id})


def pending_requests(store: CaseStore, incident_id: int) -> list[tuple[int, dict[str, str]]]:
    """(request id, typed identity) of the pending no-code requests, for the operator."""
    cipher = store._require_key()
    with store.engine.begin() as conn:
        rows = conn.execute(
            select(requests.c.id, requests.c.sealed)
            .where(requests.c.incident_id == incident_id, requests.c.state == "pending")
            .order_by(requests.c.id)
        ).all()
        store._audit(conn, "portal.requests_read", {"incident_id": incident_id, "n": len(rows)})
    aad = _request_aad(incident_id)
    return [(rid, cipher.open(bytes(blob), aad)) for rid, blob in rows]


def save_email_optin(store: CaseStore, incident_id: int, person_ref: str, email: str) -> None:
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


def email_optin(store: CaseStore, incident_id: int, person_ref: str) -> str | None:
    cipher = store._require_key()
    with store.engine.connect() as conn:
        blob = conn.execute(
            select(contacts.c.sealed).where(
                contacts.c.incident_id == incident_id, contacts.c.person_ref == person_ref
            )
        ).scalar_one_or_none()
    if blob is None:
        return None
    return cipher.open(bytes(blob), _contact_aad(incident_id, person_ref))["email"]
