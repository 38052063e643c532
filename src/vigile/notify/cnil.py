"""The draft of the CNIL's online breach notification, prefilled from the case.

Every section of the CNIL form is present and every field has a stable id. A field is
filled, in this order, from what the case establishes (incident, evidence, triage figures,
linked persons, notification log, submissions, the DPO's settings), else from the DPO's
answers recorded in the case (`vigile notify cnil --answers FILE`, YAML or JSON keyed by
field id), else it holds TODO ("à compléter"), never a guess. Each field says where its
value came from. Drafts are versions of one record: "initial" until a submission to the
CNIL is recorded (`--submitted`), "complémentaire" after; each version's digests are kept
in the case.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from ..case import EMAIL, LETTER
from ..case.clock import show_time
from .typst_render import render_pdf

CNIL_SCHEMA = "vigile.cnil-notification/2"
TODO = "à compléter"
TODO_EN = "to complete"
KINDS = ("initial", "complementary", "complete")
KIND_WORDS = {
    "fr": {
        "initial": "Notification initiale",
        "complementary": "Notification complémentaire",
        "complete": "Notification complète",
    },
    "en": {
        "initial": "Initial notification",
        "complementary": "Complementary notification",
        "complete": "Complete notification",
    },
}

# Form headings of the CNIL's data categories -> category ids of categories.md.
DATA_GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "identity": (
        "État civil, identité, données d'identification",
        "Civil status, identity, identification data",
        ("last_name", "first_name", "birth_date", "sex"),
    ),
    "nir": ("Numéro de sécurité sociale (NIR)", "Social security number (NIR)", ("nir",)),
    "contact": (
        "Coordonnées (adresse postale ou électronique, téléphone)",
        "Contact details (postal or e-mail address, phone)",
        ("address", "postcode", "city", "phone", "email"),
    ),
    "credentials": (
        "Identifiants et mots de passe",
        "Logins and passwords",
        ("login", "password"),
    ),
    "financial": (
        "Données d'ordre économique et financier",
        "Economic and financial data",
        ("iban", "insurance"),
    ),
    "connection": (
        "Données de connexion (adresses IP, journaux)",
        "Connection data (IP addresses, logs)",
        ("ip_address",),
    ),
    "professional": (
        "Vie professionnelle (professionnels de santé cités)",
        "Professional life (health professionals named)",
        ("rpps", "finess"),
    ),
    "dates": ("Dates de prise en charge", "Dates of care", ("date",)),
}
HEALTH = {
    "blood_group": ("groupe sanguin", "blood group"),
    "health_condition": ("pathologies, grossesse, handicap (commentaires)", "conditions"),
    "medication": ("traitements", "treatments"),
    "lab_test": ("analyses prescrites", "lab tests prescribed"),
}
HEALTH_KIND_WORDS = {
    "pregnancy": ("grossesse", "pregnancy"),
    "hiv": ("VIH", "HIV"),
    "disability": ("handicap", "disability"),
    "chronic_disease": ("maladie chronique", "chronic disease"),
    "mental_health": ("santé mentale", "mental health"),
    "addiction": ("addiction", "addiction"),
    "infectious_disease": ("maladie infectieuse", "infectious disease"),
    "other_condition": ("autre pathologie", "other condition"),
    "treatment": ("traitement", "treatment"),
}
SEVERITY_WORDS = {
    "low": "faible",
    "medium": "moyenne",
    "high": "élevée",
    "very_high": "très élevée",
}


class AnswersError(ValueError):
    """An answers file that cannot be used (the message names the field id, never a value)."""


def fr_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _persons(n: int, lang: str) -> str:
    if lang == "en":
        return f"{fr_int(n).replace(chr(0x202F), ',')} person{'s' if n != 1 else ''}"
    return f"{fr_int(n)} personne{'s' if n > 1 else ''}"


class _Form:
    """Collects sections of fields; each field: id, label, value, source, todo."""

    def __init__(self, lang: str, answers: dict):
        self.lang, self.answers, self.sections = lang, answers, []
        self.ids: list[str] = []

    def section(self, fr: str, en: str) -> None:
        self.sections.append({"title": fr if self.lang == "fr" else en, "fields": []})

    def field(self, fid: str, fr: str, en: str, value=None, source: str = "case") -> None:
        self.ids.append(fid)
        label = fr if self.lang == "fr" else en
        known = value not in (None, "", [], {})
        if not known and self.answers.get(fid) not in (None, ""):
            value, source, known = self.answers[fid], "answers", True
        self.sections[-1]["fields"].append(
            {
                "id": fid,
                "label": label,
                "value": value if known else (TODO if self.lang == "fr" else TODO_EN),
                "source": source if known else "todo",
                "todo": not known,
            }
        )


def field_ids(store, incident_id: int) -> list[str]:
    """Every field id of the form (what an answers file may set)."""
    return draft_cnil(store, incident_id)["field_ids"]


def draft_cnil(
    store,
    incident_id: int,
    kind: str | None = None,
    now: datetime | None = None,
    lang: str = "fr",
) -> dict:
    """The next version of the notification as a dict (schema vigile.cnil-notification/2)."""
    if lang not in ("fr", "en"):
        raise ValueError("lang must be fr or en")
    fr = lang == "fr"

    def t(a: str, b: str) -> str:
        return a if fr else b

    inc = store.incident_by_id(incident_id)
    settings = inc.settings
    tri = store.triage(incident_id) or {}
    drafts = store.cnil_drafts(incident_id)
    subs = store.cnil_submissions(incident_id)
    kind = kind or store.next_cnil_kind(incident_id)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    now = now or datetime.now(UTC)
    evidence = store.evidence(incident_id)
    affected = inc.aggregates.get("affected", {})
    by_cat: dict[str, int] = affected.get("by_category", {})
    tri_cats: dict = tri.get("categories", {})
    present = set(by_cat) | set(tri_cats)
    late_hours = (now - inc.discovered).total_seconds() / 3600 - 72
    severity = tri.get("severity", {})
    span = tri.get("time_span") or {}
    creds = tri.get("credentials") or {}
    duties = tri.get("duties") or {}
    mentions: dict = tri.get("health_mentions") or {}
    letters = store.notification_states(incident_id, LETTER)
    emails = store.notification_states(incident_id, EMAIL)
    health_present = [c for c in HEALTH if c in present]
    f = _Form(lang, dict(settings.get("cnil_answers") or {}))

    def persons_with(ids) -> int:
        return max([by_cat.get(c, 0) for c in ids] + [_int(tri_cats.get(c)) for c in ids])

    f.section("Type de notification", "Type of notification")
    f.field("type.kind", "Type", "Type", KIND_WORDS[lang][kind])
    f.field("type.version", "Version", "Version", len(drafts) + 1)
    f.field(
        "type.previous",
        "Versions précédentes",
        "Earlier versions",
        ", ".join(f"v{d.version} ({d.kind})" for d in drafts) or t("aucune", "none"),
    )
    f.field(
        "type.submissions",
        "Notifications déjà transmises à la CNIL",
        "Notifications already submitted to the CNIL",
        "; ".join(
            f"v{s.version}, {show_time(s.submitted_at, lang)}, "
            f"{t('récépissé', 'receipt')} {s.receipt}"
            for s in subs
        )
        or t("aucune", "none"),
    )

    f.section("Organisme et contact", "Organisation and contact")
    f.field("org.controller", "Responsable de traitement", "Controller", inc.controller)
    f.field("org.siren", "SIREN / SIRET", "SIREN / SIRET")
    f.field("org.address", "Adresse", "Address")
    f.field(
        "org.sector",
        "Secteur d'activité",
        "Sector",
        t("Santé — laboratoire de biologie médicale", "Health — medical biology laboratory")
        if "finess" in present or health_present
        else None,
        "triage",
    )
    dpo = ", ".join(x for x in (settings.get("dpo_name"), inc.dpo_contact) if x)
    f.field(
        "org.dpo",
        "Contact (délégué à la protection des données)",
        "Contact (data protection officer)",
        dpo,
    )
    processor = settings.get("processor")
    f.field(
        "org.processor",
        "Sous-traitant impliqué dans la violation",
        "Processor involved in the breach",
        processor,
    )

    f.section("Dates et découverte", "Dates and discovery")
    f.field("dates.start", "Début de la violation", "Start of the breach")
    f.field("dates.end", "Fin de la violation", "End of the breach")
    f.field(
        "dates.aware",
        "Prise de connaissance",
        "Awareness",
        show_time(inc.discovered, lang),
    )
    found = [e for e in evidence if e.found_where or e.found_at]
    f.field(
        "dates.discovery",
        "Moyen de découverte",
        "How it was discovered",
        "; ".join(
            t("fichier trouvé", "file found")
            + (f" {t('sur', 'on')} {e.found_where}" if e.found_where else "")
            + (f" {t('le', 'on')} {show_time(e.found_at, lang)}" if e.found_at else "")
            for e in found
        ),
        "evidence",
    )
    f.field(
        "dates.late_reasons",
        "Raisons du retard (notification après 72 h)",
        "Reasons for the delay (notification after 72 h)",
        None if late_hours > 0 else t("sans objet (dans les 72 heures)", "n/a (within 72 hours)"),
    )
    f.field(
        "dates.data_period",
        "Période couverte par les données",
        "Period covered by the data",
        f"{span['earliest']} — {span['latest']}"
        if span.get("earliest") and span.get("latest")
        else None,
        "triage",
    )

    f.section("Nature de la violation", "Nature of the breach")
    f.field(
        "nature.confidentiality",
        "Perte de confidentialité",
        "Loss of confidentiality",
        t("oui (fichier rendu accessible à des tiers)", "yes (file made accessible to others)")
        if evidence or tri
        else None,
    )
    f.field("nature.integrity", "Perte d'intégrité", "Loss of integrity")
    f.field("nature.availability", "Perte de disponibilité", "Loss of availability")

    f.section("Origine et cause", "Origin and cause")
    f.field("origin.source", "Origine (interne / externe)", "Origin (internal / external)")
    f.field(
        "origin.cause",
        "Cause (acte malveillant / erreur / autre)",
        "Cause (malicious act / error / other)",
    )
    f.field("origin.circumstances", "Circonstances", "Circumstances")
    f.field(
        "origin.evidence",
        "Éléments de preuve enregistrés",
        "Evidence recorded",
        "; ".join(
            f"{e.path} ({fr_int(e.size)} {t('octets', 'bytes')}, SHA-256 {e.sha256})"
            for e in evidence
        ),
        "evidence",
    )

    f.section("Catégories de données", "Data categories")
    for gid, (fr_label, en_label, ids) in DATA_GROUPS.items():
        n = persons_with(ids)
        if not n and not any(c in tri_cats for c in ids):
            continue
        value = t(f"oui — au moins {_persons(n, lang)}", f"yes — at least {_persons(n, lang)}")
        if gid == "credentials" and creds.get("persons_with_password"):
            plain, hashed = _int(creds.get("plain_text")), _int(creds.get("hashed_only"))
            value += t(
                f" ; mots de passe de {_persons(_int(creds['persons_with_password']), lang)}, "
                f"dont {fr_int(plain)} en clair et {fr_int(hashed)} seulement sous forme "
                "d'empreinte",
                f"; passwords of {_persons(_int(creds['persons_with_password']), lang)}, "
                f"{plain} in clear text and {hashed} only hashed",
            )
        f.field(f"data.{gid}", fr_label, en_label, value, "triage")
    if not any(fd["id"].startswith("data.") for fd in f.sections[-1]["fields"]):
        f.field("data.categories", "Catégories", "Categories")

    f.section("Données sensibles", "Sensitive data")
    kinds = [
        f"{HEALTH_KIND_WORDS.get(k, (k, k))[0 if fr else 1]} ({_persons(_int(n), lang)})"
        for k, n in mentions.items()
        if _int(n)
    ]
    f.field(
        "sensitive.health",
        "Données de santé (art. 9 RGPD)",
        "Health data (GDPR art. 9)",
        (
            t("oui — ", "yes — ")
            + ", ".join(HEALTH[c][0 if fr else 1] for c in health_present)
            + (t(" ; mentions : ", "; mentions: ") + ", ".join(kinds) if kinds else "")
        )
        if health_present
        else None,
        "triage",
    )

    f.section("Nombre de personnes et d'enregistrements", "Number of persons and records")
    f.field(
        "count.persons",
        "Personnes concernées (approximatif)",
        "Persons concerned (approximate)",
        tri.get("persons"),
        "triage",
    )
    f.field(
        "count.identified",
        "Personnes identifiées parmi nos patients",
        "Persons identified among our patients",
        inc.affected_count or None,
        "link",
    )
    f.field(
        "count.unidentified",
        "Personnes du fichier non retrouvées dans nos dossiers",
        "Persons of the file found in none of our records",
        inc.unmatched_leak_persons if inc.linked_at else None,
        "link",
    )
    f.field(
        "count.records", "Enregistrements (lignes)", "Records (rows)", tri.get("rows"), "triage"
    )

    f.section("Catégories de personnes", "Categories of persons")
    f.field(
        "persons.patients",
        "Patients",
        "Patients",
        t("oui", "yes") if tri or inc.affected_count else None,
    )
    minors = tri.get("minors")
    f.field(
        "persons.minors",
        "Mineurs",
        "Minors",
        (
            t(f"oui — {_persons(minors, lang)}", f"yes — {_persons(minors, lang)}")
            if minors
            else t("non", "no")
        )
        if "minors" in tri
        else None,
        "triage",
    )
    f.field(
        "persons.vulnerable",
        "Personnes vulnérables",
        "Vulnerable persons",
        (
            t("oui — patients (données de santé)", "yes — patients (health data)")
            + (
                t(
                    f", dont {_persons(tri['over_75'], lang)} de 75 ans et plus",
                    f", of whom {_persons(tri['over_75'], lang)} aged 75 or more",
                )
                if tri.get("over_75")
                else ""
            )
        )
        if health_present
        else None,
        "triage",
    )

    f.section("Conséquences, préjudices et gravité", "Consequences, harm and severity")
    f.field(
        "harm.consequences",
        "Conséquences",
        "Consequences",
        t("perte de confidentialité de données de santé", "loss of confidentiality of health data")
        if health_present
        else None,
        "triage",
    )
    f.field(
        "harm.possible",
        "Préjudices possibles",
        "Possible harm",
        t(
            "hameçonnage ciblé, usurpation d'identité, atteinte à la vie privée (révélation "
            "d'informations de santé)",
            "targeted phishing, identity theft, invasion of privacy (health information revealed)",
        )
        + (
            t(", prise de contrôle de comptes (mots de passe)", ", account takeover (passwords)")
            if creds.get("persons_with_password")
            else ""
        )
        if health_present
        else None,
        "triage",
    )
    f.field(
        "harm.severity",
        "Gravité (méthode ENISA)",
        "Severity (ENISA method)",
        (
            f"{severity.get('cnil_gravite')} — "
            + t("score", "score")
            + f" {severity.get('score')}"
            + (f" ({severity['formula']})" if severity.get("formula") else "")
            + (
                f", {t('niveau', 'level')} {SEVERITY_WORDS.get(severity['level'], severity['level']) if fr else severity['level'].replace('_', ' ')}"
                if severity.get("level")
                else ""
            )
        )
        if severity.get("cnil_gravite")
        else None,
        "triage",
    )

    f.section("Mesures prises", "Measures taken")
    encrypted = settings.get("data_encrypted")
    f.field(
        "measures.encrypted",
        "Les données étaient-elles chiffrées ?",
        "Were the data encrypted?",
        None
        if encrypted is None
        else (
            t("oui", "yes")
            if encrypted
            else t("non — les données étaient lisibles en clair", "no — the data were readable")
        ),
    )
    f.field("measures.before", "Mesures en place avant la violation", "Measures in place before")
    f.field(
        "measures.remedy",
        "Mesures prises pour remédier à la violation",
        "Measures taken to remedy the breach",
    )
    f.field(
        "measures.persons",
        "Mesures pour limiter les conséquences pour les personnes",
        "Measures to limit the consequences for the persons",
        t(
            "information individuelle de chaque personne (courrier et, si choisi, courriel) "
            "avec des conseils adaptés à ses données exposées, et service de vérification "
            "par code personnel",
            "individual information of every person (letter and, if chosen, e-mail) with "
            "advice suited to their exposed data, and a verification service by personal code",
        )
        if inc.affected_count
        else None,
    )
    ars = duties.get("health_incident_report") or {}
    f.field(
        "measures.ars_report",
        "Signalement à l'ARS (CERT Santé, art. L.1111-8-2 CSP)",
        "Report to the ARS (CERT Santé, art. L.1111-8-2 CSP)",
        (
            t("à effectuer sans délai", "to be made without delay")
            if ars.get("due")
            else t("non requis", "not required")
        )
        if ars
        else None,
        "triage",
    )

    f.section("Information des personnes", "Information of the persons")
    informed = (
        t("oui", "yes")
        if letters or emails
        else (t("sera faite", "will be done") if inc.affected_count else None)
    )
    channels = [
        w
        for w, log in (
            (t("courrier postal", "letter"), letters),
            (t("courrier électronique", "e-mail"), emails),
        )
        if log
    ]
    f.field(
        "inform.done",
        "Les personnes ont-elles été informées ?",
        "Have the persons been informed?",
        informed,
    )
    f.field("inform.means", "Moyen", "Means", ", ".join(channels))
    rendered = sum(s != "planned" for s in letters.values())
    f.field("inform.letters", "Courriers produits", "Letters produced", rendered or None)
    f.field(
        "inform.emails",
        "Courriels envoyés",
        "E-mails sent",
        sum(s == "sent" for s in emails.values()) or None,
    )
    f.field(
        "inform.portal",
        "Service de vérification pour les personnes",
        "Verification service for persons",
        settings.get("portal_url"),
    )
    f.field(
        "inform.text",
        "Texte de l'information",
        "Text of the information",
        t(
            "modèle de courrier joint (vigile notify letters)",
            "letter template attached (vigile notify letters)",
        )
        if letters
        else None,
    )

    f.section("Aspects transfrontaliers", "Cross-border aspects")
    f.field(
        "cross_border.states",
        "Personnes concernées dans d'autres États de l'UE",
        "Persons concerned in other EU states",
    )
    f.field(
        "cross_border.authorities",
        "Autres autorités notifiées",
        "Other authorities notified",
    )

    fields = [x for s in f.sections for x in s["fields"]]
    return {
        "schema": CNIL_SCHEMA,
        "lang": lang,
        "incident": {"id": inc.id, "name": inc.name},
        "kind": kind,
        "kind_words": KIND_WORDS[lang][kind],
        "version": len(drafts) + 1,
        "drafted_at": now.astimezone(UTC).isoformat(),
        "drafted_at_words": show_time(now, lang),
        "fields_to_complete": sum(x["todo"] for x in fields),
        "field_ids": f.ids,
        "sections": f.sections,
        "labels": {
            "title": t(
                "Notification d'une violation de données personnelles à la CNIL",
                "Notification of a personal data breach to the CNIL",
            ),
            "prepared": t("Brouillon préparé par vigile", "Draft prepared by vigile"),
            "incident": t("Incident\u00a0:", "Incident:"),
            "todo": t("Champs à compléter\u00a0:", "Fields to complete:"),
        },
    }


def _int(value) -> int:
    """Triage suppresses small figures as "<10": count them as unknown (0) here."""
    return value if isinstance(value, int) else 0


def load_answers(path: str | Path, known_ids: list[str]) -> dict:
    """An answers file (YAML or JSON mapping field id -> text, number or yes/no)."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AnswersError(f"cannot read answers file {p} ({type(e).__name__})") from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise AnswersError(
            f"{p} is not valid {'JSON' if p.suffix == '.json' else 'YAML'}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswersError(f"{p} must map field ids to answers (see cnil-answers-template.yaml)")
    unknown = sorted(str(k) for k in data if k not in known_ids)
    if unknown:
        raise AnswersError(
            f"unknown field ids in {p}: {', '.join(unknown[:5])}; the ids are listed in "
            "cnil-answers-template.yaml beside the draft"
        )
    out = {}
    for k, v in data.items():
        if v is None or (isinstance(v, str) and not v.strip()):
            continue  # left empty, as the template says: the field stays "à compléter"
        if isinstance(v, bool):
            v = "oui" if v else "non"
        if not isinstance(v, str | int | float) or (isinstance(v, str) and len(v) > 4000):
            raise AnswersError(f"{p}: the answer to {k} must be a text, a number or yes/no")
        out[k] = v
    return out


