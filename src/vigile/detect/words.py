"""Lexicon flags and free-text counts over the stacked distinct values of word-like columns.

The distinct frames of every column that holds words (names, places, insurers, drugs,
comments) are stacked into one frame (`stack_columns`, the column index in COLUMN_ID) and
folded once (`fold_lazies`, FOLDED): each big alternation and lexicon set is then compiled
and run once per batch (`lexicon_exprs`), and counted per column (`by_column`).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect.distinct import COLUMN_ID, COUNT, FOLDED, VALUE
from vigile.detect.lexicons import chars_beyond_ascii, fold_expr
from vigile.detect.lexicons import reference as ref
from vigile.detect.organisations import VALUE_REGEX
from vigile.detect.text import (
    NIR_IN_TEXT,
    alternation,
    health_mention_exprs,
    text_health_exprs,
    text_lab_regex,
    text_other_exprs,
)

ORGANISATION_MARKERS = VALUE_REGEX  # detect.organisations


CITY_MARKERS = r"(?:^|[ \-'])(?:saint|sainte|st|ste|sur|sous|les|en|lez|les|cedex|mer)(?:$|[ \-])"


@cache
def insurer_regex() -> str:
    return alternation(lx.insurers())


@cache
def street_regex() -> str:
    street = alternation(lx.street_types())
    return r"^\d+\s*(?:bis|ter|b|t)?\s*,?\s*" + street + "|" + street + r"\s+\S"


@cache
def address_extra_regex() -> str:
    return "^" + alternation(lx.address_extras())


@cache
def medication_regex() -> str:
    return "(?:" + alternation(lx.medications()) + "|" + lx.DOSAGE_REGEX + ")"


def lab_regex() -> str:
    return text_lab_regex()  # one alternation for the lexicon and the free-text pass


@cache
def first_name_list() -> pl.Series:  # one list value, converted from Python once, not per use
    return pl.Series("first_names", sorted(lx.first_names()), dtype=pl.String).implode()


@cache
def last_name_list() -> pl.Series:
    return pl.Series("last_names", sorted(lx.last_names()), dtype=pl.String).implode()


TEXT_KEYS = ("text:nir",)  # present (as 0) when no value had NIR-like digits


def stack_columns(distincts: list[pl.DataFrame], picked: list[int]):
    """The distinct frames of the `picked` columns stacked in that order (column id in
    COLUMN_ID, materialised: over a lazy concat polars pushes expressions into each input, and
    the fold's character automaton, the lexicon sets and big alternations would be built
    once per column), with each column's (first row, rows)."""
    frames = [distincts[i].with_columns(pl.lit(i, dtype=pl.Int32).alias(COLUMN_ID)) for i in picked]
    starts = np.cumsum([0] + [f.height for f in frames]).tolist()
    spans = {i: (starts[k], frames[k].height) for k, i in enumerate(picked)}
    return pl.concat(frames, rechunk=False), spans


