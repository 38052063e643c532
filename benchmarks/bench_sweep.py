"""`vigile sweep` over a tree of 10,000 mixed files with planted exports.

Must reach (issue 7): every planted export found, no false alarm on the clean
files, and a second sweep of the unchanged tree at least 10x faster than the first.
The tree (office files, CSVs, logs, archives, binaries) is generated once under
benchmarks/data/sweep_tree by tests/scan/sweep_tree.py.
"""

from __future__ import annotations

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

    root = DATA / "sweep_tree"
    truth = DATA / "sweep_tree.planted.json"
    if not truth.exists():
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        planted = build_tree(root, FILES, PLANTED)
        truth.write_text(json.dumps(sorted(planted)))
        print(f"generated {FILES} files ({PLANTED} planted) in {time.perf_counter() - t:.0f} s")
    planted = set(json.loads(truth.read_text()))
    index = DATA / "sweep_bench_index.db"
    index.unlink(missing_ok=True)

    t = time.perf_counter()
    first = sweep([root], index=index)
    t1 = time.perf_counter() - t
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
    print(f"first sweep:  {t1:7.1f} s  ({first.seen / t1:,.0f} files/s)")
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


if __name__ == "__main__":
    main()
