"""vigile.case: the incident's secure store (SQLite by default, PostgreSQL by URL).

Holds the incident, evidence fingerprints, triage result, affected persons
(personal fields AES-GCM encrypted with a key kept outside the store), the
manual-review queue, the notification log and a hash-chained audit log.
"""

from .errors import (
    BadKeyError,
    CaseError,
    IncidentNotFoundError,
    KeyMissingError,
    StoreNotFoundError,
    WrongKeyError,
)
from .keys import create_key_file, load_key
from .models import AffectedPerson, Incident, ReviewItem
from .store import CaseStore, open_store, resolve_db_url

__all__ = [
    "AffectedPerson",
    "BadKeyError",
    "CaseError",
    "CaseStore",
    "Incident",
    "IncidentNotFoundError",
    "KeyMissingError",
    "ReviewItem",
    "StoreNotFoundError",
    "WrongKeyError",
    "create_key_file",
    "load_key",
    "open_store",
    "resolve_db_url",
]
