"""The manual review queue: gray-zone pairs shown masked side by side, decided by a person.

Masks come from `vigile.detect.mask` (never enough to re-identify); for each
field an agreement mark (`=` same, `~` close, `!=` differs, blank when one side
is missing) is computed at link time, so the reviewer judges without seeing values.
The sealed review item also carries, under reserved keys, what an accepted
pair needs to become an affected person (its exposed categories and the
patient's identity for the letters): the case store encrypts the whole item.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import polars as pl

from ..detect.mask import mask
from .leak import categories_of
from .patients import IDENTITY_FIELDS

REVIEW_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "postcode",
    "phone",
    "email",
)
_MASK_CATEGORY = {"birth_name": "last_name", "sex": "sex"}
CATEGORIES_KEY = "_categories"  # in leak_masked: comma-separated category ids
IDENTITY_KEY = "_identity"  # in patient_masked: JSON of the identity for letters
AGREEMENT_KEY = "_agreement"  # in leak_masked: JSON field -> mark


def _agreement(a: str | None, b: str | None) -> str:
    if not a or not b:
        return ""
    if a == b:
        return "="
    from difflib import SequenceMatcher

    return "~" if SequenceMatcher(None, a, b).ratio() >= 0.8 else "!="


def _masked(row: dict, suffix: str) -> dict[str, str]:
    out = {}
    for f in REVIEW_FIELDS:
        v = row.get(f + suffix)
        if v:
            out[f] = mask(str(v), _MASK_CATEGORY.get(f, f))
    return out


def review_items(review: pl.DataFrame, persons: pl.DataFrame, patients: pl.DataFrame) -> list:
    """ReviewItem objects for the case store (a small gray-zone set: per-pair Python is fine)."""
    from ..case import ReviewItem

    id_cols = [f"id_{f}" for f in IDENTITY_FIELDS]
    pairs = review.join(persons.select("leak_key", "mask", *REVIEW_FIELDS), on="leak_key").join(
        patients.select("patient_id", *REVIEW_FIELDS, *id_cols),
        on="patient_id",
        suffix="_r",
    )
    items = []
    for row in pairs.sort("match_probability", descending=True).iter_rows(named=True):
        leak_masked = _masked(row, "")
        leak_masked[CATEGORIES_KEY] = ",".join(sorted(categories_of(row["mask"])))
        leak_masked[AGREEMENT_KEY] = json.dumps(
            {f: _agreement(row.get(f), row.get(f + "_r")) for f in REVIEW_FIELDS}
        )
        patient_masked = _masked(row, "_r")
        patient_masked[IDENTITY_KEY] = json.dumps(
            {f: row[f"id_{f}"] for f in IDENTITY_FIELDS if row[f"id_{f}"]}
        )
        items.append(
            ReviewItem(
                id=None,
                leak_key=row["leak_key"],
                patient_id=row["patient_id"],
                match_probability=float(row["match_probability"]),
                leak_masked=leak_masked,
                patient_masked=patient_masked,
            )
        )
    return items


def side_by_side(item) -> list[tuple[str, str, str, str]]:
    """(field, leak masked, mark, patient masked) rows for display; reserved keys never shown."""
    marks = json.loads(item.leak_masked.get(AGREEMENT_KEY, "{}"))
    rows = []
    for f in REVIEW_FIELDS:
        a, b = item.leak_masked.get(f, ""), item.patient_masked.get(f, "")
        if a or b:
            rows.append((f, a, marks.get(f, ""), b))
    return rows


def apply_decisions(store, incident_id: int, decided: Sequence, unmatched_before: int) -> int:
    """Fold decided review items into the affected persons (one replace for a whole session).

    Accepted pairs become affected persons ("review" method; categories merged when the
    patient is already affected); rejected ones become leak persons found in no record.
    Returns the new affected count.
    """
    from ..case import AffectedPerson

    accepted = [it for it in decided if it.decision == "accepted"]
    rejected = sum(1 for it in decided if it.decision == "rejected")
    persons = {p.patient_id: p for p in store.affected(incident_id)}
    for it in accepted:
        cats = frozenset(c for c in it.leak_masked.get(CATEGORIES_KEY, "").split(",") if c)
        identity = json.loads(it.patient_masked.get(IDENTITY_KEY, "{}"))
        old = persons.get(it.patient_id)
        if old is not None:
            persons[it.patient_id] = AffectedPerson(
                old.patient_id,
                old.match_probability,
                old.match_method,
                old.categories | cats,
                old.identity,
            )
        else:
            persons[it.patient_id] = AffectedPerson(
                it.patient_id, it.match_probability, "review", cats, identity
            )
    return store.replace_affected(incident_id, persons.values(), unmatched_before + rejected)


def pending(items: Iterable) -> list:
    return [it for it in items if it.decision is None]
