"""The CNIL notification draft: every form section, prefilled or marked to complete, versioned."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
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
    # Paris time with its zone (regression, issue 12: the clock was shown in UTC).
    assert f["Prise de connaissance"]["value"] == "23/02/2021 10:00 (heure de Paris, UTC+01:00)"
    assert f["Personnes concernées (approximatif)"]["value"] == 30
    assert f["Personnes identifiées parmi nos patients"]["value"] == 25
    assert f["Mineurs"]["value"] == "oui — 2 personnes"
    assert f["Gravité (méthode ENISA)"]["value"].startswith("maximale")
    assert f["Données de santé (art. 9 RGPD)"]["value"].startswith("oui")
    assert f["Raisons du retard (notification après 72 h)"]["todo"] is False
    # What vigile cannot know is never invented.
    for label in ("SIREN / SIRET", "Début de la violation", "Moyen de découverte", "Cause (acte malveillant / erreur / autre)"):  # fmt: skip
        assert (f[label]["value"], f[label]["todo"], f[label]["source"]) == (TODO, True, "todo")
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


def _triage_json(tmp_path, rows=1500, seed=5) -> dict:
    from vigile.synth import ExportSpec, generate_lab_export
    from vigile.triage import render, triage_path

    leak = tmp_path / "leak.csv"
    generate_lab_export(ExportSpec(rows=rows, seed=seed), leak)
    return json.loads(render(triage_path([leak]), "json")), leak


def test_every_triage_figure_reaches_the_draft(case, tmp_path):
    # Regression (issue 12): triage never reached the case, so the draft left blank what
    # triage knew (minors, severity, records, time span, evidence, ARS report).
    url, key, iid = case
    tri, leak = _triage_json(tmp_path)
    with open_store(url, key=key) as store:
        store.save_triage(iid, tri)
        store.add_evidence(
            iid, leak.name, tri["inputs"][0]["sha256"], tri["inputs"][0]["size"],
            found_where="forum example", found_at=datetime(2021, 2, 22, 18, tzinfo=UTC),
        )  # fmt: skip
        f = _fields(draft_cnil(store, iid))
    sp = "\u202f"
    assert f["Personnes concernées (approximatif)"]["value"] == tri["persons"]
    assert f["Enregistrements (lignes)"]["value"] == tri["rows"]
    assert f["Mineurs"]["value"] == f"oui — {tri['minors']:,} personnes".replace(",", sp)
    assert f"{tri['over_75']:,}".replace(",", sp) in f["Personnes vulnérables"]["value"]
    sev = tri["severity"]
    assert f["Gravité (méthode ENISA)"]["value"].startswith(
        f"{sev['cnil_gravite']} — score {sev['score']}"
    )
    span = tri["time_span"]
    assert (
        f["Période couverte par les données"]["value"] == f"{span['earliest']} — {span['latest']}"
    )
    assert tri["inputs"][0]["sha256"] in f["Éléments de preuve enregistrés"]["value"]
    assert "forum example" in f["Moyen de découverte"]["value"]
    assert "heure de Paris" in f["Moyen de découverte"]["value"]
    ars = f["Signalement à l'ARS (CERT Santé, art. L.1111-8-2 CSP)"]["value"]
    assert ars == (
        "à effectuer sans délai" if tri["duties"]["health_incident_report"]["due"] else "non requis"
    )
    creds = f["Identifiants et mots de passe"]["value"]
    assert f"{tri['credentials']['plain_text']:,}".replace(",", sp) + " en clair" in creds
    health = f["Données de santé (art. 9 RGPD)"]["value"]
    for kind, n in tri["health_mentions"].items():
        if isinstance(n, int) and n:
            assert f"({n:,}".replace(",", sp) in health, kind
    for fd in f.values():
        assert fd["source"] in ("case", "triage", "evidence", "link", "answers", "todo")


def test_settings_and_answers_complete_the_draft(case, tmp_path):
    from vigile.notify.cnil import AnswersError, field_ids, load_answers

    url, key, iid = case
    with open_store(url, key=key) as store:
        store.update_settings(iid, processor="Éditeur SIL Exemple", data_encrypted=False)
        answers = tmp_path / "answers.yaml"
        answers.write_text(
            "org.siren: '123 456 789 00012'\norigin.cause: erreur (extraction oubliée)\n"
            "nature.integrity: false\n",
            encoding="utf-8",
        )
        given = load_answers(answers, field_ids(store, iid))
        store.update_settings(iid, cnil_answers=given)
        f = _fields(draft_cnil(store, iid))
        assert f["Sous-traitant impliqué dans la violation"]["value"] == "Éditeur SIL Exemple"
        assert f["Les données étaient-elles chiffrées ?"]["value"].startswith("non")
        assert f["SIREN / SIRET"] == {
            "id": "org.siren", "label": "SIREN / SIRET", "value": "123 456 789 00012",
            "source": "answers", "todo": False,
        }  # fmt: skip
        assert f["Perte d'intégrité"]["value"] == "non"
        bad = tmp_path / "bad.yaml"
        bad.write_text("org.nonexistent: x\n", encoding="utf-8")
        with pytest.raises(AnswersError, match="unknown field ids"):
            load_answers(bad, field_ids(store, iid))
        js, _ = write_cnil(store, iid, tmp_path / "out")
    template = (tmp_path / "out" / "cnil-answers-template.yaml").read_text(encoding="utf-8")
    assert "origin.source:" in template and 'org.siren: "123 456 789 00012"' in template


def test_english_on_request(case):
    url, key, iid = case
    with open_store(url, key=key) as store:
        draft = draft_cnil(store, iid, lang="en")
    f = _fields(draft)
    assert draft["sections"][0]["title"] == "Type of notification"
    assert f["Controller"]["value"] == "Laboratoire Exemple de Bretagne"
    assert f["SIREN / SIRET"]["value"] == "to complete"


def test_cli_records_a_submission_and_the_next_draft_is_complementary(case, tmp_path):
    from typer.testing import CliRunner

    from vigile.cli import app

    url, key, iid = case
    kf = tmp_path / "k.key"
    kf.write_bytes(__import__("base64").b64encode(key))
    kf.chmod(0o600)
    run = CliRunner().invoke
    base = ["notify", "cnil", "--db", url, "--key-file", str(kf)]
    r = run(app, [*base, "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    r = run(app, [*base, "--submitted", "--receipt", "CNIL-2021-0042"])
    assert r.exit_code == 2 and "--at" in r.output
    r = run(app, [*base, "--submitted", "--receipt", "CNIL-2021-0042", "--at", "2021-02-25T10:00"])
    assert r.exit_code == 0, r.output
    with open_store(url, key=key) as store:
        (sub,) = store.cnil_submissions(iid)
        assert (sub.version, sub.receipt) == (1, "CNIL-2021-0042")
        assert sub.submitted_at == datetime(2021, 2, 25, 9, tzinfo=UTC)  # Paris -> UTC
        assert store.status(iid)["steps"]["cnil_notified"]["done"]
    r = run(app, [*base, "--out", str(tmp_path / "c")])
    two = json.loads((tmp_path / "c" / "cnil-notification-v2.json").read_text())
    assert two["kind"] == "complementary"
    assert "CNIL-2021-0042" in _fields(two)["Notifications déjà transmises à la CNIL"]["value"]
    # A second receipt for the same version is refused: a submission is a fact.
    r = run(app, [*base, "--submitted", "--receipt", "OTHER", "--at", "2021-02-25T10:00", "--version", "1"])  # fmt: skip
    assert r.exit_code == 2 and "another receipt" in r.output
