"""Dates in a distinct frame: the date shape, the time part cut off, the year histogram.

Shape only in the gated first pass (`DATE_SHAPE`); the parse (the costly part) and the
count of dates with a time of day run in `year_counts`, on date-shaped columns only. The
profiler tells birth dates from other dates by the span of the years.
"""

from __future__ import annotations

import polars as pl

from vigile.detect.distinct import COUNT, VALUE
from vigile.detect.extract import date_from_text, date_text

DATE_SHAPE = r"^(?:\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{8})(?:[ T]\d{1,2}[:h]\d{2}\S*)?$"


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


TIME_AT = "time_at"  # byte offset where a value's time part starts (date_parts)


def date_parts(lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` with VALUE replaced by `date_part(VALUE)` and TIMED telling whether that cut a time
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
    at = pl.col(TIME_AT)
    cut = v.str.head(pl.coalesce(at, v.str.len_bytes() - 1) + 1)  # ASCII: bytes are chars
    return pl.concat(
        [
            lf.filter(ascii_only)
            .with_columns(v.str.find(r"\S" + TIME_TAIL).alias(TIME_AT))
            .with_columns(cut.alias(VALUE), (at.is_not_null() & ~midnight).alias(TIMED))
            .drop(TIME_AT),
            lf.filter(~ascii_only).with_columns(
                ((date_part(v) != v) & ~midnight).alias(TIMED), date_part(v).alias(VALUE)
            ),
        ]
    )


def year_counts(d: pl.DataFrame) -> pl.LazyFrame:
    """Year histogram of a date-like distinct frame: per year y, the weighted count of
    dates (COUNT) and of those with a time of day (TIMES)."""
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


# Header tokens of the dates of things (reagent lots, products): a lot's expiry date is no
# one's date, whatever its column's content. Folded (`headers.header_tokens`).
THING_DATE_WORDS = frozenset({
    "peremption", "perime", "expiry", "expiration", "expire", "expires", "exp", "dlu",
    "dluo", "dlc", "ddm", "lot", "lots", "reactif", "reactifs", "reagent", "batch",
    "calibration", "calibrateur", "maintenance",
})  # fmt: skip
# Neighbours' tokens that make a column of a few dates a thing's (`Lot réactif` beside it).
THING_NEIGHBOUR_WORDS = frozenset({"lot", "lots", "reactif", "reactifs", "reagent", "batch"})


def names_thing_date(header: str) -> bool:
    """The header says the dates are a thing's (`Date péremption réactif`, `Expiry date`)."""
    from vigile.detect.headers import header_tokens

    return bool(THING_DATE_WORDS.intersection(header_tokens(header)))


def beside_thing(neighbours: list[str]) -> bool:
    """A neighbouring header names a lot or a reagent."""
    from vigile.detect.headers import header_tokens

    return any(THING_NEIGHBOUR_WORDS.intersection(header_tokens(h)) for h in neighbours)
