"""Letters: print-ready PDF batches, manifest, log states, address in the envelope window."""

from __future__ import annotations

import csv
import subprocess
from datetime import date
from io import BytesIO

import numpy as np
import pytest
from notify_case import persons, stand_in_code, stand_in_issue_code
from PIL import Image
from pypdf import PdfReader

from vigile.case import AffectedPerson, open_store
from vigile.categories import CATEGORY_IDS
from vigile.notify import LETTER, mark_letters, reference, render_letters, sender_for
from vigile.notify.address import ADDRESS_ZONE, WINDOW
from vigile.notify.letters import LetterPress, letter_record
from vigile.notify.log import entries, latest_states
from vigile.notify.sender import common_texts

TODAY = date(2021, 3, 3)


def _render(url, key, iid, out, **kw):
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid), sender_lines=("1 rue A", "35000 Rennes"))
        return render_letters(
            store, iid, out, snd, issue_code=stand_in_issue_code, today=TODAY, **kw
        )


def _manifest(out):
    with open(out / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_batches_manifest_and_log(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "letters"
    run = _render(url, key, iid, out, batch_size=10)
    assert (run.rendered, run.batches, run.undeliverable) == (25, [1, 2, 3], 0)
    pages = [len(PdfReader(out / f"letters-{b:05d}.pdf").pages) for b in (1, 2, 3)]
    assert pages == [10, 10, 5]
    rows = _manifest(out)
    assert len(rows) == 25 and len({r["reference"] for r in rows}) == 25
    assert [(r["batch"], r["page"]) for r in rows[:2]] == [("1", "1"), ("1", "2")]
    with open_store(url, key=key) as store:
        states = latest_states(store, iid, LETTER)
        refs = {store.person_ref(p.patient_id) for p in store.affected(iid)}
    assert set(states) == refs and set(states.values()) == {"rendered"}
    # Nothing left: a second run renders nothing and keeps the manifest.
    again = _render(url, key, iid, out, batch_size=10)
    assert (again.rendered, again.already) == (0, 25)
    assert _manifest(out) == rows
    assert not (out / ".letter-bodies").exists()


def test_letter_text_is_the_persons_own(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=100)
    reader = PdfReader(out / "letters-00001.pdf")
    with open_store(url, key=key) as store:
        first = next(iter(store.affected(iid)))
        ref = store.person_ref(first.patient_id)
    text = reader.pages[0].extract_text()
    assert reference(iid, ref) in text
    assert stand_in_code(ref) in text
    assert first.identity["postcode"] in text
    if "nir" in first.categories:
        assert "votre numéro de sécurité sociale" in text
    else:
        assert "Il ne contenait pas" in text and "numéro de sécurité sociale" in text
    assert "02 99 12 34 56" in text and "CNIL" in text
    # No links, no QR codes: no annotations and no URL.
    assert all("/Annots" not in page for page in reader.pages)
    assert "http" not in text and "www." not in text


def test_worst_case_letter_fits_one_page(tmp_path):
    """Every category exposed, the longest address allowed: still one page."""
    from datetime import UTC, datetime

    from vigile.case.models import Incident

    inc = Incident(
        1, "x", datetime(2021, 2, 23, tzinfo=UTC), "Laboratoire Exemple de Bretagne Nord et Sud",
        "Délégué à la protection des données, 12 rue de la Santé, 35000 Rennes, "
        "dpo@labo-exemple.test, 02 99 12 34 56", datetime(2021, 2, 23, tzinfo=UTC), "me",
    )  # fmt: skip
    snd = sender_for(inc, sender_lines=("12 rue de la Santé", "CS 12345", "35000 Rennes Cedex"))
    common = common_texts(inc, snd, {"time_span": {"earliest": "2015", "latest": "2020"}}, TODAY)
    everything = frozenset(CATEGORY_IDS)
    p = AffectedPerson("x", 1, "nir", everything, persons(7)[6].identity)
    press = LetterPress(common, tmp_path / "w")
    pdf = press.render([(letter_record(p, 1, "ab" * 32, "CODE"), everything)] * 2)
    assert len(PdfReader(BytesIO(pdf)).pages) == 2


def test_address_block_sits_in_the_window(case, tmp_path, pdftoppm):
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=100)
    dpi = 100
    subprocess.run(
        [pdftoppm, "-r", str(dpi), "-gray", "-f", "3", "-l", "3", "-png",
         str(out / "letters-00001.pdf"), str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    img = np.asarray(Image.open(next(tmp_path.glob("page*.png"))))
    ink = img < 128

    def px(v):
        return int(round(v * dpi / 25.4))

    def region(zone, pad=0.0):
        return ink[
            px(zone["y"] - pad) : px(zone["y"] + zone["h"] + pad),
            px(zone["x"] - pad) : px(zone["x"] + zone["w"] + pad),
        ]

    assert region(ADDRESS_ZONE).sum() > 200  # the address is printed there
    window = region(WINDOW).copy()
    inner = (
        slice(px(ADDRESS_ZONE["y"] - WINDOW["y"]), px(ADDRESS_ZONE["y"] + ADDRESS_ZONE["h"] - WINDOW["y"])),
        slice(px(ADDRESS_ZONE["x"] - WINDOW["x"]), px(ADDRESS_ZONE["x"] + ADDRESS_ZONE["w"] - WINDOW["x"])),
    )  # fmt: skip
    window[inner] = False
    assert window.sum() == 0  # nothing else shows through the window


def test_undeliverable_are_counted_not_printed(tmp_path, key):
    from datetime import UTC, datetime

    url = f"sqlite:///{tmp_path / 'c.db'}"
    good = persons(3)
    bad = AffectedPerson("NOADDR", 1.0, "nir", frozenset({"last_name"}), {"last_name": "X"})
    with open_store(url, key=key) as store:
        iid = store.new_incident(
            "i", datetime(2021, 2, 23, tzinfo=UTC), controller="Lab", dpo_contact="02 99 12 34 56"
        )
        store.replace_affected(iid, [*good, bad], 0)
    run = _render(url, key, iid, tmp_path / "out")
    assert (run.rendered, run.undeliverable) == (3, 1)
    text = (tmp_path / "out" / "undeliverable.csv").read_text()
    assert "postcode" in text and "NOADDR" not in text


def test_mark_handed_over_and_returned(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=10)
    ref = _manifest(out)[24]["reference"]
    with open_store(url, key=key) as store:
        assert mark_letters(store, iid, "handed_over", batches={1, 2}) == 20
        assert mark_letters(store, iid, "returned", references={ref}) == 1
        with pytest.raises(ValueError):
            mark_letters(store, iid, "rendered", batches={1})
        states = [s for _, s, _ in entries(store, iid, LETTER)]
        status = store.status(iid)
    assert states.count("handed_over") == 20 and states.count("returned") == 1
    assert status["steps"]["letters_rendered"]["count"] == 25
    assert status["steps"]["letters_sent"]["count"] == 20


def test_real_portal_codes_open_the_persons_page(case, tmp_path):
    """With the portal's issuer, the code printed in a letter finds that person, and only it."""
    import re

    from vigile.case.codes import find_person

    url, key, iid = case
    out = tmp_path / "letters"
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid))
        render_letters(store, iid, out, snd, batch_size=10, today=TODAY)
        reader = PdfReader(out / "letters-00001.pdf")
        first = next(iter(store.affected(iid)))
        text = reader.pages[0].extract_text()
        code = re.search(r"code personnel : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})", text).group(1)
        assert find_person(store, iid, code) == store.person_ref(first.patient_id)
