"""The DPO-facing reports in French by default (typography, agreement, Paris times), English
on request; the JSON the CNIL draft reads, at stable keys."""

from __future__ import annotations

import html
import json
import re

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.categories import CATEGORY_IDS
from vigile.triage import render, triage_path
from vigile.triage.duties import legal_duties
from vigile.triage.enisa import Circumstances, assess
from vigile.triage.labels import (
    CATEGORY_LABELS_FR,
    HEALTH_KIND_LABELS,
    NBSP,
    NNBSP,
    fmt_int,
    fr_typo,
    note_in,
    pct,
    person_key_label,
)
from vigile.triage.model import TRIAGE_SCHEMA

FR_HEADINGS = ["Preuve", "Personnes", "Données exposées", "Géographie", "Origine", "Période",
               "Sévérité (méthode ENISA 2013)", "Obligations", "Non trouvé"]  # fmt: skip
EN_HEADINGS = ["Evidence", "Persons", "Exposure by category", "Geography", "Origin",
               "Time span", "Severity (ENISA 2013 method)", "Duties", "Not found"]  # fmt: skip
ENGLISH_WORDS = re.compile(
    r"\b(persons|rows|minors|severity|Evidence|Duties|not due|DUE|Prescribers|Credentials|"
    r"hashed|plain text|town|share|category|Analysed|found)\b"
)


