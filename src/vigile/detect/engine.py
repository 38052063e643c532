"""The vectorised pass over one batch: distinct values, cheap features, gated detectors.

Every cell is examined, but through its column's *distinct values with their
counts* (a polars group-by): a sex or city column of 500k cells becomes a few
hundred rows, and every share below is weighted by the counts, so it is exact
over all cells. Cheap features (lengths, digit-like shape, '@') decide which
detectors can possibly reach their share on a column; of those, a shape detector
runs over a large column only if it matches one of GATE_CELLS cells drawn at random
(see `_shape_draws`, `_lexicon_draw`): every decision looks at shares of 10% or more, and a detector whose
share is 1% or more misses all of them with a probability under 2e-9. A detector
that runs counts every cell; one that does not counts 0.
Python per value happens only on capped distinct candidates (IBAN, foreign
phones) and on the final few samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.ma  # noqa: F401  numpy 2 imports numpy.random and numpy.ma on first use
import numpy.random  # (16 ms, polars looks numpy.ma up): here, not in the first scan
import phonenumbers
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect import validators as v
from vigile.detect.detectors import (
    DETECTORS_BY_NAME,
    NIR_PATTERN,
    PHENOTYPE_PATTERN,
)
from vigile.detect.extract import date_from_text, date_text, nir_key_valid
from vigile.detect.ids import login
from vigile.detect.ids import password as pw
from vigile.detect.lexicons import chars_beyond_ascii, fold_expr
from vigile.detect.lexicons import reference as ref
from vigile.detect.text import (
    NIR_IN_TEXT,
    alternation,
    health_mention_exprs,
    text_health_exprs,
    text_lab_regex,
    text_other_exprs,
)

VALUE, COUNT = "value", "count"  # a distinct value (stripped) and its count of cells
NUMERIC_LIKE = r"^[\d(+][\d\s.\-/+():]*$"
DATE_SHAPE = r"^(?:\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{8})(?:[ T]\d{1,2}[:h]\d{2}\S*)?$"
SEX_CODES = {
    "m": "M", "h": "M", "1": "M", "homme": "M", "masculin": "M", "male": "M", "mr": "M",
    "monsieur": "M", "f": "F", "2": "F", "femme": "F", "feminin": "F", "female": "F",
    "mme": "F", "mlle": "F", "madame": "F", "mrs": "F", "ms": "F", "miss": "F",
}  # fmt: skip
ORGANISATION_MARKERS = (
    r"(?-u:\b)(?:laboratoire|labo|clinique|centre|hopital|chu|chr|cabinet|pharmacie|ehpad"
    r"|selarl|selas|sas|sarl|site|service)(?-u:\b)"
)
CITY_MARKERS = r"(?:^|[ \-'])(?:saint|sainte|st|ste|sur|sous|les|en|lez|les|cedex|mer)(?:$|[ \-])"


def collect_eval(lazies: list[pl.LazyFrame], values: int) -> list[pl.DataFrame]:
    """Collect the features and the detector rounds (many regexes and lexicon flags over
    materialised distinct frames) of `values` distinct values. On a large flush polars'
    in-memory engine runs them about 10% faster than its default streaming engine
    (polars 2.1, a 491,840-row scan: 0.35 s against 0.40 s over the detector rounds);
    group-bys, histograms and the other feature passes were as fast or faster on the
    default engine, and stay there. A small flush stays on the default engine too: each
    engine's threads compile every regex for themselves, which cost a sweep's small
    files 14 ms each (38 -> 52 ms a file)."""
    engine = "in-memory" if values >= IN_MEMORY_FROM else "auto"
    return pl.collect_all(lazies, engine=engine)


IN_MEMORY_FROM = 1_000_000  # distinct values in a flush


def distinct_counts(df: pl.DataFrame, unique: frozenset[str] = frozenset()) -> list[pl.DataFrame]:
    """Per column: stripped non-empty distinct values `v` with counts `n` (parallel group-bys).

    The group-by runs on the raw cells; stripping then touches distinct values only, and
    only columns that hold padded or empty values are stripped and grouped again.
    Columns named in `unique` (record numbers, timestamps: nearly every cell differs)
    are not grouped, which would hash every cell for little: each cell is a row of count
    1, so every weighted share stays exact (a repeated value is simply several rows)."""
    raw = pl.collect_all(
        [
            df.lazy()
            .select(pl.col(c).alias(VALUE), pl.lit(1, pl.UInt32).alias(COUNT))
            .drop_nulls(VALUE)
            if c in unique
            else df.lazy().group_by(pl.col(c).alias(VALUE)).len(name=COUNT).drop_nulls(VALUE)
            for c in df.columns
        ]
    )
    padded = pl.collect_all([d.lazy().select(_padded(pl.col(VALUE)).any()) for d in raw])
    redo = [i for i, p in enumerate(padded) if p.item()]
    fixed = pl.collect_all([_stripped(raw[i], df.columns[i] not in unique) for i in redo])
    for i, d in zip(redo, fixed, strict=True):
        raw[i] = d
    return raw


def _stripped(d: pl.DataFrame, regroup: bool) -> pl.LazyFrame:
    lf = (
        d.lazy()
        .with_columns(pl.col(VALUE).str.strip_chars())
        .filter(pl.col(VALUE).str.len_bytes() > 0)
    )
    return lf.group_by(VALUE).agg(pl.col(COUNT).sum()) if regroup else lf


# At most this many repeated values among GATE_CELLS rows drawn at random: the column
# repeats so little (about under 1.7 cells a value on 500k rows) that grouping it costs
# more than examining its repeats.
UNIQUE_REPEATS = 2


def unique_columns(df: pl.DataFrame) -> dict[str, int]:
    """Columns not worth grouping (see `distinct_counts`), each with its estimated number
    of distinct values (HyperLogLog, a fraction of a group-by's cost), which stands for
    the exact count the group-by would have given. Small frames are always grouped."""
    if df.height < 16 * GATE_CELLS:
        return {}
    rows = np.random.default_rng(GATE_SEED).choice(df.height, GATE_CELLS, replace=False)
    sample = df[pl.Series(rows)]
    distinct = sample.select(pl.all().drop_nulls().n_unique()).row(0, named=True)
    cells = sample.select(pl.all().count()).row(0, named=True)
    picked = [
        c
        for c in df.columns
        if cells[c] >= GATE_CELLS // 2 and distinct[c] >= cells[c] - UNIQUE_REPEATS
    ]
    if not picked:
        return {}
    est = df.select(pl.col(c).approx_n_unique() for c in picked).row(0, named=True)
    return {c: int(est[c]) for c in picked}


def _padded(s: pl.Expr) -> pl.Expr:
    """Values that `strip_chars` would change, or empty ones (cheaper than a regex)."""
    length = s.str.len_bytes()
    return (s.str.strip_chars().str.len_bytes() != length) | (length == 0)


def weighted(e: pl.Expr) -> pl.Expr:
    """Sum of counts of the distinct values where the Boolean `e` holds."""
    return pl.col(COUNT).filter(e.fill_null(False)).sum()


LEN = "len"  # characters of a distinct value, counted once for the three length features
# A value that reads as an unsigned integer (digits, maybe a leading +) is numeric-like
# and has no space: the two regexes below run on the other values only. Record numbers,
# barcodes, NIRs and member numbers are most of a scan's values, and the integer parse
# costs half a regex (features: 210 -> 184 ms of CPU on a 491,840-row export).
PLAIN = "plain"
PLAIN_INT = pl.col(VALUE).cast(pl.UInt64, strict=False).is_not_null()
_REST_V, _REST_N = pl.col(VALUE).filter(~pl.col(PLAIN)), pl.col(COUNT).filter(~pl.col(PLAIN))
FEATURES = (
    pl.col(COUNT).sum().alias("ne"),
    pl.len().alias("uniq"),
    (
        pl.col(COUNT).filter(pl.col(PLAIN)).sum()
        + _REST_N.filter(_REST_V.str.contains(NUMERIC_LIKE)).sum()
    ).alias("num"),
    _REST_N.filter(_REST_V.str.contains(r"\s")).sum().alias("multiword"),
    (pl.col(LEN) * pl.col(COUNT)).sum().alias("lsum"),
    pl.col(LEN).min().alias("lmin"),
    pl.col(LEN).max().alias("lmax"),
)
# Read only where under half the cells are numeric (`is_wordy`, the e-mail gate), so
# counted only there: numeric columns are the largest (record numbers, dates, phones).
WORD_FEATURES = (
    weighted(pl.col(VALUE).str.contains("@", literal=True)).alias("at"),
    weighted(pl.col(VALUE).str.contains(r"\d")).alias("digit"),
)


@dataclass(frozen=True)
class Features:
    ne: int
    uniq: int
    num: int
    at: int
    multiword: int
    digit: int
    lsum: int
    lmin: int
    lmax: int

    @property
    def mean_len(self) -> float:
        return self.lsum / self.ne if self.ne else 0.0

    def share(self, count: int) -> float:
        return count / self.ne if self.ne else 0.0


def features(distincts: list[pl.DataFrame]) -> list[Features]:
    """Cheap features of each distinct frame; `at` and `digit` are 0 on numeric columns."""
    lengths = pl.col(VALUE).str.len_chars().alias(LEN)
    rows = collect_eval(
        [
            d.lazy().with_columns(lengths, PLAIN_INT.alias(PLAIN)).select(FEATURES)
            for d in distincts
        ],
        sum(d.height for d in distincts),
    )
    found = [{k: int(x or 0) for k, x in r.row(0, named=True).items()} for r in rows]
    wordy = [i for i, f in enumerate(found) if f["num"] < 0.5 * f["ne"]]
    more = pl.collect_all([distincts[i].lazy().select(WORD_FEATURES) for i in wordy])
    for f in found:
        f.update(at=0, digit=0)
    for i, r in zip(wordy, more, strict=True):
        found[i].update({k: int(x or 0) for k, x in r.row(0, named=True).items()})
    return [Features(**f) for f in found]


# --- lexicon regexes (compiled once) ----------------------------------------


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


# --- gated detector expressions over a distinct frame -----------------------


def _overlaps(f: Features, lo: int, hi: int) -> bool:
    return f.lmax >= lo and f.lmin <= hi


def shape_exprs(f: Features) -> dict[str, pl.Expr]:
    """name -> weighted-count expression of the shape detectors the features allow."""
    s = pl.col(VALUE)
    out: dict[str, pl.Expr] = {}
    numeric = f.share(f.num) >= 0.5
    if f.share(f.num) >= 0.3 and _overlaps(f, 13, 25):
        is_nir = s.str.contains(NIR_PATTERN)
        out["nir"] = weighted(is_nir)
    if numeric:
        for name in ("phone", "postcode", "rpps", "finess"):
            d = DETECTORS_BY_NAME[name]
            if _overlaps(f, d.min_len, d.max_len):
                out[name] = weighted(s.str.contains(d.patterns[0]))
        if "postcode" in out:
            pc = s.str.contains(r"^\d{5}$") & s.str.contains(v.POSTCODE_PREFIX_REGEX)
            out["postcode~valid"] = weighted(pc)
            out["postcode~round"] = weighted(pc & s.str.ends_with("0"))
        if _overlaps(f, 6, 30):
            # Shape only here; the parse (the costly part) and the count of dates with a
            # time of day run in `year_counts`, on date-shaped columns only.
            out["date~shape"] = weighted(s.str.contains(DATE_SHAPE))
        if _overlaps(f, 7, 15):
            out["ip_address"] = weighted(
                s.str.contains(DETECTORS_BY_NAME["ip_address"].patterns[0])
            )
        out["phone_intl"] = weighted(s.str.contains(DETECTORS_BY_NAME["phone_intl"].patterns[0]))
    else:
        if _overlaps(f, 6, 30) and f.share(f.digit) >= 0.5 and f.lmax <= 30:
            # ISO timestamps (2013-01-01T07:00:00) are not numeric-like: their T.
            out["date~shape"] = weighted(s.str.contains(DATE_SHAPE))
        if f.share(f.at) >= 0.3:
            out["email"] = weighted(s.str.contains(DETECTORS_BY_NAME["email"].patterns[0]))
        if _overlaps(f, 15, 45):
            out["iban"] = weighted(s.str.contains(DETECTORS_BY_NAME["iban"].patterns[0]))
        if f.lmax >= 13:
            out["password_hash"] = weighted(pw.is_hash(s))
        if f.lmax <= 45 and f.share(f.multiword) < 0.2:
            out["ip_address"] = weighted(
                s.str.contains(DETECTORS_BY_NAME["ip_address"].patterns[1])
            )
        if f.lmax <= 80 and f.share(f.multiword) < 0.2:
            out["login"] = weighted(login.is_login(s))
            out["plain_password"] = weighted(pw.is_plain(s))
            # Record numbers have one length; passwords vary (cheap stand-in for shape variety).
            out["lengths"] = s.str.len_chars().n_unique().cast(pl.Int64)
        if f.lmax <= 40:
            bg = DETECTORS_BY_NAME["blood_group"]
            out["blood_group"] = weighted(
                s.str.contains(bg.patterns[0]) | s.str.contains(PHENOTYPE_PATTERN)
            )
            out["blood_group~rh"] = weighted(s.str.contains(r"(?i:[+\-]|rh|pos|n[ée]g)"))
    if f.lmax <= 12:
        out["sex"] = weighted(s.str.contains(DETECTORS_BY_NAME["sex"].patterns[0]))
    return out


# --- check digits, on shape-matching values only ----------------------------
#
# Detectors with a check digit do not count their shape in the first pass: that pass
# returns the matching distinct values themselves (the count is their weight), and the
# check-digit arithmetic then runs on those values only, and only when there are some.

INT = "int"  # a NIR candidate read as an integer (validation_lazies)
CHECKED = {
    # shape key -> (candidate pattern, validated key)
    "nir": (NIR_PATTERN, "nir~valid"),
    "rpps": (r"^\d{11}$", "rpps~valid"),  # rpps_valid takes any 11 digits with a good Luhn
    "finess": (DETECTORS_BY_NAME["finess"].patterns[0], "finess~valid"),
}


# Candidates' share from which their check digits can matter: a NIR is read from 30%
# valid (with a header), a FINESS from 50% candidates (with a header); the validated share
# of an RPPS-headed numeric column is reported whatever its candidates.
CHECK_FROM = {"nir": 0.3, "rpps": 0.0, "finess": 0.5}


def candidates_lazy(d: pl.DataFrame, key: str) -> pl.LazyFrame:
    return d.lazy().filter(pl.col(VALUE).str.contains(CHECKED[key][0]).fill_null(False))


def shape_count(key: str, cand: pl.DataFrame) -> int:
    if key == "rpps":  # RPPS_PATTERN is an 11-digit candidate starting with 1
        cand = cand.filter(pl.col(VALUE).str.starts_with("1"))
    return int(cand[COUNT].sum() or 0)


def validation_lazies(key: str, cand: pl.DataFrame) -> list[pl.LazyFrame]:
    """Lazies of one row each whose counts add up to the validated count."""
    s, lf, out_key = pl.col(VALUE), cand.lazy(), CHECKED[key][1]

    def count(part: pl.LazyFrame, check: pl.Expr) -> pl.LazyFrame:
        # Flag first, then weigh: inside an aggregation polars does not share the
        # check's repeated subexpressions (the integer cast, once per Luhn digit).
        ok = part.with_columns(check.alias(out_key))
        return ok.select(weighted(pl.col(out_key)).alias(out_key))

    if key == "nir":  # bare 15-digit values take the integer fast path
        # A candidate (NIR_PATTERN) that reads as an integer has no separator and no 2A/2B:
        # it is 15 digits. The cast is the test (cheaper than a regex) and the number.
        ints = lf.with_columns(pl.col(VALUE).cast(pl.Int64, strict=False).alias(INT))
        bare = pl.col(INT).is_not_null()
        return [
            count(ints.filter(bare), v.nir_key_matches(pl.col(INT))),
            count(ints.filter(~bare), nir_key_valid(s)),
        ]
    return [count(lf, v.rpps_valid(s) if key == "rpps" else v.finess_valid(s))]


CREDENTIAL_CAP = 20_000  # distinct values a column's credential statistics are read on


def credential_stats(d: pl.DataFrame) -> tuple[int, float, int]:
    """(coarse shapes, cells built from a person's name, cells of the commonest value) of a
    distinct frame, from at most CREDENTIAL_CAP of its distinct values (the name share
    extrapolated to all its cells): what tells passwords from logins and record numbers."""
    head = d.head(CREDENTIAL_CAP)
    named = login.name_based(pl.col(VALUE), first_name_list(), last_name_list())
    r = head.select(
        pw.shape(pl.col(VALUE)).n_unique().alias("shapes"),
        weighted(named).alias("names"),
        pl.col(COUNT).sum().alias("cells"),
        pl.col(COUNT).max().alias("top"),
    ).row(0, named=True)
    total = int(d[COUNT].sum() or 0)
    names = (r["names"] or 0) * total / r["cells"] if r["cells"] else 0.0
    top = int(d[COUNT].max() or 0) if d.height > CREDENTIAL_CAP else int(r["top"] or 0)
    return int(r["shapes"] or 0), names, top


def is_wordy(f: Features) -> bool:
    """Cells made of words (names, places, insurers, treatments, comments): lexicons apply."""
    if not f.ne or f.share(f.num) >= 0.5 or f.share(f.at) >= 0.3:
        return False
    return f.share(f.digit) < 0.5 or f.share(f.multiword) >= 0.3


def is_text(f: Features, text_kind: bool) -> bool:
    if not f.ne or f.share(f.num) >= 0.5:
        return False
    return text_kind or (f.share(f.multiword) >= 0.3 and f.mean_len >= 12)


COLUMN_ID = "column"  # index of a column, in frames stacking several


TEXT_KEYS = ("text:nir",)  # present (as 0) when no value had NIR-like digits
FOLDED = "folded"  # folded value (lexicons.fold_expr), for lexicons and free text


def _stack(distincts: list[pl.DataFrame], picked: list[int]):
    """The distinct frames of the `picked` columns stacked in that order (column id in
    CID, materialised: over a lazy concat polars pushes expressions into each input, and
    the fold's character automaton, the lexicon sets and big alternations would be built
    once per column), with each column's (first row, rows)."""
    frames = [distincts[i].with_columns(pl.lit(i, dtype=pl.Int32).alias(COLUMN_ID)) for i in picked]
    starts = np.cumsum([0] + [f.height for f in frames]).tolist()
    spans = {i: (starts[k], frames[k].height) for k, i in enumerate(picked)}
    return pl.concat(frames, rechunk=False), spans


def _fold_lazies(stack: pl.DataFrame) -> list[pl.LazyFrame]:
    """The stack with its folded form in FO, in one slice per core (an expression runs on
    one core); concatenated in order, the slices are the stack again."""
    parts = pl.thread_pool_size()
    step = -(-stack.height // parts)
    fold = fold_expr(pl.col(VALUE)).alias(FOLDED)
    return [stack.slice(k * step, step).lazy().with_columns(fold) for k in range(parts)]


def _by_column(lf: pl.LazyFrame, flags: dict[str, pl.Expr]) -> pl.LazyFrame:
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


def lexicon_exprs() -> dict[str, pl.Expr]:
    """Lexicon evidence (Boolean per distinct value) for word-like columns, evaluated once
    over all their stacked distinct values."""
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
        "medication": fo.str.contains(medication_regex()) | ref.contains_terms(words, "drugs"),
        "lab_test": fo.str.contains(lab_regex()),
        "health_any": fo.str.contains(health_any_regex())
        | ref.contains_terms(words, "cim10", "ald"),
        "commune": ref.commune_words_expr(fo).is_in(ref.communes()),
    }


@cache
def health_any_regex() -> str:
    """Prefilter: any health term at all (negation ignored); the exact pass runs on hits only."""
    return alternation(t for k in lx.HEALTH_KINDS for t in lx.health_terms()[k])


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
    big, draws = _shape_draws(distincts, all_shapes, rng)
    stack, spans = _stack(distincts, words) if words else (None, {})
    folds = _fold_lazies(stack) if stack is not None else []
    lexicon = _lexicon_draw(stack, spans, rng) if stack is not None else None
    values = sum(d.height for d in distincts)
    first = collect_eval(draws + folds + ([lexicon] if lexicon is not None else []), values)
    shapes = _shapes_kept(all_shapes, big, first[: len(draws)])
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
    marks = _marks(folded, spans, hits, texty) if folded is not None else []
    results = collect_eval(lazies + marks, values)  # lexicon flags once, for every pass below
    second: list[pl.LazyFrame] = []
    second_owners: list[int] = []
    for (i, key), r in zip(owners, results, strict=False):
        if key is None:
            out[i] |= {k: int(r[k][0] or 0) for k in r.columns}
            continue
        out[i][key] = shape_count(key, r)
        out[i][CHECKED[key][1]] = 0
        if r.height and r[COUNT].sum() >= CHECK_FROM[key] * feats[i].ne:
            checks = validation_lazies(key, r)
            second += checks
            second_owners += [i] * len(checks)
    if words:
        marked = pl.concat(results[len(lazies) :])
        second += _word_passes(marked, wordy, texty)
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


GATE_CELLS = 2048  # cells drawn per column to gate its shape detectors and lexicon flags
GATE_SEED = 20210223  # fixed: a scan's result does not depend on the run


def _draw(cells: pl.Series, rng: np.random.Generator, offset: int = 0) -> pl.Series:
    """Row numbers of GATE_CELLS cells drawn at random from a distinct frame whose counts
    are `cells` (weighted by counts, so as cells are, not as distinct values), plus
    `offset`. The draw indexes the running count of cells: one vectorised search."""
    total = int(cells.sum())
    if total == cells.len():  # every count 1 (an ungrouped column): a uniform draw
        return pl.Series(rng.integers(0, total, GATE_CELLS) + offset)
    running = np.cumsum(cells.to_numpy(), dtype=np.int64)
    picks = rng.integers(0, running[-1], GATE_CELLS)
    return pl.Series(np.searchsorted(running, picks, side="right") + offset)


def _shape_draws(distincts: list[pl.DataFrame], exprs: list[dict[str, pl.Expr]], rng):
    """Columns with more distinct values than GATE_CELLS, and per column a lazy frame
    telling which of its shape detectors match its drawn cells (smaller columns keep all
    theirs: the draw would cost as much as the detectors)."""
    big = [i for i, d in enumerate(distincts) if d.height > GATE_CELLS and exprs[i]]
    draws = []
    for i in big:
        d = distincts[i]
        checked = CHECKED.keys() & exprs[i].keys()
        tests = exprs[i] | {k: weighted(pl.col(VALUE).str.contains(CHECKED[k][0])) for k in checked}
        sample = pl.DataFrame(
            [d[VALUE].gather(_draw(d[COUNT], rng)), pl.Series(COUNT, [1] * GATE_CELLS)]
        )
        draws.append(sample.lazy().select([e.alias(k) for k, e in tests.items()]))
    return big, draws


def _shapes_kept(exprs: list[dict[str, pl.Expr]], big: list[int], hits: list[pl.DataFrame]):
    out = list(exprs)
    for i, h in zip(big, hits, strict=True):
        kept = {k: e for k, e in exprs[i].items() if h[k][0]}
        out[i] = {k: e for k, e in kept.items() if DEPENDS.get(k, k) in kept}
    return out


# Counts read only beside another one (shares of a blood group, a date, a postcode):
# not computed once that one is gated off.
DEPENDS = {
    "blood_group~rh": "blood_group",
    "postcode~valid": "postcode",
    "postcode~round": "postcode",
}


# Lexicon flags the free-text passes read: never gated on a free-text column, whose
# text shares are reported however small.
TEXT_FLAGS = frozenset({"health_any", "medication", "lab_test"})


def _lexicon_draw(stack: pl.DataFrame, spans: dict[int, tuple[int, int]], rng):
    """Which lexicon flags hit the drawn cells of each column with more distinct values
    than GATE_CELLS (a lazy frame: CID and one Boolean per flag), or None."""
    big = [i for i, (_, n) in spans.items() if n > GATE_CELLS]
    if not big:
        return None
    rows = pl.concat([_draw(stack[COUNT].slice(*spans[i]), rng, spans[i][0]) for i in big])
    drawn = stack[rows]
    exprs = lexicon_exprs()
    return (
        drawn.lazy()
        .with_columns(fold_expr(pl.col(VALUE), chars_beyond_ascii(drawn[VALUE])).alias(FOLDED))
        .with_columns(**{k: exprs[k] for k in LEXICON_KEYS})
        .group_by(COLUMN_ID)
        .agg(
            *(pl.col(k).any() for k in LEXICON_KEYS),
            pl.col("alpha_only").mean().alias(ALPHA),
            pl.col("address").mean().alias(STREETS),
        )
    )


# Flags read only where at least 80% of the cells are letters alone (profiler's names and
# places): not computed on a column where under half of the drawn cells are (an address
# line, a comment), which a 2,048-cell draw of a column at 80% shows with probability
# below 1e-100.
ALPHA = "\0alpha"
# Share of drawn cells that are street addresses: a column of address lines is an
# address column, not free text (its cells are not searched for other categories).
STREETS = "\0streets"
ALPHA_FLAGS = frozenset({"first_name", "surname", "upper", "city_marker"})


def _marks(
    stack: pl.DataFrame,
    spans: dict[int, tuple[int, int]],
    hits: pl.DataFrame | None,
    texty: list[int],
) -> list[pl.LazyFrame]:
    """The folded stack with its lexicon flags, in parts whose rows together are the
    stack's. On a column with more distinct values than GATE_CELLS, a flag is computed
    only if it hit one of the column's drawn cells (`hits`), or is one of TEXT_FLAGS on
    free text; elsewhere it is False. Columns that need the same flags go together."""
    need = dict.fromkeys(spans, frozenset(LEXICON_KEYS))
    for row in hits.iter_rows(named=True) if hits is not None else ():
        i, alpha = row[COLUMN_ID], row[ALPHA]
        text = TEXT_FLAGS if i in texty else frozenset()
        hit = frozenset(k for k in LEXICON_KEYS if row[k])
        need[i] = (hit - ALPHA_FLAGS if alpha < 0.5 else hit) | text
    groups: dict[frozenset[str], list[int]] = {}
    for i, flags in need.items():
        groups.setdefault(flags, []).append(i)
    exprs = lexicon_exprs()
    return [
        pl.concat([stack.slice(*spans[i]) for i in cols])
        .lazy()
        .with_columns(**{k: exprs[k] if k in flags else pl.lit(False) for k in LEXICON_KEYS})
        for flags, cols in groups.items()
    ]


def _word_passes(marked: pl.DataFrame, wordy: list[int], texty: list[int]) -> list[pl.LazyFrame]:
    """Per-column counts over the stacked word-like values `marked` (lexicon flags set):
    lexicons, then the costly negation-aware and free-text checks on the values that can
    hit (a health or drug term, NIR-like digits) only."""
    fo, flag = pl.col(FOLDED), pl.col
    lf = marked.lazy()
    out = []
    if wordy:
        words = (
            lf.filter(flag(COLUMN_ID).is_in(wordy)) if len(wordy) < len(set(wordy + texty)) else lf
        )
        out.append(_by_column(words, {k: flag(k) for k in LEXICON_KEYS}))
        kinds = health_mention_exprs(fo, folded=True)
        condition = pl.any_horizontal(*(kinds[k] for k in lx.HEALTH_KINDS))
        out.append(_by_column(words.filter(flag("health_any")), {"health_condition": condition}))
    if texty:
        texts = lf.filter(flag(COLUMN_ID).is_in(texty))
        other = text_other_exprs(pl.col(VALUE), fo)
        nir = texts.filter(pl.col(VALUE).str.contains(NIR_IN_TEXT))
        out.append(_by_column(nir, {"text:nir": other.pop("nir")}))
        other["lab_test"] = flag("lab_test")  # the same alternation as the lexicon flag
        out.append(_by_column(texts, {"text:" + k: e for k, e in other.items()}))
        hits = texts.filter(flag("health_any") | flag("medication"))
        health = {"text:" + k: e for k, e in text_health_exprs(fo).items()}
        out.append(_by_column(hits, health))
    return out


# --- per-value validation on capped distinct candidates ---------------------


def validate_distinct(d: pl.DataFrame, pattern: str, check) -> tuple[int, float]:
    """(candidate cells, validated cells extrapolated from at most the cap of distinct values)."""
    cand = d.filter(pl.col(VALUE).str.contains(pattern))
    total = int(cand[COUNT].sum() or 0)
    if not total:
        return 0, 0.0
    head = cand.head(v.MAX_DISTINCT_VALIDATIONS)
    ok = [bool(check(x)) for x in head[VALUE].to_list()]
    valid_cells = int(head.filter(pl.Series(ok, dtype=pl.Boolean))[COUNT].sum() or 0)
    checked_cells = int(head[COUNT].sum() or 0)
    return total, total * valid_cells / checked_cells if checked_cells else 0.0


def intl_phone_is_valid(value: str) -> bool:
    try:
        return phonenumbers.is_valid_number(
            phonenumbers.parse(
                value.replace("00", "+", 1) if value.startswith("00") else value, None
            )
        )
    except phonenumbers.NumberParseException:
        return False


# The optional time part of `extract.parse_date`, after a non-space character. Cutting it
# never changes what parse_date returns (tests prove it), and a timestamp column has far
# fewer distinct days than distinct instants: the parse then runs once per day.
TIME_TAIL = r"[ T]\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?Z?$"
TIME_SUFFIX = r"(\S)" + TIME_TAIL


def date_part(e: pl.Expr) -> pl.Expr:
    """A stripped value without its time part (`parse_date(date_part(x)) == parse_date(x)`)."""
    return e.str.replace(TIME_SUFFIX, "${1}")


TIMED = "timed"  # the value had a time part other than midnight (date_parts)
MIDNIGHT = r"[ T]00[:h]00(?::00(?:\.0+)?)?Z?$"
TIMES = "times"  # weighted count of dates with a time part (year_counts)
AT = "at"  # byte offset where a value's time part starts (date_parts)


def date_parts(lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` with V replaced by `date_part(V)` and TIMED telling whether that cut a time
    part off, rows in any order.

    A regex replace with a capture group runs a slow engine on every value; on ASCII
    values (dates are) the same cut is the byte offset where the time starts, found by
    the fast engine, then a prefix. Other values take `date_part` itself."""
    v = pl.col(VALUE)
    # Spreadsheets write a date alone as a timestamp at midnight: that is no time of day.
    midnight = v.str.contains(MIDNIGHT)
    ascii_only = v.str.len_bytes() == v.str.len_chars()
    # Byte offset of the character before the time, found once into a column (an
    # expression used twice would be searched twice).
    at = pl.col(AT)
    cut = v.str.head(pl.coalesce(at, v.str.len_bytes() - 1) + 1)  # ASCII: bytes are chars
    return pl.concat(
        [
            lf.filter(ascii_only)
            .with_columns(v.str.find(r"\S" + TIME_TAIL).alias(AT))
            .with_columns(cut.alias(VALUE), (at.is_not_null() & ~midnight).alias(TIMED))
            .drop(AT),
            lf.filter(~ascii_only).with_columns(
                ((date_part(v) != v) & ~midnight).alias(TIMED), date_part(v).alias(VALUE)
            ),
        ]
    )


def year_counts(d: pl.DataFrame) -> pl.LazyFrame:
    """Year histogram of a date-like distinct frame: per year y, the weighted count of
    dates (N) and of those with a time of day (TIMES)."""
    timed = (pl.col(COUNT) * pl.col(TIMED).cast(pl.UInt32)).sum().alias(TIMES)
    days = date_parts(d.lazy()).group_by(VALUE).agg(pl.col(COUNT).sum(), timed)
    text = days.with_columns(date_text(pl.col(VALUE)).alias(VALUE))  # once, not once per format
    y = text.select(
        date_from_text(pl.col(VALUE)).dt.year().alias("y"), pl.col(COUNT), pl.col(TIMES)
    )
    return y.drop_nulls("y").group_by("y").agg(pl.col(COUNT).sum(), pl.col(TIMES).sum())


def year_dict(h: pl.DataFrame) -> dict[int, int]:
    return dict(zip(h["y"].to_list(), h[COUNT].to_list(), strict=True))


def date_years(d: pl.DataFrame) -> dict[int, int]:
    """Year histogram (weighted) of a date-like distinct frame."""
    return year_dict(year_counts(d).collect())


def nir_pair_valid(df: pl.DataFrame, body: str, key: str) -> int:
    from vigile.detect.extract import nir_from_parts

    return int(df.select(nir_from_parts(pl.col(body), pl.col(key)).is_not_null().sum()).item())


def sex_code(value: str) -> str | None:
    return SEX_CODES.get(lx.fold(value).strip(" ."))
