"""Link on DuckDB vs Spark: the seed-scale leak against growing patient databases.

The generator's 491,840-row leak against 1.5 M, 5 M and 10 M synthetic patients, each
engine in a process of its own (one run each), with wall time, peak RSS of the whole
process tree (the Spark JVM included), precision and recall against the generator's
truth, and whether both engines found the same (leak person, patient) pairs. Data is
generated once per size into --workdir and reused. No personal value is printed.

    python benchmarks/bench_link_engines.py                          # 1.5 M, 5 M, 10 M
    python benchmarks/bench_link_engines.py --patients 1500000 --engines duckdb spark
    python benchmarks/bench_link_engines.py --rows 20000 --patients 60000   # quick
    python benchmarks/bench_link_engines.py --patients 5000000 --engines spark \
        --workdir /tmp/w --results benchmarks/results/link_engines.jsonl   # one at a time
    python benchmarks/bench_link_engines.py --report --results … --plot docs/link_engines.png

Spark runs `local[2]` by default (--spark-master to change it); give the driver memory
with --spark-driver-memory (default 6g). The machine may be shared: say so with figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl


def _tree(pid: int) -> tuple[int, dict[int, float]]:
    """RSS of a process tree (bytes) and each member's CPU seconds (user + system)."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0, {}
    total, cpu = 0, {}
    for q in procs:
        try:
            total += q.memory_info().rss
            t = q.cpu_times()
            cpu[q.pid] = t.user + t.system
        except psutil.Error:
            pass
    return total, cpu


def data(work: Path, rows: int, patients: int, seed: int) -> tuple[Path, Path, Path]:
    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db
    from vigile.synth.truth import GroundTruth

    leak = work / f"leak-{rows}-{seed}.csv"
    db = work / f"patients-{patients}-{seed}.parquet"  # bench_link.py's names: shared data
    links = Path(f"{db}.links.parquet")
    if not leak.exists() or not Path(f"{leak}.truth.json").exists():
        generate_lab_export(ExportSpec(rows=rows, seed=seed, fields="full"), leak)
    if not db.exists() or not links.exists():
        generate_patient_db(PatientDbSpec(size=patients, seed=seed), GroundTruth.load(leak), db)
    return leak, db, links


