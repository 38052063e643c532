"""Letters: print-ready PDF batches, manifest, log states, address in the envelope window,
rendered from the person's exposure record with the portal's address and the one code."""

from __future__ import annotations

import csv
import re
import stat
import subprocess
from collections import Counter
from datetime import UTC, date, datetime
from io import BytesIO

import numpy as np
import pytest
from notify_case import PORTAL, persons, stand_in_code, stand_in_issue_code
from PIL import Image
from pypdf import PdfReader

from vigile.case import AffectedPerson, open_store
from vigile.case.codes import find_person
from vigile.case.contacts import answer_request, queue_request
from vigile.case.models import Incident
from vigile.categories import CATEGORY_IDS
from vigile.notify import LETTER, SenderError, mark_letters, reference, render_letters, sender_for
from vigile.notify.address import ADDRESS_ZONE, WINDOW
from vigile.notify.letters import LetterPress, letter_record, profile_key
from vigile.notify.sender import common_texts
from vigile.wording import describe

TODAY = date(2021, 3, 3)
CODE = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")


def _render(url, key, iid, out, **kw):
    with open_store(url, key=key) as store:
        snd = sender_for(store.incident_by_id(iid), sender_lines=("1 rue A", "35000 Rennes"))
        kw.setdefault("issue_code", stand_in_issue_code)
        return render_letters(store, iid, out, snd, today=TODAY, **kw)


