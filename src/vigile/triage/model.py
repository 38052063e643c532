"""The triage result: a frozen dataclass whose JSON form is the versioned public output."""

from __future__ import annotations

from dataclasses import dataclass, field

from .duties import Duty
from .enisa import Severity
from .geography import DEPARTEMENTS

TRIAGE_SCHEMA = "vigile.triage/1"
SMALL_CELL = 10  # breakdown cells with fewer persons are shown as "<10"
TOP_AREAS = 3  # regions and départements named in the geography summary
CREDENTIAL_KEYS = ("persons_with_password", "plain_text", "hashed_only")


def suppress(n: int) -> int | str:
    """Small-cell suppression for geographic and establishment breakdowns."""
    return n if n >= SMALL_CELL or n == 0 else f"<{SMALL_CELL}"


@dataclass(frozen=True)
class InputEvidence:
    """Ties the figures to the file without keeping the file beside the report."""

    path: str
    sha256: str | None
    size: int | None
    format: str | None = None
    rows: int = 0


@dataclass(frozen=True)
class TriageResult:
    vigile_version: str
    analysed_at: str  # ISO 8601, UTC
    inputs: tuple[InputEvidence, ...]
    rows: int
    persons: int
    person_key: dict  # {"key": label, "row_coverage": {...}, "persons_by_key": {...}}
    minors: int
    over_75: int  # aged 75 or more (as the generator counts them)
    age_reference_date: str
    categories: dict[str, int]  # category id -> distinct persons exposed
    health_mentions: dict[str, int]
    credentials: dict
    departements: dict[str, int]  # raw counts; suppressed on output
    departement_sources: dict[str, int]
    regions: dict[str, int]
    top_towns: tuple[tuple[str, int], ...]  # only towns with >= 10 persons
    establishments: tuple[tuple[str, int], ...]
    prescribers: int | None
    time_span: dict
    severity: Severity
    duties: tuple[Duty, ...]
    not_found: tuple[str, ...]
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)
    unread: int = 0  # how many of `errors` stand for something not (fully) read

    @property
    def complete(self) -> bool:
        """Everything given was read: a category not found is then truly absent."""
        return self.unread == 0

    @property
    def found(self) -> bool:
        """Some personal or health data is exposed (a category or a health mention)."""
        return any(n > 0 for n in self.categories.values()) or any(
            n > 0 for n in self.health_mentions.values()
        )

    def geography(self) -> dict:
        """The few figures a notification quotes: how many areas, the main ones (small
        cells suppressed), how many persons could not be placed."""
        src = self.departement_sources
        regions = sorted(self.regions.items(), key=lambda kv: (-kv[1], kv[0]))
        deps = sorted(self.departements.items(), key=lambda kv: (-kv[1], kv[0]))
        return {
            "region_count": len(self.regions),
            "departement_count": len(self.departements),
            "persons_located": sum(self.departements.values()),
            "persons_without_departement": int(src.get("without_departement", 0)),
            "persons_abroad_or_other": int(src.get("abroad_or_other", 0)),
            "top_regions": [{"region": r, "persons": suppress(n)} for r, n in regions[:TOP_AREAS]],
            "top_departements": [
                {"code": d, "name": DEPARTEMENTS[d][0], "persons": suppress(n)}
                for d, n in deps[:TOP_AREAS]
                if d in DEPARTEMENTS
            ],
        }

    def to_json(self) -> dict:
        credentials = {k: 0 for k in CREDENTIAL_KEYS} | dict(self.credentials)
        time_span = {"earliest": None, "latest": None, "rows_with_date": 0, "by_year": {}}
        time_span |= self.time_span
        return {
            "schema": TRIAGE_SCHEMA,
            "vigile_version": self.vigile_version,
            "analysed_at": self.analysed_at,
            "inputs": [
                {
                    "path": i.path,
                    "sha256": i.sha256,
                    "size": i.size,
                    "format": i.format,
                    "rows": i.rows,
                }
                for i in self.inputs
            ],
            "rows": self.rows,
            "persons": self.persons,
            "person_key": self.person_key,
            "minors": self.minors,
            "over_75": self.over_75,
            "age_reference_date": self.age_reference_date,
            "categories": dict(self.categories),
            "health_mentions": dict(self.health_mentions),
            "credentials": credentials,
            "departements": {k: suppress(v) for k, v in self.departements.items()},
            "departement_sources": dict(self.departement_sources),
            "regions": {k: suppress(v) for k, v in self.regions.items()},
            "top_towns": [{"town": t, "persons": n} for t, n in self.top_towns],
            "geography": self.geography(),
            "establishments": [{"name": e, "persons": suppress(n)} for e, n in self.establishments],
            "prescribers": self.prescribers,
            "time_span": time_span,
            "severity": self.severity.to_json(),
            "duties": {d.id: d.to_json() for d in self.duties},
            "not_found": list(self.not_found),
            "notes": list(self.notes),
            "errors": list(self.errors),
        }
