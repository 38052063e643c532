"""The person's page and the signed attestation say what the letter says: describe()."""

from __future__ import annotations

import json

import pypdf
import pytest
from fastapi.testclient import TestClient
from portal_support import build_case_of, csrf_of, list_items, make_portal

from vigile.case import AffectedPerson
from vigile.wording import describe

# (categories, password form): several exposure profiles of one incident.
PROFILES = [
    (("lab_test",), None),  # lab results only: never told "nothing about your health"
    (("last_name", "first_name", "login", "password"), "plain"),
    (("last_name", "first_name", "login", "password"), "hashed"),
    (("last_name", "password"), None),  # form of the password unknown
    (("last_name", "birth_date", "address", "postcode", "city", "phone"), None),
    (("nir", "iban", "password", "health_condition", "email", "phone", "medication"), "plain"),
    (("last_name", "first_name", "blood_group", "insurance", "rpps", "finess", "date"), None),
]


def _person(i: int, cats: tuple[str, ...], password: str | None) -> AffectedPerson:
    return AffectedPerson(
        patient_id=f"W{i:04d}",
        match_probability=1.0,
        match_method="nir",
        categories=frozenset(cats),
        identity={"last_name": f"MOTNOM{i}", "first_name": "SACHA", "birth_date": "1980-05-06"},
        password=password if "password" in cats else None,
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    people = [_person(i, c, p) for i, (c, p) in enumerate(PROFILES)]
    case = build_case_of(tmp_path_factory.mktemp("wording"), people)
    app, _, store = make_portal(case, client_requests_per_minute=10_000)
    with TestClient(app) as client:
        yield client, case, people
    store.close()


def _open(client: TestClient, code: str) -> str:
    client.cookies.clear()
    home = client.get("/")
    r = client.post("/code", data={"code": code, "csrf": csrf_of(home.text)})
    assert r.status_code == 200 and r.url.path == "/mon-dossier"
    return r.text


@pytest.mark.parametrize("i", range(len(PROFILES)))
def test_page_and_attestation_say_what_describe_says(served, i, tmp_path):
    client, case, people = served
    person = people[i]
    text = describe(person.categories, person.password)
    page = _open(client, case.codes[person.patient_id])

    assert list_items(page, "exposed") == list(text.exposed)
    assert list_items(page, "not-exposed") == list(text.not_exposed)
    assert list_items(page, "advice") == text.advice_texts()

    pdf = client.get("/mon-dossier/attestation.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf.content)
    statement = json.loads(pypdf.PdfReader(path).metadata.subject)
    assert statement["exposed"] == list(text.exposed)
    assert statement["not_exposed"] == list(text.not_exposed)


def test_the_profiles_differ_where_it_matters(served):
    """Guards the test itself: the profiles above exercise the cases the letter treats
    differently (lab results only, password in clear or hashed)."""
    _, _, people = served
    lab_only = describe(people[0].categories)
    assert lab_only.health and "des informations sur votre santé" not in lab_only.not_exposed
    plain = describe(people[1].categories, "plain").exposed
    hashed = describe(people[2].categories, "hashed").exposed
    assert plain != hashed
    assert any("en clair" in w for w in plain) and any("chiffrée" in w for w in hashed)


def test_attestation_time_is_paris_time(served, tmp_path):
    client, case, people = served
    _open(client, case.codes[people[0].patient_id])
    path = tmp_path / "a.pdf"
    path.write_bytes(client.get("/mon-dossier/attestation.pdf").content)
    text = pypdf.PdfReader(path).pages[0].extract_text()
    assert "heure de Paris" in text and " UTC." not in text
