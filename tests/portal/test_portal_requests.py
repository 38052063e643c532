"""`vigile portal requests`: each no-code request matched to the channel on file, once."""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portal_support import build_case_of, write_key_file
from typer.testing import CliRunner

import vigile.cli.portal_cmd  # noqa: F401  (registers the command)
from vigile.case import EMAIL, LETTER, AffectedPerson, contacts, open_store
from vigile.cli.app import app
from vigile.portal import requests as R


def _person(pid: str, **identity: str) -> AffectedPerson:
    base = {"birth_date": "1970-01-01", "postcode": "35000"}
    return AffectedPerson(
        patient_id=pid,
        match_probability=1.0,
        match_method="nir",
        categories=frozenset({"last_name", "first_name", "nir"}),
        identity=base | identity,
    )


ADDRESS = {"address": "3 rue des Lices", "city": "RENNES"}
PEOPLE = [
    # opted in to e-mail on the portal (and has an address): e-mail wins
    _person("OPTIN", last_name="LEFÈVRE-D'ARC", first_name="ÉLOÏSE", **ADDRESS),
    # an address only: a letter
    _person(
        "POSTAL", last_name="MARTIN", first_name="JEAN PIERRE", birth_date="1982-07-14", **ADDRESS
    ),
    # e-mail and the e-mail channel recorded in the patient database
    _person(
        "CHOSE",
        last_name="DURAND",
        first_name="LÉA",
        email="lea@example.org",
        channel="Courriel",
        **ADDRESS,
    ),
    # an e-mail without the channel chosen: still a letter
    _person("NOCHOICE", last_name="PETIT", first_name="NOÉ", email="noe@example.org", **ADDRESS),
    # nothing to write to
    _person("NOWHERE", last_name="ROUX", first_name="ADÈLE"),
    # two persons with the same identity (homonyms at the same postcode): ambiguous
    _person("TWIN1", last_name="BERNARD", first_name="CAMILLE", **ADDRESS),
    _person("TWIN2", last_name="BERNARD", first_name="CAMILLE", **ADDRESS),
    # usage name in last_name, birth name kept apart; all given names stored
    _person(
        "MARRIED",
        last_name="GIRARD",
        birth_name="MOREAU",
        first_name="MARIE CLAIRE ANNE",
        birth_date="14/02/1965",
        postcode="35 200",
        **ADDRESS,
    ),
]
RAW = [
    "LEFÈVRE",
    "Lefevre",
    "ÉLOÏSE",
    "Eloise",
    "MARTIN",
    "Jean",
    "DURAND",
    "lea@example.org",
    "BERNARD",
    "GIRARD",
    "MOREAU",
    "Inconnu",
    "rue des Lices",
    "RENNES",
    "1982",
    "1970",
]


def _typed(last, first, birth, post="35000"):
    return {"last_name": last, "first_name": first, "birth_date": birth, "postcode": post}


REQUESTS = {
    "optin": _typed("lefevre d arc", "Eloise", "01/01/1970"),
    "postal": _typed("Martin", "jean-pierre", "14/07/1982", " 35000 "),
    "chose": _typed("Durand", "Léa", "1970-01-01"),
    "nochoice": _typed("PETIT", "Noé", "1.1.1970"),
    "nowhere": _typed("Roux", "Adele", "01011970"),
    "twins": _typed("Bernard", "Camille", "01/01/1970"),
    "stranger": _typed("Inconnu", "Alex", "02/03/1990", "75001"),
    "married": _typed("Moreau", "Marie", "1965-02-14", "35200"),
    "bad_date": _typed("Martin", "Jean-Pierre", "31/02/1982"),
}


@pytest.fixture
def case(tmp_path):
    c = build_case_of(tmp_path, PEOPLE, with_codes=0)
    with open_store(c.url, key=c.key, actor="test") as store:
        contacts.save_email_optin(store, c.incident_id, c.refs["OPTIN"], "eloise@example.org")
    return c


def _queue(case, typed: dict[str, dict]) -> dict[str, int]:
    with open_store(case.url, key=case.key, actor="portal") as store:
        return {k: contacts.queue_request(store, case.incident_id, f) for k, f in typed.items()}


def _answers(case) -> dict[int, tuple[str, str | None]]:
    with open_store(case.url, key=case.key, actor="test") as store:
        every = contacts.list_requests(store, case.incident_id, pending_only=False)
    return {r.id: (r.outcome, r.person_ref) for r in every}


def _entries(case, channel: str) -> list[tuple[str, str, dict]]:
    with open_store(case.url, key=case.key, actor="test") as store:
        return store.notification_entries(case.incident_id, channel)


