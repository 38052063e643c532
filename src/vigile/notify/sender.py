"""Who the letters and e-mails come from, and the texts common to every person of an incident.

Everything here is read from the case record: the controller and DPO contact of the
incident, the portal's address and the signatory from its settings (`vigile case set`),
and whether the CNIL was notified from the recorded submissions. Nothing is assumed: a
letter never says the CNIL was notified unless a submission is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

from ..case.clock import PARIS
from ..case.models import Incident
from .address import ADDRESS_ZONE, WINDOW
from .texts import AUDIENCE, MINOR, PROTECTED, SELF, french_date, typeset

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CNIL_POSTAL = "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"
GENERIC_SIGNATURE = ("Le délégué à la protection des données",)
DEFAULT_DPO_TITLE = "Délégué(e) à la protection des données"
NO_PORTAL = (
    "the letters and e-mails print the portal's address and this case has none: set it with "
    "`vigile case set --portal-url URL`"
)


class SenderError(ValueError):
    """A fact the letters need is missing (the message says which and how to give it)."""


@dataclass(frozen=True)
class Sender:
    controller: str
    dpo_contact: str
    phone: str  # a number the person can call to check the letter is genuine
    portal_url: str = ""  # where the person uses the personal code (printed in full)
    sender_lines: tuple[str, ...] = ()  # the controller's postal address, printed top left
    place: str | None = None  # town for "Rennes, le 3 mars 2021"
    signature: tuple[str, ...] = GENERIC_SIGNATURE  # the DPO's name and title when set
    measures: str | None = None  # what the controller did, in its own words (optional)
    extra: dict = field(default_factory=dict)


def phone_in(text: str | None) -> str | None:
    """The first French phone number found in a text, formatted '02 99 12 34 56'."""
    for m in phonenumbers.PhoneNumberMatcher(text or "", "FR"):
        return phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return None


def email_in(text: str | None) -> str | None:
    m = _EMAIL.search(text or "")
    return m.group(0) if m else None


def signature_of(settings: dict) -> tuple[str, ...]:
    """The DPO's name and title from the case settings, else the generic signature."""
    name = str(settings.get("dpo_name") or "").strip()
    if not name:
        return GENERIC_SIGNATURE
    title = str(settings.get("dpo_title") or "").strip() or DEFAULT_DPO_TITLE
    return (name, title)


def sender_for(
    incident: Incident,
    *,
    phone: str | None = None,
    sender_lines: tuple[str, ...] = (),
    place: str | None = None,
    measures: str | None = None,
) -> Sender:
    """The sender from the incident, completed by explicit options. Refuses to invent."""
    if not incident.controller:
        raise SenderError(
            "the incident has no controller name: set it with `vigile case new --controller`"
        )
    if not incident.dpo_contact:
        raise SenderError("the incident has no DPO contact: set it with `vigile case new --dpo`")
    verify = phone_in(phone) if phone else phone_in(incident.dpo_contact)
    if not verify:
        raise SenderError(
            "the letters need a phone number the person can call to verify them: pass --phone "
            "or include it in the DPO contact"
        )
    settings = incident.settings or {}
    portal = str(settings.get("portal_url") or "").strip()
    if not portal:
        raise SenderError(NO_PORTAL)
    return Sender(
        controller=incident.controller,
        dpo_contact=incident.dpo_contact,
        phone=verify,
        portal_url=portal.rstrip("/"),
        sender_lines=tuple(sender_lines),
        place=place,
        signature=signature_of(settings),
        measures=measures.strip() if measures and measures.strip() else None,
    )


def cnil_notified_on(submissions) -> date | None:
    """The day (in Paris) of the first recorded CNIL submission, or None."""
    if not submissions:
        return None
    first = min(s.submitted_at for s in submissions)
    return first.astimezone(PARIS).date()


def measures_text(sender: Sender, cnil_notified: date | None) -> str:
    """What the controller did, from the record: the CNIL sentence is a fact only once a
    submission is recorded; before that the letter says the CNIL will be notified."""
    if cnil_notified is not None:
        cnil = f"Nous avons notifié cette violation à la CNIL le {french_date(cnil_notified.isoformat())}."
    else:
        cnil = (
            "Cette violation sera notifiée à la CNIL, l'autorité chargée de la protection des "
            "données personnelles."
        )
    parts = [cnil, "Nous informons personnellement chaque personne concernée."]
    if sender.measures:
        parts.append(sender.measures)
    return " ".join(parts)


