"""Letters rendered per second: 491,840 letters (the 2021 leak's patients) in batches of 1,000.

Target (issue 5): >= 1,000 letters/s on this 2-core machine, i.e. under 10 minutes.
The case store (SQLite, encrypted persons) is built once under benchmarks/data/ and copied
for each run (a fresh notification log and codes); the letters go to a fresh directory.
Persons' exposure profiles follow the 2021 export (tests/notify/notify_case.py).
Portal codes are the real ones (`vigile.case.codes.issue_codes`: random code, scrypt hash,
stored in the case), unless --stand-in-codes. The machine is shared: the CPU time of the
process is printed too (letters per CPU-second), to tell contention from slowness.

    .venv/bin/python benchmarks/bench_letters.py [--persons N] [--batch-size N] [--stand-in-codes]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from _common import DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "notify"))

from notify_case import PORTAL, make_case, stand_in_issue_code  # noqa: E402

from vigile.case import open_store  # noqa: E402
from vigile.notify import render_letters, sender_for  # noqa: E402

KEY = bytes(range(32))  # benchmark store only: fake persons


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--stand-in-codes", action="store_true")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    pristine = DATA / f"notify-case-{args.persons}.db"
    if not pristine.exists():
        t = time.perf_counter()
        make_case(f"sqlite:///{pristine}", KEY, args.persons)
        print(f"built case store with {args.persons:,} persons in {time.perf_counter() - t:.1f} s")
    db = DATA / f"notify-case-{args.persons}.run.db"
    shutil.copyfile(pristine, db)
    url = f"sqlite:///{db}"
    out = DATA / "letters-out"
    shutil.rmtree(out, ignore_errors=True)
    with open_store(url, key=KEY) as store:
        iid = store.incident().id
        store.update_settings(iid, portal_url=PORTAL)  # a store built before it was required
        snd = sender_for(store.incident_by_id(iid), sender_lines=("1 rue A", "35000 Rennes"))
        t, cpu = time.perf_counter(), time.process_time()
        last = [t]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 30:
                print(f"  {done:,}/{total:,} letters, {done / (now - t):,.0f}/s", flush=True)
                last[0] = now

        run = render_letters(
            store, iid, out, snd, batch_size=args.batch_size,
            issue_code=stand_in_issue_code if args.stand_in_codes else None,
            today=date(2021, 3, 3), progress=progress,
        )  # fmt: skip
        elapsed = time.perf_counter() - t
        cpu = time.process_time() - cpu
        worker_cpu = sum(
            getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
            for f in ("ru_utime", "ru_stime")
        )
    size = sum(p.stat().st_size for p in out.glob("letters-*.pdf"))
    rate = run.rendered / elapsed
    print(f"letters rendered: {run.rendered:,} in {len(run.batches)} PDFs of {args.batch_size}")
    print(f"distinct exposure profiles (letter bodies laid out once each): {run.profiles}")
    print(f"elapsed: {elapsed:.1f} s  ->  {rate:,.0f} letters/s")
    print(f"CPU: main process {cpu:.1f} s, Typst worker {worker_cpu:.1f} s")
    # The two processes run as a pipeline: on two free cores the slower one sets the pace.
    print(f"rate on two uncontended cores: {run.rendered / max(cpu, worker_cpu):,.0f} letters/s")
    print(f"portal codes: {'stand-in' if args.stand_in_codes else 'real (issue_codes)'}")
    print(f"PDF output: {size / 1e6:,.0f} MB ({size / max(run.rendered, 1) / 1e3:.1f} kB/letter)")
    ok = rate >= 1000 and (args.persons < 491_840 or elapsed < 600)
    print(f"target >= 1,000 letters/s (491,840 in < 600 s): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
