"""Guessing codes hits the limits long before any success becomes plausible."""

from __future__ import annotations

from fastapi.testclient import TestClient
from portal_support import csrf_of, make_portal

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


def test_distributed_guessing_hits_the_global_ceiling(case):
    app, portal, store = make_portal(case, global_code_failures_per_hour=30)
    refused = 0
    for i in range(10):  # ten addresses, each below its own lockout
        with TestClient(app, client=(f"198.51.100.{i + 20}", 40000)) as c:
            for _ in range(portal.config.max_code_failures - 1):
                refused += _guess(c, C.generate_code()) == 503
    assert refused == 10 * 4 - 30  # every guess past the hourly ceiling is refused
    store.close()


def test_the_numbers_make_success_implausible():
    cfg = PortalConfig()
    code_space = 32**C.RANDOM_SYMBOLS  # check symbol adds nothing for a guesser
    issued = 10_000_000  # far more letters than the 491,840 persons of the 2021 leak
    # One address: max_code_failures per lockout period (lockout + window), all year long.
    per_client_year = cfg.max_code_failures * HOURS_PER_YEAR * 3600 / cfg.lockout_s
    # All addresses together (botnet): the global ceiling bounds every guess.
    global_year = cfg.global_code_failures_per_hour * HOURS_PER_YEAR
    p_success_per_guess = issued / code_space
    assert per_client_year <= 45_000
    assert global_year <= 44_000_000
    # Union bound on a year of guessing at the global ceiling: below one in a trillion...
    assert global_year * p_success_per_guess < 1e-12
    # ...and still below one in a million if the ceiling were absent, at 500 guesses/s.
    assert 500 * 3600 * HOURS_PER_YEAR * p_success_per_guess < 1e-6


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