def _audience_texts(
    key: str, sender: Sender, when: str, channel: str
) -> dict[str, str | list[str]]:
    """The paragraphs that change with who reads: the person, or their representatives."""
    aud = AUDIENCE[key]
    doc = "ce courrier" if channel == "letter" else "ce message"
    named = "dans l'adresse de ce courrier" if channel == "letter" else "en tête de ce message"
    held = (
        f"détenues par {sender.controller}, figuraient dans un fichier qui a été copié et rendu "
        f"accessible à des personnes qui n'avaient pas le droit de les voir. {when}"
    )
    if key == SELF:
        subject = "des données personnelles vous concernant ont été exposées"
        intro = [
            f"Nous vous écrivons parce que des données personnelles vous concernant, {held}",
            "Ces informations pourraient être utilisées pour vous contacter en se faisant passer "
            "pour nous ou pour un organisme de santé, pour tenter d'usurper votre identité, ou "
            "révéler des éléments de votre vie privée.",
        ]
        code_title = "Votre code personnel"
    else:
        whom = "l'enfant" if key == MINOR else "la personne"
        subject = f"des données personnelles de {aud.who} ont été exposées"
        intro = [
            f"Nous vous écrivons en tant que représentant légal de {whom} dont le nom figure "
            f"{named}. Des données personnelles de {aud.who}, {held}",
            f"Ces informations pourraient être utilisées pour vous contacter, vous ou {aud.who}, "
            "en se faisant passer pour nous ou pour un organisme de santé, pour tenter "
            "d'usurper son identité, ou révéler des éléments de sa vie privée.",
        ]
        code_title = f"Le code personnel de {aud.who}"
    data_of = "de vos données" if key == SELF else f"des données de {aud.who}"
    return {
        "audience": key,
        "title": "Information sur une violation "
        + (
            "de vos données personnelles"
            if key == SELF
            else f"des données personnelles de {aud.who}"
        ),
        "subject": f"Objet : {subject}",
        "data_heading": "Vos données concernées." if key == SELF else "Les données concernées.",
        "intro": intro,
        "exposed_intro": f"Pour {aud.who}, ce fichier contenait :",
        "not_exposed_intro": "Il ne contenait pas :",
        "advice_intro": "Nous vous conseillons :",
        "code_title": code_title,
        "code_label": f"{code_title} :",
        "code_where": f"indiqué en haut de {doc}",
        "code_use": (
            f"Il donne accès au détail {data_of} et à une attestation, sur notre service de "
            f"vérification : tapez vous-même l'adresse {sender.portal_url} dans votre navigateur, "
            "puis saisissez ce code (les tirets et les majuscules sont facultatifs). Gardez-le "
            "pour vous : nous ne vous le demanderons jamais, ni par téléphone ni par message."
        ),
    }


def common_texts(
    incident: Incident,
    sender: Sender,
    triage: dict | None,
    today: date,
    cnil_notified: date | None = None,
    channel: str = "letter",
) -> dict:
    """Everything a letter (or e-mail) says that is the same for every person of the
    incident, with the paragraphs of each kind of reader under "audiences"."""
    span = (triage or {}).get("time_span") or {}
    when = f"Nous en avons eu connaissance le {french_date(incident.discovered.isoformat())}."
    if span.get("earliest") and span.get("latest"):
        y1, y2 = span["earliest"][:4], span["latest"][:4]
        when += (
            f" Les informations de ce fichier datent de {y1}."
            if y1 == y2
            else f" Les informations de ce fichier datent des années {y1} à {y2}."
        )
    dated = french_date(today.isoformat())
    doc = "ce courrier" if channel == "letter" else "ce message"
    return typeset(
        {
            "title": "Information sur une violation de vos données personnelles",
            "controller": sender.controller,
            "sender_lines": list(sender.sender_lines),
            "window": ADDRESS_ZONE,
            "ref_y": WINDOW["y"] + WINDOW["h"] + 3,  # reference lines: just below the window
            "place_date": f"{sender.place}, le {dated}" if sender.place else f"Le {dated}",
            "portal_url": sender.portal_url,
            "measures": measures_text(sender, cnil_notified),
            "contact": (
                f"Notre délégué à la protection des données répond à vos questions : "
                f"{sender.dpo_contact}. Pour vérifier que {doc} vient bien de nous, appelez "
                f"le {sender.phone}."
            ),
            "complaint": (
                "Vous avez le droit d'introduire une réclamation auprès de la Commission nationale "
                f"de l'informatique et des libertés (CNIL) : {CNIL_POSTAL}."
            ),
            "closing": (
                "Nous vous prions de nous excuser pour cette situation et vous prions d'agréer, "
                "Madame, Monsieur, l'expression de nos salutations distinguées."
            ),
            "signature": list(sender.signature),
            "audiences": {
                key: _audience_texts(key, sender, when, channel) for key in (SELF, MINOR, PROTECTED)
            },
        }
    )
