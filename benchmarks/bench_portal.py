"""Load benchmark of the portal's code look-up on loopback (bounded: stops by itself).

Target (issue 6): >= 500 code look-ups per second with p99 under 100 ms.

The server runs in its own process (uvicorn, as `vigile portal serve` does); the
client sends POST /code with a fresh CSRF pair, 80 % valid codes and 20 %
wrong ones, each request from a distinct client address given in
X-Forwarded-For as a reverse proxy would (uvicorn trusts it from 127.0.0.1).
Every request does the full work: CSRF check, limits, HMAC tag, one indexed
query, one scrypt verification, and a sealed session cookie on success.

    python benchmarks/bench_portal.py [--seconds 10] [--concurrency 16] [--persons 2000]

`--match-requests N` measures instead `vigile portal requests --process`: N pending
no-code requests (half typed by affected persons, with other case, accents and date
formats) answered against `--persons` affected persons (one decrypting pass).

    python benchmarks/bench_portal.py --match-requests 2000 --persons 100000

`--flood N` measures the portal under a wrong-code flood from N client addresses (half
IPv4, half IPv6 in distinct /64s; wrong codes with a valid check symbol, so each one is a
real look-up counted against its client in the store) while a prober types right codes
from fresh addresses a few times a second: look-ups/s of the flood, its statuses, and
whether every right code still got in (303) and how fast.

    python benchmarks/bench_portal.py --flood 1000 --seconds 20 [--on-disk | --postgres]

`--on-disk` puts the SQLite store in the working directory (WAL, synchronous=FULL: every
wrong code is a synced write), `--postgres` on a throwaway PostgreSQL cluster started from
/usr/lib/postgresql/*/bin (as tests/conftest.py does, but with fsync on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def build_case(directory: Path, persons: int, url: str | None = None
               ) -> tuple[str, bytes, list[str]]:  # fmt: skip
    from vigile.case import AffectedPerson, open_store
    from vigile.case.codes import issue_codes

    url = url or f"sqlite:///{directory / 'bench.db'}"
    key = os.urandom(32)
    with open_store(url, key=key, actor="bench") as store:
        iid = store.new_incident(
            "bench", datetime(2021, 2, 14, tzinfo=UTC), "Laboratoire", "dpo@labo.example"
        )
        people = [
            AffectedPerson(
                f"B{i:07d}",
                1.0,
                "nir",
                frozenset({"nir", "last_name", "health_condition"}),
                {"last_name": f"BENCH{i}", "first_name": "X", "birth_date": "1970-01-01"},
            )
            for i in range(persons)
        ]
        store.replace_affected(iid, people, 0)
        codes = issue_codes(store, iid, [store.person_ref(p.patient_id) for p in people])
    return url, key, list(codes.values())


WORKERS = int(os.environ.get("BENCH_PORTAL_WORKERS", "2"))


def start_postgres(root: Path) -> tuple[str, list[str], Path]:
    """A throwaway PostgreSQL cluster (the binaries tests/conftest.py uses), durable as a
    production one (fsync and synchronous_commit on), on a unix socket only; returns
    (URL of a fresh database, the command prefix, data folder) for `stop_postgres`."""
    import glob
    import pwd

    bins = [d for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
            if Path(d, "initdb").exists()]  # fmt: skip
    if not bins:
        raise SystemExit("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    bindir = Path(bins[0])
    prefix: list[str] = []
    data, sock = root / "pgdata", root / "pgsock"
    sock.mkdir()
    if os.geteuid() == 0:  # initdb refuses root
        uid = pwd.getpwnam("postgres").pw_uid
        prefix = ["runuser", "-u", "postgres", "--"]
        for p in (root, sock):
            os.chown(p, uid, -1)
    run = dict(check=True, capture_output=True, text=True)
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "vigile", "-A",
                    "trust", "-E", "UTF8"], **run)  # fmt: skip
    opts = f"-k {sock} -c listen_addresses='' -c max_connections=200"
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l",
                    str(root / "pg.log"), "start"], **run)  # fmt: skip
    import psycopg

    with psycopg.connect(host=str(sock), user="vigile", dbname="postgres", autocommit=True) as c:
        c.execute('CREATE DATABASE "bench"')
    return f"postgresql://vigile@/bench?host={sock}", [*prefix, str(bindir / "pg_ctl")], data


def stop_postgres(pg_ctl: list[str], data: Path) -> None:
    subprocess.run([*pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)


def run_server(url: str, key_hex: str, port: int, ceiling: int = 0) -> None:
    import base64

    from vigile.case import open_store
    from vigile.portal import PortalConfig
    from vigile.portal.server import serve

    key = bytes.fromhex(key_hex)
    os.environ["VIGILE_KEY"] = base64.b64encode(key).decode()
    with open_store(url, key=key, actor="portal") as store:
        iid = store.incident("bench").id
    # Production defaults except the global bucket, which would cap the measurement itself.
    config = PortalConfig(global_rate=100_000, global_burst=100_000)
    if ceiling:  # the hourly ceiling of wrong codes past which the portal is under a flood
        config = PortalConfig(global_rate=100_000, global_burst=100_000,
                              global_code_failures_per_hour=ceiling)  # fmt: skip
    serve(url, iid, "127.0.0.1", port, config=config, workers=WORKERS)


async def load(base: str, codes: list[str], seconds: float, concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    rng = random.Random(1)
    deadline = time.perf_counter() + seconds
    from vigile.case.codes import generate_code

    async with httpx.AsyncClient(base_url=base, timeout=10) as warm:
        page = await warm.get("/")
        csrf_cookie = page.cookies["vigile_csrf"]
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    async def worker(n: int) -> None:
        async with httpx.AsyncClient(
            base_url=base, timeout=10, cookies={"vigile_csrf": csrf_cookie}
        ) as client:
            while time.perf_counter() < deadline:
                code = rng.choice(codes) if rng.random() < 0.8 else generate_code()
                addr = f"127.{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.randrange(256)}"
                t = time.perf_counter()
                r = await client.post(
                    "/code",
                    data={"code": code, "csrf": token},
                    headers={"x-forwarded-for": addr},
                )
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                client.cookies.delete("vigile_session")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "client": "httpx",
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "lookups_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "statuses": statuses,
    }


async def flood(base: str, codes: list[str], seconds: float, concurrency: int,
                n_addresses: int) -> dict:  # fmt: skip
    """Wrong codes from `n_addresses` clients, right codes from fresh ones alongside."""
    import httpx

    from vigile.case.codes import generate_code

    rng = random.Random(2)
    half = n_addresses // 2
    addresses = [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(half)]
    addresses += [f"2001:db8:{i // 65536:x}:{i % 65536:x}::{rng.randrange(1, 9999):x}"
                  for i in range(n_addresses - half)]  # fmt: skip
    wrong = [generate_code() for _ in range(5_000)]  # valid check symbol: real look-ups
    async with httpx.AsyncClient(base_url=base, timeout=30) as warm:
        page = await warm.get("/")
        csrf_cookie = page.cookies["vigile_csrf"]
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    flood_lat: list[float] = []
    flood_status: dict[int, int] = {}
    right_lat: list[float] = []
    right_status: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def attacker() -> None:
        async with httpx.AsyncClient(
            base_url=base, timeout=30, cookies={"vigile_csrf": csrf_cookie}
        ) as client:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                r = await client.post(
                    "/code",
                    data={"code": rng.choice(wrong), "csrf": token},
                    headers={"x-forwarded-for": rng.choice(addresses)},
                )
                flood_lat.append(time.perf_counter() - t)
                flood_status[r.status_code] = flood_status.get(r.status_code, 0) + 1

    async def person() -> None:
        n = 0
        async with httpx.AsyncClient(
            base_url=base, timeout=30, cookies={"vigile_csrf": csrf_cookie}
        ) as client:
            while time.perf_counter() < deadline:
                n += 1
                t = time.perf_counter()
                r = await client.post(
                    "/code",
                    data={"code": codes[n % len(codes)], "csrf": token},
                    headers={"x-forwarded-for": f"203.0.{n // 250 % 250}.{n % 250 + 1}"},
                )
                right_lat.append(time.perf_counter() - t)
                right_status[r.status_code] = right_status.get(r.status_code, 0) + 1
                client.cookies.delete("vigile_session")
                await asyncio.sleep(0.25)

    t0 = time.perf_counter()
    await asyncio.gather(person(), *(attacker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    flood_lat.sort()
    right_lat.sort()
    fq = statistics.quantiles(flood_lat, n=100)
    return {
        "client": "httpx",
        "flood_addresses": n_addresses,
        "seconds": round(elapsed, 2),
        "flood_lookups_per_s": round(len(flood_lat) / elapsed, 1),
        "flood_p50_ms": round(fq[49] * 1000, 1),
        "flood_p99_ms": round(fq[98] * 1000, 1),
        "flood_statuses": flood_status,  # 400 wrong code, 429 client locked
        "right_codes": len(right_lat),
        "right_statuses": right_status,  # 303 = in: must be all
        "right_p50_ms": round(statistics.median(right_lat) * 1000, 1),
        "right_max_ms": round(right_lat[-1] * 1000, 1),
        "right_all_in": set(right_status) == {303},
    }


WRK_SCRIPT = """
local codes = {%s}
local token = "%s"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "vigile_csrf=%s"
local alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
function request()
  local code
  if math.random() < 0.8 then
    code = codes[math.random(#codes)]
  else  -- a wrong guess: random symbols, the check symbol will usually fail or not match
    local t = {}
    for i = 1, 20 do local k = math.random(32); t[i] = alphabet:sub(k, k) end
    code = table.concat(t)
  end
  local addr = "127." .. math.random(1, 254) .. "." .. math.random(0, 255) .. "." .. math.random(0, 255)
  wrk.headers["X-Forwarded-For"] = addr
  return wrk.format(nil, "/code", nil, "code=" .. code .. "&csrf=" .. token)
end
function done(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"max_us": %%d, "bad_status": %%d, "socket_errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def load_wrk(base: str, codes: list[str], seconds: float, concurrency: int, tmp: Path) -> dict:
    """wrk (Debian package) as the load generator: C, so the client barely uses the CPU."""
    import httpx

    page = httpx.get(base + "/")
    cookie = page.cookies["vigile_csrf"]
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    script = tmp / "lookups.lua"
    script.write_text(
        WRK_SCRIPT % (",".join(f'"{c}"' for c in codes), token, cookie), encoding="utf-8"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    script.unlink()
    m = re.search(r"^WRK (.*)$", out, re.M)
    if m is None:
        raise RuntimeError("wrk printed no summary")
    w = json.loads(m.group(1))
    return {
        "client": "wrk",
        "requests": w["requests"],
        "seconds": round(w["us"] / 1e6, 2),
        "lookups_per_s": round(w["requests"] / (w["us"] / 1e6), 1),
        "p50_ms": round(w["p50_us"] / 1000, 1),
        "p99_ms": round(w["p99_us"] / 1000, 1),
        "max_ms": round(w["max_us"] / 1000, 1),
        # 400 = wrong code (expected for ~20 %); anything else (429/503/5xx) would be a problem
        "non_2xx_3xx": w["bad_status"],
        "socket_errors": w["socket_errors"],
    }


def bench_match(persons: int, n_requests: int) -> dict:
    import unicodedata

    from vigile.case import AffectedPerson, contacts, open_store
    from vigile.portal.requests import process_requests

    shm = Path("/dev/shm")
    directory = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else None))
    url = f"sqlite:///{directory / 'match.db'}"
    rng = random.Random(3)
    firsts = ["ÉLODIE", "JEAN-PIERRE", "MARIE CLAIRE", "NOÉ", "ANAÏS", "FRANÇOIS", "CAMILLE"]
    try:
        with open_store(url, key=os.urandom(32), actor="bench") as store:
            iid = store.new_incident("bench", datetime(2021, 2, 14, tzinfo=UTC), "Labo", "dpo")
            people = [
                AffectedPerson(
                    f"M{i:07d}",
                    1.0,
                    "nir",
                    frozenset({"nir", "last_name"}),
                    {
                        "last_name": f"LÉVÊQUE-{i}",
                        "first_name": rng.choice(firsts),
                        "birth_date": f"19{rng.randrange(30, 99)}-0{rng.randrange(1, 9)}-1{i % 9}",
                        "postcode": f"{rng.randrange(1000, 95000):05d}",
                        "address": f"{i} rue de l'Exemple",
                        "city": "VILLE",
                    },
                )
                for i in range(persons)
            ]
            t = time.perf_counter()
            store.replace_affected(iid, people, 0)
            load_s = time.perf_counter() - t
            for k in range(n_requests):
                if k % 2:
                    fields = {"last_name": "ABSENT", "first_name": "X", "birth_date": "01/01/1990",
                              "postcode": "75001"}  # fmt: skip
                else:
                    ident = people[rng.randrange(persons)].identity
                    y, m, d = ident["birth_date"].split("-")
                    folded = unicodedata.normalize("NFKD", ident["last_name"])
                    fields = {
                        "last_name": "".join(c for c in folded if c.isascii()).lower(),
                        "first_name": ident["first_name"].title(),
                        "birth_date": f"{d}/{m}/{y}",
                        "postcode": ident["postcode"],
                    }
                contacts.queue_request(store, iid, fields)
            t = time.perf_counter()
            run = process_requests(store, iid)
            seconds = time.perf_counter() - t
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "persons": persons,
        "requests": n_requests,
        "load_persons_s": round(load_s, 2),
        "process_s": round(seconds, 2),
        "requests_per_s": round(n_requests / seconds, 1),
        "persons_read_per_s": round(run.persons_read / seconds, 1),
        "outcomes": run.to_json(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--python-client", action="store_true", help="httpx instead of wrk")
    ap.add_argument("--match-requests", type=int, default=0, help="bench request matching")
    ap.add_argument(
        "--on-disk",
        action="store_true",
        help="the store on disk (default: /dev/shm, no fsync cost)",
    )
    ap.add_argument(
        "--postgres",
        action="store_true",
        help="the store on a throwaway PostgreSQL server (data on disk, fsync on)",
    )
    ap.add_argument(
        "--flood",
        type=int,
        default=0,
        metavar="N",
        help="wrong-code flood from N addresses while right codes are typed",
    )
    ap.add_argument(
        "--ceiling",
        type=int,
        default=0,
        help="wrong codes per hour of all clients before flood mode (default 5,000)",
    )
    ap.add_argument(
        "--serve", nargs=4, metavar=("URL", "KEY", "PORT", "CEIL"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.serve:
        run_server(args.serve[0], args.serve[1], int(args.serve[2]), int(args.serve[3]))
        return
    if args.match_requests:
        print(json.dumps(bench_match(args.persons, args.match_requests), indent=2))
        return
    from vigile.case import codes as C

    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and not (args.on_disk or args.postgres)
    directory = Path(tempfile.mkdtemp(dir=shm if in_memory else Path.cwd()))
    pg = None
    if args.postgres:
        pg_url, *pg = start_postgres(directory)
    t = time.perf_counter()
    url, key, codes = build_case(directory, args.persons, pg_url if pg else None)
    issue_s = time.perf_counter() - t
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, key.hex(), str(port), str(args.ceiling)],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "server.log", "w"),  # noqa: SIM115 (read on failure)
    )
    try:
        base = f"http://127.0.0.1:{port}"
        up_by = time.monotonic() + 90  # the machine may be busy: wait for uvicorn
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > up_by:
                    raise RuntimeError("the portal server did not start") from None
                time.sleep(0.1)
        if args.flood:  # every worker up, not only the first
            import httpx

            for _ in range(20):
                httpx.get(base + "/sante", timeout=30)
        if args.flood:
            result = asyncio.run(flood(base, codes, args.seconds, args.concurrency, args.flood))
        elif shutil.which("wrk") and not args.python_client:
            result = load_wrk(base, codes, args.seconds, args.concurrency, directory)
        else:
            result = asyncio.run(load(base, codes, args.seconds, args.concurrency))
    except Exception:
        errors = [ln for ln in (directory / "server.log").read_text().splitlines()
                  if "Error" in ln or "error" in ln]  # fmt: skip
        print("server errors:", *errors[-10:], sep="\n", file=sys.stderr)
        raise
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if pg:
            stop_postgres(*pg)
    store = (
        "postgresql (disk, fsync on)" if pg
        else "sqlite on " + ("/dev/shm" if in_memory else "disk (WAL, synchronous=FULL)")
    )  # fmt: skip
    if args.flood:
        print(json.dumps(result | {"concurrency": args.concurrency, "server_workers": WORKERS,
                                   "store": store, "load_1min": round(os.getloadavg()[0], 1),
                                   "ceiling_per_hour": args.ceiling or 5_000}, indent=2))  # fmt: skip
        shutil.rmtree(directory, ignore_errors=True)
        return
    result |= {
        "concurrency": args.concurrency,
        "server_workers": WORKERS,
        "kdf": f"scrypt N=2^{C.SCRYPT_LOG_N} r={C.SCRYPT_R} p={C.SCRYPT_P}",
        "issue_codes_per_s": round(args.persons / issue_s, 1),
        "target": ">= 500 look-ups/s, p99 < 100 ms",
        "met": result["lookups_per_s"] >= 500 and result["p99_ms"] < 100,
    }
    print(json.dumps(result, indent=2))
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
