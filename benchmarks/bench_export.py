"""`vigile export run` on a 10 M-row, 35-column table: throughput and peak memory.

Target (issue 7): >= 100,000 rows/s on this machine, with bounded memory (the
table never sits in memory whole). The 10 M-row CSV (~4.6 GB) is built from the
491,840-row speed export of bench_scan_speed: copy after copy, each with its own
persons (names, NIRs with valid keys, phones, e-mails, logins, member and file
numbers changed per copy, the same way for every occurrence), so values repeat
within a copy as the generator makes them (several samples per person) but not
from one copy to the next; the builder counts the values found in more than one
copy. Each export runs with the shipped pseudonym memo, then without (every
batch's values hashed afresh): the memo's effect. `--table repeated` gives the
old table (one copy repeated byte for byte, where the memo turns every later
batch into look-ups). The profile is the one `vigile export plan` proposes
(pseudonymised names, NIR, phones, e-mail; generalised birth date and postcode;
credentials and free text dropped). Each export runs in a child process so its
peak RSS (VmHWM) is its own.
Run: .venv/bin/python benchmarks/bench_export.py [--rows 10000000] [--memo N ...]
     .venv/bin/python benchmarks/bench_export.py --provenance 5 [--vs /work/main/src]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import polars as pl

from _common import DATA, synth_export

CHILD = """
import json, sys, time
from pathlib import Path
from pyrage import x25519
from vigile.protect import load_profile, run_export, load_private, read_secret
src, prof, keys, out, memo = sys.argv[1:6]
db = sys.argv[6] if len(sys.argv) > 6 else None
keys = Path(keys)
t, cpu = time.perf_counter(), time.process_time()
hook = None
if db:  # register the export in the provenance registry as it runs (issue 16)
    from vigile.provenance import open_registry
    from vigile.provenance.hook import ExportHook
    hook = ExportHook(open_registry(db, keys / "registry.key", create=True),
                      name=Path(out).name + str(time.time()), recipient="bench", purpose="bench")
m = run_export(src, load_profile(prof), [(keys / "recipient.pub").read_text().strip()], out,
               load_private(keys / "signing.key"), read_secret(keys / "pseudonym.secret"),
               pseudonym_cache=int(memo), provenance=hook)
wall, cpu = time.perf_counter() - t, time.process_time() - cpu
# VmHWM, not ru_maxrss: the latter carries the parent's peak across fork and exec.
status = Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "rows": m["parts"][0]["rows"],
                  "columns_out": len(m["parts"][0]["columns"])}))
