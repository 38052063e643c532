"""The portal's view of the case (through the case store's public API only)."""

from __future__ import annotations

from dataclasses import dataclass

from ..case import CaseStore
from ..case import contacts as _contacts

IDENTITY_FIELDS = _contacts.REQUEST_FIELDS


@dataclass(frozen=True)
class PersonView:
    categories: frozenset[str]
    identity: dict[str, str]


def person(store: CaseStore, incident_id: int, person_ref: str, purpose: str) -> PersonView | None:
    """The person's exposed categories and identity; the access is audited as `purpose`."""
    p = store.exposure(incident_id, person_ref, purpose)
    return None if p is None else PersonView(p.categories, dict(p.identity))


def queue_request(store: CaseStore, incident_id: int, fields: dict[str, str]) -> None:
    _contacts.queue_request(store, incident_id, fields)


def pending_requests(store: CaseStore, incident_id: int) -> list[tuple[int, dict[str, str]]]:
    return [(r.id, r.fields) for r in _contacts.list_requests(store, incident_id)]


def save_email_optin(store: CaseStore, incident_id: int, person_ref: str, email: str) -> None:
    _contacts.save_email_optin(store, incident_id, person_ref, email)


def email_optin(store: CaseStore, incident_id: int, person_ref: str) -> str | None:
    return _contacts.email_optin(store, incident_id, person_ref)
