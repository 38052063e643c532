"""triage_path on a small hand-written export: figures, evidence, and no raw value out."""

import hashlib
import json

import pytest

from vigile.triage import TRIAGE_SCHEMA, Circumstances, render, triage_path


@pytest.fixture(scope="module")
def result(lab_csv, ref_date):
    path, _, _ = lab_csv
    return triage_path([path], reference_date=ref_date)


def test_figures(result, lab_csv):
    path, rows, truth = lab_csv
    assert result.rows == truth["rows"]
    assert result.persons == truth["persons"]
    assert result.minors == truth["minors"] and result.over_75 == truth["over_75"]
    assert result.person_key["key"].startswith("nir (with birth date) else ")
    assert result.departements == {"29": 25, "75": 5}
    assert result.regions == {"Bretagne": 25, "Île-de-France": 5}
    assert result.top_towns == (("BREST", 25),)  # Paris has fewer than 10 persons
    assert result.categories["nir"] == 30
    assert result.health_mentions["pregnancy"] > 0 and result.health_mentions["hiv"] > 0
    assert result.credentials["persons_with_password"] == 30
    assert result.credentials["hashed_only"] == 10
    assert {e for e, _ in result.establishments} == {
        "LABO DES ABERS · FINESS 290000017",
        "LABO DU PORT · FINESS 290000025",
    }
    assert result.time_span["earliest"].startswith("2015")
    assert set(result.time_span["by_year"]) == {"2015", "2016", "2017", "2018", "2019"}


def test_severity_and_duties(result):
    assert result.severity.score == 5.0 and result.severity.level == "very_high"
    duties = {d.id: d.due for d in result.duties}
    assert duties == {
        "cnil_notification": True,
        "inform_persons": True,
        "health_incident_report": True,
    }


def test_circumstances_change_the_score(lab_csv, ref_date):
    r = triage_path(
        lab_csv[0], circumstances=Circumstances(malicious=False), reference_date=ref_date
    )
    assert r.severity.score == 4.5


def test_json_schema_and_evidence(result, lab_csv):
    path = lab_csv[0]
    doc = json.loads(render(result, "json"))
    assert doc["schema"] == TRIAGE_SCHEMA
    for key in ("rows", "persons", "person_key", "minors", "categories", "health_mentions",
                "departements", "establishments", "time_span", "severity", "duties"):  # fmt: skip
        assert key in doc
    assert doc["severity"]["level"] == "very_high" and set(doc["severity"]["factors"]) == {
        "DPC",
        "EI",
        "CB",
    }
    ev = doc["inputs"][0]
    assert ev["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert ev["size"] == path.stat().st_size
    assert doc["vigile_version"] and doc["analysed_at"].endswith("Z")
    # small-cell suppression in the geographic and establishment breakdowns
    assert doc["departements"] == {"29": 25, "75": "<10"}
    assert doc["regions"]["Île-de-France"] == "<10"
    assert [t["town"] for t in doc["top_towns"]] == ["BREST"]


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_no_raw_personal_value_in_any_report(result, lab_csv, fmt):
    _, rows, _ = lab_csv
    text = render(result, fmt)
    raw = set()
    for row in rows:
        raw |= {row["NIR"], row["DT_NAIS"], row["TEL_PORT"], row["MDP"], row["ADR1"], row["NOM"]}
    raw.discard("")
    leaked = sorted(v for v in raw if v in text)
    assert not leaked, f"{len(leaked)} raw values in the {fmt} report"
    if fmt == "markdown":
        assert "| 75 Paris | <10 |" in text
    if fmt == "html":
        assert "&lt;10" in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_unknown_format_is_refused(result):
    with pytest.raises(ValueError, match="unknown report format"):
        render(result, "pdf")


def test_progress_is_reported(lab_csv, ref_date):
    seen = []
    triage_path(lab_csv[0], reference_date=ref_date, progress=lambda *a: seen.append(a))
    assert seen and seen[-1][0].endswith("export_labo.csv") and seen[-1][1] > 0


def test_unreadable_input_is_an_error_not_a_finding(tmp_path):
    junk = tmp_path / "dump.bin"
    junk.write_bytes(bytes(range(256)) * 20)
    r = triage_path(junk)
    assert r.persons == 0 and r.errors and str(junk) in r.errors[0]
    assert any("No table could be read" in n for n in r.notes)
    assert "No table could be read" in render(r, "json")
    for fmt in ("markdown", "html"):
        assert "No table could be read" in render(r, fmt, lang="en")
        assert "Aucune table n" in render(r, fmt)  # French by default
