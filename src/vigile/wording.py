"""What patients read about their exposed data, in plain French.

Shared by the letters and e-mails (vigile.notify) and the self-check portal and its
attestation (vigile.portal): `describe` turns one person's exposure record into the
words every channel prints, so a person is told the same thing on paper, by e-mail and
on screen. Keyed by the category ids of categories.md; a category without words here is
a bug caught by the tests.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

# What was exposed, in the reader's words. Address parts merge into one line.
CATEGORY_WORDS: dict[str, str] = {
    "nir": "votre numéro de sécurité sociale",
    "last_name": "votre nom",
    "first_name": "votre prénom",
    "birth_date": "votre date de naissance",
    "sex": "votre sexe",
    "address": "votre adresse postale",
    "postcode": "votre adresse postale",
    "city": "votre adresse postale",
    "phone": "votre numéro de téléphone",
    "email": "votre adresse électronique",
    "iban": "vos coordonnées bancaires (IBAN)",
    "insurance": "le nom de votre mutuelle ou votre numéro d'adhérent",
    "blood_group": "votre groupe sanguin",
    "health_condition": "des informations sur votre santé (maladie, grossesse, handicap…)",
    "medication": "des informations sur vos traitements",
    "lab_test": "les analyses qui vous ont été prescrites",
    "rpps": "le nom ou l'identifiant de votre médecin prescripteur",
    "finess": "l'établissement qui vous a pris en charge",
    "login": "votre identifiant de connexion au serveur de résultats",
    "password": "votre mot de passe du serveur de résultats",
    "ip_address": "une adresse IP de connexion",
    "date": "les dates de vos prélèvements ou rendez-vous",
}


def exposed_words(categories: Collection[str], strict: bool = True) -> list[str]:
    """The person's exposed categories in words, in categories.md order, without repeats.
    Unknown ids raise (`strict`) or are skipped, never shown raw."""
    out: list[str] = []
    for cid in CATEGORY_WORDS:
        if cid in categories and CATEGORY_WORDS[cid] not in out:
            out.append(CATEGORY_WORDS[cid])
    unknown = set(categories) - set(CATEGORY_WORDS)
    if unknown and strict:
        raise ValueError(f"no French wording for category ids {sorted(unknown)}")
    return out


# Categories that reveal something about a person's health (art. 9 GDPR).
HEALTH_CATEGORIES = frozenset({"health_condition", "medication", "lab_test", "blood_group"})

# Said as "not exposed" when absent from a person's categories: what people fear most.
# A line is said only when none of its categories was exposed (a person whose rows held
# lab results is never told the file held nothing about their health).
REASSURING: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"nir"}), "votre numéro de sécurité sociale"),
    (frozenset({"iban"}), "vos coordonnées bancaires"),
    (frozenset({"password"}), "votre mot de passe"),
    (HEALTH_CATEGORIES, "des informations sur votre santé"),
    (frozenset({"email"}), "votre adresse électronique"),
    (frozenset({"phone"}), "votre numéro de téléphone"),
)

# Advice per exposure: key -> (categories that trigger it, text). One list for every
# channel.
ADVICE: dict[str, tuple[frozenset[str], str]] = {
    "password": (
        frozenset({"password", "login"}),
        "Changez dès maintenant votre mot de passe du serveur de résultats, et partout où "
        "vous utilisez le même mot de passe (messagerie, banque, sites marchands).",
    ),
    "identity": (
        frozenset({"nir"}),
        "Surveillez vos courriers et relevés : signalez tout crédit ou compte ouvert à votre "
        "insu. La CNIL peut vous donner la liste des comptes bancaires ouverts à votre nom "
        "(fichier FICOBA).",
    ),
    "health": (
        HEALTH_CATEGORIES,
        "Méfiez-vous des appels, courriels ou SMS qui évoquent votre santé ou vos analyses "
        "pour gagner votre confiance : nous ne vous demanderons jamais de mot de passe, de "
        "code ou de coordonnées bancaires. Si quelqu'un s'en sert pour faire pression sur "
        "vous, ne payez rien et portez plainte.",
    ),
    "iban": (
        frozenset({"iban"}),
        "Surveillez les opérations de votre compte bancaire et signalez à votre banque tout "
        "prélèvement que vous ne reconnaissez pas.",
    ),
    "contact": (
        frozenset({"phone", "email", "address"}),
        "Méfiez-vous des messages inattendus qui vous pressent d'agir, de cliquer sur un lien "
        "ou de rappeler un numéro.",
    ),
}
ADVICE_ALWAYS = "verify"
ADVICE_VERIFY = (
    "En cas de doute sur un appel ou un message se présentant comme venant de nous, "
    "raccrochez et appelez-nous au numéro indiqué dans ce courrier. Pour signaler une "
    "escroquerie : 17Cyber (17cyber.gouv.fr) ou le commissariat."
)
PASSWORD_WORDS = {
    "plain": "votre mot de passe du serveur de résultats, lisible en clair",
    "hashed": "votre mot de passe du serveur de résultats, sous forme chiffrée (empreinte)",
}


@dataclass(frozen=True)
class ExposureText:
    """What every channel says about one person's exposure (same words everywhere)."""

    exposed: tuple[str, ...]  # what the file held about the person
    not_exposed: tuple[str, ...]  # reassuring lines: what it did not hold
    advice: tuple[str, ...]  # advice keys of ADVICE, then ADVICE_ALWAYS
    health: bool  # the person's rows revealed something about their health

    def advice_texts(self) -> list[str]:
        return [advice_text(k) for k in self.advice]

    def to_json(self) -> dict:
        return {
            "exposed": list(self.exposed),
            "not_exposed": list(self.not_exposed),
            "advice": list(self.advice),
            "health": self.health,
        }


def advice_text(key: str) -> str:
    return ADVICE_VERIFY if key == ADVICE_ALWAYS else ADVICE[key][1]


def describe(categories: Collection[str], password: str | None = None) -> ExposureText:
    """The words for an exposure record: its categories and the form of its password
    ("plain", "hashed" or unknown). Unknown category ids raise (never shown raw)."""
    cats = frozenset(categories)
    words = exposed_words(cats)
    if "password" in cats and password in PASSWORD_WORDS:
        words = [PASSWORD_WORDS[password] if w == CATEGORY_WORDS["password"] else w for w in words]
    return ExposureText(
        exposed=tuple(words),
        not_exposed=tuple(w for trig, w in REASSURING if not trig & cats),
        advice=tuple(k for k, (trig, _) in ADVICE.items() if trig & cats) + (ADVICE_ALWAYS,),
        health=bool(HEALTH_CATEGORIES & cats),
    )
