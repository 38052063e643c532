"""`vigile export run` on a 10 M-row, 35-column table: throughput and peak memory.

Target (issue 7): >= 100,000 rows/s on this machine, with bounded memory (the
table never sits in memory whole). The 10 M-row CSV (~4.3 GB) is the cached
491,840-row speed export of bench_scan_speed repeated; the profile is the one
`vigile export plan` proposes (pseudonymised names, NIR, phones, e-mail;
generalised birth date and postcode; credentials and free text dropped).
The export runs in a child process so its peak RSS is its own.
Run: .venv/bin/python benchmarks/bench_export.py [--rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

from _common import DATA, synth_export

CHILD = """
import json, sys, time
from pathlib import Path
from pyrage import x25519
from vigile.protect import load_profile, run_export, load_private, read_secret
src, prof, keys, out, memo = sys.argv[1:6]
keys = Path(keys)
t, cpu = time.perf_counter(), time.process_time()
m = run_export(src, load_profile(prof), [(keys / "recipient.pub").read_text().strip()], out,
               load_private(keys / "signing.key"), read_secret(keys / "pseudonym.secret"),
               pseudonym_cache=int(memo))
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - cpu,
                  "rows": m["parts"][0]["rows"], "columns_out": len(m["parts"][0]["columns"])}))
"""


def big_csv(rows: int) -> object:
    base = synth_export(
        "speed_491840_utf-8.csv", rows=491_840, seed=2021, encoding="utf-8", separator=";",
        fields="standard",
    )  # fmt: skip
    path = DATA / f"export_{rows}.csv"
    if path.exists():
        return path
    t = time.perf_counter()
    with open(base, "rb") as f:
        header = f.readline()
        body = f.read()
    per = 491_840
    with open(path, "wb") as out:
        out.write(header)
        full, rest = divmod(rows, per)
        for _ in range(full):
            out.write(body)
        if rest:
            out.write(b"".join(body.splitlines(keepends=True)[:rest]))
    print(
        f"built {path.name} ({path.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - t:.0f} s"
    )
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument(
        "--light", action="store_true",
        help="Pseudonymise the NIR only (other proposed pseudonyms kept): the pipeline without "
        "most of the keyed hashing.",
    )  # fmt: skip
    ap.add_argument(
        "--memo", type=int, default=None,
        help="Pseudonym memo size (distinct values per normalisation; 0 = none). The big CSV "
        "repeats the same 491,840 rows, so a memo that holds them all makes every later batch "
        "a hit: run with --memo 0 for the cost of a table whose values never repeat.",
    )  # fmt: skip
    args = ap.parse_args()
    from vigile.protect.pseudonym import DEFAULT_CACHE_ENTRIES

    memo = DEFAULT_CACHE_ENTRIES if args.memo is None else args.memo
    src = big_csv(args.rows)
    work = DATA / "export_bench"
    shutil.rmtree(work, ignore_errors=True)
    keys = work / "keys"
    keys.mkdir(parents=True)
    from pyrage import x25519

    from vigile.protect import plan_export, write_secret, write_signing_key

    write_signing_key(keys / "signing.key", keys / "signing.pub")
    write_secret(keys / "pseudonym.secret")
    (keys / "recipient.pub").write_text(str(x25519.Identity.generate().to_public()))
    profile = work / "profile.yaml"
    text = plan_export(str(src))
    if args.light:
        text = "\n".join(
            ln.replace('"pseudonymise"', '"keep"') if '"nir"' not in ln else ln
            for ln in text.splitlines()
        )
    profile.write_text(text)
    print(
        "profile:", sum('"pseudonymise"' in ln for ln in text.splitlines()), "pseudonymised columns"
    )
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(profile), str(keys), str(work / "out"),
         str(memo)],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode:
        sys.exit(proc.stderr[-2000:])
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = res["rows"] / res["wall"]
    out_mb = sum(p.stat().st_size for p in (work / "out").glob("*.age")) / 1e6
    print(f"source: {src.name} ({src.stat().st_size / 1e9:.2f} GB, 35 columns)")
    print(
        f"exported {res['rows']:,} rows, {res['columns_out']} columns out, in {res['wall']:.1f} s"
    )
    print(f"throughput: {rate:,.0f} rows/s (target >= 100,000)   peak RSS: {peak_mb:,.0f} MB")
    print(f"CPU {res['cpu']:.1f} s over {res['wall']:.1f} s wall; pseudonym memo {memo:,} entries")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"encrypted output: {out_mb:,.0f} MB")
    print("PASS" if rate >= 100_000 else "FAIL", "(throughput)")
    shutil.rmtree(work / "out", ignore_errors=True)


if __name__ == "__main__":
    main()
