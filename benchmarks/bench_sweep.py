"""`vigile sweep` over a tree of 10,000 mixed files with planted exports.

Must reach (issue 7): every planted export found, no false alarm on the clean
files, and a second sweep of the unchanged tree at least 10x faster than the first.
The tree (office files, CSVs, logs, archives, binaries) is generated once under
benchmarks/data/sweep_tree by tests/scan/sweep_tree.py.

    python benchmarks/bench_sweep.py                         # 10,000 files, local pool
    python benchmarks/bench_sweep.py --files 100000 --spark local[2]

With --spark, the first sweep also runs with the inspection on Spark (its own index):
same findings file for file, and the per-file overhead of Spark, (Spark - local) / files,
with the session's start-up given apart.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scan"))

from _common import DATA  # noqa: E402

FILES, PLANTED = 10_000, 100


def main() -> None:
    from sweep_tree import build_tree

    from vigile.scan.sweep import sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=FILES)
    ap.add_argument("--planted", type=int, default=PLANTED)
    ap.add_argument("--spark", metavar="MASTER", help="Also sweep with Spark (e.g. local[2]).")
    ap.add_argument("--workers", type=int, default=None, help="Local pool size (default: cores).")
    args = ap.parse_args()
    suffix = "" if (args.files, args.planted) == (FILES, PLANTED) else f"_{args.files}"
    root = DATA / f"sweep_tree{suffix}"
    truth = DATA / f"sweep_tree{suffix}.planted.json"
    n_files, n_planted = args.files, args.planted
    if not truth.exists():
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        planted = build_tree(root, n_files, n_planted)
        truth.write_text(json.dumps(sorted(planted)))
        print(f"generated {n_files} files ({n_planted} planted) in {time.perf_counter() - t:.0f} s")
    planted = set(json.loads(truth.read_text()))
    index = DATA / f"sweep_bench_index{suffix}.db"
    index.unlink(missing_ok=True)

    t, c = time.perf_counter(), _machine_cpu()
    first = sweep([root], index=index, workers=args.workers)
    t1, c1 = time.perf_counter() - t, _machine_cpu() - c
    t = time.perf_counter()
    second = sweep([root], index=index)
    t2 = time.perf_counter() - t

    found = {f.path for f in first.found}
    missed, false = planted - found, found - planted
    same = {f.path for f in second.found} == found
    kinds: dict[str, int] = {}
    for f in first.files:
        kinds[f.status] = kinds.get(f.status, 0) + 1
    print(f"files seen: {first.seen}, inspected: {first.inspected} distinct contents, {kinds}")
    print(f"not fully read: {len(first.not_fully_read)} file(s), {len(first.errors)} folder(s)")
    print(f"first sweep:  {t1:7.1f} s  ({first.seen / t1:,.0f} files/s; machine CPU {c1:,.0f} s, "
          f"{c1 / first.seen * 1000:.1f} ms a file)")  # fmt: skip
    print(f"second sweep: {t2:7.2f} s  (inspected {second.inspected}); speed-up {t1 / t2:,.0f}x")
    print(
        f"planted exports found: {len(planted & found)}/{len(planted)}; false alarms: {len(false)}"
    )
    for p in sorted(missed)[:5]:
        print("  missed:", p)
    for p in sorted(false)[:5]:
        print("  false alarm:", p)
    ok = not missed and not false and t1 / t2 >= 10 and same
    print(
        "PASS" if ok else "FAIL", "(all planted found, no false alarm, second sweep >= 10x faster)"
    )
    if args.spark:
        on_spark(args.spark, root, first, t1, c1, suffix)


def _machine_cpu() -> float:
    """CPU seconds (user + system) the whole machine spent so far: every process of a
    sweep (pool workers, the Spark JVM and its Python workers) and anything else running,
    so only meaningful on a quiet machine (the load average is printed)."""
    import psutil

    t = psutil.cpu_times()
    return t.user + t.system


def on_spark(master: str, root: Path, local, t_local: float, c_local: float, suffix: str) -> None:
    """The same first sweep with the inspection on Spark: findings and per-file overhead."""
    import os

    from vigile.link.spark_session import get_spark
    from vigile.scan.sweep_spark import sweep_spark

    t = time.perf_counter()
    spark = get_spark(master)
    t_session = time.perf_counter() - t
    index = DATA / f"sweep_bench_index_spark{suffix}.db"
    index.unlink(missing_ok=True)
    t, c = time.perf_counter(), _machine_cpu()
    got = sweep_spark([root], spark, index=index)
    t_spark, c_spark = time.perf_counter() - t, _machine_cpu() - c

    def seen(r) -> list[tuple]:
        return [(f.path, f.status, f.categories, f.persons, f.tables) for f in r.files]

    same = seen(got) == seen(local)
    n = local.seen
    print(f"Spark {master}: session start {t_session:.1f} s (apart), first sweep {t_spark:.1f} s "
          f"({n / t_spark:,.0f} files/s) vs local pool {t_local:.1f} s ({n / t_local:,.0f} files/s)")  # fmt: skip
    print(f"same findings file for file: {same}; inspected {got.inspected} vs {local.inspected}")
    print(f"per-file overhead of Spark: {(t_spark - t_local) / n * 1000:+.2f} ms wall, "
          f"{(c_spark - c_local) / n * 1000:+.2f} ms machine CPU (Spark {c_spark:,.0f} CPU s vs "
          f"local {c_local:,.0f}; load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    spark.stop()


if __name__ == "__main__":
    main()
