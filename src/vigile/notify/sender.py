"""Who the letters and e-mails come from, and the texts common to every person of an incident."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

from ..case.models import Incident
from .address import ADDRESS_ZONE, WINDOW
from .texts import advice_texts, french_date

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CNIL_POSTAL = "CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07"


class SenderError(ValueError):
    """A fact the letters need is missing (the message says which and how to give it)."""


@dataclass(frozen=True)
class Sender:
    controller: str
    dpo_contact: str
    phone: str  # a number the person can call to check the letter is genuine
    sender_lines: tuple[str, ...] = ()  # the controller's postal address, printed top left
    place: str | None = None  # town for "Rennes, le 3 mars 2021"
    signature: str = "Le délégué à la protection des données"
    measures: str = (
        "Nous avons notifié cette violation à la Commission nationale de l'informatique et des "
        "libertés (CNIL) et nous informons personnellement chaque personne concernée."
    )
    extra: dict = field(default_factory=dict)


def phone_in(text: str | None) -> str | None:
    """The first French phone number found in a text, formatted '02 99 12 34 56'."""
    for m in phonenumbers.PhoneNumberMatcher(text or "", "FR"):
        return phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return None


def email_in(text: str | None) -> str | None:
    m = _EMAIL.search(text or "")
    return m.group(0) if m else None


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
    kw = {"measures": measures} if measures else {}
    return Sender(
        controller=incident.controller,
        dpo_contact=incident.dpo_contact,
        phone=verify,
        sender_lines=tuple(sender_lines),
        place=place,
        **kw,
    )


def common_texts(incident: Incident, sender: Sender, triage: dict | None, today: date) -> dict:
    """Everything a letter says that is the same for every person of the incident."""
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
    return {
        "title": "Information sur une violation de vos données personnelles",
        "controller": sender.controller,
        "sender_lines": list(sender.sender_lines),
        "window": ADDRESS_ZONE,
        "ref_y": WINDOW["y"] + WINDOW["h"] + 3,  # reference lines: just below the window
        "place_date": f"{sender.place}, le {dated}" if sender.place else f"Le {dated}",
        "subject": "Objet : des données personnelles vous concernant ont été exposées",
        "intro": [
            "Nous vous écrivons parce que des données personnelles vous concernant, détenues "
            f"par {sender.controller}, figuraient dans un fichier qui a été copié et rendu "
            f"accessible à des personnes qui n'avaient pas le droit de les voir. {when}",
            "Ces informations pourraient être utilisées pour vous contacter en se faisant passer "
            "pour nous ou pour un organisme de santé, pour tenter d'usurper votre identité, ou "
            "révéler des éléments de votre vie privée.",
        ],
        "exposed_intro": "Pour vous, ce fichier contenait :",
        "not_exposed_intro": "Il ne contenait pas :",
        "measures": sender.measures,
        "advice_intro": "Nous vous conseillons :",
        "advice": advice_texts(),
        "code_text": (
            "Il donne accès au détail de vos données et à une attestation sur notre service de "
            "vérification, depuis notre site habituel. Gardez-le pour vous."
        ),
        "contact": (
            f"Notre délégué à la protection des données répond à vos questions : "
            f"{sender.dpo_contact}. Pour vérifier que ce courrier vient bien de nous, appelez "
            f"le {sender.phone}."
        ),
        "complaint": (
            "Vous avez le droit d'introduire une réclamation auprès de la Commission nationale "
            f"de l'informatique et des libertés : {CNIL_POSTAL}."
        ),
        "closing": (
            "Nous vous prions de nous excuser pour cette situation et vous prions d'agréer, "
            "Madame, Monsieur, l'expression de nos salutations distinguées."
        ),
        "signature": sender.signature,
    }
