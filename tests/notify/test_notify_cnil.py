"""The CNIL notification draft: every form section, prefilled or marked to complete, versioned."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pypdf import PdfReader

from vigile.case import open_store
from vigile.notify import TODO, draft_cnil, write_cnil

SECTIONS = [
    "Type de notification",
    "Organisme et contact",
    "Dates et découverte",
    "Nature de la violation",
    "Origine et cause",
    "Catégories de données",
    "Données sensibles",
    "Nombre de personnes et d'enregistrements",
    "Catégories de personnes",
    "Conséquences, préjudices et gravité",
    "Mesures prises",
    "Information des personnes",
    "Aspects transfrontaliers",
]


def _fields(draft) -> dict:
    return {f["label"]: f for s in draft["sections"] for f in s["fields"]}


def test_sections_prefilled_and_unknowns_marked(case):
    url, key, iid = case
    with open_store(url, key=key) as store:
        store.save_triage(
            iid,
            {
                "rows": 40,
                "persons": 30,
                "minors": 2,
                "categories": {"nir": 30, "health_condition": 4},
                "severity": {"cnil_gravite": "maximale", "score": 4.5},
                "time_span": {"earliest": "2015-01-02", "latest": "2020-12-30"},
            },
        )
        draft = draft_cnil(store, iid, now=datetime(2021, 2, 24, tzinfo=UTC))
    assert [s["title"] for s in draft["sections"]] == SECTIONS
    f = _fields(draft)
    assert f["Responsable de traitement"]["value"] == "Laboratoire Exemple de Bretagne"
    assert f["Prise de connaissance"]["value"] == "23/02/2021 09:00 UTC"
    assert f["Personnes concernées (approximatif)"]["value"] == 30
    assert f["Personnes identifiées parmi nos patients"]["value"] == 25
    assert f["Mineurs"]["value"] == "oui — 2"
    assert f["Gravité (méthode ENISA)"]["value"].startswith("maximale")
    assert f["Données de santé (art. 9 RGPD)"]["value"].startswith("oui")
    assert f["Raisons du retard (notification après 72 h)"]["todo"] is False
    # What vigile cannot know is never invented.
    for label in ("SIREN / SIRET", "Début de la violation", "Moyen de découverte", "Cause (acte malveillant / erreur / autre)"):  # fmt: skip
        assert f[label] == {"label": label, "value": TODO, "todo": True}
    assert f["Les personnes ont-elles été informées ?"]["value"] == "sera faite"
    assert draft["fields_to_complete"] == sum(x["todo"] for x in f.values())


def test_late_notification_asks_for_reasons(case):
    url, key, iid = case
    with open_store(url, key=key) as store:
        draft = draft_cnil(store, iid, now=datetime(2021, 3, 1, tzinfo=UTC))
    assert _fields(draft)["Raisons du retard (notification après 72 h)"]["todo"] is True


def test_versions_of_one_record(case, tmp_path):
    url, key, iid = case
    with open_store(url, key=key) as store:
        js1, pdf1 = write_cnil(store, iid, tmp_path)
        # A redraft before any submission is still the initial notification.
        assert json.loads(write_cnil(store, iid, tmp_path)[0].read_text())["kind"] == "initial"
        store.record_cnil_submission(iid, datetime(2021, 2, 16, 9, tzinfo=UTC), "CNIL-1", 2)
        js2, pdf2 = write_cnil(store, iid, tmp_path)
        assert store.verify_audit()
    one, two = (json.loads(p.read_text()) for p in (js1, js2))
    assert (one["version"], one["kind"]) == (1, "initial")
    assert (two["version"], two["kind"]) == (3, "complementary")
    assert _fields(two)["Versions précédentes"]["value"] == "v1 (initial), v2 (initial)"
    text = "".join(p.extract_text() for p in PdfReader(pdf2).pages)
    assert "Notification complémentaire" in text and TODO in text
    assert "Laboratoire Exemple de Bretagne" in text