def _manifest(out):
    with open(out / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _texts(out) -> list[str]:
    """Every page's text, in manifest order."""
    pages = []
    for name in sorted(p.name for p in out.glob("letters-*.pdf")):
        pages += [p.extract_text() for p in PdfReader(out / name).pages]
    return pages


def _flat(text: str) -> str:
    return " ".join(text.split())


def _small_case(tmp_path, key, people, **settings):
    url = f"sqlite:///{tmp_path / 'small.db'}"
    with open_store(url, key=key) as store:
        iid = store.new_incident(
            "i",
            datetime(2021, 2, 23, tzinfo=UTC),
            controller="Laboratoire Exemple",
            dpo_contact="dpo@labo-exemple.test, 02 99 12 34 56",
        )
        store.update_settings(iid, portal_url=PORTAL, **settings)
        store.replace_affected(iid, people, 0)
    return url, iid


def _person(pid, cats, **kw):
    ident = {"last_name": "Roux", "first_name": "Léa", "address": "1 rue A",
             "postcode": "35000", "city": "Rennes"}  # fmt: skip
    return AffectedPerson(pid, 1.0, "nir", frozenset(cats), ident, **kw)


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
        states = store.notification_states(iid, LETTER)
        refs = {store.person_ref(p.patient_id) for p in store.affected(iid)}
    assert set(states) == refs and set(states.values()) == {"rendered"}
    # Nothing left: a second run renders nothing and keeps the manifest.
    again = _render(url, key, iid, out, batch_size=10)
    assert (again.rendered, again.already) == (0, 25)
    assert _manifest(out) == rows
    assert not (out / ".letter-bodies").exists()


def test_outputs_are_owner_only(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "new" / "letters"
    _render(url, key, iid, out, batch_size=10)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    files = list(out.iterdir())
    assert {p.name for p in files} >= {"manifest.csv", "undeliverable.csv", "letters-00001.pdf"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_letter_text_is_the_persons_own(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=100)
    reader = PdfReader(out / "letters-00001.pdf")
    with open_store(url, key=key) as store:
        first = next(iter(store.affected(iid)))
        ref = store.person_ref(first.patient_id)
    text = reader.pages[0].extract_text()
    flat = _flat(text)
    assert reference(iid, ref) in text
    assert stand_in_code(ref) in text
    assert first.identity["postcode"] in text
    words = describe(first.categories, first.password)
    for w in (*words.exposed, *words.not_exposed):
        assert _flat(w) in flat
    # The portal's address, and how to use the code there.
    assert PORTAL in flat
    assert f"tapez vous-même l'adresse {PORTAL}" in flat and "saisissez ce code" in flat
    assert "02 99 12 34 56" in text and "CNIL" in text
    # Printed, not linked: no annotations.
    assert all("/Annots" not in page for page in reader.pages)


def test_health_data_person_is_not_told_the_file_held_nothing_on_her_health(tmp_path, key):
    """Regression: her row held lab results, and the letter said the file did not contain
    information about her health."""
    url, iid = _small_case(tmp_path, key, [_person("P1", {"last_name", "lab_test"})])
    out = tmp_path / "out"
    _render(url, key, iid, out)
    (text,) = _texts(out)
    flat = _flat(text)
    assert "les analyses qui vous ont été prescrites" in flat
    assert "des informations sur votre santé" not in flat
    assert _flat(describe({"lab_test"}).advice_texts()[0]) in flat


def test_worst_case_letter_fits_one_page(tmp_path):
    """Every category exposed, the longest address allowed, every kind of reader."""
    inc = Incident(
        1, "x", datetime(2021, 2, 23, tzinfo=UTC), "Laboratoire Exemple de Bretagne Nord et Sud",
        "Délégué à la protection des données, 12 rue de la Santé, 35000 Rennes, "
        "dpo@labo-exemple.test, 02 99 12 34 56", datetime(2021, 2, 23, tzinfo=UTC), "me",
        settings={"portal_url": "https://verification-des-donnees.laboratoire-exemple.test",
                  "dpo_name": "Anne-Sophie de la Fontaine-Saint-Éloi"},
    )  # fmt: skip
    snd = sender_for(
        inc,
        sender_lines=("12 rue de la Santé", "CS 12345", "35000 Rennes Cedex"),
        measures="Nous avons fermé l'accès au serveur et changé tous les mots de passe.",
    )
    common = common_texts(inc, snd, {"time_span": {"earliest": "2015", "latest": "2020"}}, TODAY)
    common["reprint_note"] = "(nouvel envoi)"
    everything = frozenset(CATEGORY_IDS)
    ident = persons(7)[6].identity
    press = LetterPress(common, tmp_path / "w")
    letters = []
    for kw in ({}, {"minor": True}, {"protected": True}):
        p = AffectedPerson("x", 1, "nir", everything, ident, password="hashed", **kw)
        rec = letter_record(p, 1, "ab" * 32, "ABCD-ABCD-ABCD-ABCD-ABCD", reprint=True)
        letters.append((rec, profile_key(p)))
    pdf = press.render(letters)
    assert len(PdfReader(BytesIO(pdf)).pages) == 3


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
    good = persons(3)
    bad = AffectedPerson("NOADDR", 1.0, "nir", frozenset({"last_name"}), {"last_name": "X"})
    url, iid = _small_case(tmp_path, key, [*good, bad])
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
        states = [s for _, s, _ in store.notification_entries(iid, LETTER)]
        status = store.status(iid)
    assert states.count("handed_over") == 20 and states.count("returned") == 1
    assert status["steps"]["letters_rendered"]["count"] == 25
    assert status["steps"]["letters_sent"]["count"] == 20


def test_real_portal_codes_open_the_persons_page(case, tmp_path):
    """With the case's issuer, the code printed in each letter finds that person, and only
    it; a second run prints nothing new and changes no code."""
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=10, issue_code=None)
    rows = _manifest(out)
    with open_store(url, key=key) as store:
        by_reference = {reference(iid, r): r for r in (store.person_ref(p.patient_id) for p in store.affected(iid))}  # fmt: skip
        for row, text in zip(rows, _texts(out), strict=True):
            code = CODE.search(_flat(text)).group(1)
            assert find_person(store, iid, code) == by_reference[row["reference"]]


def test_portal_address_is_required(tmp_path, key):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with open_store(url, key=key) as store:
        iid = store.new_incident("i", datetime(2021, 2, 23, tzinfo=UTC), controller="Lab",
                                 dpo_contact="02 99 12 34 56")  # fmt: skip
        with pytest.raises(SenderError) as e:
            sender_for(store.incident_by_id(iid))
    assert "vigile case set --portal-url" in str(e.value)


@pytest.mark.parametrize(
    ("kw", "who"),
    [({"minor": True}, "votre enfant"), ({"protected": True}, "la personne que vous représentez")],
)
def test_minors_and_protected_persons_letters_go_to_representatives(tmp_path, key, kw, who):
    cats = {"last_name", "first_name", "nir", "lab_test", "phone"}
    url, iid = _small_case(tmp_path, key, [_person("P1", cats, **kw), _person("P2", cats)])
    out = tmp_path / "out"
    _render(url, key, iid, out)
    rep, own = (_flat(t) for t in _texts(out))
    assert "AUX REPRESENTANTS LEGAUX DE LEA ROUX" in rep
    assert "AUX REPRESENTANTS" not in own
    assert f"Pour {who}, ce fichier contenait" in rep and "Pour vous" not in rep
    assert "son numéro de sécurité sociale" in rep and "votre numéro de sécurité sociale" not in rep
    assert f"Le code personnel de {who}" in rep and f"Code personnel de {who}" not in own
    assert "Pour vous, ce fichier contenait" in own and "votre numéro de sécurité sociale" in own


@pytest.mark.parametrize(
    ("settings", "lines"),
    [
        ({"dpo_name": "Anne Martin"}, ["Anne Martin", "Délégué(e) à la protection des données"]),
        (
            {"dpo_name": "Anne Martin", "dpo_title": "Déléguée à la protection des données"},
            ["Anne Martin", "Déléguée à la protection des données"],
        ),
        ({}, ["Le délégué à la protection des données"]),
    ],
)
def test_signature_names_the_dpo(tmp_path, key, settings, lines):
    url, iid = _small_case(tmp_path, key, [_person("P1", {"last_name"})], **settings)
    _render(url, key, iid, tmp_path / "out")
    (text,) = _texts(tmp_path / "out")
    assert "\n".join(lines) in text


def test_cnil_sentence_follows_the_recorded_submission(tmp_path, key):
    url, iid = _small_case(tmp_path, key, [_person("P1", {"last_name"})])
    _render(url, key, iid, tmp_path / "before")
    (before,) = _texts(tmp_path / "before")
    assert "Cette violation sera notifiée à la CNIL" in _flat(before)
    assert "Nous avons notifié" not in before
    with open_store(url, key=key) as store:
        store.record_cnil_draft(iid, "initial", "a" * 64, "b" * 64)
        # 23:30 in Paris on 25 February 2021 (22:30 UTC): the 25th, as the reader lives it.
        store.record_cnil_submission(iid, datetime(2021, 2, 25, 22, 30, tzinfo=UTC), "R-1")
        ((ref, _, _),) = store.notification_entries(iid, LETTER)
        rid = queue_request(store, iid, {"last_name": "Roux"})
        assert answer_request(store, iid, rid, "letter", person_ref=ref)
    # The reprint answering the request is rendered after the submission: it says so.
    _render(url, key, iid, tmp_path / "after")
    (after,) = _texts(tmp_path / "after")
    assert "Nous avons notifié cette violation à la CNIL le 25 février 2021." in _flat(after)
    assert "sera notifiée" not in _flat(after)


def test_requests_get_one_reprint_each_with_the_same_code(case, tmp_path):
    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=10, issue_code=None)
    first = _manifest(out)
    with open_store(url, key=key) as store:
        refs = [store.person_ref(p.patient_id) for p in store.affected(iid)]
        rids = [queue_request(store, iid, {"last_name": "X"}) for _ in range(3)]
        assert answer_request(store, iid, rids[0], "letter", person_ref=refs[0])
        assert answer_request(store, iid, rids[1], "letter", person_ref=refs[1])
        assert not answer_request(store, iid, rids[1], "letter", person_ref=refs[1])
        assert answer_request(store, iid, rids[2], "no_match")
    run = _render(url, key, iid, out, batch_size=10, issue_code=None)
    assert (run.rendered, run.reprints, run.batches) == (2, 2, [4])
    rows = _manifest(out)
    assert rows[:25] == first
    assert [r["request"] for r in rows[25:]] == [str(rids[0]), str(rids[1])]
    texts = _texts(out)
    assert all("(nouvel envoi)" in t for t in texts[25:])
    with open_store(url, key=key) as store:
        for row, text in zip(rows, texts, strict=True):
            code = CODE.search(_flat(text)).group(1)
            assert reference(iid, find_person(store, iid, code)) == row["reference"]
    # Once: a rerun prints nothing more.
    assert _render(url, key, iid, out, batch_size=10).rendered == 0
    assert len(_manifest(out)) == 27


def test_request_before_any_letter_is_the_persons_only_letter(case, tmp_path):
    url, key, iid = case
    with open_store(url, key=key) as store:
        ref = store.person_ref(next(iter(store.affected(iid))).patient_id)
        rid = queue_request(store, iid, {"last_name": "X"})
        answer_request(store, iid, rid, "letter", person_ref=ref)
    out = tmp_path / "letters"
    run = _render(url, key, iid, out, batch_size=10)
    assert (run.rendered, run.reprints) == (25, 1)
    per_person = Counter(r["reference"] for r in _manifest(out))
    assert set(per_person.values()) == {1} and len(per_person) == 25


def test_a_folder_of_another_incidents_letters_is_refused_never_tidied(case, tmp_path, key):
    from vigile.notify.letters import OutputFolderError

    url, key, iid = case
    out = tmp_path / "letters"
    _render(url, key, iid, out, batch_size=10)
    before = sorted(p.name for p in out.iterdir())
    other_url, other = _small_case(tmp_path, key, [_person("P1", {"last_name"})])
    with pytest.raises(OutputFolderError) as e:
        _render(other_url, key, other, out)
    assert "another --out folder" in str(e.value)
    assert sorted(p.name for p in out.iterdir()) == before
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "letters-00001.pdf").write_bytes(b"%PDF-")
    with pytest.raises(OutputFolderError):
        _render(other_url, key, other, tmp_path / "stray")
    assert (tmp_path / "stray" / "letters-00001.pdf").exists()
