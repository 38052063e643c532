"""Canary records: a few plausible synthetic patients unique to one export.

Each canary is a person drawn by `vigile.synth` (valid NIR key, name, birth date,
address, mobile phone, e-mail) from a seed derived from the registry secret and the
export's name, so a repeated registration draws the same ones. A candidate is
dropped when any of its views collides with a patient of the controller's database
(`--patients`), with a row of the export itself, or with anything already registered
(another export's rows or canaries): a canary never names a real patient, and finding
one in a file names its export. The e-mail can be on a domain the controller
monitors (`email_domain`), so use of the leaked data is noticed.

Canaries are excluded from linkage, letters and the portal: `is_canary` (or
`Registry.canary_mask`) tells, from a person's normalised fields, whether it is one.
"""

from __future__ import annotations

import hmac
from datetime import date

import polars as pl

from .fingerprint import KeyColumns, view_values

# The canonical fields of a canary (and of `is_canary`'s input, as `vigile.link` has them).
FIELDS = ("last_name", "first_name", "birth_date", "sex", "nir", "address", "postcode",
          "city", "phone", "email")  # fmt: skip
CANONICAL_KEYS = KeyColumns(
    nir=("nir",),
    last_names=("last_name",),
    first_name="first_name",
    birth_date="birth_date",
    phones=("phone",),
    emails=("email",),
)
MAX_CANARIES = 50
_REFERENCE = date(2026, 1, 1)  # ages of the drawn persons are counted at this date


def canary_seed(secret: bytes, export_name: str) -> int:
    mac = hmac.digest(secret, b"vigile.provenance canary\x1f" + export_name.encode(), "sha256")
    return int.from_bytes(mac[:4], "big")


def draw_candidates(seed: int, n: int, email_domain: str | None = None) -> pl.DataFrame:
    """`n` synthetic persons in the canonical FIELDS (strings), deterministic for `seed`.
    Adults only (a canary letter would otherwise go to parents), NIR always present."""
    from ..synth.persons import build_persons
    from ..synth.pools import build_pools

    people = build_persons(max(n * 2, 8), seed, build_pools(seed, 40), _REFERENCE, 0.0)
    people = people.filter(pl.col("age") >= 25).head(n)
    local = pl.concat_str(
        [pl.col("first_slug"), pl.lit("."), pl.col("last_slug"), pl.lit("."),
         pl.col("nir13").str.slice(9, 4)]  # digits that differ between canaries
    )  # fmt: skip
    email = (
        pl.concat_str([local, pl.lit("@" + email_domain)])
        if email_domain
        else pl.concat_str([local, pl.lit("@"), pl.col("email").str.split("@").list.last()])
    )
    return people.select(
        pl.col("usage_name").alias("last_name"),
        pl.col("first_name"),
        pl.col("birth_date").dt.strftime("%Y-%m-%d").alias("birth_date"),
        pl.when(pl.col("sex") == 2).then(pl.lit("F")).otherwise(pl.lit("M")).alias("sex"),
        pl.concat_str([pl.col("nir13"), pl.col("nir_key")]).alias("nir"),
        pl.col("address1").alias("address"),
        pl.col("postcode"),
        pl.col("city"),
        pl.col("mobile").alias("phone"),
        email.str.to_lowercase().alias("email"),
    )


def canonical_values(fields: pl.DataFrame) -> pl.DataFrame:
    """(row, view, value) of persons given in canonical FIELDS (missing ones are null)."""
    missing = [c for c in ("nir", "last_name", "first_name", "birth_date", "phone", "email")
               if c not in fields.columns]  # fmt: skip
    if missing:
        fields = fields.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)
    return view_values(fields, CANONICAL_KEYS)


def choose(
    candidates: pl.DataFrame,
    n: int,
    taken_values: pl.DataFrame | None,
    taken_hashes: set[int],
    hasher,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first `n` candidates none of whose views is in `taken_values` (view, value)
    or whose keyed hash is in `taken_hashes`; returns (canaries, their (h, unit, view)
    keys with units -1, -2...)."""
    vals = canonical_values(candidates)
    keyed = hasher.key_frame(vals).join(vals, on=["row", "view"])
    bad = keyed.filter(pl.col("h").is_in(list(taken_hashes)))["row"]
    if taken_values is not None and taken_values.height:
        clash = vals.join(taken_values.select("view", "value").unique(), on=["view", "value"])
        bad = pl.concat([bad, clash["row"]])
    ok = [r for r in range(candidates.height) if r not in set(bad.to_list())][:n]
    chosen = candidates[ok]
    unit_of = {r: -(i + 1) for i, r in enumerate(ok)}
    keys = (
        keyed.filter(pl.col("row").is_in(ok))
        .with_columns(pl.col("row").replace_strict(unit_of, return_dtype=pl.Int64).alias("unit"))
        .select("h", "unit", pl.col("view").cast(pl.Int16))
        .unique()
    )
    return chosen, keys
