"""IBAN: the ISO 13616 check (mod 97-10, ISO 7064) and the per-country BBAN structure,
as polars expressions, so a column of IBANs is validated without Python per value.

`with_valid` equals `stdnum.iban.is_valid` (tests/detect hold them together with
hypothesis): the same compaction (spaces, hyphens and dots dropped, upper case), the same
structure per country (read from python-stdnum's own copy of the SWIFT registry,
`stdnum/iban.dat`), the same check. python-stdnum adds a national check for four
countries (BE, ES, ME, NO); their IBANs, rare in French exports, go through
python-stdnum itself, on distinct values only (`valid_count`).

No library validates IBANs as polars expressions: the mod-97 below is hand-written, as
python-stdnum computes it (letters to 10..35, the four first characters moved to the end).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import polars as pl
from stdnum import iban as std_iban

PATTERN = r"^(?i:[a-z]{2}\d{2}(?:\s?[a-z0-9]){11,30})$"  # the detector's shape of an IBAN
MIN_LEN, MAX_LEN = 15, 45  # characters, spaces included
CONTENT_SHARE = 0.6  # valid cells, content alone
HEADER_SHARE = 0.3  # IBAN-shaped cells with an IBAN header
NATIONAL_CHECKS = ("BE", "ES", "ME", "NO")  # countries with a python-stdnum module of theirs
_CHUNK = 7  # digits folded per step: 96 * 10**7 + 9999999 stays far inside Int64


def compact_expr(e: pl.Expr) -> pl.Expr:
    """`stdnum.iban.compact`: separators ' -.' dropped, stripped, upper case."""
    return e.str.replace_all(r"[ \-.]", "").str.strip_chars().str.to_uppercase()


@cache
def structure_regex() -> str:
    """One regex for every registered country: its code, two check digits, its BBAN."""
    text = files("stdnum").joinpath("iban.dat").read_text("utf-8")
    kinds = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}
    alternatives = []
    for line in text.splitlines():
        m = re.match(r'^([A-Z]{2}) .*bban="([^"]*)"', line)
        if not m:
            continue
        bban = re.sub(r"([1-9][0-9]*)!([nac])", lambda g: f"{kinds[g[2]]}{{{g[1]}}}", m[2])
        alternatives.append(f"{m[1]}[0-9A-Z]{{2}}{bban}")
    return "^(?:" + "|".join(alternatives) + ")$"


_LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_LETTER_VALUES = [str(ord(c) - ord("A") + 10) for c in _LETTERS]
_WIDTH = 70  # 34 characters at most, each 1 or 2 digits: 68, rounded up to whole chunks
_COMPACT, _SHAPED, _DIGITS = "\0iban_compact", "\0iban_shaped", "\0iban_digits"


def with_valid(lf: pl.LazyFrame, value: str, out: str = "ok") -> pl.LazyFrame:
    """`lf` with a Boolean column `out`: `value` is an IBAN as `stdnum.iban.is_valid` says
    (but for the national checks of NATIONAL_CHECKS countries, see `valid_count`).

    Staged in `with_columns` steps so that each intermediate string is computed once:
    compact form; structure per country; the digits of the check (country and check
    digits moved to the end, letters read as 10..35), zero-padded to whole chunks (leading
    zeros change nothing); then r = (r * 10**7 + chunk) mod 97, chunk by chunk; valid
    where the remainder is 1. Null gives False."""
    c = pl.col(_COMPACT)
    moved = pl.concat_str(c.str.slice(4), c.str.slice(0, 4))
    digits = moved.str.replace_many(_LETTERS, _LETTER_VALUES).str.zfill(_WIDTH)
    chunks = [f"\0iban_{k}" for k in range(0, _WIDTH, _CHUNK)]
    r = pl.lit(0, dtype=pl.Int64)
    for name in chunks:
        r = (r * 10**_CHUNK + pl.col(name)) % 97
    return (
        lf.with_columns(compact_expr(pl.col(value)).alias(_COMPACT))
        .with_columns(c.str.contains(structure_regex()).fill_null(False).alias(_SHAPED))
        .with_columns(pl.when(pl.col(_SHAPED)).then(digits).alias(_DIGITS))
        .with_columns(
            pl.col(_DIGITS).str.slice(k, _CHUNK).cast(pl.Int64, strict=False).alias(name)
            for k, name in zip(range(0, _WIDTH, _CHUNK), chunks, strict=True)
        )
        .with_columns((pl.col(_SHAPED) & (r == 1).fill_null(False)).alias(out))
        .drop(_COMPACT, _SHAPED, _DIGITS, *chunks)
    )


def is_valid_many(values: list[str | None]) -> list[bool]:
    """`with_valid` over a list (tests, small inputs)."""
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return with_valid(df.lazy(), "v").collect()["ok"].to_list()


def valid_count(d: pl.DataFrame, value: str = "value", count: str = "count") -> int:
    """Weighted count of valid IBANs in a distinct frame (value, count): the polars check
    everywhere, python-stdnum itself for the few distinct values of NATIONAL_CHECKS
    countries that pass it."""
    checked = with_valid(d.lazy().select(value, count), value).with_columns(
        compact_expr(pl.col(value)).str.slice(0, 2).is_in(NATIONAL_CHECKS).alias("national")
    )
    plain = checked.filter(pl.col("ok") & ~pl.col("national")).select(pl.col(count).sum())
    national = checked.filter(pl.col("ok") & pl.col("national")).select(value, count)
    total, rest = pl.collect_all([plain, national])
    ok = int(total.item() or 0)
    for v, n in rest.iter_rows():
        if std_iban.is_valid(v):
            ok += n
    return ok
