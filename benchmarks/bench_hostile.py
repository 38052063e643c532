"""Hostile corpus: peak memory and time of `vigile scan` on each file an attacker campaign
used against the read layer (tests/read/hostile_corpus.py, full-size forms).

Each scan runs in a child process (`python -m vigile scan FILE -q -f json`); its peak
RSS comes from os.wait4 (the child and the isolated readers it waited for) and it is
killed past --timeout. Every case must stay within --max-rss and --timeout and end
with a report (exit code 0, 1, 2 or 3), never a crash. Then `vigile sweep` runs over
the whole corpus as one share: every file must come out found, or not (fully) read
with its reason, never clean, and the sweep itself must end with a report.

Run: .venv/bin/python benchmarks/bench_hostile.py [--small] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build_in_child(dest: Path, full: bool, only: list[str] | None) -> dict[str, Path]:
    """Build the corpus in a child process: the scans are started from this one, and a
    child's peak RSS counts the pages it shared with its parent before exec."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from hostile_corpus import build;"
        "files = build(Path(sys.argv[2]), full=sys.argv[3] == '1',"
        " only=set(sys.argv[4:]) or None);"
        "print(json.dumps({k: str(v) for k, v in files.items()}))"
    )
    argv = [sys.executable, "-c", code, str(ROOT / "tests" / "read"), str(dest)]
    argv += ["1" if full else "0", *(only or [])]
    out = subprocess.run(argv, check=True, capture_output=True)
    return {k: Path(v) for k, v in json.loads(out.stdout).items()}


def run_scan(path: Path, timeout: float) -> tuple[float, int, int | None, str]:
    """(wall seconds, peak RSS in bytes, exit code or None if killed, stdout)."""
    return run_vigile(["scan", str(path), "-q", "-f", "json"], timeout)


def run_vigile(argv: list[str], timeout: float) -> tuple[float, int, int | None, str]:
    """`vigile ARGV` in a child: (wall seconds, peak RSS in bytes of the child and the
    processes it waited for, exit code or None if killed, stdout)."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigile", *argv],
            stdout=out,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = t + timeout
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                killed = True
                break
            time.sleep(0.05)
        proc.returncode = -1  # reaped above: keep Popen from waiting again
        wall = time.perf_counter() - t
        code = None if killed else os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return wall, usage.ru_maxrss * 1024, code, text


def outcome(text: str) -> str:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return "no report"
    rows = sum(f.get("rows", 0) for f in doc["files"])
    unread = len(doc.get("not_fully_read", []))
    cats = sorted(
        {c["category"] for f in doc["files"] for c in f["columns"] if c["category"]}
        | {k for f in doc["files"] for c in f["columns"] for k in c["text_categories"]}
    )
    found = ",".join(cats) or "-"
    return f"{rows:,} rows; not fully read: {unread}; found: {found}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="the tests' small forms")
    ap.add_argument("--only", nargs="*", help="case names")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per scan")
    ap.add_argument("--max-rss", type=float, default=2048.0, help="MiB per scan")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigile-hostile-") as d:
        t = time.perf_counter()
        files = _build_in_child(Path(d), not args.small, args.only)
        print(
            f"corpus built in {time.perf_counter() - t:.1f} s ({'small' if args.small else 'full'})"
        )
        header = f"{'case':<26}{'input':>10}{'wall s':>9}{'peak RSS':>11}{'exit':>6}  outcome"
        print(header)
        print("-" * len(header))
        failures = 0
        for name, path in files.items():
            size = path.stat().st_size
            wall, rss, code, text = run_scan(path, args.timeout)
            ok = code in (0, 1, 2, 3) and rss <= args.max_rss * 2**20
            failures += not ok
            print(
                f"{name:<26}{_size(size):>10}{wall:>9.2f}{rss / 2**20:>8.0f} MiB"
                f"{code if code is not None else 'kill':>6}  {outcome(text)}"
                + ("" if ok else "  <-- OUT OF BOUNDS")
            )
        failures += sweep_corpus(Path(d), files, args)
        print(
            f"bounds: {args.timeout:g} s and {args.max_rss:g} MiB a scan;"
            f" {'PASS' if not failures else f'FAIL ({failures})'}"
        )


def sweep_corpus(root: Path, files: dict[str, Path], args) -> int:
    """`vigile sweep` over the corpus as one share (2 workers): each file's status;
    returns 1 if the sweep crashed, went out of bounds, or called a hostile file clean."""
    index = root / "sweep-index.db"
    argv = ["sweep", str(root), "-q", "-f", "json", "--workers", "2", "--index", str(index)]
    wall, rss, code, text = run_vigile(argv, args.timeout * 2)
    print(f"\nsweep of the corpus: {wall:.2f} s, peak RSS {rss / 2**20:.0f} MiB, exit {code}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        print("  no report  <-- FAIL")
        return 1
    by_case = {f["path"].split("/")[-2]: f for f in doc["files"]}
    clean = [name for name in files if name not in by_case]
    for name in files:
        f = by_case.get(name, {"status": "clean", "not_read": [], "categories": []})
        why = f["not_read"][0].split(": ", 1)[-1][:70] if f["not_read"] else ""
        cats = ",".join(f["categories"]) or "-"
        print(f"  {name:<26}{f['status']:<11}{cats:<36}{why}")
    ok = code in (1, 3) and not clean and rss <= args.max_rss * 2**20
    print(
        f"  complete: {doc['complete']}; not fully read: {doc['files_not_fully_read']};"
        f" called clean: {len(clean)}" + ("" if ok else "  <-- FAIL")
    )
    return 0 if ok else 1


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.0f} TB"


if __name__ == "__main__":
    main()