"""


BASE_ROWS = 491_840


def _base() -> object:
    return synth_export(
        f"speed_{BASE_ROWS}_utf-8.csv", rows=BASE_ROWS, seed=2021, encoding="utf-8",
        separator=";", fields="standard",
    )  # fmt: skip


def repeated_csv(rows: int) -> object:
    """The base export repeated byte for byte: every value recurs in every copy (the
    memo's best case, not a real table)."""
    base = _base()
    path = DATA / f"export_{rows}.csv"
    if path.exists():
        return path
    t = time.perf_counter()
    with open(base, "rb") as f:
        header = f.readline()
        body = f.read()
    with open(path, "wb") as out:
        out.write(header)
        full, rest = divmod(rows, BASE_ROWS)
        for _ in range(full):
            out.write(body)
        if rest:
            out.write(b"".join(body.splitlines(keepends=True)[:rest]))
    print(
        f"built {path.name} ({path.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - t:.0f} s"
    )
    return path


# Identifying columns whose values must not recur from one copy to another.
CHECKED = ("NOM", "NOM_JF", "PRENOM", "NIR", "TEL_DOM", "TEL_PORT", "MAIL", "NUM_ADH", "MED_PRESC",
           "LOGIN")  # fmt: skip


def _shift_digits(c: pl.Expr, k: int, step: int) -> pl.Expr:
    """A digit string moved by `k * step` modulo its own length (leading zeros kept): a
    bijection for each copy, so distinct values stay distinct within it."""
    n = c.str.len_chars()
    mod = pl.lit(10, pl.Int64).pow(n)
    moved = (c.cast(pl.Int64) + k * step) % mod
    return (
        pl.when(c.str.contains(r"^\d{1,17}$")).then(moved.cast(pl.String).str.zfill(n)).otherwise(c)
    )


def _phone(name: str, k: int) -> pl.Expr:
    """The subscriber's 8 digits moved, in the value's own layout (spaces, dots, +33)."""
    c = pl.col(name)
    g = c.str.extract_groups(r"^(.*?)(\d\d)(\D?)(\d\d)\D?(\d\d)\D?(\d\d)$")
    sub = pl.concat_str(g.struct[1], g.struct[3], g.struct[4], g.struct[5])
    d = ((sub.cast(pl.Int64) + k * 4_999_999) % 100_000_000).cast(pl.String).str.zfill(8)
    sep = g.struct[2]
    new = pl.concat_str(
        g.struct[0], d.str.slice(0, 2), sep, d.str.slice(2, 2), sep, d.str.slice(4, 2), sep,
        d.str.slice(6, 2),
    )  # fmt: skip
    return pl.coalesce(new, c).alias(name)


def _nir(c: pl.Expr, k: int) -> pl.Expr:
    """Another valid NIR: order number (digits 11-13) moved by k, key recomputed."""
    order = (c.str.slice(10, 3).cast(pl.Int64) - 1 + k) % 999 + 1
    body = pl.concat_str(c.str.slice(0, 10), order.cast(pl.String).str.zfill(3))
    num = body.str.replace("2A", "19", literal=True).str.replace("2B", "18", literal=True)
    key = 97 - num.cast(pl.Int64) % 97
    return (
        pl.when(c.str.contains(r"^\d{5}(?:\d\d|2A|2B)\d{8}$"))
        .then(pl.concat_str(body, key.cast(pl.String).str.zfill(2)))
        .otherwise(c)
    )


def _distinct_copy(df: pl.DataFrame, k: int, surnames: list[str], given: list[str]):
    """Copy `k` of the base export with its own persons: every identifying value made
    different from every other copy's, the same way for each occurrence, so a person
    keeps several samples (and repeated values) within a copy, as the generator made them."""
    if k == 0:
        return df
    sur, first = surnames[k % len(surnames)], given[k % len(given)]
    tag = f"_{k}@"
    return df.with_columns(
        pl.col("NOM", "NOM_JF") + f"-{sur}",
        pl.col("PRENOM") + f" {first}",
        pl.col("MED_PRESC").str.replace(r"^(Dr \S+)", f"${{1}}-{sur}"),
        pl.col("MAIL").str.replace("@", tag, literal=True),
        pl.when(pl.col("LOGIN").str.contains("@", literal=True))
        .then(pl.col("LOGIN").str.replace("@", tag, literal=True))
        .otherwise(pl.col("LOGIN") + f"_{k}"),
        _phone("TEL_DOM", k),
        _phone("TEL_PORT", k),
        _nir(pl.col("NIR"), k),
        _shift_digits(pl.col("NUM_ADH"), k, 7_777_777),
        _shift_digits(pl.col("NUM_DOSSIER"), k, BASE_ROWS),
    )


def distinct_csv(rows: int) -> object:
    """`rows` rows of copies of the base export, each copy with its own persons: no
    name, NIR, phone, e-mail, login, member or file number recurs from one copy to the
    next (counted after writing), so the pseudonym memo only helps within a copy."""
    base = _base()
    path = DATA / f"export_distinct_{rows}.csv"
    if path.exists():
        return path
    t = time.perf_counter()
    df = pl.read_csv(base, separator=";", infer_schema=False)
    surnames, given = (
        df.select(pl.col(c).drop_nulls().unique().sort()).filter(~pl.col(c).str.contains("[- ]"))
        .get_column(c).to_list()
        for c in ("NOM", "PRENOM")
    )  # fmt: skip
    tmp = path.with_suffix(".tmp")
    seen: dict[str, list[pl.Series]] = {c: [] for c in CHECKED}
    with open(tmp, "wb") as out:
        for k, start in enumerate(range(0, rows, BASE_ROWS)):
            part = _distinct_copy(df.head(rows - start), k, surnames, given)
            part.write_csv(out, separator=";", include_header=k == 0, null_value="")
            for c in CHECKED:
                seen[c].append(part[c].drop_nulls().unique())
    tmp.rename(path)
    print(
        f"built {path.name} ({path.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - t:.0f} s"
    )
    # A value in two copies counts once per extra copy: 0 means no copy shares any.
    shared = {c: sum(map(len, v)) - pl.concat(v).n_unique() for c, v in seen.items()}
    print("values found in more than one copy:", ", ".join(f"{c} {n}" for c, n in shared.items()))
    return path


def _run(src, profile, keys, out, memo: int, db: str | None = None, code: str | None = None):
    """One export in a child process; `code`: another checkout's `src` folder to run."""
    env = None
    if code:
        env = {**os.environ, "PYTHONPATH": code}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(profile), str(keys), str(out), str(memo)]
        + ([db] if db else []),
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if proc.returncode:
        sys.exit(proc.stderr[-2000:])
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["out_mb"] = sum(p.stat().st_size for p in out.glob("*.age")) / 1e6
    res["load"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    shutil.rmtree(out, ignore_errors=True)
    return res


def main() -> None:
    from vigile.protect.pseudonym import DEFAULT_CACHE_ENTRIES

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument(
        "--table", choices=("distinct", "repeated"), default="distinct",
        help="distinct (default): copies of the base export, each with its own persons; "
        "repeated: the base export repeated byte for byte, the pseudonym memo's best case.",
    )  # fmt: skip
    ap.add_argument(
        "--light", action="store_true",
        help="Pseudonymise the NIR only (other proposed pseudonyms kept): the pipeline without "
        "most of the keyed hashing.",
    )  # fmt: skip
    ap.add_argument(
        "--memo", type=int, nargs="+", default=[DEFAULT_CACHE_ENTRIES, 0],
        help="Pseudonym memo sizes to run with, one export each (distinct values per "
        "normalisation; 0 = none, every batch's values hashed afresh). Default: the "
        "shipped size, then 0.",
    )  # fmt: skip
    ap.add_argument(
        "--provenance", type=int, default=0, metavar="ROUNDS",
        help="Instead: the 491,840-row base export without, then with, registration in the "
        "provenance registry (issue 16: <= +20 %%), ROUNDS times alternating; median ratio.",
    )  # fmt: skip
    ap.add_argument(
        "--vs", metavar="SRC",
        help="With --provenance: also run another checkout's src folder (e.g. "
        "/work/main/src) in the same rounds, for a before/after under the same load.",
    )  # fmt: skip
    args = ap.parse_args()
    if args.provenance:
        return provenance_overhead(args.provenance, args.vs)
    src = (distinct_csv if args.table == "distinct" else repeated_csv)(args.rows)
    work = DATA / "export_bench"
    shutil.rmtree(work, ignore_errors=True)
    keys = work / "keys"
    keys.mkdir(parents=True)
    from pyrage import x25519

    from vigile.protect import plan_export, write_secret, write_signing_key

    write_signing_key(keys / "signing.key", keys / "signing.pub")
    write_secret(keys / "pseudonym.secret")
    (keys / "recipient.pub").write_text(str(x25519.Identity.generate().to_public()))
    profile = work / "profile.yaml"
    text = plan_export(str(src))
    if args.light:
        text = "\n".join(
            ln.replace('"pseudonymise"', '"keep"') if '"nir"' not in ln else ln
            for ln in text.splitlines()
        )
    profile.write_text(text)
    print(f"source: {src.name} ({src.stat().st_size / 1e9:.2f} GB, 35 columns, {args.table})")
    print(
        "profile:", sum('"pseudonymise"' in ln for ln in text.splitlines()), "pseudonymised columns"
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rates = []
    for memo in args.memo:
        res = _run(src, profile, keys, work / "out", memo)
        rate = res["rows"] / res["wall"]
        rates.append(rate)
        print(f"-- pseudonym memo {memo:,} entries")
        print(
            f"exported {res['rows']:,} rows, {res['columns_out']} columns out, in "
            f"{res['wall']:.1f} s: {rate:,.0f} rows/s (target >= 100,000)"
        )
        print(
            f"peak RSS {res['peak_mb']:,.0f} MB; CPU {res['cpu']:.1f} s over {res['wall']:.1f} s "
            f"wall; encrypted output {res['out_mb']:,.0f} MB; load average {res['load']}"
        )
    print("PASS" if min(rates) >= 100_000 else "FAIL", "(throughput, every memo size)")


def provenance_overhead(rounds: int, vs: str | None = None) -> None:
    """`vigile export run` of the 491,840-row base export, without and with registering it
    (the registry grows by one export per round, as it would in use). `vs`: another
    checkout's `src` folder, run the same way in the same rounds (its own registry), so
    both sides share the machine's load."""
    import statistics

    from pyrage import x25519

    from vigile.protect import plan_export, write_secret, write_signing_key

    src = _base()
    work = DATA / "export_provenance_bench"
    shutil.rmtree(work, ignore_errors=True)
    keys = work / "keys"
    keys.mkdir(parents=True)
    write_signing_key(keys / "signing.key", keys / "signing.pub")
    write_secret(keys / "pseudonym.secret")
    (keys / "recipient.pub").write_text(str(x25519.Identity.generate().to_public()))
    profile = work / "profile.yaml"
    profile.write_text(plan_export(str(src)))
    sides = {"this code": (None, str(work / "registry.db"))}
    if vs:
        sides[f"vs {vs}"] = (vs, str(work / "registry_vs.db"))
    print(f"source: {src.name} ({BASE_ROWS:,} rows); profile as `vigile export plan` proposes")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(machine shared with other agents)")  # fmt: skip
    ratios: dict[str, list[float]] = {k: [] for k in sides}
    cpu: dict[str, list[float]] = {k: [] for k in sides}  # CPU seconds added
    for r in range(rounds):
        for side, (code, db) in sides.items():
            plain = _run(src, profile, keys, work / "out", 500_000, code=code)
            reg = _run(src, profile, keys, work / "out", 500_000, db, code=code)
            ratios[side].append(reg["wall"] / plain["wall"])
            cpu[side].append(reg["cpu"] - plain["cpu"])
            print(f"round {r + 1} ({side}): export {plain['wall']:.1f} s (CPU {plain['cpu']:.1f} "
                  f"s), with registration {reg['wall']:.1f} s (CPU {reg['cpu']:.1f} s): "
                  f"{ratios[side][-1] - 1:+.1%}; peak RSS {plain['peak_mb']:,.0f} -> "
                  f"{reg['peak_mb']:,.0f} MB; load {reg['load']}", flush=True)  # fmt: skip
    for side, (_, db) in sides.items():
        med = statistics.median(ratios[side])
        print(
            f"{side}: registry {os.path.getsize(db) / 1e6:,.0f} MB after {rounds} exports; "
            f"median time added by registration: {med - 1:+.1%} (target <= +20 %), "
            f"median CPU added {statistics.median(cpu[side]):+.2f} s"
        )
    med = statistics.median(ratios["this code"])
    print("PASS" if med <= 1.2 else "FAIL", "(this code)")


if __name__ == "__main__":
    main()
