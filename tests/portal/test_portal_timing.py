"""The no-code form takes the same time whether or not the person is in the store."""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from portal_support import build_case, csrf_of, make_portal
from scipy.stats import ks_2samp, mannwhitneyu

N = 2_000  # requests per group
ALPHA = 0.001
PRESENT = {
    "last_name": "TESTNOM2",
    "first_name": "CAMILLE",
    "birth_date": "1970-01-01",
    "postcode": "35000",
}
ABSENT = {
    "last_name": "ABSENTNOM",
    "first_name": "DOMINIQUE",
    "birth_date": "1988-03-04",
    "postcode": "29200",
}


@pytest.fixture
def ram_case(tmp_path):
    """The store on tmpfs when there is one: disk fsync jitter would only add noise and time."""
    shm = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else tmp_path
    yield build_case(directory)
    shutil.rmtree(directory, ignore_errors=True)


async def _measure(app) -> tuple[dict[str, list[float]], set[str]]:
    times: dict[str, list[float]] = {"present": [], "absent": []}
    order = ["present"] * N + ["absent"] * N
    random.Random(6).shuffle(order)  # interleaved, so drift in machine load hits both alike
    bodies = set()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portail.test") as client:
        token = csrf_of((await client.get("/sans-code")).text)
        for _ in range(20):  # warm-up
            await client.post("/sans-code", data=ABSENT | {"csrf": token})
        for which in order:
            fields = PRESENT if which == "present" else ABSENT
            t = time.perf_counter()
            r = await client.post("/sans-code", data=fields | {"csrf": token})
            times[which].append(time.perf_counter() - t)
            assert r.status_code == 200
            bodies.add(r.text)
    return times, bodies


def test_present_and_absent_persons_are_indistinguishable_by_time(ram_case):
    app, _, store = make_portal(
        ram_case, client_requests_per_minute=10**6, identity_requests_per_day=10**6
    )
    try:
        times, bodies = asyncio.run(_measure(app))
    finally:
        store.close()
    assert len(bodies) == 1  # byte-identical pages
    mw = mannwhitneyu(times["present"], times["absent"])
    ks = ks_2samp(times["present"], times["absent"])
    assert mw.pvalue > ALPHA, f"Mann-Whitney p={mw.pvalue:.4g}"
    assert ks.pvalue > ALPHA, f"KS p={ks.pvalue:.4g}"