def one_run(args) -> None:
    """Child process: link with one engine, print one JSON line, write the pairs."""
    from vigile.link import link_loaded, load_leak, load_patients
    from vigile.link.evaluate import score
    from vigile.synth.truth import GroundTruth

    truth = GroundTruth.load(args.leak)
    reference = dt.date.fromisoformat(truth.age_reference_date)
    t0 = time.perf_counter()
    leak = load_leak(args.leak)
    t_leak = time.perf_counter() - t0
    if args.one == "spark":
        from vigile.link.spark_engine import link_spark
        from vigile.link.spark_patients import load_patients_spark
        from vigile.link.spark_session import get_spark

        t = time.perf_counter()
        spark = get_spark(
            args.spark_master,
            conf={
                "spark.driver.memory": args.spark_driver_memory,
                "spark.sql.shuffle.partitions": str(args.shuffle_partitions),
            },
        )
        t_session = time.perf_counter() - t
        t = time.perf_counter()
        patients = load_patients_spark(spark, str(args.patients_file))
        t_read = time.perf_counter() - t
        result = link_spark(leak, patients, spark, reference_date=reference)
    else:
        t_session = 0.0
        t = time.perf_counter()
        patients = load_patients(args.patients_file)
        t_read = time.perf_counter() - t
        from vigile.link import LinkOptions, SplinkOptions

        splink = SplinkOptions(memory_limit=args.duckdb_memory_limit, spill_dir=args.spill_dir)
        result = link_loaded(
            leak, patients, options=LinkOptions(splink=splink), reference_date=reference
        )
    wall = time.perf_counter() - t0
    hidden = pl.read_parquet(f"{args.leak}.persons.parquet").sort("row")
    truth_links = pl.read_parquet(args.links).select(
        pl.col("leak_person").cast(pl.Int64).alias("person"), pl.col("patient_id").cast(pl.String)
    )
    s = score(result, hidden.get_column("person").cast(pl.Int64), truth_links)
    result.matches.select("leak_key", "patient_id").write_parquet(args.pairs_out)
    print(
        json.dumps(
            {
                "engine": args.one,
                "wall_s": round(wall, 1),
                "session_s": round(t_session, 1),
                "read_leak_s": round(t_leak, 1),
                "read_patients_s": round(t_read, 1),
                **{f"{k}_s": round(v, 1) for k, v in result.timings.items()},
                "precision": round(s.precision, 5),
                "recall": round(s.recall, 5),
                **result.counts(),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=491_840)
    ap.add_argument("--patients", type=int, nargs="+", default=[1_500_000, 5_000_000, 10_000_000])
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--workdir", type=Path, default=None, help="Reuse generated files here.")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--spark-driver-memory", default="6g")
    ap.add_argument("--shuffle-partitions", type=int, default=4)
    ap.add_argument(
        "--duckdb-memory-limit",
        default=None,
        help="DuckDB's memory limit, e.g. 6GB (default: half the memory available).",
    )
    ap.add_argument("--spill-dir", default=None, help="Folder for DuckDB's private spill folder.")
    ap.add_argument(
        "--results",
        type=Path,
        default=None,
        help="Append each run's JSON row to this file (figures survive a stop).",
    )
    ap.add_argument(
        "--report", action="store_true", help="Only print the table of --results and write --plot."
    )
    ap.add_argument(
        "--plot", type=Path, default=None, help="Write the text plot of --results here."
    )
    ap.add_argument("--one", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    ap.add_argument("--leak", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--patients-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--links", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--pairs-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one_run(args)
        return
    if args.report:
        rows = [json.loads(ln) for ln in args.results.read_text().splitlines() if ln.strip()]
        print_table(rows)
        print()
        print(text_plot(rows))
        if args.plot:
            args.plot.write_text(text_plot(rows) + "\n")
        return

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"leak {args.rows:,} rows; patients {args.patients}; engines {args.engines}; {work}")
    print("(machine shared with other agents: absolute times are pessimistic)")
    table = []
    for n in args.patients:
        t = time.perf_counter()
        leak, db, links = data(work, args.rows, n, args.seed)
        print(f"data for {n:,} patients ready in {time.perf_counter() - t:.0f} s", flush=True)
        pairs = {}
        for engine in args.engines:
            out = work / f"pairs-{engine}-{n}.parquet"
            cmd = [
                sys.executable, __file__, "--one", engine, "--leak", str(leak),
                "--patients-file", str(db), "--links", str(links), "--pairs-out", str(out),
                "--spark-master", args.spark_master,
                "--spark-driver-memory", args.spark_driver_memory,
                "--shuffle-partitions", str(args.shuffle_partitions),
            ]  # fmt: skip
            if args.duckdb_memory_limit:
                cmd += ["--duckdb-memory-limit", args.duckdb_memory_limit]
            if args.spill_dir:
                cmd += ["--spill-dir", args.spill_dir]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            peak = 0
            cpu: dict[int, float] = {}
            done = threading.Event()

            def watch(pid: int = proc.pid, ev: threading.Event = done, seen: dict = cpu) -> None:
                nonlocal peak
                while not ev.is_set():
                    rss, times = _tree(pid)
                    peak = max(peak, rss)
                    seen.update(times)
                    time.sleep(0.5)

            w = threading.Thread(target=watch, daemon=True)
            w.start()
            stdout, _ = proc.communicate()
            done.set()
            w.join()
            if proc.returncode != 0:
                print(f"{engine} on {n:,} patients failed (exit {proc.returncode})", flush=True)
                continue
            row = json.loads(stdout.strip().splitlines()[-1])
            row["patients_db"] = n
            row["leak_rows"] = args.rows
            row["peak_rss_gb"] = round(peak / 1e9, 2)
            # CPU seconds of the whole tree (the Spark JVM included), sampled every 0.5 s:
            # on a shared machine, wall time says how long one waited, CPU what it cost.
            row["cpu_s"] = round(sum(cpu.values()), 1)
            row["load_avg"] = round(os.getloadavg()[0], 1)
            if engine == "duckdb":
                row["duckdb_memory_limit"] = args.duckdb_memory_limit or "default"
            row["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            table.append(row)
            if args.results:
                with args.results.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            pairs[engine] = set(pl.read_parquet(out).iter_rows())
            print(json.dumps(row), flush=True)
        # pairs of both engines at this size, from this run or an earlier one (--workdir)
        done_pairs = {e: work / f"pairs-{e}-{n}.parquet" for e in ("duckdb", "spark")}
        if all(p.exists() for p in done_pairs.values()):
            a, b = (set(pl.read_parquet(p).iter_rows()) for p in done_pairs.values())
            print(f"{n:,} patients: identical match sets: {a == b} ({len(a)} vs {len(b)}; "
                  f"{len(a ^ b)} pairs differ)", flush=True)  # fmt: skip
    print()
    print_table(table)


def print_table(table: list[dict]) -> None:
    print("| leak rows | patients | engine | wall s | Splink pass s | CPU s | peak RSS GB "
          "| precision | recall | load |")  # fmt: skip
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in table:
        print(
            f"| {r.get('leak_rows', '')} | {r['patients_db']:,} | {r['engine']} | {r['wall_s']} "
            f"| {r.get('splink_pass_s')} | {r.get('cpu_s', '')} | {r['peak_rss_gb']} "
            f"| {r['precision']} | {r['recall']} | {r.get('load_avg', '')} |"
        )


def text_plot(table: list[dict], width: int = 60) -> str:
    """Wall seconds, CPU seconds and peak RSS against the patient count, as text bars
    (matplotlib is not a dependency of vigile): one bar per run, both engines, each
    block scaled to its largest value."""
    rows = sorted(table, key=lambda r: (r["patients_db"], r["engine"]))
    blocks = []
    for key, label, fmt in (
        ("wall_s", "wall seconds", "{:,.0f} s"),
        ("cpu_s", "CPU seconds (whole process tree)", "{:,.0f} CPU s"),
        ("peak_rss_gb", "peak RSS", "{:,.2f} GB"),
    ):
        have = [r for r in rows if isinstance(r.get(key), int | float)]
        if not have:
            continue
        top = max(r[key] for r in have) or 1
        lines = [f"{label}, {width} columns = {fmt.format(top)} (load: see the table)"]
        for r in have:
            bar = ("#" if r["engine"] == "spark" else "=") * max(1, round(width * r[key] / top))
            lines.append(
                f"{r['patients_db'] / 1e6:5.2f} M {r['engine']:<6} {bar} {fmt.format(r[key])}"
            )
        blocks.append("\n".join(lines))
    blocks.append("= duckdb   # spark local[2]")
    return "\n\n".join(blocks)


if __name__ == "__main__":
    main()
