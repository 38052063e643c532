"""The normalised linkage fields of a table, as polars expressions over its role columns.

The same expressions serve the leak and the patient database, so both sides
compare in one canonical form: names folded to uppercase ASCII, ISO dates,
E.164 phones, "1"/"2" sex codes, 15-character NIRs with a valid key.
"""

from __future__ import annotations

import polars as pl

from ..detect.extract import (
    nir_from_parts,
    nir_normalized,
    normalize_email,
    normalize_name,
    normalize_phone,
    parse_date,
    postcode,
)
from ..triage.roles import Roles

# Every linkage table has these columns (null when the role is absent).
FIELDS = (
    "nir",
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "postcode",
    "phone",
    "phone2",
    "email",
)


FEMALE_TITLES = r"^(?:MME|MLLE|MRS|MS|MISS)\b|^MADAME|^MADEMOISELLE"


def sex_code(e: pl.Expr) -> pl.Expr:
    """ "1" male, "2" female, from the usual LIS notations (M/H/1, F/2, words, and the
    civilities Mme/Mlle/Madame, which start with an M); null otherwise."""
    s = e.str.strip_chars().str.to_uppercase()
    first = s.str.slice(0, 1)
    return (
        pl.when(s.str.contains(FEMALE_TITLES))
        .then(pl.lit("2"))
        .when(first.is_in(["M", "H", "1"]))
        .then(pl.lit("1"))
        .when(first.is_in(["F", "2"]))
        .then(pl.lit("2"))
        .otherwise(None)
    )


def on_distinct(df: pl.DataFrame, cols: list[str], expr: pl.Expr) -> pl.Series:
    """`expr` over `cols`, evaluated once per distinct value and joined back.

    Leak and patient columns repeat a lot (names, dates, comment templates): the
    regex-heavy normalisers then run on a few percent of the cells.
    """
    distinct = df.select(cols).unique()
    distinct = distinct.with_columns(expr.alias("__out"))
    joined = df.select(cols).join(
        distinct, on=cols, how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.get_column("__out")


def _nir_sex(nir: pl.Expr) -> pl.Expr:
    # The NIR's first digit is the sex (1/3/7 male, 2/4/8 female) when no sex column exists.
    d = nir.str.slice(0, 1)
    return (
        pl.when(d.is_in(["1", "3", "7"]))
        .then(pl.lit("1"))
        .when(d.is_in(["2", "4", "8"]))
        .then(pl.lit("2"))
    )


def linkage_fields(df: pl.DataFrame, roles: Roles) -> pl.DataFrame:
    """The FIELDS of every row of `df` (one batch), in canonical form."""
    n = df.height

    def one(col: str | None, fn) -> pl.Series:
        if not col:
            return pl.Series(values=[None] * n, dtype=pl.String)
        return on_distinct(df, [col], fn(pl.col(col)))

    nirs = [one(c, nir_normalized) for c in roles.nir_full]
    nirs += [
        on_distinct(df, [b, k], nir_from_parts(pl.col(b), pl.col(k))) for b, k in roles.nir_split
    ]
    phones = [one(c, normalize_phone) for c in roles.phones]
    out = pl.DataFrame(
        {
            "nir": pl.select(pl.coalesce(nirs)).to_series() if nirs else one(None, None),
            "last_name": one(roles.last_name, normalize_name),
            "birth_name": one(roles.birth_name, normalize_name),
            "first_name": one(roles.first_name, normalize_name),
            "birth_date": one(roles.birth_date, lambda e: parse_date(e).cast(pl.String)),
            "sex": one(roles.sex, sex_code),
            "postcode": one(roles.postcode, postcode),
            "phone": phones[0] if phones else one(None, None),
            "phone2": pl.select(pl.coalesce(phones[1:])).to_series()
            if len(phones) > 1
            else one(None, None),
            "email": one(roles.email, normalize_email),
        }
    )
    return out.with_columns(pl.coalesce("sex", _nir_sex(pl.col("nir"))).alias("sex")).select(FIELDS)


def tidy(df: pl.DataFrame) -> pl.DataFrame:
    """Birth name equal to the usage name carries no information: drop it. Same for phones."""
    return df.with_columns(
        pl.coalesce("last_name", "birth_name").alias("last_name"),
        pl.when(pl.col("last_name").is_not_null() & (pl.col("birth_name") != pl.col("last_name")))
        .then(pl.col("birth_name"))
        .otherwise(None)
        .alias("birth_name"),
        pl.coalesce("phone", "phone2").alias("phone"),
        pl.when(pl.col("phone").is_not_null() & (pl.col("phone2") != pl.col("phone")))
        .then(pl.col("phone2"))
        .otherwise(None)
        .alias("phone2"),
    )