def _cli(case, key_file, *extra):
    return CliRunner().invoke(
        app,
        ["portal", "requests", "--db", case.url, "--key-file", key_file, *extra],
    )


def test_each_request_gets_the_channel_on_file(case, tmp_path):
    ids = _queue(case, REQUESTS)
    r = _cli(case, write_key_file(case, tmp_path), "--process")
    assert r.exit_code == 0, r.output
    got = _answers(case)
    refs = case.refs
    assert got[ids["optin"]] == ("email", refs["OPTIN"])
    assert got[ids["postal"]] == ("letter", refs["POSTAL"])
    assert got[ids["chose"]] == ("email", refs["CHOSE"])
    assert got[ids["nochoice"]] == ("letter", refs["NOCHOICE"])
    assert got[ids["nowhere"]] == ("no_match", refs["NOWHERE"])  # matched, nowhere to write
    assert got[ids["twins"]] == ("no_match", None)  # two persons: nobody is told anything
    assert got[ids["stranger"]] == ("no_match", None)
    assert got[ids["married"]] == ("letter", refs["MARRIED"])  # birth name, first given name
    assert got[ids["bad_date"]] == ("no_match", None)  # 31 February is no birth date

    emails = _entries(case, EMAIL)
    letters = _entries(case, LETTER)
    assert sorted((ref, state, d["request"]) for ref, state, d in emails) == sorted(
        [(refs["OPTIN"], "planned", ids["optin"]), (refs["CHOSE"], "planned", ids["chose"])]
    )
    assert sorted((ref, state, d["request"]) for ref, state, d in letters) == sorted(
        [
            (refs["POSTAL"], "planned", ids["postal"]),
            (refs["NOCHOICE"], "planned", ids["nochoice"]),
            (refs["MARRIED"], "planned", ids["married"]),
        ]
    )
    assert "2 e-mails and 3 letters planned" in r.output
    assert "4 without a match (1 ambiguous, 1 matched" in r.output
    for raw in RAW:
        assert raw.lower() not in r.output.lower()
    for typed in REQUESTS.values():
        for value in (typed["last_name"], typed["first_name"], typed["birth_date"]):
            assert value.strip().lower() not in r.output.lower()


def test_no_identity_in_the_output_and_times_in_paris(case, tmp_path):
    _queue(case, REQUESTS)
    key_file = write_key_file(case, tmp_path)
    listing = _cli(case, key_file)
    processed = _cli(case, key_file, "--process", "--json")
    for r in (listing, processed):
        assert r.exit_code == 0, r.output
        text = r.output.lower()
        for raw in RAW:
            assert raw.lower() not in text
        for ref in case.refs.values():  # not even the pseudonymous references
            assert ref not in r.output
    assert "Europe/Paris" in listing.output
    assert f"pending {len(REQUESTS)}" in listing.output
    out = json.loads(processed.output)
    assert out["processed"]["pending"] == len(REQUESTS)
    assert out["by_state"] == {"handled": len(REQUESTS)}
    assert out["by_outcome"] == {"email": 2, "letter": 3, "no_match": 4}
    assert out["latest_received"].endswith(("+01:00", "+02:00"))
    assert set(out["latest"][0]) == {"id", "received", "state", "outcome"}


def test_processing_twice_queues_nothing_more(case, tmp_path):
    _queue(case, REQUESTS)
    key_file = write_key_file(case, tmp_path)
    assert _cli(case, key_file, "--process").exit_code == 0
    before = (_entries(case, LETTER), _entries(case, EMAIL))
    again = _cli(case, key_file, "--process")
    assert again.exit_code == 0 and "no pending request" in again.output
    assert (_entries(case, LETTER), _entries(case, EMAIL)) == before


def test_a_second_request_of_the_same_person_is_a_duplicate(case):
    first = _queue(case, {"a": REQUESTS["postal"]})
    with open_store(case.url, key=case.key, actor="op") as store:
        assert R.process_requests(store, case.incident_id).letter == 1
    second = _queue(case, {"b": _typed("MARTIN", "Jean Pierre", "1982-07-14")})
    with open_store(case.url, key=case.key, actor="op") as store:
        run = R.process_requests(store, case.incident_id)
    assert run.duplicate == 1 and run.letter == 0
    assert _answers(case)[second["b"]] == ("duplicate", case.refs["POSTAL"])
    assert [d["request"] for _, _, d in _entries(case, LETTER)] == [first["a"]]


