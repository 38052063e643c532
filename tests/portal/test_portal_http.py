"""The portal over HTTP, in process: pages, code flow, attestation, CSRF, headers, audit."""

from __future__ import annotations

import logging

import pypdf
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient
from portal_support import csrf_of, make_portal
from sqlalchemy import func, select

from vigile.case import contacts
from vigile.case.codes import generate_code
from vigile.case.schema import audit_log, portal_contacts
from vigile.portal import attestation


@pytest.fixture
def served(case):
    app, portal, store = make_portal(case)
    with TestClient(app) as client:
        yield client, portal, store
    store.close()


def _enter(client, code):
    page = client.get("/")
    return client.post(
        "/code", data={"code": code, "csrf": csrf_of(page.text)}, follow_redirects=False
    )


def _audit_count(store, action):
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == action)
        ).scalar_one()


def test_home_is_french_accessible_and_script_free(served):
    client, _, _ = served
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="fr">' in r.text
    assert "<script" not in r.text
    assert '<label for="code">' in r.text and 'id="code"' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers  # plain http: no HSTS
    assert "http://" not in r.text.replace('href="/', "")  # no third-party asset


def test_hsts_behind_tls(case):
    app, _, store = make_portal(case)
    with TestClient(app, base_url="https://portail.example") as client:
        r = client.get("/")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in r.headers["set-cookie"].lower()
    store.close()


def test_code_opens_the_person_page_and_is_audited(served, case):
    client, _, store = served
    pid, code = next(iter(case.codes.items()))
    before = _audit_count(store, "portal.page_view")
    r = _enter(client, code.lower().replace("-", " "))
    assert r.status_code == 303 and r.headers["location"] == "/mon-dossier"
    page = client.get("/mon-dossier")
    assert page.status_code == 200
    assert "Vos données faisaient partie de la fuite" in page.text
    assert "votre numéro de sécurité sociale" in page.text  # person 0 exposed a NIR
    assert "dpo@labo.example" in page.text
    assert _audit_count(store, "portal.page_view") == before + 1
    # The session cookie does not carry the person reference in clear.
    assert case.refs[pid] not in r.headers["set-cookie"]


def test_wrong_and_mistyped_codes(served):
    client, portal, _ = served
    wrong = _enter(client, generate_code())
    assert wrong.status_code == 400 and "pas reconnu" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and 'role="alert"' in wrong.text
    typo = _enter(client, "ABCD-EFGH")
    assert typo.status_code == 400 and "faute de frappe" in typo.text
    assert client.get("/mon-dossier", follow_redirects=False).status_code == 303


def test_attestation_is_signed_and_verifiable(served, case, tmp_path):
    client, _, store = served
    _enter(client, next(iter(case.codes.values())))
    r = client.get("/mon-dossier/attestation.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    path = tmp_path / "a.pdf"
    path.write_bytes(r.content)
    meta = pypdf.PdfReader(path).metadata
    public = load_pem_public_key(client.get("/attestation/cle-publique.pem").content)
    assert attestation.verify(meta.subject, meta["/Keywords"], public)
    assert '"name":"CAMILLE TESTNOM0"' in meta.subject
    tampered = meta.subject.replace("TESTNOM0", "TESTNOM1")
    assert not attestation.verify(tampered, meta["/Keywords"], public)
    assert attestation.fingerprint(public) in pypdf.PdfReader(path).pages[0].extract_text()
    assert _audit_count(store, "portal.attestation") >= 1


def test_email_optin_is_stored_sealed(served, case):
    client, _, store = served
    pid, code = list(case.codes.items())[1]
    _enter(client, code)
    page = client.get("/mon-dossier")
    bad = client.post(
        "/mon-dossier/courriel", data={"email": "pas-une-adresse", "csrf": csrf_of(page.text)}
    )
    assert bad.status_code == 400
    ok = client.post(
        "/mon-dossier/courriel", data={"email": "camille@example.org", "csrf": csrf_of(page.text)}
    )
    assert ok.status_code == 200 and "Enregistré" in ok.text
    assert contacts.email_optin(store, case.incident_id, case.refs[pid]) == "camille@example.org"
    with store.engine.connect() as conn:
        assert b"camille@example.org" not in b"".join(
            r[0] for r in conn.execute(select(portal_contacts.c.sealed))
        )


def test_csrf_is_required(served, case):
    client, _, _ = served
    client.get("/")
    r = client.post("/code", data={"code": next(iter(case.codes.values())), "csrf": "forged"})
    assert r.status_code == 403
    r = client.post("/sans-code", data={"last_name": "X", "csrf": ""})
    assert r.status_code == 403


def test_no_code_request_is_queued_and_answers_nothing(served, case):
    client, _, store = served
    form = client.get("/sans-code")
    assert '<label for="birth_date">' in form.text
    before = len(contacts.list_requests(store, case.incident_id))
    known = {
        "last_name": "TESTNOM3",
        "first_name": "CAMILLE",
        "birth_date": "1970-01-01",
        "postcode": "35000",
    }
    stranger = {
        "last_name": "INCONNU",
        "first_name": "ALEX",
        "birth_date": "1999-09-09",
        "postcode": "75001",
    }
    pages = []
    for fields in (known, stranger):
        r = client.post("/sans-code", data=fields | {"csrf": csrf_of(form.text)})
        assert r.status_code == 200
        pages.append(r.text)
    assert pages[0] == pages[1]
    queued = contacts.list_requests(store, case.incident_id)
    assert len(queued) == before + 2
    assert queued[-1].fields["last_name"] == "INCONNU"


def test_request_log_has_no_personal_data(served, case, caplog):
    client, _, _ = served
    code = next(iter(case.codes.values()))
    with caplog.at_level(logging.INFO, logger="vigile.portal.access"):
        _enter(client, code)
        client.get("/mon-dossier")
        form = client.get("/sans-code")
        client.post("/sans-code", data={"last_name": "SECRETNOM", "csrf": csrf_of(form.text)})
    text = caplog.text
    assert "POST /code 303" in text and "GET /mon-dossier 200" in text
    for leak in (code, code.replace("-", ""), "SECRETNOM", "testclient", *case.refs.values()):
        assert leak not in text


def test_expired_session_goes_back_home(case):
    app, portal, store = make_portal(case, session_minutes=0)
    with TestClient(app) as client:
        _enter(client, next(iter(case.codes.values())))
        assert client.get("/mon-dossier", follow_redirects=False).status_code == 303
    store.close()


def test_concurrent_page_views_never_fail(case):
    """Regression: on SQLite two audited page views at once could take the same audit
    sequence number, and the later one failed with a 500; it is now retried."""
    import threading

    app, _, store = make_portal(case, client_requests_per_minute=10**6)
    codes = list(case.codes.values())[:4]
    statuses: list[int] = []

    def visitor(code: str) -> None:
        with TestClient(app) as client:
            _enter(client, code)
            statuses.extend(client.get("/mon-dossier").status_code for _ in range(25))

    threads = [threading.Thread(target=visitor, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert statuses == [200] * 100
