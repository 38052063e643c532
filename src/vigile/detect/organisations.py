"""Organisations are not persons: the words of FINESS establishment names and categories.

A column of laboratory, hospital or pharmacy names is the export's origin, not anyone's
name, even under a header that says "nom" (`Nom du laboratoire`). The vocabulary below is
that of the FINESS categories and of the names establishments carry in it (ministry of
health, FINESS extraction on data.gouv.fr, Licence Ouverte): legal forms of
laboratories (SELAS, SELARL...), "LBM" (laboratoire de biologie médicale), "CH"/"CHU"
(centre hospitalier), and so on. Hand-written: no library lists it. The full FINESS
establishment list was not shipped (no packaged copy with its licence was reachable from
here); the words alone carry what detection needs.
"""

from __future__ import annotations

from vigile.detect.headers import header_tokens

# Folded words and abbreviations, each alone a sign of an establishment's name.
VALUE_WORDS = (
    "laboratoire", "laboratoires", "labo", "lbm", "biologie", "biologique", "biomedical",
    "clinique", "polyclinique", "centre", "hopital", "hopitaux", "hospitalier",
    "hospitaliere", "ch", "chu", "chr", "chru", "chi", "chs", "ghu", "ght", "aphp", "ap hp",
    "cabinet", "pharmacie", "ehpad", "usld", "ssr", "msp", "institut", "fondation",
    "selarl", "selas", "selafa", "selca", "sas", "sasu", "sarl", "eurl", "scp", "scm", "gie",
    "site", "service", "groupe hospitalier", "maison de sante", "centre de sante",
)  # fmt: skip
# One regex over folded values (words whole, ASCII boundaries: folded text is ASCII).
VALUE_REGEX = (
    r"(?-u:\b)(?:"
    + "|".join(sorted((w.replace(" ", r"\s") for w in VALUE_WORDS), key=len, reverse=True))
    + r")(?-u:\b)"
)

# Header tokens that name an establishment: a "nom" beside one of them is its name.
HEADER_WORDS = frozenset({
    "laboratoire", "labo", "lab", "lbm", "etablissement", "etab", "etabl", "structure",
    "clinique", "hopital", "pharmacie", "cabinet", "finess", "organisme", "societe",
    "entreprise", "employeur", "raison", "ehpad", "centre", "site", "service",
})  # fmt: skip


def names_organisation(header: str) -> bool:
    """The header names an establishment (`Nom du laboratoire`, `NomEtab`, `LBM_NOM`)."""
    return bool(HEADER_WORDS.intersection(header_tokens(header)))
