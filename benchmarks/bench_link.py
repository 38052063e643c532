"""Benchmark `vigile.link` on the generator's leak against a patient database.

Full scale (default): a 491,840-row leak against 1.5 M patients (typos, missing
NIRs, moves). `--rows/--patients` for quick runs. Prints precision, recall,
counts and wall time per stage; no personal value is printed.

    python benchmarks/bench_link.py                      # full scale
    python benchmarks/bench_link.py --rows 20000 --patients 60000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from vigile.link import link
from vigile.link.evaluate import score
from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=491_840)
    ap.add_argument("--patients", type=int, default=1_500_000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--workdir", type=Path, default=None, help="Reuse generated files here.")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-link-"))
    work.mkdir(parents=True, exist_ok=True)
    leak = work / f"leak-{args.rows}-{args.seed}.csv"
    patients = work / f"patients-{args.patients}-{args.seed}.parquet"
    links = Path(f"{patients}.links.parquet")
    t = time.perf_counter()
    if not leak.exists() or not patients.exists() or not links.exists():
        truth = generate_lab_export(ExportSpec(rows=args.rows, seed=args.seed, fields="full"), leak)
        generate_patient_db(PatientDbSpec(size=args.patients, seed=args.seed), truth, patients)
    print(f"data ready in {time.perf_counter() - t:.1f} s ({work})")

    t = time.perf_counter()
    result = link(leak, patients)
    wall = time.perf_counter() - t

    hidden = pl.read_parquet(f"{leak}.persons.parquet").sort("row")
    truth_links = pl.read_parquet(links).select(
        pl.col("leak_person").cast(pl.Int64).alias("person"), pl.col("patient_id").cast(pl.String)
    )
    s = score(result, hidden.get_column("person").cast(pl.Int64), truth_links)
    for k, v in result.counts().items():
        print(f"{k:>24}: {v}")
    for k, v in result.timings.items():
        print(f"{k:>24}: {v:.1f} s")
    print(f"{'precision':>24}: {s.precision:.5f}  ({s.true_positives}/{s.predicted})")
    print(f"{'recall':>24}: {s.recall:.5f}  ({s.true_positives}/{s.expected})")
    print(f"{'pair precision':>24}: {s.pair_precision:.5f}")
    print(f"{'wall time':>24}: {wall:.1f} s (target < 300 s)")


if __name__ == "__main__":
    main()
