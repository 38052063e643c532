"""Legal duties that follow from the severity: GDPR art. 33 and 34, health-sector report.

Each duty carries its wording in English (the historical JSON fields) and in French (what
the DPO reads, and what the CNIL draft quotes), with the machine facts beside them:
recipient, legal basis, deadline in hours when the law counts in hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enisa import Severity
from .labels import GRAVITE_FR, LEVEL_LABELS, fmt_dec, fr_typo
from .labels import persons as persons_text

# Where the health-sector report is made (arrêté du 30 octobre 2017).
HEALTH_REPORT_PORTAL = "signalement.social-sante.gouv.fr"
CNIL_DEADLINE_HOURS = 72


@dataclass(frozen=True)
class DutyText:
    title: str
    deadline: str | None
    reasons: tuple[str, ...]
    description: str
    channel: str

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "deadline": self.deadline,
            "reasons": list(self.reasons),
            "description": self.description,
            "channel": self.channel,
        }


@dataclass(frozen=True)
class Duty:
    id: str  # "cnil_notification" | "inform_persons" | "health_incident_report"
    title: str
    due: bool
    deadline: str | None
    reasons: tuple[str, ...]
    # additive fields (schema vigile.triage/1 keeps the ones above as they were)
    recipient: str = ""  # "CNIL" | "persons" | "ARS"
    legal_basis: tuple[str, ...] = ()
    deadline_hours: int | None = None  # counted from awareness of the breach
    description: str = ""
    channel: str = ""
    fr: DutyText | None = None

    def text(self, lang: str = "fr") -> DutyText:
        """The duty's wording in French (default) or English."""
        if lang == "fr" and self.fr is not None:
            return self.fr
        return DutyText(self.title, self.deadline, self.reasons, self.description, self.channel)

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "due": self.due,
            "deadline": self.deadline,
            "reasons": list(self.reasons),
            "recipient": self.recipient,
            "legal_basis": list(self.legal_basis),
            "deadline_hours": self.deadline_hours,
            "description": self.description,
            "channel": self.channel,
            "fr": self.text("fr").to_json(),
        }


def _fr(title, deadline, reasons, description, channel) -> DutyText:
    return DutyText(
        fr_typo(title),
        fr_typo(deadline) if deadline else None,
        tuple(fr_typo(r) for r in reasons),
        fr_typo(description),
        fr_typo(channel),
    )


