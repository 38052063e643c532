"""The vectorised pass over one batch: distinct values, cheap features, gated detectors.

The pass is split by what each step does:
- `distinct`: each column as its distinct values with counts (shares weighted by counts);
- `features`: cheap per-column statistics (lengths, numeric share, '@', digits);
- `gates`: which shape detectors and lexicon flags can matter on a column, from the
  features and from GATE_CELLS cells drawn at random;
- `checks`: check digits (NIR, RPPS, FINESS) on shape-matching candidates only;
- `words`: lexicon flags and free-text counts over the stacked word-like columns;
- `dates`: the date shape and the year histogram;
- `ids/`: one module per identifier (pattern, vectorised validator, thresholds).
`run_detectors` below runs them in three collects per batch. Python per value happens
only on capped distinct candidates (IBAN national checks, foreign phones) and on the
final few samples.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect.checks import (
    CHECKED,
    candidates_lazy,
    shape_count,
    validation_lazies,
)
from vigile.detect.distinct import COLUMN_ID, COUNT, GATE_SEED, collect_eval
from vigile.detect.features import Features, is_text, is_wordy
from vigile.detect.gates import (
    STREETS,
    flag_parts,
    lexicon_draw,
    shape_draws,
    shape_exprs,
    shapes_kept,
)
from vigile.detect.words import TEXT_KEYS, fold_lazies, lexicon_exprs, stack_columns, word_passes

__all__ = [
    "SEX_CODES",
    "lexicon_exprs",
    "run_detectors",
    "sex_code",
]  # lexicon_exprs: bench_lexicons

SEX_CODES = {
    "m": "M", "h": "M", "1": "M", "homme": "M", "masculin": "M", "male": "M", "mr": "M",
    "monsieur": "M", "f": "F", "2": "F", "femme": "F", "feminin": "F", "female": "F",
    "mme": "F", "mlle": "F", "madame": "F", "mrs": "F", "ms": "F", "miss": "F",
}  # fmt: skip


def run_detectors(
    distincts: list[pl.DataFrame], feats: list[Features], text_kind: bool
) -> list[dict[str, int]]:
    """Weighted counts per column: shape detectors per column; lexicons and free-text
    categories on the stacked distinct values of the columns they apply to, so each big
    alternation is compiled and run once per batch."""
    wordy = [i for i, f in enumerate(feats) if is_wordy(f)]
    texty = [i for i, f in enumerate(feats) if is_text(f, text_kind)]
    words = sorted({*wordy, *texty})
    out: list[dict[str, int]] = [{} for _ in distincts]
    # First round, all at once: the gates' draws (see module doc) and the fold.
    rng = np.random.default_rng(GATE_SEED)
    all_shapes = [shape_exprs(f) if f.ne else {} for f in feats]
    big, draws = shape_draws(distincts, all_shapes, rng)
    stack, spans = stack_columns(distincts, words) if words else (None, {})
    folds = fold_lazies(stack) if stack is not None else []
    lexicon = lexicon_draw(stack, spans, rng) if stack is not None else None
    values = sum(d.height for d in distincts)
    first = collect_eval(draws + folds + ([lexicon] if lexicon is not None else []), values)
    shapes = shapes_kept(all_shapes, big, first[: len(draws)])
    folded = pl.concat(first[len(draws) : len(draws) + len(folds)]) if words else None
    hits = first[-1] if lexicon is not None else None
    if hits is not None and not text_kind:
        streets = set(hits.filter(pl.col(STREETS) >= 0.5)[COLUMN_ID].to_list())
        texty = [i for i in texty if i not in streets]
    # Second round: the shape detectors, check-digit candidates and lexicon flags.
    lazies: list[pl.LazyFrame] = []
    owners: list[tuple[int, str | None]] = []  # (column, checked key or None) per lazy
    for i, (d, exprs) in enumerate(zip(distincts, shapes, strict=True)):
        for key in CHECKED.keys() & exprs.keys():
            del exprs[key]
            lazies.append(candidates_lazy(d, key))
            owners.append((i, key))
        if exprs:
            lazies.append(d.lazy().select([e.alias(k) for k, e in exprs.items()]))
            owners.append((i, None))
    marks = flag_parts(folded, spans, hits, texty) if folded is not None else []
    results = collect_eval(lazies + marks, values)  # lexicon flags once, for every pass below
    second: list[pl.LazyFrame] = []
    second_owners: list[int] = []
    for (i, key), r in zip(owners, results, strict=False):
        if key is None:
            out[i] |= {k: int(r[k][0] or 0) for k in r.columns}
            continue
        out[i][key] = shape_count(key, r)
        out[i][CHECKED[key].valid_key] = 0
        if r.height and r[COUNT].sum() >= CHECKED[key].check_from * feats[i].ne:
            checks = validation_lazies(key, r)
            second += checks
            second_owners += [i] * len(checks)
    if words:
        marked = pl.concat(results[len(lazies) :])
        second += word_passes(marked, wordy, texty)
    results = collect_eval(second, values)
    for i, r in zip(second_owners, results, strict=False):
        for k in r.columns:  # split validations add up
            out[i][k] += int(r[k][0] or 0)
    for i in texty:
        out[i] |= dict.fromkeys(TEXT_KEYS, 0)
    for r in results[len(second_owners) :]:
        for row in r.iter_rows(named=True):
            i = row.pop(COLUMN_ID)
            out[i].update({k: int(x or 0) for k, x in row.items()})
    return out


def sex_code(value: str) -> str | None:
    return SEX_CODES.get(lx.fold(value).strip(" ."))
