"""End to end in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import pypdf
import pytest
from portal_support import LiveServer, make_portal


@pytest.fixture(scope="module")
def live(case):
    app, _, store = make_portal(case)
    with LiveServer(app) as server:
        yield server
    store.close()


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium  # Debian's chromium via Playwright, from tests/conftest.py


def test_code_page_and_attestation(live, browser, case, tmp_path):
    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(live.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    code = next(iter(case.codes.values()))
    page.get_by_label("Votre code personnel").fill(code.lower())
    page.get_by_role("button", name="Voir ma situation").click()
    page.wait_for_url("**/mon-dossier")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Vos données faisaient partie de la fuite"
    )
    assert "votre numéro de sécurité sociale" in page.locator("ul.exposed").inner_text()
    page.screenshot(path=str(tmp_path / "dossier.png"), full_page=True)
    with page.expect_download() as dl:
        page.get_by_role("link", name="Télécharger mon attestation (PDF)").click()
    saved = tmp_path / "attestation.pdf"
    dl.value.save_as(saved)
    reader = pypdf.PdfReader(saved)
    assert "attestation" in reader.metadata.title.lower()
    assert "Signature Ed25519" in reader.pages[0].extract_text()
    assert console_errors == []  # CSP violations would show here
    ctx.close()


def test_wrong_code_is_announced(live, browser):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(live.url + "/")
    page.get_by_label("Votre code personnel").fill("7K3M-Q9XD-2HBW-PT6R-F4NC")
    page.get_by_role("button", name="Voir ma situation").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Votre code personnel").get_attribute("aria-invalid") == "true"
    ctx.close()


def _no_code(browser, url: str, fields: dict[str, str]) -> str:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(url + "/")
    page.get_by_role("link", name="faites une demande sans code").click()
    page.get_by_label("Nom de famille").fill(fields["last_name"])
    page.get_by_label("Prénom").fill(fields["first_name"])
    page.get_by_label("Date de naissance").fill(fields["birth_date"])
    page.get_by_label("Code postal").fill(fields["postcode"])
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    ctx.close()
    return text


def test_no_code_form_gives_the_same_page_to_everyone(live, browser):
    present = {
        "last_name": "TESTNOM5",
        "first_name": "CAMILLE",
        "birth_date": "1970-01-01",
        "postcode": "35000",
    }
    absent = {
        "last_name": "PERSONNE",
        "first_name": "ALEX",
        "birth_date": "1990-05-05",
        "postcode": "75001",
    }
    a, b = _no_code(browser, live.url, present), _no_code(browser, live.url, absent)
    assert a == b
    assert "Votre demande a bien été enregistrée" in a
