"""The vectorised pass over one batch: distinct values, cheap features, gated detectors.

Every cell is examined, but through its column's *distinct values with their
counts* (a polars group-by): a sex or city column of 500k cells becomes a few
hundred rows, and every share below is weighted by the counts, so it is exact
over all cells. Cheap features (lengths, digit-like shape, '@') decide which
detectors can possibly reach their share on a column; only those run.
Python per value happens only on capped distinct candidates (IBAN, foreign
phones) and on the final few samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import phonenumbers
import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect import validators as v
from vigile.detect.detectors import (
    DETECTORS_BY_NAME,
    NIR_BODY_PATTERN,
    NIR_PATTERN,
    PHENOTYPE_PATTERN,
)
from vigile.detect.extract import fold_expr, nir_key_valid, parse_date
from vigile.detect.text import (
    alternation,
    health_mention_exprs,
    text_health_exprs,
    text_other_exprs,
)

V, N = "v", "n"  # distinct value (stripped) and its count
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


def distinct_counts(df: pl.DataFrame) -> list[pl.DataFrame]:
    """Per column: stripped non-empty distinct values `v` with counts `n` (parallel group-bys)."""
    lazies = [
        df.lazy()
        .select(pl.col(c).str.strip_chars().alias(V))
        .filter(pl.col(V).str.len_bytes() > 0)
        .group_by(V)
        .len(name=N)
        for c in df.columns
    ]
    return pl.collect_all(lazies)


def weighted(e: pl.Expr) -> pl.Expr:
    """Sum of counts of the distinct values where the Boolean `e` holds."""
    return pl.col(N).filter(e.fill_null(False)).sum()


FEATURES = (
    pl.col(N).sum().alias("ne"),
    pl.len().alias("uniq"),
    weighted(pl.col(V).str.contains(NUMERIC_LIKE)).alias("num"),
    weighted(pl.col(V).str.contains("@", literal=True)).alias("at"),
    weighted(pl.col(V).str.contains(r"\s")).alias("multiword"),
    weighted(pl.col(V).str.contains(r"\d")).alias("digit"),
    (pl.col(V).str.len_chars() * pl.col(N)).sum().alias("lsum"),
    pl.col(V).str.len_chars().min().alias("lmin"),
    pl.col(V).str.len_chars().max().alias("lmax"),
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
    rows = pl.collect_all([d.lazy().select(FEATURES) for d in distincts])
    return [Features(**{k: int(x or 0) for k, x in r.row(0, named=True).items()}) for r in rows]


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


@cache
def lab_regex() -> str:
    return alternation(lx.lab_tests())


@cache
def first_name_list() -> list[str]:
    return sorted(lx.first_names())


@cache
def last_name_list() -> list[str]:
    return sorted(lx.last_names())


# --- gated detector expressions over a distinct frame -----------------------


def _overlaps(f: Features, lo: int, hi: int) -> bool:
    return f.lmax >= lo and f.lmin <= hi


def shape_exprs(f: Features) -> dict[str, pl.Expr]:
    """name -> weighted-count expression of the shape detectors the features allow."""
    s = pl.col(V)
    out: dict[str, pl.Expr] = {}
    numeric = f.share(f.num) >= 0.5
    if f.share(f.num) >= 0.3 and _overlaps(f, 13, 25):
        is_nir = s.str.contains(NIR_PATTERN)
        out["nir"] = weighted(is_nir)
        out["nir~valid"] = weighted(is_nir & nir_key_valid(s))
        if _overlaps(f, 13, 17):
            out["nir_body"] = weighted(s.str.contains(NIR_BODY_PATTERN))
    if numeric:
        for name in ("phone", "postcode", "rpps", "finess"):
            d = DETECTORS_BY_NAME[name]
            if _overlaps(f, d.min_len, d.max_len):
                out[name] = weighted(s.str.contains(d.patterns[0]))
        if "postcode" in out:
            pc = s.str.contains(r"^\d{5}$") & s.str.contains(v.POSTCODE_PREFIX_REGEX)
            out["postcode~valid"] = weighted(pc)
            out["postcode~round"] = weighted(pc & s.str.ends_with("0"))
        if "rpps" in out:
            out["rpps~valid"] = weighted(v.rpps_valid(s))
        if "finess" in out:
            out["finess~valid"] = weighted(v.finess_valid(s))
        if _overlaps(f, 6, 30):
            # Shape only here; the parse (the costly part) runs in `date_years` on date-shaped columns.
            out["date~shape"] = weighted(s.str.contains(DATE_SHAPE))
            out["date~time"] = weighted(s.str.contains(r"\d[ T]\d{1,2}[:h]\d"))
        if _overlaps(f, 7, 15):
            out["ip_address"] = weighted(
                s.str.contains(DETECTORS_BY_NAME["ip_address"].patterns[0])
            )
        out["phone_intl"] = weighted(s.str.contains(DETECTORS_BY_NAME["phone_intl"].patterns[0]))
    else:
        if f.share(f.at) >= 0.3:
            out["email"] = weighted(s.str.contains(DETECTORS_BY_NAME["email"].patterns[0]))
        if _overlaps(f, 15, 45):
            out["iban"] = weighted(s.str.contains(DETECTORS_BY_NAME["iban"].patterns[0]))
        if f.lmax >= 13:
            out["password_hash"] = weighted(
                s.str.contains(DETECTORS_BY_NAME["password_hash"].patterns[0])
            )
        if f.lmax <= 45 and f.share(f.multiword) < 0.2:
            out["ip_address"] = weighted(
                s.str.contains(DETECTORS_BY_NAME["ip_address"].patterns[1])
            )
        if f.lmax <= 80 and f.share(f.multiword) < 0.2:
            out["login"] = weighted(s.str.contains(DETECTORS_BY_NAME["login"].patterns[0]))
            classes = (
                s.str.contains(r"[a-z]").cast(pl.Int8)
                + s.str.contains(r"[A-Z]").cast(pl.Int8)
                + s.str.contains(r"\d").cast(pl.Int8)
                + s.str.contains(r"[^A-Za-z0-9]").cast(pl.Int8)
            )
            out["plain_password"] = weighted(s.str.contains(r"^\S{6,32}$") & (classes >= 2))
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


def is_wordy(f: Features) -> bool:
    """Cells made of words (names, places, insurers, treatments, comments): lexicons apply."""
    if not f.ne or f.share(f.num) >= 0.5 or f.share(f.at) >= 0.3:
        return False
    return f.share(f.digit) < 0.5 or f.share(f.multiword) >= 0.3


def is_text(f: Features, text_kind: bool) -> bool:
    if not f.ne or f.share(f.num) >= 0.5:
        return False
    return text_kind or (f.share(f.multiword) >= 0.3 and f.mean_len >= 12)


CID = "cid"


def _stacked(distincts: list[pl.DataFrame], picked: list[int]) -> pl.LazyFrame | None:
    if not picked:
        return None
    frames = [
        distincts[i].lazy().with_columns(pl.lit(i, dtype=pl.Int32).alias(CID)) for i in picked
    ]
    return pl.concat(frames)


def _by_column(lf: pl.LazyFrame, exprs: dict[str, pl.Expr]) -> pl.LazyFrame:
    return lf.group_by(CID).agg([e.alias(k) for k, e in exprs.items()])


def lexicon_exprs() -> dict[str, pl.Expr]:
    """Lexicon evidence for word-like columns, evaluated once over all their distinct values."""
    s = pl.col(V)
    fo = pl.col("fo")
    core = fo.str.replace(r"^(?:dr|docteur|pr|professeur)\.?\s+", "")
    first_tok = core.str.extract(r"^([a-z][a-z'\-]*)", 1)
    last_tok = core.str.extract(r"([a-z][a-z'\-]*)$", 1)
    fn, sn = first_name_list(), last_name_list()
    return {
        "first_name": weighted(fo.is_in(fn) | first_tok.is_in(fn)),
        "surname": weighted(core.is_in(sn) | first_tok.is_in(sn) | last_tok.is_in(sn)),
        "alpha_only": weighted(fo.str.contains(r"^[a-z][a-z' \-]*$")),
        "upper": weighted(s.str.contains(r"\p{L}") & (s == s.str.to_uppercase())),
        "prescriber": weighted(s.str.contains(r"^(?i:dr|docteur|pr|professeur)\.?\s+\S")),
        "city_marker": weighted(fo.str.contains(CITY_MARKERS)),
        "organisation": weighted(fo.str.contains(ORGANISATION_MARKERS)),
        "insurer": weighted(fo.str.contains(insurer_regex())),
        "address": weighted(
            fo.str.contains(street_regex()) | fo.str.contains(address_extra_regex())
        ),
        "medication": weighted(fo.str.contains(medication_regex())),
        "lab_test": weighted(fo.str.contains(lab_regex())),
        "health_any": weighted(fo.str.contains(health_any_regex())),
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
    lazies, keys = [], []
    for d, f in zip(distincts, feats, strict=True):
        exprs = shape_exprs(f) if f.ne else {}
        keys.append(list(exprs))
        lazies.append(
            d.lazy().select([e.alias(k) for k, e in exprs.items()] or [pl.lit(0).alias("_")])
        )
    wordy = [i for i, f in enumerate(feats) if is_wordy(f)]
    texty = [i for i, f in enumerate(feats) if is_text(f, text_kind)]
    stacked = _stacked(distincts, wordy)
    if stacked is not None:
        stacked = stacked.with_columns(fold_expr(pl.col(V)).alias("fo"))
        lazies.append(_by_column(stacked, lexicon_exprs()))
        health = stacked.filter(pl.col("fo").str.contains(health_any_regex()))
        kinds = health_mention_exprs(pl.col("fo"), folded=True)
        condition = pl.any_horizontal(*(kinds[k] for k in lx.HEALTH_KINDS))
        lazies.append(_by_column(health, {"health_condition": weighted(condition)}))
    texts = _stacked(distincts, texty)
    if texts is not None:
        texts = texts.with_columns(fold_expr(pl.col(V)).alias("fo"))
        fo = pl.col("fo")
        other = {"text:" + k: weighted(e) for k, e in text_other_exprs(pl.col(V), fo).items()}
        lazies.append(_by_column(texts, other))
        hits = texts.filter(
            fo.str.contains(health_any_regex()) | fo.str.contains(medication_regex())
        )
        health = {"text:" + k: weighted(e) for k, e in text_health_exprs(fo).items()}
        lazies.append(_by_column(hits, health))
    results = pl.collect_all(lazies)
    out = [
        {k: int(r[k][0] or 0) for k in ks} for r, ks in zip(results[: len(keys)], keys, strict=True)
    ]
    for r in results[len(keys) :]:
        for row in r.iter_rows(named=True):
            i = row.pop(CID)
            out[i].update({k: int(x or 0) for k, x in row.items()})
    return out


# --- per-value validation on capped distinct candidates ---------------------


def validate_distinct(d: pl.DataFrame, pattern: str, check) -> tuple[int, float]:
    """(candidate cells, validated cells extrapolated from at most the cap of distinct values)."""
    cand = d.filter(pl.col(V).str.contains(pattern))
    total = int(cand[N].sum() or 0)
    if not total:
        return 0, 0.0
    head = cand.head(v.MAX_DISTINCT_VALIDATIONS)
    ok = [bool(check(x)) for x in head[V].to_list()]
    valid_cells = int(head.filter(pl.Series(ok, dtype=pl.Boolean))[N].sum() or 0)
    checked_cells = int(head[N].sum() or 0)
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


def date_years(d: pl.DataFrame) -> dict[int, int]:
    """Year histogram (weighted) of a date-like distinct frame."""
    y = d.lazy().select(parse_date(pl.col(V)).dt.year().alias("y"), pl.col(N)).drop_nulls("y")
    h = y.group_by("y").agg(pl.col(N).sum()).collect()
    return dict(zip(h["y"].to_list(), h[N].to_list(), strict=True))


def nir_pair_valid(df: pl.DataFrame, body: str, key: str) -> int:
    from vigile.detect.extract import nir_from_parts

    return int(df.select(nir_from_parts(pl.col(body), pl.col(key)).is_not_null().sum()).item())


def sex_code(value: str) -> str | None:
    return SEX_CODES.get(lx.fold(value).strip(" ."))
