"""Recall of the reference lexicons on their own lists' entries, alone and in sentences.

For each list (BDPM specialties and substances, CIM-10 labels, the ALD list, communes), a
random 1,000-entry sample (seeded) of the list *as published* (not of vigile's folded
terms) is scanned:

- alone: each entry is one cell; recall = share of cells the per-value detector flags
  (medication, health condition, commune), and the category that `classify` gives the
  1,000-row column under an opaque header;
- in a sentence: each entry inside a French sentence (seeded template); recall = share of
  cells whose free-text category is found (medication, health_condition);
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

Run: .venv/bin/python benchmarks/bench_lexicons.py [--n 1000] [--seed 14] [--text-rows N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect.engine import lexicon_exprs
from vigile.detect.lexicons import reference as ref
from vigile.detect.lexicons.build import ALD_LIST
from vigile.detect.profiler import classify
from vigile.detect.text import health_mention_exprs, text_health_exprs

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
    return df.select(text_health_exprs(pl.col("f"))[category].fill_null(False).alias("h"))["h"]


def _column_category(values: list[str]) -> str:
    found = classify(pl.DataFrame({"C07": values}))
    return found[0].category or "-"


def free_text_per_cell(rows: int) -> bool:
    """Per-cell precision and recall of health_condition and medication in a synthetic
    export's free-text comments, against the template each cell was written from."""
    import hashlib

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import synth_export
    from vigile.synth.clinical import COMMENT_TEMPLATES
    from vigile.synth.truth import GroundTruth

    tag = hashlib.sha1("|".join(t.text for t in COMMENT_TEMPLATES).encode()).hexdigest()[:8]
    path = synth_export(f"text_truth_{tag}_{rows}.csv", rows=rows, header_style="verbose")
    truth = GroundTruth.load(path)
    from vigile.synth.fields import FIELDS

    style = truth.spec["header_style"]  # "verbose": a field's header is its verbose name
    hidden = truth.row_persons().sort("row")
    tpl = hidden["comment_template"].to_list()
    kind = hidden["clinical_kind"].to_list()
    # per column: (header, cell truth per category)
    wants = {
        "comment": lambda cat: [i >= 0 and cat in COMMENT_TEMPLATES[i].categories for i in tpl],
        "clinical": lambda cat: [
            k is not None and (k == "treatment") == (cat == "medication") for k in kind
        ],
    }
    ok = True
    for key, want_of in wants.items():
        header = getattr(next(f for f in FIELDS if f.key == key), style)
        df = pl.read_csv(
            path,
            separator=truth.spec["separator"],
            infer_schema=False,
            columns=[header],
            encoding="utf8-lossy",
        )
        folded = df.select(lx.fold_expr(pl.col(header)).alias("f"))
        t = time.perf_counter()
        found = folded.select(
            **{k: e.fill_null(False) for k, e in text_health_exprs(pl.col("f")).items()}
        )
        took = time.perf_counter() - t
        print(f"\nfree text per cell, {key} column ({rows} rows, detection {took:.2f} s):")
        print(f"{'category':18} {'cells':>7} {'precision':>10} {'recall':>7}  errors by template")
        for cat in ("health_condition", "medication"):
            want = want_of(cat)
            got = found[cat].to_list()
            tp = sum(w and g for w, g in zip(want, got, strict=True))
            fp = sum(g and not w for w, g in zip(want, got, strict=True))
            fn = sum(w and not g for w, g in zip(want, got, strict=True))
            precision = tp / (tp + fp) if tp + fp else 1.0
            recall = tp / (tp + fn) if tp + fn else 1.0
            ids = tpl if key == "comment" else kind
            wrong = Counter(i for i, w, g in zip(ids, want, got, strict=True) if w != g)
            worst = ", ".join(f"{i}x{n}" for i, n in wrong.most_common(4))
            print(f"{cat:18} {sum(want):7d} {precision:10.3f} {recall:7.3f}  {worst}")
            ok &= precision >= 0.98 and recall >= 0.95
    print(f"target precision >= 0.98, recall >= 0.95: {'MET' if ok else 'NOT MET'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--misses", type=int, default=8, help="misses printed per list")
    ap.add_argument("--text-rows", type=int, default=50_000, help="0: skip the free-text part")
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    ref.padded("drugs"), ref.padded("cim10", "ald"), ref.communes()  # loading, timed apart
    load = time.perf_counter() - t0
    print(
        f"reference lists loaded in {load:.2f} s (drugs {len(ref.ref_terms('drugs'))}, "
        f"cim10 {len(ref.ref_terms('cim10'))}, communes {len(ref.ref_terms('communes'))})"
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
            text_cat = "medication" if category == "medication" else "health_condition"
            picks = rng.integers(0, len(sentences), len(sample))
            said = [sentences[p].format(x=x) for p, x in zip(picks, sample, strict=True)]
            in_text = _text_flags(said, text_cat)
            negs = rng.integers(0, len(NEGATED_SENTENCES), len(sample))
            denied = [NEGATED_SENTENCES[p].format(x=x) for p, x in zip(negs, sample, strict=True)]
            negated = _text_flags(denied, text_cat) if category != "medication" else None
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
    if a.text_rows:
        free_text_per_cell(a.text_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