def legal_duties(
    sev: Severity, *, persons: int, health_data: bool, health_establishment: bool
) -> tuple[Duty, ...]:
    n_persons = persons
    risky = sev.level != "low"
    high = sev.level in ("high", "very_high")
    lvl = (
        f"severity {sev.level.replace('_', ' ')} (ENISA score {sev.score:g}, gravité {sev.gravite})"
    )
    lvl_fr = (
        f"sévérité {LEVEL_LABELS['fr'][sev.level]} (score ENISA {fmt_dec(sev.score)}, gravité "
        f"{GRAVITE_FR.get(sev.gravite, sev.gravite)})"
    )
    register = (
        "whatever the outcome, record the breach in the internal register (art. 33(5))",
        "quelle que soit l'issue, inscrire la violation dans le registre interne des violations "
        "(art. 33.5 du RGPD)",
    )
    if risky:
        cnil_why = [
            (
                f"{lvl}: the breach is likely to result in a risk to the persons' rights and "
                "freedoms",
                f"{lvl_fr} : la violation est susceptible d'engendrer un risque pour les droits et "
                "libertés des personnes",
            )
        ]
    else:
        cnil_why = [
            (
                f"{lvl}: a risk is unlikely on the method's score alone",
                f"{lvl_fr} : un risque est peu probable d'après le seul score de la méthode",
            )
        ]
        if health_data:
            cnil_why.append(
                (
                    "health data (GDPR art. 9) is exposed: a risk cannot be ruled out",
                    "des données de santé (art. 9 du RGPD) sont exposées : un risque ne peut pas "
                    "être exclu",
                )
            )
    cnil_why.append(register)
    cnil_desc = (
        "Notify the breach to the CNIL through its online notification service; an initial "
        "notification may be completed later by a complementary one.",
        "Notifier la violation à la CNIL par son téléservice de notification ; une notification "
        "initiale peut être complétée ensuite par une notification complémentaire.",
    )
    cnil = Duty(
        id="cnil_notification",
        title="Notification to the CNIL (GDPR art. 33)",
        due=risky or health_data,
        deadline="72 hours from awareness of the breach",
        reasons=tuple(en for en, _ in cnil_why),
        recipient="CNIL",
        legal_basis=("RGPD art. 33", "RGPD art. 33.5 (registre des violations)"),
        deadline_hours=CNIL_DEADLINE_HOURS,
        description=cnil_desc[0],
        channel="the CNIL's online breach notification service",
        fr=_fr(
            "Notification de la violation à la CNIL (art. 33 du RGPD)",
            "72 heures au plus tard après en avoir pris connaissance",
            [fr for _, fr in cnil_why],
            cnil_desc[1],
            "téléservice de notification de violations de données de la CNIL",
        ),
    )

    if high:
        persons_why = [
            (
                f"{lvl}: high risk to the persons concerned ({persons_text(n_persons, 'en')})",
                f"{lvl_fr} : risque élevé pour les personnes concernées ({persons_text(n_persons)})",
            ),
            (
                "exceptions of art. 34(3) do not apply to a file readable in clear; a public "
                "communication is allowed only if contacting each person would need "
                "disproportionate effort",
                "les exceptions de l'art. 34.3 ne s'appliquent pas à un fichier lisible en "
                "clair ; une communication publique n'est admise que si contacter chaque "
                "personne exigerait des efforts disproportionnés",
            ),
        ]
    else:
        persons_why = [
            (
                f"{lvl}: no high risk, so art. 34 does not require informing the persons",
                f"{lvl_fr} : pas de risque élevé, l'art. 34 n'impose donc pas d'informer les "
                "personnes",
            )
        ]
    persons_desc = (
        "Tell each person concerned, in clear and plain language, the nature of the breach, "
        "its likely consequences, the measures taken and the DPO's contact.",
        "Informer chaque personne concernée, en des termes clairs et simples, de la nature de "
        "la violation, de ses conséquences probables, des mesures prises et des coordonnées "
        "du délégué à la protection des données.",
    )
    persons_duty = Duty(
        id="inform_persons",
        title="Information of the persons concerned (GDPR art. 34)",
        due=high,
        deadline="without undue delay",
        reasons=tuple(en for en, _ in persons_why),
        recipient="persons",
        legal_basis=("RGPD art. 34",),
        description=persons_desc[0],
        channel="letter or e-mail to each person (public communication as a last resort)",
        fr=_fr(
            "Information des personnes concernées (art. 34 du RGPD)",
            "dans les meilleurs délais",
            [fr for _, fr in persons_why],
            persons_desc[1],
            "courrier ou courrier électronique à chaque personne (communication publique en "
            "dernier recours)",
        ),
    )

    if health_establishment:
        health_why = [
            (
                "the data comes from a health establishment or medical lab (FINESS / lab "
                "columns or health data of patients): a leak of patient data is a serious "
                "security incident of its information system (confidentiality of health data)",
                "les données proviennent d'un établissement de santé ou d'un laboratoire de "
                "biologie médicale (colonnes FINESS ou laboratoire, ou données de santé de "
                "patients) : la fuite de données de patients est un incident grave de sécurité "
                "de son système d'information (atteinte à la confidentialité des données de "
                "santé)",
            )
        ]
    else:
        health_why = [
            (
                "no health establishment or lab identified as the origin",
                "aucun établissement de santé ni laboratoire n'est identifié comme origine",
            )
        ]
    health_desc = (
        '"Signalement des incidents graves de sécurité des systèmes d\'information": health '
        "establishments, medical biology labs, radiotherapy centres, army hospitals and "
        "medico-social establishments report without delay to the director general of the "
        "regional health agency (ARS) every incident with consequences on the confidentiality "
        "or integrity of health data; the portal passes the report on to the ARS and to CERT "
        "Santé (Agence du numérique en santé).",
        "« Signalement des incidents graves de sécurité des systèmes d'information » : les "
        "établissements de santé, les laboratoires de biologie médicale, les centres de "
        "radiothérapie, les hôpitaux des armées et les établissements médico-sociaux signalent "
        "sans délai au directeur général de l'agence régionale de santé (ARS) tout incident "
        "ayant des conséquences sur la confidentialité ou l'intégrité des données de santé ; "
        "le portail transmet le signalement à l'ARS et au CERT Santé (Agence du numérique en "
        "santé).",
    )
    health = Duty(
        id="health_incident_report",
        title="Report of a serious information-system security incident to the ARS "
        "(CERT Santé), art. L.1111-8-2 and R.1111-20 ff. of the Code de la santé publique",
        due=health_establishment,
        deadline="without delay, on the portail de signalement des événements sanitaires "
        "indésirables",
        reasons=tuple(en for en, _ in health_why),
        recipient="ARS",
        legal_basis=(
            "Code de la santé publique, art. L.1111-8-2",
            "Code de la santé publique, art. R.1111-20 et suivants",
            "arrêté du 30 octobre 2017 (modalités de signalement)",
        ),
        description=health_desc[0],
        channel=f"portail de signalement des événements sanitaires indésirables "
        f"({HEALTH_REPORT_PORTAL})",
        fr=_fr(
            "Signalement de l'incident grave de sécurité des systèmes d'information à l'ARS "
            "(CERT Santé), art. L.1111-8-2 et R.1111-20 et suivants du Code de la santé publique",
            "sans délai, sur le portail de signalement des événements sanitaires indésirables",
            [fr for _, fr in health_why],
            health_desc[1],
            f"portail de signalement des événements sanitaires indésirables "
            f"({HEALTH_REPORT_PORTAL})",
        ),
    )
    return (cnil, persons_duty, health)
