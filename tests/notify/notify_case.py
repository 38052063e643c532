"""Case stores with affected persons for the notify tests and benchmark (fake values only)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

import numpy as np

from vigile.case import AffectedPerson, open_store

LAST = [
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "LE GALL",
    "LEFEBVRE",
    "N'DIAYE",
    "DE LA FONTAINE-SAINT-ÉLOI",
]
FIRST = ["Jean-Pierre", "Marie", "Élodie", "Yann", "Gwénaëlle", "Anne-Sophie-Charlotte"]
STREETS = [
    "12 rue de la Paix",
    "4 bis avenue du Maréchal de Lattre de Tassigny",
    "Résidence les Tilleuls / Bâtiment B escalier 3",
    "27 boulevard Saint-Michel",
    "lieu-dit Kerbrat",
]
TOWNS = [("35000", "Rennes"), ("29200", "Brest"), ("22300", "Lannion"), ("14000", "Caen")]
# Share of persons for whom each optional category was exposed, shaped like the 2021 lab leak
# (columns present for everyone unless the cell was empty; health words in free-text comments).
OPTIONAL = {"nir": 0.9, "phone": 0.9, "email": 0.3, "insurance": 0.7, "lab_test": 0.95,
            "health_condition": 0.12, "medication": 0.08, "blood_group": 0.05,
            "login": 0.6, "iban": 0.02}  # fmt: skip
BASE = ["last_name", "first_name", "birth_date", "sex", "address", "postcode", "city", "rpps"]


def stand_in_code(person_ref: str) -> str:
    return "TEST-" + hashlib.sha256(person_ref.encode()).hexdigest()[:12].upper()


def stand_in_issue_code(store, incident_id: int, person_refs: list[str]) -> dict[str, str]:
    """Stand-in for vigile.case.codes.issue_codes: a fixed, recognisable code per person,
    so tests can find it in the PDF text (the real codes are random)."""
    return {ref: stand_in_code(ref) for ref in person_refs}


def persons(n: int, seed: int = 5, email_share: float = 0.3) -> list[AffectedPerson]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cats = set(BASE) | {c for c, share in OPTIONAL.items() if rng.random() < share}
        if "login" in cats:
            cats.add("password")
        pc, town = TOWNS[i % len(TOWNS)]
        ident = {
            "last_name": LAST[i % len(LAST)],
            "first_name": FIRST[i % len(FIRST)],
            "address": STREETS[i % len(STREETS)],
            "postcode": pc,
            "city": town,
            "birth_date": "1970-01-01",
        }
        if rng.random() < email_share:
            ident["email"] = f"patient{i}@exemple.test"
            ident["channel"] = "email"
        out.append(AffectedPerson(f"P{i:07d}", 1.0, "nir", frozenset(cats), ident))
    return out


PORTAL = "https://verification.labo-exemple.test"
REFUSED = "patient9@exemple.test"  # a fixture person who chose e-mail; the SMTP sink refuses it


def make_case(url: str, key: bytes, n: int, portal_url: str | None = PORTAL, **kw) -> int:
    with open_store(url, key=key) as store:
        iid = store.new_incident(
            "fuite-2021",
            datetime(2021, 2, 23, 9, 0, tzinfo=UTC),
            controller="Laboratoire Exemple de Bretagne",
            dpo_contact="dpo@labo-exemple.test, 02 99 12 34 56",
        )
        if portal_url:
            store.update_settings(iid, portal_url=portal_url)
        store.replace_affected(iid, persons(n, **kw), unmatched_leak_persons=0)
    return iid


def new_key() -> bytes:
    return os.urandom(32)


def env_with_key(key: bytes) -> dict:
    """The environment of a child vigile process that reads the key from VIGILE_KEY."""
    import base64
    import os

    return {**os.environ, "VIGILE_KEY": base64.b64encode(key).decode()}


def check_letters(store, iid: int, out, requests: dict[int, str] | None = None) -> None:
    """The final state of a letters run, asserted: one letter per person (plus one per
    request), a manifest without duplicates matching the PDFs, every printed code valid."""
    import csv
    import re
    from collections import Counter

    from pypdf import PdfReader

    from vigile.case import LETTER
    from vigile.case.codes import find_person
    from vigile.notify import reference

    requests = requests or {}
    code_re = re.compile(r"code personnel(?: de [^:]+)? : ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
    persons = {store.person_ref(p.patient_id) for p in store.affected(iid)}
    log = store.notification_entries(iid, LETTER)
    rendered = [(ref, d) for ref, state, d in log if state == "rendered"]
    first = Counter(ref for ref, d in rendered if "request" not in d)
    by_request = Counter(d["request"] for _, d in rendered if "request" in d)
    assert by_request == Counter(set(requests))
    assert set(first) | set(requests.values()) == persons and set(first.values()) == {1}
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(rendered)
    assert len({(r["reference"], r["request"]) for r in rows}) == len(rows)  # no duplicate
    by_batch = Counter(r["file"] for r in rows)
    assert sorted(p.name for p in out.glob("letters-*.pdf")) == sorted(by_batch)
    assert not list(out.glob("*.tmp")) and not (out / ".letter-bodies").exists()
    owner = {reference(iid, ref): ref for ref in persons}
    pages = {}
    for name in by_batch:
        reader = PdfReader(out / name)
        assert len(reader.pages) == by_batch[name]
        pages[name] = [" ".join(p.extract_text().split()) for p in reader.pages]
    for r in rows:
        text = pages[r["file"]][int(r["page"]) - 1]
        assert r["reference"] in text
        code = code_re.search(text).group(1)
        assert find_person(store, iid, code) == owner[r["reference"]]