def fold_lazies(stack: pl.DataFrame) -> list[pl.LazyFrame]:
    """The stack with its folded form in FOLDED, in one slice per core (an expression runs on
    one core); concatenated in order, the slices are the stack again."""
    parts = pl.thread_pool_size()
    step = -(-stack.height // parts)
    # Only the table entries of the characters present: the same fold, without building
    # the whole table's automaton (about 7 ms a call, once per slice, in every batch).
    fold = fold_expr(pl.col(VALUE), chars_beyond_ascii(stack[VALUE])).alias(FOLDED)
    return [stack.slice(k * step, step).lazy().with_columns(fold) for k in range(parts)]


def by_column(lf: pl.LazyFrame, flags: dict[str, pl.Expr]) -> pl.LazyFrame:
    """Weighted count per column of each Boolean flag. The flags are computed over the
    whole stacked frame first: inside `agg` they would run group by group, each group
    compiling the big alternations and lexicon sets again."""
    marked = lf.select(COLUMN_ID, COUNT, *[e.fill_null(False).alias(k) for k, e in flags.items()])
    return marked.group_by(COLUMN_ID).agg(
        [pl.col(COUNT).filter(pl.col(k)).sum().alias(k) for k in flags]
    )


LEXICON_KEYS = (
    "first_name", "surname", "alpha_only", "upper", "prescriber", "city_marker",
    "organisation", "insurer", "address", "medication", "lab_test", "health_any", "commune",
)  # fmt: skip


def lexicon_exprs(among: frozenset[str] | None = None) -> dict[str, pl.Expr]:
    """Lexicon evidence (Boolean per distinct value) for word-like columns, evaluated once
    over all their stacked distinct values. `among`: every word of those values, if known
    (`reference.contains_terms`: the same flags, cheaper on few values)."""
    s = pl.col(VALUE)
    fo = pl.col(FOLDED)
    core = fo.str.replace(r"^(?:dr|docteur|pr|professeur)\.?\s+", "")
    first_tok = core.str.extract(r"^([a-z][a-z'\-]*)", 1)
    last_tok = core.str.extract(r"([a-z][a-z'\-]*)$", 1)
    fn, sn = first_name_list(), last_name_list()
    words = ref.words_expr(fo)
    return {
        "first_name": fo.is_in(fn) | first_tok.is_in(fn),
        "surname": core.is_in(sn) | first_tok.is_in(sn) | last_tok.is_in(sn),
        "alpha_only": fo.str.contains(r"^[a-z][a-z' \-]*$"),
        "upper": s.str.contains(r"\p{L}") & (s == s.str.to_uppercase()),
        "prescriber": s.str.contains(r"^(?i:dr|docteur|pr|professeur)\.?\s+\S"),
        "city_marker": fo.str.contains(CITY_MARKERS),
        "organisation": fo.str.contains(ORGANISATION_MARKERS),
        "insurer": fo.str.contains(insurer_regex()),
        "address": fo.str.contains(street_regex()) | fo.str.contains(address_extra_regex()),
        "medication": fo.str.contains(medication_regex())
        | ref.contains_terms(words, "drugs", among=among),
        "lab_test": fo.str.contains(lab_regex()),
        "health_any": fo.str.contains(health_any_regex())
        | ref.contains_terms(words, "cim10", "ald", among=among),
        "commune": ref.commune_words_expr(fo).is_in(ref.communes()),
    }


@cache
def health_any_regex() -> str:
    """Prefilter: any health term at all (negation ignored); the exact pass runs on hits only."""
    return alternation(t for k in lx.HEALTH_KINDS for t in lx.health_terms()[k])


def word_passes(marked: pl.DataFrame, wordy: list[int], texty: list[int]) -> list[pl.LazyFrame]:
    """Per-column counts over the stacked word-like values `marked` (lexicon flags set):
    lexicons, then the costly negation-aware and free-text checks on the values that can
    hit (a health or drug term, NIR-like digits) only.

    A pass whose values are all filtered out is not built: over no row it would count
    nothing (no row per column), yet polars would compile its regexes all the same, tens
    of big alternations, which made most of a small clean file's cost in a sweep."""
    fo, flag = pl.col(FOLDED), pl.col
    lf = marked.lazy()
    out = []
    if wordy:
        words = (
            lf.filter(flag(COLUMN_ID).is_in(wordy)) if len(wordy) < len(set(wordy + texty)) else lf
        )
        out.append(by_column(words, {k: flag(k) for k in LEXICON_KEYS}))
        if _any(marked, flag(COLUMN_ID).is_in(wordy) & flag("health_any")):
            kinds = health_mention_exprs(fo, folded=True)
            condition = pl.any_horizontal(*(kinds[k] for k in lx.HEALTH_KINDS))
            out.append(by_column(words.filter(flag("health_any")), {"health_condition": condition}))
    if texty:
        in_text = flag(COLUMN_ID).is_in(texty)
        texts = lf.filter(in_text)
        other = text_other_exprs(pl.col(VALUE), fo)
        nir = texts.filter(pl.col(VALUE).str.contains(NIR_IN_TEXT))
        out.append(by_column(nir, {"text:nir": other.pop("nir")}))
        other["lab_test"] = flag("lab_test")  # the same alternation as the lexicon flag
        out.append(by_column(texts, {"text:" + k: e for k, e in other.items()}))
        if _any(marked, in_text & (flag("health_any") | flag("medication"))):
            hits = texts.filter(flag("health_any") | flag("medication"))
            health = {"text:" + k: e for k, e in text_health_exprs(fo).items()}
            out.append(by_column(hits, health))
    return out


def _any(frame: pl.DataFrame, keep: pl.Expr) -> bool:
    """Whether any row of `frame` passes the Boolean `keep` (flags already computed)."""
    return bool(frame.select(keep.fill_null(False).any()).item())
