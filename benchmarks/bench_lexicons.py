"""Recall of the reference lexicons on their own lists' entries, alone and in sentences.

For each list (BDPM specialties and substances, CIM-10 labels, the ALD list, communes, NABM
lab test labels), a random 1,000-entry sample (seeded) of the list *as published* (not of vigile's folded
terms) is scanned:

- alone: each entry is one cell; recall = share of cells the per-value detector flags
  (medication, health condition, commune), and the category that `classify` gives the
  1,000-row column under an opaque header;
- in a sentence: each entry inside a French sentence (seeded template); recall = share of
  cells whose free-text category is found (medication, health_condition, lab_test);
- negated: the same entries after "pas de", "antécédents familiaux de"...: share of cells
  wrongly counted as the person's own (lower is better).

The published lists are not shipped whole (vigile ships its folded terms only): write them
once with

    python -m vigile.detect.lexicons.build ... --samples benchmarks/data/lexicon_sources

(see `vigile.detect.lexicons.build` for the sources). Entries of public reference lists are
no personal data: the first misses are printed for each list.

Then, free text per cell: a synthetic export's comments (`vigile.synth`, whose templates
say what each cell asserts: a condition of the person, a treatment, or nothing, as in
negations, family history, "à jeun", "hémolysé", "RAS", administrative notes) against what
the free-text detectors find, cell by cell: precision and recall of health_condition and
medication (target 0.98 and 0.95). Templates are named by index only (they are synthetic,
but the report stays free of cell text).

With --nabm-halves, the NABM lab terms are also built from a random half of the labels and
measured on the other half (a figure on labels the terms were not built from).

Run: .venv/bin/python benchmarks/bench_lexicons.py [--n 1000] [--seed 14] [--text-rows N]
     [--nabm-halves]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect.engine import lexicon_exprs
from vigile.detect.lexicons import reference as ref
from vigile.detect.lexicons.build import ALD_LIST
from vigile.detect.profiler import classify
from vigile.detect.text import health_mention_exprs, text_health_exprs, text_other_exprs

SOURCES = Path(__file__).resolve().parent / "data" / "lexicon_sources"

DRUG_SENTENCES = (
    "Traitement en cours : {x}.",
    "Patient sous {x} depuis 2019",
    "Renouvellement de {x} demandé par le médecin traitant",
    "Prend {x} le matin, à vérifier",
    "Ordonnance : {x}",
    "Arrêt de {x} il y a 3 jours, reprise prévue",
)
CONDITION_SENTENCES = (
    "Diagnostic retenu : {x}.",
    "Suivi pour {x} depuis 3 ans",
    "Hospitalisée en mars pour {x}",
    "Motif de la demande : {x}",
    "Patient connu pour {x}, bilan de contrôle",
    "{x} - surveillance trimestrielle",
)
LAB_SENTENCES = (
    "Analyses demandées : {x}",
    "Bilan du jour - {x}",
    "{x} à refaire dans 3 mois",
    "Résultat de {x} transmis au médecin",
    "Prescription : {x}, à jeun",
    "Contrôle {x} prévu la semaine prochaine",
)
NEGATED_SENTENCES = (
    "Pas de {x}",
    "Absence de {x}",
    "Antécédents familiaux de {x}",
    "Mère : {x}",
)
# list name -> (source file or entries, per-value flag, expected column category, sentences)
LISTS = {
    "bdpm_specialties": ("bdpm_specialties.txt", "medication", "medication", DRUG_SENTENCES),
    "bdpm_substances": ("bdpm_substances.txt", "medication", "medication", DRUG_SENTENCES),
    "cim10_labels": ("cim10_labels.txt", "health", "health_condition", CONDITION_SENTENCES),
    "ald": (ALD_LIST, "health", "health_condition", CONDITION_SENTENCES),
    "communes": ("communes.txt", "commune", "city", ()),
    "nabm_labels": ("nabm_labels.txt", "lab_test", "lab_test", LAB_SENTENCES),
}


def _entries(src) -> list[str]:
    if isinstance(src, tuple):
        return list(src)
    path = SOURCES / src
    if not path.exists():
        sys.exit(f"{path} is missing: write the sources once (see this script's docstring)")
    return [x.strip() for x in path.read_text("utf-8").splitlines() if x.strip()]


def _sample(entries: list[str], n: int, rng: np.random.Generator) -> list[str]:
    if len(entries) <= n:
        return entries
    return [entries[i] for i in rng.choice(len(entries), n, replace=False)]


def _value_flags(values: list[str], flag: str) -> pl.Series:
    """The engine's per-value flag (the one the profiler's shares count)."""
    s = pl.Series("value", values, dtype=pl.String)
    df = pl.DataFrame({"value": s}).with_columns(lx.fold_expr(pl.col("value")).alias("folded"))
    exprs = lexicon_exprs()
    if flag == "health":
        kinds = health_mention_exprs(pl.col("folded"), folded=True)
        e = pl.any_horizontal(*(kinds[k] for k in lx.HEALTH_KINDS))
    else:
        e = exprs[flag]
    return df.select(e.fill_null(False).alias("hit"))["hit"]


def _text_flags(sentences: list[str], category: str) -> pl.Series:
    df = pl.DataFrame({"v": sentences}).with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    if category == "lab_test":
        exprs = text_other_exprs(pl.col("v"), pl.col("f"))
    else:
        exprs = text_health_exprs(pl.col("f"))
    return df.select(exprs[category].fill_null(False).alias("h"))["h"]


def _column_category(values: list[str]) -> str:
    found = classify(pl.DataFrame({"C07": values}))
    return found[0].category or "-"


def per_cell_scores(want: pl.DataFrame, got: pl.DataFrame, cats) -> dict[str, tuple]:
    """category -> (cells, precision, recall) of Boolean columns `got` against `want`
    (same rows), in one polars pass."""
    both = pl.concat(
        [want.select(cats).rename(lambda c: f"w_{c}"), got.select(cats)], how="horizontal"
    )
    sums = both.select(
        *(
            e
            for c in cats
            for e in (
                pl.col(f"w_{c}").sum().alias(f"{c}_want"),
                (pl.col(f"w_{c}") & pl.col(c)).sum().alias(f"{c}_tp"),
                pl.col(c).sum().alias(f"{c}_got"),
            )
        )
    ).row(0, named=True)
    out = {}
    for c in cats:
        tp, n_want, n_got = sums[f"{c}_tp"], sums[f"{c}_want"], sums[f"{c}_got"]
        out[c] = (n_want, tp / n_got if n_got else 1.0, tp / n_want if n_want else 1.0)
    return out


def detect_distinct(texts: pl.Series) -> pl.DataFrame:
    """health_condition and medication per cell, detected once per distinct text (the
    detection is a function of the text alone) and joined back to the cells."""
    cells = texts.rename("v").to_frame()
    distinct = cells.unique().with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    found = distinct.select(
        "v", **{k: e.fill_null(False) for k, e in text_health_exprs(pl.col("f")).items()}
    )
    return cells.join(found, on="v", how="left", nulls_equal=True).fill_null(False)


def free_text_per_cell(rows: int) -> bool:
    """Per-cell precision and recall of health_condition and medication in a synthetic
    export's free-text comments, against the template each cell was written from."""
    import hashlib

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import synth_export
    from vigile.synth.clinical import COMMENT_TEMPLATES
    from vigile.synth.fields import FIELDS
    from vigile.synth.truth import GroundTruth

    tag = hashlib.sha1("|".join(t.text for t in COMMENT_TEMPLATES).encode()).hexdigest()[:8]
    path = synth_export(f"text_truth_{tag}_{rows}.csv", rows=rows, header_style="verbose")
    truth = GroundTruth.load(path)
    cats = ("health_condition", "medication")
    style = truth.spec["header_style"]  # "verbose": a field's header is its verbose name
    hidden = truth.row_persons().sort("row")
    # what each template's cells assert, by template index (-1: no comment)
    templates = pl.DataFrame(
        {
            "comment_template": list(range(len(COMMENT_TEMPLATES))),
            **{c: [c in t.categories for t in COMMENT_TEMPLATES] for c in cats},
        },
        schema_overrides={"comment_template": hidden["comment_template"].dtype},
    )
    kind = pl.col("clinical_kind")
    wants = {
        "comment": (
            hidden.select("comment_template")
            .join(templates, on="comment_template", how="left", maintain_order="left")
            .select(pl.col(c).fill_null(False) for c in cats)
        ),
        "clinical": hidden.select(
            health_condition=kind.is_not_null() & (kind != "treatment"),
            medication=(kind == "treatment").fill_null(False),
        ),
    }
    ok = True
    for key, want in wants.items():
        header = getattr(next(f for f in FIELDS if f.key == key), style)
        df = pl.read_csv(
            path,
            separator=truth.spec["separator"],
            infer_schema=False,
            columns=[header],
            encoding="utf8-lossy",
        )
        t = time.perf_counter()
        found = detect_distinct(df[header])
        took = time.perf_counter() - t
        n_distinct = df[header].n_unique()
        print(
            f"\nfree text per cell, {key} column ({rows} rows, {n_distinct} distinct, "
            f"detection {took:.2f} s):"
        )
        print(f"{'category':18} {'cells':>7} {'precision':>10} {'recall':>7}")
        for cat, (n, precision, recall) in per_cell_scores(want, found, cats).items():
            print(f"{cat:18} {n:7d} {precision:10.3f} {recall:7.3f}")
            ok &= precision >= 0.98 and recall >= 0.95
    print(f"target precision >= 0.98, recall >= 0.95: {'MET' if ok else 'NOT MET'}")
    return ok


