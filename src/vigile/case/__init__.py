"""vigile.case: the incident's secure store (SQLite by default, PostgreSQL by URL).

The incident as one record, in order: evidence (where and when found, sha256), the
triage, the link result, one exposure record per affected person (personal fields
AES-GCM encrypted with a key kept outside the store), the CNIL drafts and submissions,
each person's code (issued once), every notification, no-code requests and e-mail
opt-ins, and a hash-chained audit log. Letters, e-mails, the portal and the CNIL draft
are renderings of it. Other layers use only what this package exports and CaseStore's
public methods; codes, contacts and leases are functions of `vigile.case.codes`,
`vigile.case.contacts` and CaseStore.lease; the portal's limits are `Throttle`.
"""

from .clock import PARIS, TimeFormatError, parse_time, show_time
from .contacts import NoCodeRequest
from .errors import (
    BadKeyError,
    CaseError,
    IncidentNotFoundError,
    KeyMissingError,
    StoreNotFoundError,
    WrongKeyError,
)
from .keys import create_key_file, default_key_path, find_key_file, load_key
from .leases import BusyError
from .models import (
    AffectedPerson,
    CnilDraft,
    CnilSubmission,
    Evidence,
    Incident,
    ProvenanceRecord,
    ReviewItem,
)
from .notifications import CNIL, EMAIL, LETTER
from .store import SETTINGS, CaseStore, open_store, resolve_db_url
from .throttle import CodeLimits, Throttle

__all__ = [
    "CNIL",
    "EMAIL",
    "LETTER",
    "PARIS",
    "SETTINGS",
    "AffectedPerson",
    "BusyError",
    "CnilDraft",
    "CodeLimits",
    "CnilSubmission",
    "Evidence",
    "NoCodeRequest",
    "Throttle",
    "TimeFormatError",
    "BadKeyError",
    "CaseError",
    "CaseStore",
    "Incident",
    "IncidentNotFoundError",
    "KeyMissingError",
    "ProvenanceRecord",
    "ReviewItem",
    "StoreNotFoundError",
    "WrongKeyError",
    "create_key_file",
    "default_key_path",
    "find_key_file",
    "load_key",
    "open_store",
    "parse_time",
    "resolve_db_url",
    "show_time",
]
