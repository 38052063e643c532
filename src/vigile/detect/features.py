"""Cheap per-column features of a distinct frame (cells, distinct values, numeric share,
lengths, '@' and digits), which decide the detectors a column can reach (`gates`), and
the credential statistics read on password- and login-like columns."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from vigile.detect.distinct import COUNT, VALUE, collect_eval, weighted
from vigile.detect.ids import login
from vigile.detect.ids import password as pw
from vigile.detect.words import first_name_list, last_name_list

NUMERIC_LIKE = r"^[\d(+][\d\s.\-/+():]*$"


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
