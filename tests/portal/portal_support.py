"""Helpers of the portal tests: a small SQLite case with fake affected persons and codes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from vigile.case import AffectedPerson, open_store
from vigile.case.codes import issue_codes

CATEGORY_SETS = [
    ("last_name", "first_name", "birth_date", "nir", "address", "health_condition"),
    ("last_name", "first_name", "phone", "login", "password"),
    ("last_name", "birth_date", "blood_group", "insurance", "medication"),
]


@dataclass
class Case:
    url: str
    key: bytes
    incident_id: int
    codes: dict[str, str]  # patient_id -> code in clear
    refs: dict[str, str]  # patient_id -> person_ref


def fake_person(i: int) -> AffectedPerson:
    return AffectedPerson(
        patient_id=f"P{i:06d}",
        match_probability=1.0,
        match_method="nir",
        categories=frozenset(CATEGORY_SETS[i % len(CATEGORY_SETS)]),
        identity={
            "last_name": f"TESTNOM{i}",
            "first_name": "CAMILLE",
            "birth_date": "1970-01-01",
            "address": f"{i} rue de l'Exemple",
            "postcode": "35000",
            "city": "RENNES",
        },
    )


def build_case(directory, persons: int = 30, with_codes: int = 20) -> Case:
    return build_case_of(directory, [fake_person(i) for i in range(persons)], with_codes)


def build_case_of(directory, people: list[AffectedPerson], with_codes: int | None = None) -> Case:
    """A case holding exactly `people`; codes for the first `with_codes` (default: all)."""
    url = f"sqlite:///{directory / 'case.db'}"
    key = os.urandom(32)
    with_codes = len(people) if with_codes is None else with_codes
    store = open_store(url, key=key, actor="test")
    try:
        iid = store.new_incident(
            "fuite-labo-test",
            datetime(2021, 2, 14, 9, 0, tzinfo=UTC),
            controller="Laboratoire Exemple",
            dpo_contact="dpo@labo.example",
        )
        store.replace_affected(iid, people, unmatched_leak_persons=0)
        refs = {p.patient_id: store.person_ref(p.patient_id) for p in people}
        issued = issue_codes(store, iid, [refs[p.patient_id] for p in people[:with_codes]])
        codes = {pid: issued[ref] for pid, ref in refs.items() if ref in issued}
    finally:
        store.close()
    return Case(url, key, iid, codes, refs)


def make_portal(case: Case, **config):
    """(app, portal, store) for in-process tests; the caller closes the store."""
    from vigile.portal import Portal, PortalConfig, create_app

    store = open_store(case.url, key=case.key, actor="portal")
    portal = Portal(store, case.incident_id, PortalConfig(**config))
    return create_app(portal), portal, store


def write_key_file(case: Case, directory) -> str:
    """The case's key in a 0600 file, as `vigile case new` writes it."""
    import base64

    path = directory / "case.key"
    path.write_bytes(base64.b64encode(case.key) + b"\n")
    path.chmod(0o600)
    return str(path)


def list_items(html: str, css_class: str) -> list[str]:
    """The text of each <li> of the <ul class=css_class> of a page (entities decoded)."""
    from html.parser import HTMLParser

    class Items(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth, self.items, self.inside = 0, [], False

        def handle_starttag(self, tag, attrs):
            if tag == "ul" and (dict(attrs).get("class") or "").split() == [css_class]:
                self.inside = True
            elif tag == "li" and self.inside:
                self.items.append("")

        def handle_endtag(self, tag):
            if tag == "ul":
                self.inside = False

        def handle_data(self, data):
            if self.inside and self.items:
                self.items[-1] += data

    parser = Items()
    parser.feed(html)
    return [item.strip() for item in parser.items]


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


from vigile.demo.server import LiveServer  # noqa: E402,F401 (one loopback server)