def test_a_killed_run_resumes_without_queuing_twice(case, monkeypatch):
    ids = _queue(case, REQUESTS)
    real = contacts.answer_request
    calls = []

    def dies_after_three(*args, **kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a kill between two answers
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(contacts, "answer_request", dies_after_three)
    with open_store(case.url, key=case.key, actor="op") as store:
        with pytest.raises(KeyboardInterrupt):
            R.process_requests(store, case.incident_id)
    monkeypatch.setattr(contacts, "answer_request", real)
    assert sum(o is not None for o, _ in _answers(case).values()) == 3
    with open_store(case.url, key=case.key, actor="op") as store:
        run = R.process_requests(store, case.incident_id)
    assert run.pending == len(REQUESTS) - 3
    planned = [d["request"] for ch in (LETTER, EMAIL) for _, _, d in _entries(case, ch)]
    assert sorted(planned) == sorted(
        ids[k] for k in ("optin", "postal", "chose", "nochoice", "married")
    )


def test_two_operators_at_once_queue_each_notification_once(tmp_path):
    """Two `vigile portal requests --process` processes started together on one store."""
    people = [
        _person(f"P{i:03d}", last_name=f"NOM{i}", first_name="ALEX", **ADDRESS) for i in range(60)
    ]
    case = build_case_of(tmp_path, people, with_codes=0)
    ids = _queue(case, {i: _typed(f"nom{i}", "Alex", "01/01/1970") for i in range(60)})
    key_file = write_key_file(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGILE_")}
    env["VIGILE_KEY_DIR"] = str(tmp_path / "keys")
    env["VIGILE_DEBUG"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "vigile",
        "portal",
        "requests",
        "--process",
        "--json",
        "--db",
        case.url,
        "--key-file",
        key_file,
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    runs = [json.loads(out)["processed"] for out, _ in outs]
    answered = sum(r["letter"] + r["email"] + r["no_match"] + r["duplicate"] for r in runs)
    assert answered == 60  # every request answered by exactly one of the two
    letters = _entries(case, LETTER)
    assert sorted(d["request"] for _, _, d in letters) == sorted(ids.values())
    assert len({ref for ref, _, _ in letters}) == 60


# -- normalisation --------------------------------------------------------------------
def _norm(**fields) -> dict:
    row = {f: [fields.get(f)] for f in ("last_name", "first_name", "birth_date", "postcode")}
    return R.normalise(pl.DataFrame(row, schema={k: pl.String for k in row})).row(0, named=True)


ACCENTED = st.text(alphabet="abcdeéèêëàâäîïôöùûüçœæ", min_size=1, max_size=12)


@given(ACCENTED, st.lists(st.sampled_from(["-", "'", " ", "  ", "’"]), max_size=3), st.data())
@settings(deadline=None)
def test_names_ignore_case_accents_and_separators(word, seps, data):
    import unicodedata

    plain = (
        "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        .replace("œ", "oe")
        .replace("æ", "ae")
    )
    typed = "".join(
        (c.upper() if data.draw(st.booleans()) else c)
        + (data.draw(st.sampled_from(seps)) if seps and data.draw(st.booleans()) else "")
        for c in word
    )
    assert _norm(last_name=typed)["last_name"] == _norm(last_name=plain)["last_name"] == plain


@given(st.dates(date(1900, 1, 1), date(2030, 12, 31)), st.sampled_from(range(7)))
@settings(deadline=None)
def test_birth_dates_in_every_usual_form(d, form):
    typed = [
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.day}/{d.month}/{d.year}",
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day:02d}{d.month:02d}{d.year}",
        d.isoformat(),
        f"{d.isoformat()}T00:00:00",
    ][form]
    assert _norm(birth_date=f" {typed} ")["birth_date"] == d.isoformat()


@given(st.lists(st.text(max_size=30), min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_normalising_never_crashes_and_dates_are_real(texts):
    frame = pl.DataFrame(
        {f: texts for f in ("last_name", "first_name", "birth_date", "postcode")},
        schema_overrides={f: pl.String for f in ("birth_date",)},
    )
    out = R.normalise(frame)
    assert out.height == len(texts)
    for row in out.iter_rows(named=True):
        if row["birth_date"] is not None:
            assert date.fromisoformat(row["birth_date"])
        assert re.fullmatch(r"[0-9A-Z]*", row["postcode"])
        # no separator survives (letters of scripts newer than Python's tables may)
        assert not any(c.isspace() or c in string.punctuation for c in row["last_name"])


def test_impossible_or_partial_dates_never_match():
    for typed in ("31/02/1980", "1980-13-01", "01/01/80", "1980", "", "00/00/0000", "12/1980"):
        assert _norm(birth_date=typed)["birth_date"] is None


def test_postcodes():
    assert _norm(postcode=" 35 000 ")["postcode"] == "35000"
    assert _norm(postcode="1000")["postcode"] == "01000"  # a spreadsheet dropped the zero
    assert _norm(postcode="2a004")["postcode"] == "2A004"
