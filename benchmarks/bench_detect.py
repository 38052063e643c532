"""Benchmark of the column profiler on a leak-sized export (491,840 rows, ~35 columns).

Uses `vigile.synth.generate_lab_export` when it is available, otherwise a rough
vectorised generator below. Prints the bare polars read time and the time of
`ColumnProfiler.update` + `finish` over the whole file, in ~4 batches.

    .venv/bin/python benchmarks/bench_detect.py [rows] [path]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from vigile.detect import ColumnProfiler

ROWS = 491_840


def _pick(rng: np.random.Generator, pool: list[str], n: int) -> pl.Series:
    return pl.Series(pool, dtype=pl.String).gather(rng.integers(0, len(pool), n))


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    return pl.Series(rng.integers(0, 10**width, n)).cast(pl.String).str.zfill(width)


def rough_export(rows: int, path: Path, seed: int = 7) -> None:
    """A rough stand-in for vigile.synth: right shapes and cardinalities, not realistic."""
    from faker import Faker

    rng = np.random.default_rng(seed)
    fk = Faker("fr_FR")
    fk.seed_instance(seed)
    last = [fk.last_name().upper() for _ in range(3000)]
    first = [fk.first_name() for _ in range(800)]
    cities = [fk.city().upper() for _ in range(2000)]
    streets = [fk.street_address() for _ in range(20000)]
    body = rng.integers(1, 3, rows) * 10**12 + rng.integers(0, 10**12, rows)
    nir_key = 97 - body % 97
    nir = pl.Series(body).cast(pl.String) + pl.Series(nir_key).cast(pl.String).str.zfill(2)
    birth = pl.Series(rng.integers(-25000, 19000, rows)).cast(pl.Date).dt.strftime("%d/%m/%Y")
    sample = pl.Series(rng.integers(15700, 18600, rows)).cast(pl.Date).dt.strftime("%d/%m/%Y")
    phone = (
        "06 " + _digits(rng, rows, 2) + " " + _digits(rng, rows, 2) + " " + _digits(rng, rows, 2)
    )
    comments = [
        "",
        "",
        "",
        "Patient à jeun",
        "Prélèvement difficile",
        "Enceinte 12 SA",
        "pas de grossesse",
        "Surdité, appeler Mme DUPONT",
        "Diabète type 2",
        "VIH positif",
    ]
    cols = {
        "NOM": _pick(rng, last, rows), "NOM_JF": _pick(rng, last, rows),
        "PRENOM": _pick(rng, first, rows), "SEXE": _pick(rng, ["M", "F"], rows),
        "DT_NAIS": birth, "NIR": nir, "ADR1": _pick(rng, streets, rows),
        "ADR2": _pick(rng, ["", "", "Bâtiment B", "Appt 12"], rows),
        "CP": _pick(rng, ["35000", "29200", "22300", "56100", "14000", "37000"], rows),
        "VILLE": _pick(rng, cities, rows), "TEL": phone, "TEL_PORT": phone,
        "MAIL": _pick(rng, last, rows).str.to_lowercase() + "@gmail.com",
        "MUT": _pick(rng, ["MGEN", "HARMONIE MUTUELLE", "MACIF", "AXA", ""], rows),
        "NUM_ADH": _digits(rng, rows, 10), "MED_PRESC": "Dr " + _pick(rng, last, rows),
        "RPPS": _pick(rng, ["10003456789", "10101234567"], rows), "GRP_SANG": _pick(rng, ["A+", "O RH-1", "", "AB POS"], rows),
        "GROSSESSE": _pick(rng, ["OUI", "NON", ""], rows),
        "TRAITEMENT": _pick(rng, ["LEVOTHYROX 75 µg", "KARDEGIC 75 mg", "", ""], rows),
        "ANALYSES": _pick(rng, ["NFS, CRP, TSH", "GLYCEMIE", "HBA1C, FERRITINE"], rows),
        "COMMENTAIRE": _pick(rng, comments, rows), "LOGIN": _pick(rng, first, rows).str.to_lowercase() + "." + _digits(rng, rows, 6),
        "MDP": _digits(rng, rows, 8).str.replace("^", "Ab"), "DT_PRELEV": sample, "DT_RECEP": sample,
        "DT_VALID": sample, "N_ECH": pl.Series(np.arange(rows)).cast(pl.String),
        "CODE_BARRE": nir.str.slice(0, 13) + "00", "MONTANT": _digits(rng, rows, 2) + ",50",
        "OPERATEUR": _pick(rng, ["OP1", "OP2", "OP7"], rows), "CODE_ANA": _pick(rng, ["B101", "B202"], rows),
        "LABO": pl.Series(["LABO CENTRAL"] * rows), "C33": _digits(rng, rows, 5), "C34": _digits(rng, rows, 3),
    }  # fmt: skip
    pl.DataFrame(cols).write_csv(path, separator=";")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"/tmp/vigile_bench_{rows}.csv")
    if not path.exists():
        t = time.perf_counter()
        try:
            from vigile.synth import ExportSpec, generate_lab_export

            generate_lab_export(ExportSpec(rows=rows, seed=7), path)
            how = "vigile.synth"
        except ImportError:
            rough_export(rows, path)
            how = "rough generator"
        print(f"generated {path} ({how}) in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    df = pl.read_csv(path, separator=";", infer_schema=False)
    read_s = time.perf_counter() - t
    print(
        f"bare read: {read_s:.2f} s, {df.height} rows x {df.width} columns, {path.stat().st_size / 1e6:.0f} MB"
    )
    t = time.perf_counter()
    p = ColumnProfiler(columns=df.columns)
    for batch in df.iter_slices(125_000):
        p.update(batch)
    findings = p.finish()
    prof_s = time.perf_counter() - t
    print(f"profiler update+finish: {prof_s:.2f} s ({prof_s / max(read_s, 1e-9):.1f}x bare read)")
    for f in findings:
        print(f"  {f.name:14} {f.category or '-':17} conf={f.confidence:.2f} share={f.share:.2f} "
              f"text={f.text_categories or ''}")  # fmt: skip


if __name__ == "__main__":
    main()
