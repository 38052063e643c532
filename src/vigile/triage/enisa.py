"""Severity of a personal data breach by the ENISA 2013 method.

SE = DPC x EI + CB (ENISA, "Recommendations for a methodology of the
assessment of severity of personal data breaches", v1.0, December 2013).
Pure arithmetic: every factor comes with the reason it got its value. All
scores are multiples of 0.25, so float arithmetic is exact here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..categories import CATEGORIES

LEVELS = ("low", "medium", "high", "very_high")
# The CNIL notification form's "gravité" scale, level by level.
CNIL_GRAVITE = {
    "low": "négligeable",
    "medium": "limité",
    "high": "important",
    "very_high": "maximal",
}


@dataclass(frozen=True)
class Circumstances:
    """Circumstances of the breach (CB): options the user can change."""

    unknown_recipients: bool = True  # confidentiality lost to an unknown number of recipients
    malicious: bool = True  # the breach was intentional and malicious


@dataclass(frozen=True)
class Factor:
    name: str  # "DPC", "EI", "CB"
    value: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict:
        return {"value": self.value, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Severity:
    score: float
    level: str  # low | medium | high | very_high
    gravite: str  # CNIL wording
    dpc: Factor
    ei: Factor
    cb: Factor

    @property
    def formula(self) -> str:
        return f"{self.dpc.value:g} × {self.ei.value:g} + {self.cb.value:g} = {self.score:g}"

    def to_json(self) -> dict:
        return {
            "method": "ENISA 2013 (SE = DPC × EI + CB)",
            "score": self.score,
            "level": self.level,
            "cnil_gravite": self.gravite,
            "formula": self.formula,
            "factors": {
                "DPC": self.dpc.to_json(),
                "EI": self.ei.to_json(),
                "CB": self.cb.to_json(),
            },
        }


def level_of(score: float) -> str:
    """Bands: low < 2 <= medium < 3 <= high < 4 <= very high."""
    if score < 2:
        return "low"
    if score < 3:
        return "medium"
    if score < 4:
        return "high"
    return "very_high"


def data_processing_context(
    categories: Collection[str],
    *,
    health_conditions: bool = False,
    health_context: bool = False,
    minors: bool = False,
) -> Factor:
    """DPC: the most critical data type present, with the method's adjustments.

    categories: ids exposed for at least one person. health_conditions: actual
    conditions are revealed (diagnoses, pregnancy, HIV...), not only tests or
    treatments. health_context: the controller is a health establishment or lab.
    """
    present = set(categories)
    classes = {CATEGORIES[c].gdpr_class for c in present if c in CATEGORIES}
    candidates: list[tuple[int, str]] = []
    if "health" in classes:
        if health_conditions or "health_condition" in present:
            candidates.append(
                (
                    4,
                    "sensitive data (health, GDPR art. 9): basic score 4, kept at 4 because "
                    "actual conditions are revealed (diagnoses, pregnancy, HIV...)",
                )
            )
        elif present & {"medication", "lab_test"}:
            candidates.append(
                (
                    3,
                    "sensitive data (health): basic score 4, -1 because treatments or requested "
                    "analyses allow assumptions about specific conditions without stating them",
                )
            )
        else:
            candidates.append(
                (
                    2,
                    "sensitive data (health): basic score 4, -2 because only general health "
                    "data (e.g. blood group) is exposed, allowing general assumptions",
                )
            )
    if "credential" in classes:
        if health_context:
            candidates.append(
                (
                    4,
                    "credentials inherit the category of what they open: a results server of a "
                    "health establishment or lab gives access to health data (4)",
                )
            )
        else:
            candidates.append((1, "credentials of a service of unknown content: simple data (1)"))
    if "financial" in classes:
        if "iban" in present:
            candidates.append((3, "financial data (bank account numbers): basic score 3"))
        else:
            candidates.append(
                (
                    2,
                    "financial data (insurer and member number): basic score 3, -1 because no "
                    "balance, income or transaction is revealed",
                )
            )
    if classes & {
        "identifier",
        "identity",
        "contact",
        "professional",
        "technical",
        "quasi-identifier",
    }:
        score, why = 1, "simple data (identity, contact details): basic score 1"
        if health_context:
            score, why = (
                3,
                why + ", +2 because being a patient of a health establishment or lab "
                "allows assumptions about health status",
            )
        if minors:
            score += 1
            why += ", +1 because vulnerable persons (minors) are among them"
        candidates.append((min(score, 4), why))
    if not candidates:
        return Factor("DPC", 1.0, ("no personal data category found: lowest score 1",))
    best = max(score for score, _ in candidates)
    reasons = tuple(
        ("→ " if score == best else "") + f"{why}"
        for score, why in sorted(candidates, reverse=True)
    )
    return Factor("DPC", float(best), reasons + (f"DPC = highest of the data types = {best}",))


def ease_of_identification(categories: Collection[str]) -> Factor:
    """EI: how easily the persons can be identified from the identifiers present."""
    p = set(categories)
    full_name = {"last_name", "first_name"} <= p
    contact = bool(p & {"address", "phone", "email"})
    if "nir" in p:
        return Factor(
            "EI",
            1.0,
            ("maximum (1): the NIR (social security number) identifies each person directly",),
        )
    if full_name and "birth_date" in p:
        return Factor("EI", 1.0, ("maximum (1): full name with birth date identifies each person",))
    if full_name and contact:
        return Factor("EI", 1.0, ("maximum (1): full name with address, phone or e-mail",))
    if full_name or ("last_name" in p and "birth_date" in p):
        return Factor(
            "EI",
            0.75,
            ("significant (0.75): names without a further unique identifier; homonyms possible",),
        )
    if contact or "last_name" in p or ("birth_date" in p and "postcode" in p):
        return Factor("EI", 0.5, ("limited (0.5): contact details or partial identity only",))
    return Factor("EI", 0.25, ("negligible (0.25): no direct identifier found",))


def circumstances(c: Circumstances) -> Factor:
    value = 0.0
    reasons: list[str] = []
    if c.unknown_recipients:
        value += 0.5
        reasons.append(
            "+0.5 loss of confidentiality: data available to an unknown number of "
            "recipients (file found on a public forum)"
        )
    else:
        value += 0.25
        reasons.append(
            "+0.25 loss of confidentiality: data disclosed to a known number of recipients"
        )
    if c.malicious:
        value += 0.5
        reasons.append("+0.5 malicious intent: the data was taken and spread on purpose")
    else:
        reasons.append("+0 no malicious intent assumed (option)")
    return Factor("CB", value, tuple(reasons))


def severity(dpc: Factor, ei: Factor, cb: Factor) -> Severity:
    score = dpc.value * ei.value + cb.value
    level = level_of(score)
    return Severity(score=score, level=level, gravite=CNIL_GRAVITE[level], dpc=dpc, ei=ei, cb=cb)


def assess(
    categories: Collection[str],
    circumstances_: Circumstances = Circumstances(),
    *,
    health_conditions: bool = False,
    health_context: bool = False,
    minors: bool = False,
) -> Severity:
    return severity(
        data_processing_context(
            categories,
            health_conditions=health_conditions,
            health_context=health_context,
            minors=minors,
        ),
        ease_of_identification(categories),
        circumstances(circumstances_),
    )
