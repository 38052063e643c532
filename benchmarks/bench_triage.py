"""Benchmark `vigile triage` on the generator's seed-scale export (the 2021 leak's size).

    python benchmarks/bench_triage.py [--rows 1200000] [--persons 491840] [--nir full|none]

Generates the export once under $VIGILE_BENCH_DIR (default /tmp/vigile-bench), then times
triage_path + the HTML, JSON and Markdown reports, and checks the figures against the generator's truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time
from pathlib import Path

from vigile.synth import ExportSpec, GroundTruth, generate_lab_export
from vigile.synth.truth import truth_path
from vigile.triage import render, triage_path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_200_000)
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--nir", default="full", choices=["full", "split", "both", "none"])
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()

    folder = Path(os.environ.get("VIGILE_BENCH_DIR", "/tmp/vigile-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed_{args.rows}_{args.persons}_{args.nir}_{args.seed}.csv"
    if path.exists() and truth_path(path).exists():
        truth = GroundTruth.load(path)
    else:
        t0 = time.perf_counter()
        spec = ExportSpec(
            rows=args.rows, persons=args.persons, fields="full", nir=args.nir, seed=args.seed
        )
        truth = generate_lab_export(spec, path)
        print(f"generated {path.name} in {time.perf_counter() - t0:.1f} s")
    size_mb = path.stat().st_size / 1e6

    t0 = time.perf_counter()
    result = triage_path(path, reference_date=dt.date.fromisoformat(truth.age_reference_date))
    t1 = time.perf_counter()
    for fmt, ext in (("html", "html"), ("json", "json"), ("markdown", "md")):
        (folder / f"report.{ext}").write_text(render(result, fmt), encoding="utf-8")
    t2 = time.perf_counter()

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    err = abs(result.persons - truth.persons) / truth.persons
    print(f"file: {truth.rows:,} rows, {size_mb:.0f} MB, nir={args.nir}")
    print(
        f"triage {t1 - t0:.1f} s + 3 reports {t2 - t1:.2f} s = {t2 - t0:.1f} s wall; peak RSS {rss:.0f} MB"
    )
    print(
        f"persons {result.persons:,} (truth {truth.persons:,}, error {err:.4%}); key {result.person_key['key']}"
    )
    print(
        f"minors {result.minors:,} (truth {truth.minors:,}); over 75 {result.over_75:,} (truth {truth.over_75:,})"
    )
    print(f"severity {result.severity.formula} -> {result.severity.level}")
    print("duties due:", {d.id: d.due for d in result.duties})


if __name__ == "__main__":
    main()
