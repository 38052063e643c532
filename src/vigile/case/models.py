"""The frozen shapes the case store hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MATCH_METHODS = frozenset({"nir", "probabilistic", "review"})
NOTIFICATION_STATES = frozenset({"rendered", "handed_over", "sent", "bounced", "returned"})


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


@dataclass(frozen=True)
class AffectedPerson:
    patient_id: str  # the controller database's own id (encrypted at rest)
    match_probability: float
    match_method: str  # "nir" | "probabilistic" | "review"
    categories: frozenset[str]  # category ids of categories.md exposed for this person
    identity: dict[str, str]  # personal fields for letters; encrypted at rest


@dataclass(frozen=True)
class ReviewItem:
    id: int | None
    leak_key: str
    patient_id: str
    match_probability: float
    leak_masked: dict[str, str]
    patient_masked: dict[str, str]
    decision: str | None = None  # None (pending), "accepted", "rejected"
