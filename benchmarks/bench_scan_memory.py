"""Peak memory: scan a ~2 GB export; peak RSS must stay under 1.5 GB (issue 2).

The 2 GB file is the 491,840-row export's body repeated (header once), which is enough
for a memory measurement. The scan runs in a child process so its peak RSS is its own.
Run: .venv/bin/python benchmarks/bench_scan_memory.py
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from _common import DATA, synth_export


def build_big(target_bytes: int) -> Path:  # noqa: F821
    src = synth_export(
        "speed_491840_utf-8.csv",
        rows=491_840,
        seed=2021,
        encoding="utf-8",
        separator=";",
        fields="standard",
    )
    big = DATA / f"big_{target_bytes // 10**6}MB.csv"
    if big.exists() and big.stat().st_size >= target_bytes:
        return big
    data = src.read_bytes()
    header, body = data.split(b"\n", 1)
    with big.open("wb") as f:
        f.write(header + b"\n")
        written = len(header) + 1
        while written < target_bytes:
            f.write(body)
            written += len(body)
    return big


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    args = ap.parse_args()
    big = build_big(int(args.gb * 1e9))
    code = (
        "import sys; from vigile.scan import scan_path; r = scan_path(sys.argv[1]); "
        "print(r.tables[0].rows, sum(1 for c in r.tables[0].columns if c.category))"
    )
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, str(big)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows, sensitive = out.stdout.split()
    print(
        f"file: {big.name}  {big.stat().st_size / 1e9:.2f} GB  {int(rows):,} rows  {sensitive} sensitive columns"
    )
    print(f"scan wall: {wall:.1f} s   peak RSS: {peak_mb:,.0f} MB   (target < 1,536 MB)")
    print("PASS" if peak_mb < 1536 else "FAIL")


if __name__ == "__main__":
    main()
