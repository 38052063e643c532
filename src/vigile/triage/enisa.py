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
from .labels import GRAVITE_FR, LEVEL_LABELS, fmt_dec, fr_typo

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
    reasons: tuple[str, ...]  # English
    reasons_fr: tuple[str, ...] = ()  # the same reasons in French, one for one

    def reasons_in(self, lang: str = "fr") -> tuple[str, ...]:
        """The reasons in French (default) or English; English when no French was given."""
        return self.reasons_fr if lang == "fr" and self.reasons_fr else self.reasons

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "reasons": list(self.reasons),
            "reasons_fr": list(self.reasons_fr or self.reasons),
        }


def _factor(name: str, value: float, reasons: list[tuple[str, str]]) -> Factor:
    """A factor from (English, French) reason pairs."""
    return Factor(
        name, value, tuple(en for en, _ in reasons), tuple(fr_typo(fr) for _, fr in reasons)
    )


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

    def formula_in(self, lang: str = "fr") -> str:
        """The formula with the decimal comma in French: '3 × 0,75 + 0,5 = 2,75'."""
        if lang != "fr":
            return self.formula
        parts = [fmt_dec(x) for x in (self.dpc.value, self.ei.value, self.cb.value, self.score)]
        return "{} × {} + {} = {}".format(*parts)

    def to_json(self) -> dict:
        return {
            "method": "ENISA 2013 (SE = DPC × EI + CB)",
            "score": self.score,
            "level": self.level,
            "cnil_gravite": self.gravite,
            "level_fr": LEVEL_LABELS["fr"][self.level],
            "cnil_gravite_fr": GRAVITE_FR.get(self.gravite, self.gravite),
            "formula": self.formula,
            "formula_fr": self.formula_in("fr"),
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
    candidates: list[tuple[int, str, str]] = []  # (score, English, French)
    if "health" in classes:
        if health_conditions or "health_condition" in present:
            candidates.append(
                (
                    4,
                    "sensitive data (health, GDPR art. 9): basic score 4, kept at 4 because "
                    "actual conditions are revealed (diagnoses, pregnancy, HIV...)",
                    "données sensibles (santé, art. 9 du RGPD) : score de base 4, maintenu à 4 "
                    "car des pathologies sont révélées (diagnostics, grossesse, VIH…)",
                )
            )
        elif present & {"medication", "lab_test"}:
            candidates.append(
                (
                    3,
                    "sensitive data (health): basic score 4, -1 because treatments or requested "
                    "analyses allow assumptions about specific conditions without stating them",
                    "données sensibles (santé) : score de base 4, −1 car les traitements ou les "
                    "analyses prescrites laissent supposer des pathologies précises sans les "
                    "nommer",
                )
            )
        else:
            candidates.append(
                (
                    2,
                    "sensitive data (health): basic score 4, -2 because only general health "
                    "data (e.g. blood group) is exposed, allowing general assumptions",
                    "données sensibles (santé) : score de base 4, −2 car seules des données de "
                    "santé générales (p. ex. le groupe sanguin) sont exposées, qui ne permettent "
                    "que des suppositions générales",
                )
            )
    if "credential" in classes:
        if health_context:
            candidates.append(
                (
                    4,
                    "credentials inherit the category of what they open: a results server of a "
                    "health establishment or lab gives access to health data (4)",
                    "les identifiants de connexion prennent la catégorie de ce qu'ils ouvrent : "
                    "le serveur de résultats d'un établissement de santé ou d'un laboratoire "
                    "donne accès à des données de santé (4)",
                )
            )
        else:
            candidates.append(
                (
                    1,
                    "credentials of a service of unknown content: simple data (1)",
                    "identifiants d'un service au contenu inconnu : données simples (1)",
                )
            )
    if "financial" in classes:
        if "iban" in present:
            candidates.append(
                (
                    3,
                    "financial data (bank account numbers): basic score 3",
                    "données financières (numéros de compte bancaire) : score de base 3",
                )
            )
        else:
            candidates.append(
                (
                    2,
                    "financial data (insurer and member number): basic score 3, -1 because no "
                    "balance, income or transaction is revealed",
                    "données financières (organisme complémentaire et numéro d'adhérent) : score "
                    "de base 3, −1 car aucun solde, revenu ni aucune opération n'est révélé",
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
        score = 1
        why = "simple data (identity, contact details): basic score 1"
        why_fr = "données simples (identité, coordonnées) : score de base 1"
        if health_context:
            score = 3
            why += (
                ", +2 because being a patient of a health establishment or lab "
                "allows assumptions about health status"
            )
            why_fr += (
                ", +2 car être patient d'un établissement de santé ou d'un laboratoire laisse "
                "supposer un état de santé"
            )
        if minors:
            score += 1
            why += ", +1 because vulnerable persons (minors) are among them"
            why_fr += ", +1 car des personnes vulnérables (mineurs) en font partie"
        candidates.append((min(score, 4), why, why_fr))
    if not candidates:
        return _factor(
            "DPC",
            1.0,
            [
                (
                    "no personal data category found: lowest score 1",
                    "aucune catégorie de données personnelles trouvée : score minimal 1",
                )
            ],
        )
    best = max(score for score, _, _ in candidates)
    reasons = [
        (("→ " if score == best else "") + en, ("→ " if score == best else "") + fr)
        for score, en, fr in sorted(candidates, reverse=True)
    ]
    reasons.append(
        (
            f"DPC = highest of the data types = {best}",
            f"DPC = le plus élevé des types de données = {best}",
        )
    )
    return _factor("DPC", float(best), reasons)


def ease_of_identification(categories: Collection[str]) -> Factor:
    """EI: how easily the persons can be identified from the identifiers present."""
    p = set(categories)
    full_name = {"last_name", "first_name"} <= p
    contact = bool(p & {"address", "phone", "email"})
    if "nir" in p:
        value, en, fr = (
            1.0,
            "maximum (1): the NIR (social security number) identifies each person directly",
            "maximale (1) : le NIR (numéro de sécurité sociale) identifie directement chaque "
            "personne",
        )
    elif full_name and "birth_date" in p:
        value, en, fr = (
            1.0,
            "maximum (1): full name with birth date identifies each person",
            "maximale (1) : le nom et le prénom avec la date de naissance identifient chaque "
            "personne",
        )
    elif full_name and contact:
        value, en, fr = (
            1.0,
            "maximum (1): full name with address, phone or e-mail",
            "maximale (1) : le nom et le prénom avec l'adresse, le téléphone ou l'adresse "
            "électronique",
        )
    elif full_name or ("last_name" in p and "birth_date" in p):
        value, en, fr = (
            0.75,
            "significant (0.75): names without a further unique identifier; homonyms possible",
            "importante (0,75) : des noms sans autre identifiant unique ; homonymes possibles",
        )
    elif contact or "last_name" in p or ("birth_date" in p and "postcode" in p):
        value, en, fr = (
            0.5,
            "limited (0.5): contact details or partial identity only",
            "limitée (0,5) : coordonnées ou identité partielle seulement",
        )
    else:
        value, en, fr = (
            0.25,
            "negligible (0.25): no direct identifier found",
            "négligeable (0,25) : aucun identifiant direct trouvé",
        )
    return _factor("EI", value, [(en, fr)])


def circumstances(c: Circumstances) -> Factor:
    value = 0.0
    reasons: list[tuple[str, str]] = []
    if c.unknown_recipients:
        value += 0.5
        reasons.append(
            (
                "+0.5 loss of confidentiality: data available to an unknown number of "
                "recipients (file found on a public forum)",
                "+0,5 perte de confidentialité : données accessibles à un nombre inconnu de "
                "destinataires (fichier trouvé sur un forum public)",
            )
        )
    else:
        value += 0.25
        reasons.append(
            (
                "+0.25 loss of confidentiality: data disclosed to a known number of recipients",
                "+0,25 perte de confidentialité : données divulguées à un nombre connu de "
                "destinataires",
            )
        )
    if c.malicious:
        value += 0.5
        reasons.append(
            (
                "+0.5 malicious intent: the data was taken and spread on purpose",
                "+0,5 intention malveillante : les données ont été prises et diffusées "
                "délibérément",
            )
        )
    else:
        reasons.append(
            (
                "+0 no malicious intent assumed (option)",
                "+0 pas d'intention malveillante retenue (option)",
            )
        )
    return _factor("CB", value, reasons)


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