def nabm_held_out(seeds=(1, 2, 3), stop: Path = Path("/usr/share/dict/french")) -> None:
    """Lab terms built (lexicons.build.lab_test_terms) from a random half of the NABM
    labels, recall measured on the other half: what the list gives on labels it was not
    built from (the in-list figure above is optimistic)."""
    import random
    import re
    import tempfile

    from vigile.detect.lexicons import build
    from vigile.detect.text import WB

    labels = _entries("nabm_labels.txt")
    stop_words = build._stop_words(stop if stop.exists() else None)  # ~15 s: folds wfrench
    health = {build.words(t) for ts in lx.health_terms().values() for t in ts}
    conditions = frozenset({*ref.ref_terms("cim10"), *ref.ref_terms("ald"), *health})
    drugs = frozenset(ref.ref_terms("drugs"))
    hand = [re.escape(t) for t in lx.lab_tests()]
    print("\nNABM lab terms built from one half of the labels, recall on the other half:")
    for seed in seeds:
        order = labels[:]
        random.Random(seed).shuffle(order)
        half = len(order) // 2
        built, held = order[:half], order[half:]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "IR_BIO_R.csv"
            rows = [f"{i};{x}" for i, x in enumerate(built)]
            path.write_text("BIO_PRS_IDE;BIO_INF_LIB\n" + "\n".join(rows) + "\n", "utf-8")
            terms, _ = build.lab_test_terms(path, stop_words, conditions, drugs)
        nabm = [r"[^a-z0-9]+".join(re.escape(w) for w in t.split()) for t in terms]
        df = pl.DataFrame({"v": held}).select(lx.fold_expr(pl.col("v")).alias("f"))
        both = WB + "(?:" + "|".join(hand + nabm) + ")" + WB
        alone = WB + "(?:" + "|".join(hand) + ")" + WB
        got = df.select(
            pl.col("f").str.contains(both).mean().alias("b"),
            pl.col("f").str.contains(alone).mean().alias("h"),
        ).row(0)
        print(
            f"  seed {seed}: {len(terms)} terms from {half} labels; on the other "
            f"{len(held)}: {got[0]:.3f} (hand list alone {got[1]:.3f})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--misses", type=int, default=8, help="misses printed per list")
    ap.add_argument("--text-rows", type=int, default=50_000, help="0: skip the free-text part")
    ap.add_argument(
        "--nabm-halves", action="store_true", help="also NABM terms built on half, ~20 s"
    )
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    ref.padded("drugs"), ref.padded("cim10", "ald"), ref.communes()  # loading, timed apart
    ref.ref_terms("lab_tests")
    load = time.perf_counter() - t0
    print(
        f"reference lists loaded in {load:.2f} s (drugs {len(ref.ref_terms('drugs'))}, "
        f"cim10 {len(ref.ref_terms('cim10'))}, communes {len(ref.ref_terms('communes'))}, "
        f"lab tests {len(ref.ref_terms('lab_tests'))})"
    )
    print(f"{'list':18} {'n':>5} {'alone':>7} {'column':>18} {'sentence':>9} {'negated':>8}")
    ok = True
    for name, (src, flag, category, sentences) in LISTS.items():
        sample = _sample(_entries(src), a.n, rng)
        alone = _value_flags(sample, flag)
        column = _column_category(sample)
        line = f"{name:18} {len(sample):5d} {alone.mean():7.3f} {column:>18}"
        misses = [x for x, h in zip(sample, alone, strict=True) if not h][: a.misses]
        if sentences:
            text_cat = category if category in ("medication", "lab_test") else "health_condition"
            picks = rng.integers(0, len(sentences), len(sample))
            said = [sentences[p].format(x=x) for p, x in zip(picks, sample, strict=True)]
            in_text = _text_flags(said, text_cat)
            negs = rng.integers(0, len(NEGATED_SENTENCES), len(sample))
            denied = [NEGATED_SENTENCES[p].format(x=x) for p, x in zip(negs, sample, strict=True)]
            negated = _text_flags(denied, text_cat) if category == "health_condition" else None
            line += f" {in_text.mean():9.3f}"
            line += f" {negated.mean():8.3f}" if negated is not None else f" {'-':>8}"
            misses += [s for s, h in zip(said, in_text, strict=True) if not h][: a.misses]
            ok &= in_text.mean() >= 0.95
        else:
            line += f" {'-':>9} {'-':>8}"
        ok &= alone.mean() >= 0.95 and column == category
        print(line)
        for m in misses[: a.misses]:
            print(f"    miss: {m}")
    print(
        f"total {time.perf_counter() - t0:.1f} s; target >= 0.95 alone and in sentences, "
        f"column typed as the list's category: {'MET' if ok else 'NOT MET'}"
    )
    if a.nabm_halves:
        nabm_held_out()
    if a.text_rows:
        free_text_per_cell(a.text_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
