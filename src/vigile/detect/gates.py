"""Gates: which detectors and lexicon flags run on which column.

Cheap features (lengths, digit-like shape, '@') decide which shape detectors can possibly
reach their share on a column (`shape_exprs`); of those, a detector runs over a large
column only if it matches one of GATE_CELLS cells drawn at random (`shape_draws`,
`lexicon_draw`): every decision looks at shares of 10% or more, and a detector whose
share is 1% or more misses all of them with a probability under 2e-9. A detector that
runs counts every cell; one that does not counts 0.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from vigile.detect import validators as v
from vigile.detect.checks import CHECKED
from vigile.detect.dates import DATE_SHAPE
from vigile.detect.detectors import DETECTORS_BY_NAME, PHENOTYPE_PATTERN
from vigile.detect.distinct import COLUMN_ID, COUNT, FOLDED, GATE_CELLS, VALUE, weighted
from vigile.detect.features import Features
from vigile.detect.ids import email, iban, ip, login, nir, phone
from vigile.detect.ids import password as pw
from vigile.detect.lexicons import chars_beyond_ascii, fold_expr
from vigile.detect.lexicons import reference as ref
from vigile.detect.words import LEXICON_KEYS, lexicon_exprs


def _overlaps(f: Features, lo: int, hi: int) -> bool:
    return f.lmax >= lo and f.lmin <= hi


def shape_exprs(f: Features) -> dict[str, pl.Expr]:
    """name -> weighted-count expression of the shape detectors the features allow."""
    s = pl.col(VALUE)
    out: dict[str, pl.Expr] = {}
    numeric = f.share(f.num) >= 0.5
    if f.share(f.num) >= nir.NUMERIC_FROM and _overlaps(f, nir.MIN_LEN, nir.MAX_LEN):
        out["nir"] = weighted(s.str.contains(nir.PATTERN))
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
        if _overlaps(f, ip.IPV4_MIN_LEN, ip.IPV4_MAX_LEN):
            out["ip_address"] = weighted(ip.is_ipv4(s))
        out["phone_intl"] = weighted(phone.is_intl(s))
    else:
        if _overlaps(f, 6, 30) and f.share(f.digit) >= 0.5 and f.lmax <= 30:
            # ISO timestamps (2013-01-01T07:00:00) are not numeric-like: their T.
            out["date~shape"] = weighted(s.str.contains(DATE_SHAPE))
        if f.share(f.at) >= email.GATE_SHARE:
            out["email"] = weighted(email.is_email(s))
        if _overlaps(f, iban.MIN_LEN, iban.MAX_LEN):
            out["iban"] = weighted(s.str.contains(iban.PATTERN))
        if f.lmax >= 13:
            out["password_hash"] = weighted(pw.is_hash(s))
        if f.lmax <= ip.MAX_LEN and f.share(f.multiword) < 0.2:
            out["ip_address"] = weighted(ip.is_ipv6(s))
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


def shape_draws(distincts: list[pl.DataFrame], exprs: list[dict[str, pl.Expr]], rng):
    """Columns with more distinct values than GATE_CELLS, and per column a lazy frame
    telling which of its shape detectors match its drawn cells (smaller columns keep all
    theirs: the draw would cost as much as the detectors)."""
    big = [i for i, d in enumerate(distincts) if d.height > GATE_CELLS and exprs[i]]
    draws = []
    for i in big:
        d = distincts[i]
        checked = CHECKED.keys() & exprs[i].keys()
        tests = exprs[i] | {
            k: weighted(pl.col(VALUE).str.contains(CHECKED[k].candidate)) for k in checked
        }
        sample = pl.DataFrame(
            [d[VALUE].gather(_draw(d[COUNT], rng)), pl.Series(COUNT, [1] * GATE_CELLS)]
        )
        draws.append(sample.lazy().select([e.alias(k) for k, e in tests.items()]))
    return big, draws


def shapes_kept(exprs: list[dict[str, pl.Expr]], big: list[int], hits: list[pl.DataFrame]):
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


def lexicon_draw(stack: pl.DataFrame, spans: dict[int, tuple[int, int]], rng):
    """Which lexicon flags hit the drawn cells of each column with more distinct values
    than GATE_CELLS (a lazy frame: COLUMN_ID and one Boolean per flag), or None."""
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


# Folded text up to which `flag_parts` lists the words of its values (about 15 ms a MB;
# past that, listing them would cost more than the automata they spare, 35 ms).
WORD_SET_BYTES = 1_000_000


def flag_parts(
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
    # On few values, the reference lists are searched for the terms their words can start
    # only (the same flags; see `reference.contains_terms`): listing the words of many
    # values would cost more than the full automaton it saves.
    small = (stack[FOLDED].str.len_bytes().sum() or 0) <= WORD_SET_BYTES
    exprs = lexicon_exprs(ref.word_set(stack[FOLDED]) if small else None)
    return [
        pl.concat([stack.slice(*spans[i]) for i in cols])
        .lazy()
        .with_columns(**{k: exprs[k] if k in flags else pl.lit(False) for k in LEXICON_KEYS})
        for flags, cols in groups.items()
    ]
