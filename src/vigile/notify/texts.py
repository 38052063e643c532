"""The French wording of the letters and e-mails: categories in words, advice per exposure.

Plain language on purpose (the readers are patients, not lawyers). Keyed by the
category ids of categories.md; a category without words here is a bug caught by
the tests, so a new id cannot slip into a letter as a raw id.
"""

from __future__ import annotations

from collections.abc import Collection

from ..wording import CATEGORY_WORDS, exposed_words  # noqa: F401 (re-exported)

# Shown as "not exposed" when absent from a person's categories: the ones people fear most.
REASSURING: tuple[tuple[str, str], ...] = (
    ("nir", "votre numéro de sécurité sociale"),
    ("iban", "vos coordonnées bancaires"),
    ("password", "votre mot de passe"),
    ("health_condition", "des informations sur votre santé"),
    ("medication", "vos traitements"),
    ("email", "votre adresse électronique"),
    ("phone", "votre numéro de téléphone"),
)

# Advice per exposure (issue 5): key -> (categories that trigger it, text).
ADVICE: dict[str, tuple[frozenset[str], str]] = {
    "password": (
        frozenset({"password", "login"}),
        "Changez dès maintenant votre mot de passe du serveur de résultats, et partout où "
        "vous utilisez le même mot de passe (messagerie, banque, sites marchands).",
    ),
    "identity": (
        frozenset({"nir"}),
        "Surveillez vos courriers et relevés : signalez tout crédit ou compte ouvert à votre insu. "
        "La CNIL peut vous donner la liste des comptes bancaires ouverts à votre nom (fichier "
        "FICOBA).",
    ),
    "health": (
        frozenset({"health_condition", "medication", "lab_test", "blood_group"}),
        "Méfiez-vous des appels, courriels ou SMS qui évoquent votre santé ou vos analyses pour "
        "gagner votre confiance : nous ne vous demanderons jamais de mot de passe, de code ou de "
        "coordonnées bancaires.",
    ),
    "iban": (
        frozenset({"iban"}),
        "Surveillez les opérations de votre compte bancaire et signalez à votre banque tout "
        "prélèvement que vous ne reconnaissez pas.",
    ),
    "contact": (
        frozenset({"phone", "email", "address"}),
        "Méfiez-vous des messages inattendus qui vous pressent d'agir, de cliquer sur un lien ou "
        "de rappeler un numéro.",
    ),
}
ADVICE_ALWAYS = "verify"
ADVICE_VERIFY = (
    "En cas de doute sur un appel ou un message se présentant comme venant de nous, "
    "raccrochez et appelez-nous au numéro indiqué dans ce courrier."
)


def not_exposed_words(categories: Collection[str]) -> list[str]:
    return [words for cid, words in REASSURING if cid not in categories]


def advice_keys(categories: Collection[str]) -> list[str]:
    """Advice that applies to this exposure, plus the call-back advice every letter carries."""
    cats = set(categories)
    return [k for k, (trigger, _) in ADVICE.items() if trigger & cats] + [ADVICE_ALWAYS]


def advice_texts() -> dict[str, str]:
    return {k: text for k, (_, text) in ADVICE.items()} | {ADVICE_ALWAYS: ADVICE_VERIFY}


def french_date(iso: str) -> str:
    """'2021-02-23' or a datetime -> '23 février 2021' (no locale dependency)."""
    months = (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split()
    y, m, d = (int(x) for x in iso[:10].split("-"))
    return f"{'1er' if d == 1 else d} {months[m - 1]} {y}"