def answers_template(draft: dict) -> str:
    """A YAML skeleton of the fields still to complete, for the DPO to fill in."""
    lines = [
        "# Answers to the CNIL form's fields vigile cannot establish.",
        "# Fill in, then: vigile notify cnil --answers THIS_FILE --out DIR",
        "# (keys are field ids; leave a field empty to keep it 'à compléter')",
    ]
    for s in draft["sections"]:
        todo = [x for x in s["fields"] if x["todo"] or x["source"] == "answers"]
        if todo:
            lines.append(f"\n# {s['title']}")
            for x in todo:
                current = "" if x["todo"] else json.dumps(x["value"], ensure_ascii=False)
                lines.append(f"{x['id']}: {current}  # {x['label']}")
    return "\n".join(lines) + "\n"


def write_cnil(
    store, incident_id: int, out_dir, kind: str | None = None, lang: str = "fr"
) -> tuple[Path, Path]:
    """Write cnil-notification-vN.json and .pdf (and the answers template); record the
    version in the case."""
    draft = draft_cnil(store, incident_id, kind, lang=lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"cnil-notification-v{draft['version']}"
    text = json.dumps(draft, ensure_ascii=False, indent=2)
    pdf = render_pdf("cnil.typ", draft)
    version = store.record_cnil_draft(
        incident_id,
        draft["kind"],
        hashlib.sha256(text.encode()).hexdigest(),
        hashlib.sha256(pdf).hexdigest(),
    )
    if version != draft["version"]:  # another operator drafted meanwhile: take the next name
        stem = out / f"cnil-notification-v{version}"
        draft["version"] = version
        text = json.dumps(draft, ensure_ascii=False, indent=2)
        pdf = render_pdf("cnil.typ", draft)
    stem.with_suffix(".json").write_text(text, encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(pdf)
    (out / "cnil-answers-template.yaml").write_text(answers_template(draft), encoding="utf-8")
    return stem.with_suffix(".json"), stem.with_suffix(".pdf")
