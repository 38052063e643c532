"""Bounds on the no-code form: per client (IPv4 address, IPv6 /64) and per hour for all
clients together (counted in the case store); the answer page never says which applied."""

from __future__ import annotations

import ipaddress

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from portal_support import build_case, csrf_of, make_portal

from vigile.case import contacts
from vigile.portal.limits import client_key

FIELDS = {
    "last_name": "TESTNOM1",
    "first_name": "CAMILLE",
    "birth_date": "1970-01-01",
    "postcode": "35000",
}


@pytest.fixture
def fresh_case(tmp_path):
    return build_case(tmp_path, persons=3, with_codes=0)


def _ask(app, host: str) -> tuple[int, str]:
    with TestClient(app, client=(host, 40000)) as c:
        token = csrf_of(c.get("/sans-code").text)
        r = c.post("/sans-code", data=FIELDS | {"csrf": token})
        return r.status_code, r.text


def _queued(store, case) -> int:
    return contacts.count_requests(store, case.incident_id)


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**64 - 1))
def test_an_ipv6_client_is_its_64(address, other_host_bits):
    ip = ipaddress.IPv6Address(address)
    same_net = ipaddress.IPv6Address((address >> 64 << 64) | other_host_bits)
    if ip.ipv4_mapped is None and same_net.ipv4_mapped is None:  # ::ffff:0:0/96 is IPv4
        assert client_key(str(ip)) == client_key(str(same_net))
        assert client_key(str(ip)).endswith("/64")


def test_client_keys():
    assert client_key("198.51.100.7") == "198.51.100.7"
    assert client_key("198.51.100.8") != client_key("198.51.100.7")
    assert client_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert (
        client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    )
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key(None) == "?"


def test_per_client_bound_same_page_nothing_queued(fresh_case):
    app, _, store = make_portal(fresh_case, identity_requests_per_day=2)
    try:
        pages = [_ask(app, "2001:db8:5:6::1"), _ask(app, "2001:db8:5:6::2")]
        assert _queued(store, fresh_case) == 2
        # a third address of the same /64: over the bound, the same page, nothing queued
        pages.append(_ask(app, "2001:db8:5:6:aaaa::3"))
        assert _queued(store, fresh_case) == 2
        # another network is not held back
        pages.append(_ask(app, "2001:db8:5:7::1"))
        pages.append(_ask(app, "203.0.113.9"))
        assert _queued(store, fresh_case) == 4
        assert {p for p in pages} == {pages[0]}
        assert pages[0][0] == 200
    finally:
        store.close()


def test_hourly_bound_of_all_clients_is_counted_in_the_store(fresh_case):
    app, _, store = make_portal(fresh_case, no_code_requests_per_hour=3)
    # another worker process: its own memory, the same store
    other_app, _, other_store = make_portal(fresh_case, no_code_requests_per_hour=3)
    try:
        pages = [_ask(app, f"198.51.100.{i}") for i in range(1, 3)]
        pages.append(_ask(other_app, "198.51.100.3"))
        assert _queued(store, fresh_case) == 3
        pages += [_ask(app, "198.51.100.4"), _ask(other_app, "198.51.100.5")]
        assert _queued(store, fresh_case) == 3
        assert len(set(pages)) == 1 and pages[0][0] == 200
    finally:
        store.close()
        other_store.close()
