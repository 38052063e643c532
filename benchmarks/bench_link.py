"""Benchmark `vigile.link` on the generator's leak against a patient database.

Full scale (default): a 491,840-row leak against 1.5 M patients (typos, missing
NIRs, moves). `--rows/--patients` for quick runs. Prints precision, recall,
counts, the per-person exposure figures against the generator's (minors, passwords)
and wall time per stage (the leak is read once); no personal value is printed.

    python benchmarks/bench_link.py                      # full scale
    python benchmarks/bench_link.py --rows 20000 --patients 60000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import polars as pl

from vigile.link import link
from vigile.link.evaluate import score
from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db
from vigile.synth.truth import GroundTruth


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
    truth = GroundTruth.load(leak)
    reference = dt.date.fromisoformat(truth.age_reference_date)

    t = time.perf_counter()
    result = link(leak, patients, reference_date=reference)
    wall = time.perf_counter() - t
    t = time.perf_counter()
    affected = result.affected()
    exposure_s = time.perf_counter() - t

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
    e = affected.select(
        minors=pl.col("minor").sum(),
        plain=(pl.col("pw") == 2).sum(),
        hashed=(pl.col("pw") == 1).sum(),
        health=(pl.col("kinds") != 0).sum(),
    ).row(0, named=True)
    print(f"{'minors':>24}: {e['minors']} (generator: {truth.minors})")
    print(f"{'passwords in clear':>24}: {e['plain']} (generator: {truth.passwords['plain']})")
    print(f"{'passwords hashed only':>24}: {e['hashed']} (generator: {truth.passwords['hash']})")
    print(f"{'with a health kind':>24}: {e['health']}")
    print(f"{'exposure records':>24}: {affected.height} in {exposure_s:.1f} s")
    print(f"{'wall time':>24}: {wall:.1f} s (target < 300 s)")


if __name__ == "__main__":
    main()
