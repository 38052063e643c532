"""Guessing codes hits the limits long before any success becomes plausible."""

from __future__ import annotations

from fastapi.testclient import TestClient
from portal_support import build_case, csrf_of, make_portal

from vigile.case import codes as C
from vigile.portal import PortalConfig

HOURS_PER_YEAR = 24 * 365


def _guess(client: TestClient, code: str) -> int:
    page = client.get("/")
    r = client.post(
        "/code", data={"code": code, "csrf": csrf_of(page.text)}, follow_redirects=False
    )
    return r.status_code


def test_one_client_is_locked_out_after_five_wrong_codes(case):
    app, portal, store = make_portal(case)
    cfg = portal.config
    real = next(iter(case.codes.values()))
    with TestClient(app, client=("198.51.100.7", 40000)) as attacker:
        statuses = [_guess(attacker, C.generate_code()) for _ in range(12)]
        assert statuses[: cfg.max_code_failures] == [400] * cfg.max_code_failures
        assert set(statuses[cfg.max_code_failures :]) == {429}
        assert _guess(attacker, real) == 429  # locked: even the right code is refused
    with TestClient(app, client=("198.51.100.8", 40000)) as someone_else:
        assert _guess(someone_else, real) == 303  # the lock is per client
    store.close()


def test_a_flood_tightens_each_lock_and_never_refuses_a_right_code(tmp_path):
    """Past the hourly ceiling of wrong codes (all clients together) each client is locked
    at its first wrong code; nobody gets 503. Regression: past the ceiling every code,
    the right ones too, got 503 (guessing turned into a denial of service)."""
    case = build_case(tmp_path, persons=5, with_codes=5)
    app, portal, store = make_portal(case, global_code_failures_per_hour=30)
    try:
        statuses = []
        for i in range(10):  # ten addresses, each below its own lockout of 5
            with TestClient(app, client=(f"198.51.100.{i + 20}", 40000)) as c:
                statuses.append([_guess(c, C.generate_code()) for _ in range(4)])
        assert statuses[:7] == [[400] * 4] * 7  # 28 wrong codes: under the ceiling
        assert statuses[7] == [400, 400, 400, 429]  # the 31st is past it: locked at once
        assert statuses[8] == statuses[9] == [400, 429, 429, 429]
        assert portal.throttle.flood()
        real = list(case.codes.values())
        for i, code in enumerate(real):  # during the flood, a person with the right code
            with TestClient(app, client=(f"203.0.113.{i + 1}", 40000)) as person:
                assert _guess(person, code) == 303
        with TestClient(app, client=("198.51.100.29", 40000)) as locked:
            assert _guess(locked, real[0]) == 429  # a locked guesser stays locked
    finally:
        store.close()


def test_the_numbers_make_success_implausible():
    cfg = PortalConfig()
    code_space = 32**C.RANDOM_SYMBOLS  # check symbol adds nothing for a guesser
    issued = 10_000_000  # far more letters than the 491,840 persons of the 2021 leak
    p_success_per_guess = issued / code_space
    # One client: max_code_failures per lockout period, all year long.
    per_client_year = cfg.max_code_failures * HOURS_PER_YEAR * 3600 / cfg.lockout_s
    assert per_client_year <= 45_000
    # Every client together: a wrong code is a look-up, and look-ups are bounded by the
    # portal's global rate (requests of all clients per second) however many addresses
    # guess. No hourly ceiling that would refuse right codes is needed for the bound:
    all_year = cfg.global_rate * 3600 * HOURS_PER_YEAR
    assert all_year * p_success_per_guess < 1e-10  # union bound on a year at full rate
    # ...and a flood past the hourly ceiling leaves each client one guess per lockout.
    flood_client_year = 1 * HOURS_PER_YEAR * 3600 / cfg.lockout_s
    assert flood_client_year * 10**9 * p_success_per_guess < 1e-3  # a billion clients


def test_an_ipv6_network_is_locked_out_as_one_client(case):
    """A /64 hands out addresses at will: changing the last 64 bits does not reset the count."""
    app, portal, store = make_portal(case)
    statuses = []
    for i in range(portal.config.max_code_failures + 2):
        with TestClient(app, client=(f"2001:db8:77:1::{i + 1:x}", 40000)) as c:
            statuses.append(_guess(c, C.generate_code()))
    n = portal.config.max_code_failures
    assert statuses[:n] == [400] * n and set(statuses[n:]) == {429}
    with TestClient(app, client=("2001:db8:77:2::1", 40000)) as other_network:
        assert _guess(other_network, next(iter(case.codes.values()))) == 303
    store.close()
