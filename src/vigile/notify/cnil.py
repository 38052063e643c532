"""The draft of the CNIL's online breach notification, prefilled from the case.

Every section of the CNIL form is present. A field vigile can establish from the case
(incident, evidence, triage, linked persons, notification log) is filled; any other field
holds TODO ("à compléter"), never a guess. Initial and complementary notifications are
versions of the same record: each draft gets the next version number, its JSON and PDF are
written beside the earlier ones and its digest is recorded in the case's audit chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from .log import EMAIL, LETTER, latest_states
from .typst_render import render_pdf

CNIL_SCHEMA = "vigile.cnil-notification/1"
TODO = "à compléter"
KINDS = ("initial", "complementary", "complete")
KIND_WORDS = {
    "initial": "Notification initiale",
    "complementary": "Notification complémentaire",
    "complete": "Notification complète",
}

# Form headings of the CNIL's data categories -> category ids of categories.md.
DATA_GROUPS: dict[str, tuple[str, ...]] = {
    "État civil, identité, données d'identification": (
        "last_name",
        "first_name",
        "birth_date",
        "sex",
    ),
    "Numéro de sécurité sociale (NIR)": ("nir",),
    "Coordonnées (adresse postale ou électronique, téléphone)": (
        "address",
        "postcode",
        "city",
        "phone",
        "email",
    ),
    "Identifiants et mots de passe": ("login", "password"),
    "Données d'ordre économique et financier": ("iban", "insurance"),
    "Données de connexion (adresses IP, journaux)": ("ip_address",),
    "Vie professionnelle (professionnels de santé cités)": ("rpps", "finess"),
    "Dates de prise en charge": ("date",),
}
HEALTH = {
    "blood_group": "groupe sanguin",
    "health_condition": "pathologies, grossesse, handicap (commentaires)",
    "medication": "traitements",
    "lab_test": "analyses prescrites",
}


def _field(label: str, value) -> dict:
    known = value not in (None, "", [], {})
    return {"label": label, "value": value if known else TODO, "todo": not known}


def _versions(store, incident_id: int) -> list[dict]:
    return [{"version": d.version, "kind": d.kind} for d in store.cnil_drafts(incident_id)]


def _fr_datetime(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC") if dt else None


def draft_cnil(store, incident_id: int, kind: str | None = None, now: datetime | None = None):
    """The next version of the notification as a dict (schema vigile.cnil-notification/1)."""
    inc = store.incident_by_id(incident_id)
    tri = store.triage(incident_id) or {}
    earlier = _versions(store, incident_id)
    kind = kind or store.next_cnil_kind(incident_id)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    now = now or datetime.now(UTC)
    n_evidence = len(store.evidence(incident_id))
    affected = inc.aggregates.get("affected", {})
    by_cat: dict[str, int] = affected.get("by_category", {})
    tri_cats: dict = tri.get("categories", {})
    present = set(by_cat) | set(tri_cats)
    late_hours = (now - inc.discovered).total_seconds() / 3600 - 72
    severity = tri.get("severity", {})
    span = tri.get("time_span") or {}
    letters = latest_states(store, incident_id, LETTER)
    emails = latest_states(store, incident_id, EMAIL)

    def persons_with(ids) -> int | None:
        counts = [by_cat.get(c, 0) for c in ids]
        return max(counts) if counts and any(counts) else None

    data_rows = [
        _field(group, f"oui — au moins {n:,} personnes".replace(",", " ") if n else None)
        for group, ids in DATA_GROUPS.items()
        if (n := persons_with(ids)) or any(c in tri_cats for c in ids)
    ]
    health_present = [c for c in HEALTH if c in present]
    informed = "oui" if letters or emails else ("sera faite" if inc.affected_count else None)
    channels = [
        w for w, log in (("courrier postal", letters), ("courrier électronique", emails)) if log
    ]
    sections = [
        {
            "title": "Type de notification",
            "fields": [
                _field("Type", KIND_WORDS[kind]),
                _field("Version", len(earlier) + 1),
                _field(
                    "Versions précédentes",
                    ", ".join(f"v{v['version']} ({v['kind']})" for v in earlier) or "aucune",
                ),
            ],
        },
        {
            "title": "Organisme et contact",
            "fields": [
                _field("Responsable de traitement", inc.controller),
                _field("SIREN / SIRET", None),
                _field("Adresse", None),
                _field(
                    "Secteur d'activité",
                    "Santé — laboratoire de biologie médicale"
                    if "finess" in present or health_present
                    else None,
                ),
                _field("Contact (délégué à la protection des données)", inc.dpo_contact),
            ],
        },
        {
            "title": "Dates et découverte",
            "fields": [
                _field("Début de la violation", None),
                _field("Fin de la violation", None),
                _field("Prise de connaissance", _fr_datetime(inc.discovered)),
                _field("Moyen de découverte", None),
                _field(
                    "Raisons du retard (notification après 72 h)",
                    None if late_hours > 0 else "sans objet (dans les 72 heures)",
                ),
                _field(
                    "Période couverte par les données",
                    f"{span['earliest']} — {span['latest']}"
                    if span.get("earliest") and span.get("latest")
                    else None,
                ),
            ],
        },
        {
            "title": "Nature de la violation",
            "fields": [
                _field(
                    "Perte de confidentialité",
                    "oui (fichier rendu accessible à des tiers)" if n_evidence or tri else None,
                ),
                _field("Perte d'intégrité", None),
                _field("Perte de disponibilité", None),
            ],
        },
        {
            "title": "Origine et cause",
            "fields": [
                _field("Origine (interne / externe)", None),
                _field("Cause (acte malveillant / erreur / autre)", None),
                _field("Circonstances", None),
                _field(
                    "Éléments de preuve enregistrés",
                    f"{n_evidence} fichier(s), empreintes SHA-256 conservées dans le dossier"
                    if n_evidence
                    else None,
                ),
            ],
        },
        {
            "title": "Catégories de données",
            "fields": data_rows or [_field("Catégories", None)],
        },
        {
            "title": "Données sensibles",
            "fields": [
                _field(
                    "Données de santé (art. 9 RGPD)",
                    "oui — " + ", ".join(HEALTH[c] for c in health_present)
                    if health_present
                    else None,
                ),
            ],
        },
        {
            "title": "Nombre de personnes et d'enregistrements",
            "fields": [
                _field("Personnes concernées (approximatif)", tri.get("persons")),
                _field("Personnes identifiées parmi nos patients", inc.affected_count or None),
                _field("Enregistrements (lignes)", tri.get("rows")),
            ],
        },
        {
            "title": "Catégories de personnes",
            "fields": [
                _field("Patients", "oui" if inc.affected_count or tri else None),
                _field("Mineurs", f"oui — {tri['minors']}" if tri.get("minors") else None),
                _field("Personnes vulnérables", None),
            ],
        },
        {
            "title": "Conséquences, préjudices et gravité",
            "fields": [
                _field(
                    "Conséquences",
                    "perte de confidentialité de données de santé" if health_present else None,
                ),
                _field(
                    "Préjudices possibles",
                    "hameçonnage ciblé, usurpation d'identité, atteinte à la vie privée "
                    "(révélation d'informations de santé)"
                    if health_present
                    else None,
                ),
                _field(
                    "Gravité (méthode ENISA)",
                    f"{severity.get('cnil_gravite')} — score {severity.get('score')}"
                    if severity.get("cnil_gravite")
                    else None,
                ),
            ],
        },
        {
            "title": "Mesures prises",
            "fields": [
                _field("Mesures en place avant la violation", None),
                _field("Mesures prises pour remédier à la violation", None),
                _field(
                    "Mesures pour limiter les conséquences pour les personnes",
                    "information individuelle de chaque personne (courrier et, si choisi, "
                    "courriel) avec des conseils adaptés à ses données exposées"
                    if inc.affected_count
                    else None,
                ),
            ],
        },
        {
            "title": "Information des personnes",
            "fields": [
                _field("Les personnes ont-elles été informées ?", informed),
                _field("Moyen", ", ".join(channels) if channels else None),
                _field("Courriers produits", len(letters) or None),
                _field("Courriels envoyés", sum(s == "sent" for s in emails.values()) or None),
                _field(
                    "Texte de l'information",
                    "modèle de courrier joint (vigile notify letters)" if letters else None,
                ),
            ],
        },
        {
            "title": "Aspects transfrontaliers",
            "fields": [
                _field("Personnes concernées dans d'autres États de l'UE", None),
                _field("Autres autorités notifiées", None),
            ],
        },
    ]
    todo = sum(f["todo"] for s in sections for f in s["fields"])
    return {
        "schema": CNIL_SCHEMA,
        "incident": {"id": inc.id, "name": inc.name},
        "kind": kind,
        "version": len(earlier) + 1,
        "drafted_at": now.astimezone(UTC).isoformat(),
        "fields_to_complete": todo,
        "sections": sections,
    }


def write_cnil(store, incident_id: int, out_dir, kind: str | None = None) -> tuple[Path, Path]:
    """Write cnil-notification-vN.json and .pdf; record the version in the audit chain."""
    draft = draft_cnil(store, incident_id, kind)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"cnil-notification-v{draft['version']}"
    text = json.dumps(draft, ensure_ascii=False, indent=2)
    pdf = render_pdf("cnil.typ", draft)
    stem.with_suffix(".json").write_text(text, encoding="utf-8")
    stem.with_suffix(".pdf").write_bytes(pdf)
    store.record_cnil_draft(
        incident_id,
        draft["kind"],
        hashlib.sha256(text.encode()).hexdigest(),
        hashlib.sha256(pdf).hexdigest(),
    )
    return stem.with_suffix(".json"), stem.with_suffix(".pdf")
