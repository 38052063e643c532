"""What the portal says, in plain French: exposed data in words and advice per exposure."""

from __future__ import annotations

# Category ids of categories.md -> words a patient understands.
CATEGORY_WORDS: dict[str, str] = {
    "nir": "votre numéro de sécurité sociale",
    "last_name": "votre nom",
    "first_name": "votre prénom",
    "birth_date": "votre date de naissance",
    "sex": "votre sexe",
    "address": "votre adresse postale",
    "postcode": "votre code postal",
    "city": "votre commune",
    "phone": "votre numéro de téléphone",
    "email": "votre adresse électronique",
    "iban": "vos coordonnées bancaires (IBAN)",
    "insurance": "le nom de votre mutuelle ou votre numéro d'adhérent",
    "blood_group": "votre groupe sanguin",
    "health_condition": "des informations sur votre santé (maladie, grossesse, handicap…)",
    "medication": "des traitements ou médicaments",
    "lab_test": "les analyses demandées ou leurs résultats",
    "rpps": "l'identifiant de votre médecin prescripteur",
    "finess": "l'identifiant de l'établissement de santé",
    "login": "votre identifiant de connexion au serveur de résultats",
    "password": "votre mot de passe du serveur de résultats",
    "ip_address": "une adresse IP",
    "date": "des dates vous concernant (prélèvement, rendez-vous…)",
}

# (trigger categories, advice): shown when any trigger was exposed, in this order.
ADVICE: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset({"password", "login"}),
        "Changez tout de suite le mot de passe du serveur de résultats du laboratoire, et "
        "partout où vous utilisez le même mot de passe.",
    ),
    (
        frozenset({"nir", "iban", "insurance"}),
        "Méfiez-vous des appels, courriels ou SMS qui se présentent comme venant de "
        "l'Assurance maladie, de votre mutuelle ou de votre banque : ils ne vous demandent "
        "jamais vos codes ni vos coordonnées bancaires.",
    ),
    (
        frozenset({"iban"}),
        "Surveillez vos relevés bancaires. Vous pouvez demander à la banque de France la liste "
        "de vos comptes (fichier FICOBA) pour repérer un compte ouvert à votre nom.",
    ),
    (
        frozenset({"phone", "email", "address"}),
        "Attendez-vous à des tentatives d'escroquerie utilisant vos coordonnées : ne cliquez "
        "pas sur les liens reçus et ne rappelez pas un numéro inconnu.",
    ),
    (
        frozenset({"health_condition", "medication", "lab_test", "blood_group"}),
        "Des informations de santé vous concernant ont été exposées. Si quelqu'un vous "
        "contacte en s'en servant pour faire pression, ne payez rien et portez plainte.",
    ),
)
GENERAL_ADVICE = (
    "Le laboratoire ne vous demandera jamais votre code personnel par téléphone ou par "
    "courriel. Pour signaler une escroquerie : 17Cyber (17cyber.gouv.fr) ou le commissariat."
)


def exposed_in_words(categories: frozenset[str]) -> list[str]:
    """Stable order (the order of CATEGORY_WORDS), unknown ids skipped rather than shown raw."""
    return [words for cid, words in CATEGORY_WORDS.items() if cid in categories]


def advice_for(categories: frozenset[str]) -> list[str]:
    return [text for triggers, text in ADVICE if triggers & categories] + [GENERAL_ADVICE]
