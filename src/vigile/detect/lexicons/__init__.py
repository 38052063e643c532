"""French health and identity lexicons that the detectors compile.

No package offers these lists, so they are hand-curated, stored as plain text
files in `data/` (one folded term a line, `#` comments) and loaded once, cached.
Sources followed (from memory unless noted):

- health terms: the ALD 30 list of the Assurance Maladie (art. D322-1 of the Code
  de la securite sociale) in its usual wordings and synonyms, plus the usual
  French wording of pregnancy, HIV status, disability, mental health, addiction,
  infections and other conditions met in lab comments;
- medications: French brand names and INN (DCI) of the most dispensed drugs and
  of the long-term treatments that reveal a condition (antiretrovirals, insulins,
  psychotropics, substitution drugs, anticancer drugs...);
- lab tests: NABM wording and the abbreviations printed on French lab requests;
- insurers: French mutuelles, institutions de prevoyance and insurers (AMC);
- addresses: street types and address-line-2 markers of the La Poste / AFNOR
  NF Z10-011 addressing norm;
- given names and family names: INSEE public name counts (prenoms given more than
  500 times in 1900-2018; the 10,000 most frequent family names), extracted once
  from the data files of the MIT-licensed `prenoms` package, plus the fr_FR names
  of faker that vigile.synth draws from.

The public reference lists (BDPM drugs, CIM-10 labels, the ALD list, INSEE communes and
La Poste postcodes, NABM lab tests) are in `reference` (compressed in `data/ref/`, built by `build` from
their sources, loaded lazily); the hand lists above stay for the wordings those lists lack
(abbreviations, lab-comment phrasings, kinds of condition).

Terms are matched as whole words over `fold`ed text. Terms that would fire on
ordinary lab comments or on people's names are deliberately left out (each file
says which); tests in tests/lexicons hold that line.
"""

from __future__ import annotations

from functools import cache

from .dosage import DOSAGE_REGEX
from .folding import chars_beyond_ascii, fold, fold_expr
from .loading import load_terms

__all__ = [
    "DOSAGE_REGEX",
    "HEALTH_KINDS",
    "address_extras",
    "chars_beyond_ascii",
    "credential_header_words",
    "first_names",
    "fold",
    "fold_expr",
    "health_terms",
    "insurers",
    "lab_tests",
    "last_names",
    "medications",
    "negation_cues",
    "street_types",
]

HEALTH_KINDS: tuple[str, ...] = (
    "pregnancy",
    "hiv",
    "disability",
    "chronic_disease",
    "mental_health",
    "addiction",
    "infectious_disease",
    "other_condition",
)


def health_terms() -> dict[str, tuple[str, ...]]:
    """Health kind -> folded terms and short phrases (whole-word matches).

    A new dict each call (the term tuples are cached), so a caller may edit it freely.
    """
    return {kind: load_terms(f"health/{kind}") for kind in HEALTH_KINDS}


def medications() -> tuple[str, ...]:
    """Folded drug brand names and INN (DCI)."""
    return load_terms("medications")


def lab_tests() -> tuple[str, ...]:
    """Folded lab analysis names and abbreviations."""
    return load_terms("lab_tests")


def insurers() -> tuple[str, ...]:
    """Folded names of French complementary health insurers (mutuelles, AMC)."""
    return load_terms("insurers")


@cache
def first_names() -> frozenset[str]:
    """Folded French given names, both sexes, compound forms included (jean-pierre)."""
    return frozenset(load_terms("first_names"))


@cache
def last_names() -> frozenset[str]:
    """Folded frequent French family names (multi-word ones like "le gall" kept)."""
    return frozenset(load_terms("last_names"))


def street_types() -> tuple[str, ...]:
    """Folded street types and their abbreviations (rue, av, bd, imp, lieu-dit...)."""
    return load_terms("street_types")


def address_extras() -> tuple[str, ...]:
    """Folded address-line-2 markers (batiment, appt, etage, cedex, bp...)."""
    return load_terms("address_extras")


def negation_cues() -> tuple[str, ...]:
    """Folded cues that negate the health term right after them ("pas de", "sans"...)."""
    return load_terms("negation_cues")


def credential_header_words() -> dict[str, tuple[str, ...]]:
    """{"login": (...), "password": (...)}: folded header words of credential columns."""
    return {
        "login": load_terms("credential_login"),
        "password": load_terms("credential_password"),
    }