@pytest.fixture(scope="module")
def result(lab_csv, ref_date):
    return triage_path(lab_csv[0], reference_date=ref_date)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Over a thousand rows, so thousands separators show."""
    from vigile.synth import ExportSpec, generate_lab_export

    path = tmp_path_factory.mktemp("big") / "export.csv"
    generate_lab_export(ExportSpec(rows=2500, seed=3), path)
    return triage_path(path)


def _text_of_html(page: str) -> str:
    body = page.split("<main>", 1)[1]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.S)  # drawings: tooltips tested apart
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def _french_typography_ok(text: str) -> None:
    assert not re.search(r" [:;!?»]", text), "plain space before high punctuation"
    assert not re.search(r"«[ ]", text)
    assert not re.search(r"(?<![\s\u00a0\u202f]):\s", text), "colon glued to the word"
    assert not re.search(r"(?<!\u202f)[;!?](?=\s|$)", text), "; ! ? without a narrow space"
    assert not re.search(r"\d[.]\d\s?%|\d%", text), "percentages are '12,5 %'"
    assert not re.search(r"\d,\d{3}\b(?!\s?%)", text), "no English thousands separator"


def test_markdown_is_french_by_default(result):
    md = render(result, "markdown")
    for h in FR_HEADINGS:
        assert f"## {h}\n" in md
    for h in EN_HEADINGS:
        assert f"## {h}\n" not in md
    prose = "\n".join(
        line for line in md.splitlines() if not line.startswith("|") and "`" not in line
    )
    assert not ENGLISH_WORDS.search(prose), ENGLISH_WORDS.search(prose)
    _french_typography_ok(prose)
    assert f"**30{NBSP}personnes**" in md and f"6{NBSP}mineurs" in md
    assert f"100,0{NNBSP}%" in md and "OBLIGATOIRE" in md
    assert "Du 01/01/2015 au" in md and "Âges au 01/02/2021" in md
    assert "(heure de Paris, UTC+0" in md  # the analysis time, in Paris, zone named
    assert f"«{NBSP}Signalement des incidents graves de sécurité des systèmes" in md
    assert f"d'information{NBSP}»" in md
    assert "NIR (avec la date de naissance), à défaut nom + prénom + date de naissance" in md


def test_html_is_french_by_default(result):
    page = render(result, "html")
    assert '<html lang="fr">' in page
    for h in FR_HEADINGS:
        assert f"<h2>{html.escape(h, quote=True)}</h2>" in page
    for h in EN_HEADINGS:
        assert f"<h2>{h}</h2>" not in page
    text = _text_of_html(page)
    prose = "\n".join(
        line for line in text.splitlines() if not re.fullmatch(r"\s*[a-z_]+\s*", line)
    )  # category ids are shown as code
    assert not ENGLISH_WORDS.search(prose), ENGLISH_WORDS.search(prose)
    _french_typography_ok(prose)
    assert "très élevée" in text and "maximale" in text and "OBLIGATOIRE" in text
    assert f"29 Finistère{NBSP}: 25{NBSP}personnes" in page  # map tooltip
    assert "Contours des départements" in page and "CC BY 4.0" in page


def test_thousands_and_agreement(big, tmp_path):
    md = render(big, "markdown")
    assert f"2{NNBSP}500{NBSP}lignes" in md
    _french_typography_ok("\n".join(x for x in md.splitlines() if not x.startswith("|")))
    one = tmp_path / "one.csv"
    pl.DataFrame(
        {"NOM": ["KERGUELEN"], "PRENOM": ["Yann"], "DT_NAIS": ["03/05/1980"],
         "CP": ["29200"], "VILLE": ["BREST"]}
    ).write_csv(one, separator=";")  # fmt: skip
    r = triage_path(one)
    md = render(r, "markdown")
    assert f"**1{NBSP}personne** dans 1{NBSP}ligne" in md
    assert f"0{NBSP}mineur " in md and "personnes**" not in md
    page = render(r, "html")
    assert "personne distincte<" in page and "ligne<" in page


def test_english_on_request(result):
    md = render(result, "markdown", lang="en")
    for h in EN_HEADINGS:
        assert f"## {h}\n" in md
    for h in FR_HEADINGS:
        assert f"## {h}\n" not in md
    assert f"**30{NBSP}persons**" in md and "100.0%" in md and "DUE" in md
    assert "Europe/Paris (UTC+0" in md
    page = render(result, "html", lang="en")
    assert '<html lang="en">' in page and "<h2>Duties</h2>" in page
    assert "Obligations" not in page and "OBLIGATOIRE" not in page


def test_json_is_the_same_in_both_languages(result):
    assert render(result, "json") == render(result, "json", lang="en")
    with pytest.raises(ValueError, match="fr or en"):
        render(result, "markdown", lang="de")


# The keys the CNIL notification draft reads (listed in the lead's report).
CNIL_KEYS = [
    "schema", "vigile_version", "analysed_at", "persons", "rows", "minors", "over_75",
    "age_reference_date", "categories", "health_mentions",
    "credentials.persons_with_password", "credentials.plain_text", "credentials.hashed_only",
    "time_span.earliest", "time_span.latest", "time_span.rows_with_date", "time_span.by_year",
    "geography.region_count", "geography.departement_count", "geography.persons_located",
    "geography.persons_without_departement", "geography.persons_abroad_or_other",
    "geography.top_regions", "geography.top_departements", "regions", "departements",
    "severity.score", "severity.level", "severity.level_fr", "severity.cnil_gravite",
    "severity.cnil_gravite_fr", "severity.formula", "severity.formula_fr",
    "severity.factors.DPC.value", "severity.factors.DPC.reasons_fr",
    "severity.factors.EI.value", "severity.factors.CB.value",
] + [
    f"duties.{d}.{k}"
    for d in ("cnil_notification", "inform_persons", "health_incident_report")
    for k in ("due", "title", "deadline", "deadline_hours", "recipient", "legal_basis",
              "description", "channel", "reasons", "fr.title", "fr.deadline", "fr.reasons",
              "fr.description", "fr.channel")
]  # fmt: skip


def _get(doc: dict, dotted: str):
    for part in dotted.split("."):
        doc = doc[part]
    return doc


def test_json_holds_every_figure_of_the_cnil_draft(result, tmp_path):
    doc = json.loads(render(result, "json"))
    assert doc["schema"] == TRIAGE_SCHEMA
    for key in CNIL_KEYS:
        _get(doc, key)  # KeyError names the missing one
    assert doc["persons"] == 30 and doc["categories"]["nir"] == 30
    assert doc["health_mentions"]["hiv"] > 0
    assert doc["credentials"] == {"persons_with_password": 30, "plain_text": 20,
                                  "hashed_only": 10}  # fmt: skip
    geo = doc["geography"]
    assert geo["persons_located"] == 30 and geo["region_count"] == 2
    assert geo["top_departements"][0] == {"code": "29", "name": "Finistère", "persons": 25}
    assert geo["top_regions"][1] == {"region": "Île-de-France", "persons": "<10"}
    assert doc["severity"]["level_fr"] == "très élevée"
    cnil = doc["duties"]["cnil_notification"]
    assert cnil["due"] and cnil["deadline_hours"] == 72 and cnil["recipient"] == "CNIL"
    ars = doc["duties"]["health_incident_report"]
    assert ars["due"] and ars["recipient"] == "ARS"
    assert any("L.1111-8-2" in b for b in ars["legal_basis"])
    assert any("R.1111-20" in b for b in ars["legal_basis"])
    assert "signalement.social-sante.gouv.fr" in ars["channel"]
    assert "portail de signalement des événements sanitaires indésirables" in ars["fr"]["deadline"]
    assert "laboratoires de biologie médicale" in ars["fr"]["description"]
    # the same keys when nothing could be read (figures zero, never missing)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 10)
    empty = json.loads(render(triage_path(junk), "json"))
    for key in CNIL_KEYS:
        _get(empty, key)
    assert empty["credentials"]["persons_with_password"] == 0
    assert empty["time_span"]["earliest"] is None


def test_duties_read_in_french_and_agree():
    sev = assess({"nir", "health_condition"}, health_conditions=True, health_context=True)
    d = {x.id: x for x in legal_duties(sev, persons=1, health_data=True,
                                       health_establishment=True)}  # fmt: skip
    fr = d["inform_persons"].text("fr")
    assert fr.title == "Information des personnes concernées (art. 34 du RGPD)"
    assert any(f"(1{NBSP}personne)" in r for r in fr.reasons)
    assert d["inform_persons"].text("en").title.startswith("Information of the persons")
    low = assess({"phone"}, Circumstances(unknown_recipients=False, malicious=False))
    d = {x.id: x for x in legal_duties(low, persons=5, health_data=False,
                                       health_establishment=False)}  # fmt: skip
    assert not d["health_incident_report"].due
    assert "aucun établissement de santé" in d["health_incident_report"].text().reasons[0]
    for duty in d.values():
        for line in (duty.text().title, *duty.text().reasons):
            _french_typography_ok(line)


@given(
    cats=st.sets(st.sampled_from(CATEGORY_IDS)),
    conditions=st.booleans(),
    context=st.booleans(),
    minors=st.booleans(),
    unknown=st.booleans(),
    malicious=st.booleans(),
)
def test_every_severity_reason_has_its_french(cats, conditions, context, minors, unknown,
                                               malicious):  # fmt: skip
    sev = assess(cats, Circumstances(unknown, malicious), health_conditions=conditions,
                 health_context=context, minors=minors)  # fmt: skip
    for f in (sev.dpc, sev.ei, sev.cb):
        assert len(f.reasons_fr) == len(f.reasons) > 0
        for line in f.reasons_in("fr"):
            _french_typography_ok(line)
    assert "." not in sev.formula_in("fr")


def test_every_note_of_the_triage_is_translated(lab_csv, ref_date, tmp_path):
    r = triage_path(lab_csv[0], reference_date=ref_date, profile_rows=10)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 10)
    text = tmp_path / "notes.txt"
    text.write_text("compte rendu sans colonnes\n", encoding="utf-8")
    notes = [*r.notes, *triage_path([junk, text]).notes,
             "12,345 row(s) carry no usable identifier: each is counted as a distinct person"]  # fmt: skip
    assert len(notes) >= 4
    for n in notes:
        fr = note_in(n, "fr")
        assert fr != n and not ENGLISH_WORDS.search(fr), n
        _french_typography_ok(fr)
    assert note_in(notes[-1], "fr").startswith(f"12{NNBSP}345 ligne(s)")
    assert note_in("something new", "fr") == "something new"  # unknown notes kept as written


def test_vocabulary_is_complete():
    assert set(CATEGORY_LABELS_FR) == set(CATEGORY_IDS)
    assert set(HEALTH_KIND_LABELS["fr"]) == set(HEALTH_KIND_LABELS["en"])
    assert person_key_label("row (no identifier: every row counted as a person)").startswith(
        "la ligne"
    )
    assert person_key_label("nir (with birth date) | email") == (
        "NIR (avec la date de naissance) | adresse électronique"
    )


def test_number_formats():
    assert fmt_int(1234567) == f"1{NNBSP}234{NNBSP}567" and fmt_int(1234567, "en") == "1,234,567"
    assert fmt_int("<10") == "<10" and fmt_int(None) == "—"
    assert pct(1, 8) == f"12,5{NNBSP}%" and pct(1, 8, "en") == "12.5%" and pct(1, 0) == "—"


@given(st.text(alphabet=st.sampled_from(list("ab1:;!?%«» \u00a0\u202f/.")), max_size=40))
def test_fr_typo_is_idempotent_and_leaves_no_plain_space(text):
    once = fr_typo(text)
    assert fr_typo(once) == once
    assert not re.search(r" [:;!?%»]", once) and "« " not in once
    # nothing but spaces changes: the visible characters stay in order
    assert re.sub(r"[ \u00a0\u202f]", "", once) == re.sub(r"[ \u00a0\u202f]", "", text)


def test_fr_typo_keeps_times_and_urls():
    assert fr_typo("à 09:00, voir https://exemple.fr") == "à 09:00, voir https://exemple.fr"
    assert fr_typo("Délai : sans délai ; « ARS »") == (
        f"Délai{NBSP}: sans délai{NNBSP}; «{NBSP}ARS{NBSP}»"
    )
