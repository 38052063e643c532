"""Provenance with large exports (issue 16): registering exports big enough to be
stored by bucket (`provenance_blocks`), and tracing 500-row fragments against them.

The exports are random 60 % samples of the 491,840-row speed export (so they share most
patients, as successive extractions do), fingerprinted in 100,000-row batches as
`vigile export run` does; `register` (the part an export waits for once its last
batch is out: sorting the keys, writing the blocks, committing) is timed apart. Each
fragment is 500 rows of one export, transformed and renamed as in bench_provenance,
traced through a file with `trace_path`. Run it with another checkout first on
PYTHONPATH to compare (each run builds its own registry).
Run: nice .venv/bin/python benchmarks/bench_provenance_large.py [--exports 5] [--trials 20]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import time

import polars as pl

from _common import DATA
from bench_export import _base
from bench_provenance import KEYS, transform, write_found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--exports", type=int, default=5)
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args()

    import vigile
    from vigile.provenance import open_registry, trace_path
    from vigile.provenance.migrate import HEAD

    print(f"code: {os.path.dirname(vigile.__file__)} (registry revision {HEAD})")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(machine shared with other agents)")  # fmt: skip
    work = DATA / f"provenance_large-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    base = pl.read_csv(_base(), separator=";", infer_schema=False)
    reg = open_registry(str(work / "registry.db"), create=True, secret=os.urandom(32))
    samples = []
    add_s, reg_s, reg_cpu = [], [], []
    for k in range(args.exports):
        frame = base.sample(fraction=0.6, seed=k)
        samples.append(k)
        fp = reg.fingerprint(KEYS)
        t = time.perf_counter()
        for i in range(0, frame.height, 100_000):
            fp.add(frame.slice(i, 100_000))
        add_s.append(time.perf_counter() - t)
        t, c = time.perf_counter(), time.process_time()
        rec, _ = reg.register(fp, name=f"large-{k}", recipient="bench", purpose="bench",
                              software="bench", columns=frame.columns)  # fmt: skip
        reg_s.append(time.perf_counter() - t)
        reg_cpu.append(time.process_time() - c)
        print(f"  export {k}: {frame.height:,} rows, {rec.units:,} identities; fingerprint "
              f"{add_s[-1]:.2f} s, register {reg_s[-1]:.2f} s (CPU {reg_cpu[-1]:.2f} s)",
              flush=True)  # fmt: skip
    size = (work / "registry.db").stat().st_size / 1e6
    print(f"register (after the last batch): median {statistics.median(reg_s):.2f} s, max "
          f"{max(reg_s):.2f} s, CPU median {statistics.median(reg_cpu):.2f} s; registry "
          f"{size:,.0f} MB for {args.exports} exports")  # fmt: skip
    rng = random.Random(2021)
    times, cpu, right = [], [], 0
    for _ in range(args.trials):
        k = rng.randrange(args.exports)
        frame = base.sample(fraction=0.6, seed=k)
        frag = transform(frame.sample(500, seed=rng.randrange(2**31)), rng)
        path = write_found(frag, work / "found", rng)
        t, c = time.perf_counter(), time.process_time()
        res = trace_path(path, reg)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        right += bool(res.matches) and res.matches[0].export.name == f"large-{k}"
        path.unlink()
    reg.close()
    shutil.rmtree(work, ignore_errors=True)
    q = statistics.quantiles(times, n=20, method="inclusive") if len(times) > 1 else times * 19
    qc = statistics.quantiles(cpu, n=20, method="inclusive") if len(cpu) > 1 else cpu * 19
    print(
        f"trace of a 500-row fragment: wall median {statistics.median(times):.2f} s, p95 "
        f"{q[18]:.2f} s, max {max(times):.2f} s; CPU median {statistics.median(cpu):.2f} s, "
        f"p95 {qc[18]:.2f} s, max {max(cpu):.2f} s; right export first {right}/{args.trials}"
    )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
