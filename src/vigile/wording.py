"""What patients read about their exposed data, in plain French.

Shared by the letters (vigile.notify) and the self-check portal (vigile.portal) so that
a person is told the same thing on paper and on screen. Keyed by the category ids of
categories.md; a category without words here is a bug caught by the tests.
"""

from __future__ import annotations

from collections.abc import Collection

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
