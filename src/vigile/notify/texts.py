"""What only letters and e-mails need on top of `vigile.wording`: dates in words, and the
words for a reader who is not the person concerned (a minor's or a protected person's
legal representatives).

What a person's exposure *is* comes from `vigile.wording.describe` and nothing else: the
portal, the attestation, the letter and the e-mail say the same thing. When the reader is a
legal representative, the same words are said in the third person ("son numéro de
sécurité sociale" instead of "votre ..."); every phrase `describe` can say has its
third-person form below, and a phrase without one raises (the tests check them all), so
a new wording can never reach a representative half-translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..wording import ExposureText, advice_text

SELF = "self"
MINOR = "minor"
PROTECTED = "protected"
AUDIENCES = (SELF, MINOR, PROTECTED)


@dataclass(frozen=True)
class Audience:
    """Who reads the letter, and how the text names the person concerned."""

    key: str
    who: str  # "vous", "votre enfant", "la personne que vous représentez"


AUDIENCE = {
    SELF: Audience(SELF, "vous"),
    MINOR: Audience(MINOR, "votre enfant"),
    PROTECTED: Audience(PROTECTED, "la personne que vous représentez"),
}


def audience_of(person) -> str:
    """SELF, or who reads instead: a minor's or a protected person's legal representatives."""
    if getattr(person, "minor", False):
        return MINOR
    if getattr(person, "protected", False):
        return PROTECTED
    return SELF


# describe()'s phrases said of someone else ("son/sa/ses" for "votre/vos"). Keyed by the exact
# first-person phrase of vigile.wording, so a reworded phrase is caught, never half-turned.
THIRD_PERSON: dict[str, str] = {
    # exposed categories (wording.CATEGORY_WORDS)
    "votre numéro de sécurité sociale": "son numéro de sécurité sociale",
    "votre nom": "son nom",
    "votre prénom": "son prénom",
    "votre date de naissance": "sa date de naissance",
    "votre sexe": "son sexe",
    "votre adresse postale": "son adresse postale",
    "votre numéro de téléphone": "son numéro de téléphone",
    "votre adresse électronique": "son adresse électronique",
    "vos coordonnées bancaires (IBAN)": "ses coordonnées bancaires (IBAN)",
    "le nom de votre mutuelle ou votre numéro d'adhérent": (
        "le nom de sa mutuelle ou son numéro d'adhérent"
    ),
    "votre groupe sanguin": "son groupe sanguin",
    "des informations sur votre santé (maladie, grossesse, handicap…)": (
        "des informations sur sa santé (maladie, grossesse, handicap…)"
    ),
    "des informations sur vos traitements": "des informations sur ses traitements",
    "les analyses qui vous ont été prescrites": "les analyses qui lui ont été prescrites",
    "le nom ou l'identifiant de votre médecin prescripteur": (
        "le nom ou l'identifiant de son médecin prescripteur"
    ),
    "l'établissement qui vous a pris en charge": "l'établissement de sa prise en charge",
    "votre identifiant de connexion au serveur de résultats": (
        "son identifiant de connexion au serveur de résultats"
    ),
    "votre mot de passe du serveur de résultats": "son mot de passe du serveur de résultats",
    "une adresse IP de connexion": "une adresse IP de connexion",
    "les dates de vos prélèvements ou rendez-vous": "les dates de ses prélèvements ou rendez-vous",
    # the password's form (wording.PASSWORD_WORDS)
    "votre mot de passe du serveur de résultats, lisible en clair": (
        "son mot de passe du serveur de résultats, lisible en clair"
    ),
    "votre mot de passe du serveur de résultats, sous forme chiffrée (empreinte)": (
        "son mot de passe du serveur de résultats, sous forme chiffrée (empreinte)"
    ),
    # not exposed (wording.REASSURING)
    "vos coordonnées bancaires": "ses coordonnées bancaires",
    "votre mot de passe": "son mot de passe",
    "des informations sur votre santé": "des informations sur sa santé",
}

# The advice, said to a representative. {who}: "votre enfant" / "la personne que vous
# représentez". Keyed by wording's advice key; THIRD_PERSON_SOURCE pins the text each was
# written from, so a change of wording's advice shows in the tests.
THIRD_PERSON_ADVICE: dict[str, str] = {
    "password": (
        "Changez dès maintenant son mot de passe du serveur de résultats, et partout où le "
        "même mot de passe est utilisé (messagerie, banque, sites marchands)."
    ),
    "identity": (
        "Surveillez les courriers et relevés qui lui sont adressés : signalez tout crédit ou "
        "compte ouvert à son nom. La CNIL peut vous donner la liste des comptes bancaires "
        "ouverts à son nom (fichier FICOBA)."
    ),
    "health": (
        "Méfiez-vous des appels, courriels ou SMS qui évoquent sa santé ou ses analyses pour "
        "gagner votre confiance : nous ne vous demanderons jamais de mot de passe, de code ou "
        "de coordonnées bancaires. Si quelqu'un s'en sert pour faire pression sur vous ou sur "
        "{who}, ne payez rien et portez plainte."
    ),
    "iban": (
        "Surveillez les opérations de son compte bancaire et signalez à sa banque tout "
        "prélèvement que vous ne reconnaissez pas."
    ),
    "contact": (
        "Méfiez-vous des messages inattendus qui pressent d'agir, de cliquer sur un lien ou de "
        "rappeler un numéro, et mettez en garde {who}."
    ),
    "verify": None,  # said to the reader as it is: the same for a representative
}
THIRD_PERSON_SOURCE: dict[str, str] = {
    "password": "Changez dès maintenant votre mot de passe du serveur de résultats",
    "identity": "Surveillez vos courriers et relevés",
    "health": "Méfiez-vous des appels, courriels ou SMS qui évoquent votre santé",
    "iban": "Surveillez les opérations de votre compte bancaire",
    "contact": "Méfiez-vous des messages inattendus qui vous pressent d'agir",
    "verify": "En cas de doute sur un appel ou un message se présentant comme venant de nous",
}


class WordingError(ValueError):
    """A phrase of vigile.wording has no form for a legal representative (a bug)."""


def _third(phrase: str) -> str:
    try:
        return THIRD_PERSON[phrase]
    except KeyError:
        raise WordingError(
            "a phrase of vigile.wording has no third-person form in vigile.notify.texts"
        ) from None


def _advice(key: str, audience: Audience) -> str:
    if audience.key == SELF:
        return advice_text(key)
    if key not in THIRD_PERSON_ADVICE:
        raise WordingError(f"advice {key!r} has no third-person form in vigile.notify.texts")
    text = THIRD_PERSON_ADVICE[key]
    return advice_text(key) if text is None else text.format(who=audience.who)


@dataclass(frozen=True)
class Said:
    """What a letter or e-mail says about one exposure, for one kind of reader."""

    exposed: tuple[str, ...]
    not_exposed: tuple[str, ...]
    advice: tuple[str, ...]  # texts, in describe()'s order


def said(text: ExposureText, audience: str = SELF) -> Said:
    """describe()'s words for the reader: as they are, or in the third person."""
    aud = AUDIENCE[audience]
    turn = (lambda w: w) if audience == SELF else _third
    return Said(
        exposed=tuple(turn(w) for w in text.exposed),
        not_exposed=tuple(turn(w) for w in text.not_exposed),
        advice=tuple(_advice(k, aud) for k in text.advice),
    )


# French typography: a no-break space before a colon (U+00A0) and a narrow one before ; ! ?
# and inside « » (U+202F), so that no line starts with the sign. Applied to every text a
# letter or e-mail prints, vigile.wording's included.
_BEFORE_SIGN = re.compile(r" ([:;!?»])")
_AFTER_QUOTE = re.compile(r"« ")
NBSP = "\u00a0"
NNBSP = "\u202f"


def typeset(value):
    """`value` (a text, or lists and dicts of texts) with French no-break spaces."""
    if isinstance(value, str):
        value = _BEFORE_SIGN.sub(
            lambda m: (NBSP if m.group(1) == ":" else NNBSP) + m.group(1), value
        )
        return _AFTER_QUOTE.sub("«" + NNBSP, value)
    if isinstance(value, list | tuple):
        return type(value)(typeset(v) for v in value)
    if isinstance(value, dict):
        return {k: typeset(v) for k, v in value.items()}
    return value


MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()


def french_date(iso: str) -> str:
    """'2021-02-23' or a datetime's isoformat -> '23 février 2021' (no locale dependency)."""
    y, m, d = (int(x) for x in iso[:10].split("-"))
    return f"{'1er' if d == 1 else d} {MONTHS[m - 1]} {y}"
