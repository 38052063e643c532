"""The whole incident at the seed's scale, from `vigile triage` to the last letter PDF.

491,840 persons in ~1.2 M leaked rows, 1.5 M patients in the controller's database (the
2021 leak's size). Every step is the real command a DPO types, run as its own process,
timed (wall) and measured (peak RSS of that process, from os.wait4), in one run:

    case new -> case set -> triage --case -> link -> notify cnil -> notify letters

Target (issue 12): the steps add up to under 8 minutes on this 2-core machine. The
synthetic inputs are generated once under benchmarks/data/ (not timed). Keys go to a
throwaway folder (VIGILE_KEY_DIR). No personal value is printed.

    .venv/bin/python benchmarks/bench_incident.py [--rows 1200000 --persons 491840 --patients 1500000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA

TARGET_S = 8 * 60


def run_step(args: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one vigile command in its own process."""
    vigile = Path(sys.executable).with_name("vigile")
    t = time.perf_counter()
    p = subprocess.Popen([str(vigile), *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_200_000)
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--patients", type=int, default=1_500_000)
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()

    from vigile.synth import ExportSpec, PatientDbSpec, generate_lab_export, generate_patient_db

    DATA.mkdir(parents=True, exist_ok=True)
    stem = f"incident_{args.rows}_{args.persons}_{args.patients}_{args.seed}"
    leak = DATA / f"{stem}.csv"
    patients = DATA / f"{stem}.patients.parquet"
    if not leak.exists() or not patients.exists():
        t = time.perf_counter()
        truth = generate_lab_export(
            ExportSpec(rows=args.rows, persons=args.persons, fields="full", seed=args.seed), leak
        )
        generate_patient_db(PatientDbSpec(size=args.patients, seed=args.seed), truth, patients)
        print(f"generated the leak and the patient database in {time.perf_counter() - t:.0f} s")

    work = Path(tempfile.mkdtemp(prefix="bench-incident-"))
    db = work / "case.db"
    env = {**os.environ, "VIGILE_KEY_DIR": str(work / "keys")}
    env.pop("VIGILE_KEY", None), env.pop("VIGILE_KEY_FILE", None), env.pop("VIGILE_DB", None)
    base = ["--db", str(db)]
    steps = [
        ("case new", ["case", "new", "bench", "--discovered", "2021-02-23T09:00",
                      "--controller", "Laboratoire (synthétique)",
                      "--dpo", "dpo@labo.invalid, 02 99 00 00 00", *base]),
        ("case set", ["case", "set", *base, "--portal-url", "https://verif.labo.invalid",
                      "--dpo-name", "Anne Martin"]),
        ("triage", ["triage", str(leak), "--case", "bench", *base, "-f", "json",
                    "-o", str(work / "triage.json"), "-q"]),
        ("link", ["link", str(leak), "--patients", str(patients), *base, "--quiet"]),
        ("notify cnil", ["notify", "cnil", "--out", str(work / "cnil"), *base]),
        ("notify letters", ["notify", "letters", "--out", str(work / "letters"), *base]),
    ]  # fmt: skip
    print(f"{'step':<16}{'wall s':>10}{'peak RSS MiB':>15}")
    total = 0.0
    failed = False
    for name, cmd in steps:
        wall, rss, rc = run_step(cmd, env)
        total += wall
        print(f"{name:<16}{wall:>10.1f}{rss:>15.0f}" + ("" if rc == 0 else f"  EXIT {rc}"))
        failed |= rc != 0
        if rc != 0:
            break
    letters = sum(1 for _ in open(work / "letters" / "manifest.csv")) - 1 if not failed else 0
    print(f"{'total':<16}{total:>10.1f}")
    print(f"letters rendered: {letters:,}")
    ok = not failed and total < TARGET_S
    print(f"target: whole incident < {TARGET_S} s -> {'PASS' if ok else 'FAIL'}")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
