"""What the portal says, in plain French: exposed data in words and advice per exposure."""

from __future__ import annotations

from ..wording import exposed_words

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
    """The same words as the letter; unknown ids skipped rather than shown raw."""
    return exposed_words(categories, strict=False)


def advice_for(categories: frozenset[str]) -> list[str]:
    return [text for triggers, text in ADVICE if triggers & categories] + [GENERAL_ADVICE]
