"""Human wording shared by the Markdown and HTML reports."""

from __future__ import annotations

from ..categories import CATEGORIES

HEALTH_KIND_LABELS = {
    "pregnancy": "pregnancy (grossesse)",
    "hiv": "HIV (VIH)",
    "disability": "disability, deafness (handicap, surdité)",
    "chronic_disease": "chronic disease (maladie chronique, ALD)",
    "mental_health": "mental health (santé mentale)",
    "addiction": "addiction",
    "infectious_disease": "infectious disease (maladie infectieuse)",
    "other_condition": "other condition",
    "treatment": "treatment (traitement)",
}
LEVEL_LABELS = {"low": "low", "medium": "medium", "high": "high", "very_high": "very high"}
KEY_LABELS = {
    "nir": "validated NIR",
    "nir_via_identity": "NIR found on another row of the same identity",
    "identity": "normalised identity",
    "row": "no identifier (row)",
}


def category_label(cat: str) -> str:
    c = CATEGORIES.get(cat)
    return c.label if c else cat


def fmt_int(n: int | str | None) -> str:
    if n is None:
        return "—"
    if isinstance(n, str):
        return n
    return f"{n:,}".replace(",", "\u202f")  # French thin space as thousands separator


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"
