"""The frozen shapes the case store hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MATCH_METHODS = frozenset({"nir", "probabilistic", "review"})
NOTIFICATION_STATES = frozenset(
    {"planned", "rendered", "handed_over", "sent", "bounced", "returned"}
)
PASSWORD_FORMS = frozenset({"plain", "hashed"})


@dataclass(frozen=True)
class Incident:
    id: int
    name: str
    discovered: datetime  # awareness time, timezone-aware UTC: starts the 72 h clock
    controller: str | None
    dpo_contact: str | None
    created_at: datetime
    created_by: str
    linked_at: datetime | None = None
    affected_count: int = 0
    unmatched_leak_persons: int | None = None
    aggregates: dict = field(default_factory=dict)  # per category / method / notification counts
    purged_at: datetime | None = None
    # What the DPO set on the case (portal address, DPO name, processor, encryption, the
    # answers for the CNIL form): see CaseStore.update_settings. No personal value.
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AffectedPerson:
    patient_id: str  # the controller database's own id (encrypted at rest)
    match_probability: float
    match_method: str  # "nir" | "probabilistic" | "review"
    categories: frozenset[str]  # category ids of categories.md exposed for this person
    identity: dict[str, str]  # personal fields for letters; encrypted at rest
    # The rest of the person's exposure record (sealed with the identity): health kinds
    # found in the person's own rows (ids of vigile.triage's health kinds), whether a
    # password of theirs was in clear ("plain") or only hashed ("hashed"), and whether the
    # letter goes to legal representatives (minor at discovery, or under legal protection).
    health_kinds: frozenset[str] = frozenset()
    password: str | None = None
    minor: bool = False
    protected: bool = False

    def exposure_json(self) -> dict:
        return {
            "health_kinds": sorted(self.health_kinds),
            "password": self.password,
            "minor": self.minor,
            "protected": self.protected,
        }


@dataclass(frozen=True)
class ReviewItem:
    id: int | None
    leak_key: str
    patient_id: str
    match_probability: float
    leak_masked: dict[str, str]
    patient_masked: dict[str, str]
    decision: str | None = None  # None (pending), "accepted", "rejected"


@dataclass(frozen=True)
class Evidence:
    path: str
    sha256: str
    size: int
    recorded_at: datetime
    found_where: str | None = None  # where the file was found (URL, forum, share)
    found_at: datetime | None = None  # when it was found
    recorded_by: str | None = None


@dataclass(frozen=True)
class ProvenanceRecord:
    """What `CaseStore.record_provenance` did."""

    evidence_added: bool  # the found file was not yet evidence of the incident
    origin_set: bool  # the CNIL form's origin.circumstances now holds the trace's sentence
    answer: str  # the answer origin.circumstances holds after the call


@dataclass(frozen=True)
class CnilDraft:
    version: int
    kind: str  # "initial" | "complementary" | "complete"
    drafted_at: datetime
    json_sha256: str
    pdf_sha256: str


@dataclass(frozen=True)
class CnilSubmission:
    version: int  # the draft version that was submitted
    kind: str
    submitted_at: datetime
    receipt: str  # the CNIL's receipt / notification number
    recorded_at: datetime
    recorded_by: str
