"""A row's identity as keyed hashes: normalised "views" of the identifying columns.

A row gives up to five independent views, each normalised the way the linkage
normalises (`vigile.detect.extract`: NIR compacted and key-checked, names folded to
uppercase ASCII, dates to ISO, phones to E.164, e-mails lowercased), then hashed with
HMAC-SHA-256 under the registry's own secret and truncated to 62 bits:

- ``nir``: the 15-character NIR (whole, or body + key columns);
- ``name_dob``: last name | first name | birth date (usage and birth names both);
- ``phone``: every phone of the row;
- ``email``;
- ``token``: an opaque identifier such as a vigile pseudonym (32 hex characters).

A file with some columns dropped, renamed, reordered, re-encoded or reformatted
still yields the views its remaining columns carry. Views are hashed separately
(domain-separated), so the registry holds no personal value and a view cannot be
compared with another's. Normalisation is vectorised and runs on distinct values;
the keyed hash runs inside DuckDB (polars has no keyed cryptographic hash), once per
distinct normalised value.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

from ..detect.extract import (
    nir_from_parts,
    nir_normalized,
    normalize_email,
    normalize_name,
    normalize_phone,
    parse_date,
)

# View codes (stored in the registry: never renumber).
NIR, NAME_DOB, PHONE, EMAIL, TOKEN = 1, 2, 3, 4, 5
VIEWS = {NIR: "nir", NAME_DOB: "name_dob", PHONE: "phone", EMAIL: "email", TOKEN: "token"}
# A match on one of these alone says "this person" (a NIR, a pseudonym, a full name with
# a full birth date); a phone or an e-mail alone may be a relative's or a coincidence.
STRONG_VIEWS = frozenset({NIR, NAME_DOB, TOKEN})
HASH_BITS = 62  # collisions between distinct values: ~1e-19 per pair
TOKEN_REGEX = r"^[0-9a-fA-F]{32}$"
_SEP = "\x1f"


@dataclass(frozen=True)
class KeyColumns:
    """Which columns of a table feed which view."""

    nir: tuple[str, ...] = ()
    nir_split: tuple[tuple[str, str], ...] = ()  # (13-character body, 2-digit key)
    last_names: tuple[str, ...] = ()  # usage name first, then birth name, then others
    first_name: str | None = None
    birth_date: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.nir
            or self.nir_split
            or (self.last_names and self.first_name and self.birth_date)
            or self.phones
            or self.emails
            or self.tokens
        )

    def used(self) -> list[str]:
        cols = [*self.nir, *(c for pair in self.nir_split for c in pair), *self.last_names]
        cols += [c for c in (self.first_name, self.birth_date) if c]
        return list(dict.fromkeys([*cols, *self.phones, *self.emails, *self.tokens]))

    def views(self) -> list[str]:
        """The names of the views these columns give (for messages)."""
        out = ["nir"] if self.nir or self.nir_split else []
        if self.last_names and self.first_name and self.birth_date:
            out.append("name_dob")
        out += ["phone"] if self.phones else []
        out += ["email"] if self.emails else []
        return out + (["token"] if self.tokens else [])


def key_columns_from_roles(roles, columns: Sequence[str], sample: pl.DataFrame | None = None):
    """KeyColumns from the shared column roles (`vigile.triage.roles.Roles`), plus the
    columns of opaque identifiers (pseudonyms) found in `sample`."""
    lasts = [roles.last_name, roles.birth_name]
    lasts += [c for c in roles.by_category.get("last_name", ()) if c != roles.prescriber_name]
    used = {c for c in (*lasts, roles.first_name, roles.birth_date) if c}
    used |= set(roles.nir_full) | {c for p in roles.nir_split for c in p} | set(roles.phones)
    used |= {roles.email} if roles.email else set()
    emails = [roles.email] if roles.email else []
    emails += [c for c in roles.by_category.get("email", ()) if c not in emails]
    return KeyColumns(
        nir=tuple(roles.nir_full),
        nir_split=tuple(roles.nir_split),
        last_names=tuple(dict.fromkeys(c for c in lasts if c)),
        first_name=roles.first_name,
        birth_date=roles.birth_date,
        phones=tuple(roles.phones),
        emails=tuple(emails),
        tokens=tuple(token_columns(sample, [c for c in columns if c not in used])),
    )


def key_columns_from_categories(categories: Mapping[str, str | None], pseudonymised=()):
    """KeyColumns from declared categories (an export profile): {column: category}.
    Pseudonymised columns of an identifying category give tokens (their pseudonyms);
    a pseudonymised NIR in NIR format is still a NIR."""

    def cols(cat: str) -> tuple[str, ...]:
        return tuple(c for c, k in categories.items() if k == cat and c not in pseudonymised)

    tokens = tuple(c for c in pseudonymised if categories.get(c) in ("email", "phone", "nir"))
    return KeyColumns(
        nir=cols("nir"),
        last_names=cols("last_name"),
        first_name=(cols("first_name") or (None,))[0],
        birth_date=(cols("birth_date") or (None,))[0],
        phones=cols("phone"),
        emails=cols("email"),
        tokens=tokens,
    )


def token_columns(sample: pl.DataFrame | None, candidates: Iterable[str]) -> list[str]:
    """Columns whose non-empty cells are nearly all 32-hex-character identifiers."""
    if sample is None:
        return []
    out = []
    for c in candidates:
        if c not in sample.columns:
            continue
        s = sample.get_column(c).cast(pl.String).drop_nulls()
        if s.len() and (s.str.contains(TOKEN_REGEX).mean() or 0) >= 0.9:
            out.append(c)
    return out


def _on_distinct(df: pl.DataFrame, cols: list[str], expr: pl.Expr) -> pl.Series:
    """`expr` evaluated once per distinct combination of `cols`, joined back per row."""
    distinct = df.select(cols).unique().with_columns(expr.alias("__out"))
    return (
        df.select(cols)
        .join(distinct, on=cols, how="left", nulls_equal=True, maintain_order="left")
        .get_column("__out")
    )


def normalise_nir(e: pl.Expr) -> pl.Expr:
    return nir_normalized(e)


def normalise_name(e: pl.Expr) -> pl.Expr:
    return normalize_name(e)


def normalise_date(e: pl.Expr) -> pl.Expr:
    return parse_date(e).cast(pl.String)


def normalise_phone(e: pl.Expr) -> pl.Expr:
    return normalize_phone(e)


def normalise_email(e: pl.Expr) -> pl.Expr:
    return normalize_email(e)


def normalise_token(e: pl.Expr) -> pl.Expr:
    s = e.str.strip_chars().str.to_lowercase()
    return pl.when(s.str.contains(TOKEN_REGEX)).then(s)


def view_values(batch: pl.DataFrame, keys: KeyColumns) -> pl.DataFrame:
    """Long frame (row: u32, view: u8, value: str) of every non-null normalised view
    value of every row of `batch` (rows numbered from 0 in the batch)."""
    n = batch.height
    if any(dt != pl.String for dt in batch.select(keys.used()).dtypes):
        batch = batch.with_columns(pl.col(keys.used()).cast(pl.String))
    parts: list[tuple[int, pl.Series]] = []
    for c in keys.nir:
        parts.append((NIR, _on_distinct(batch, [c], normalise_nir(pl.col(c)))))
    for b, k in keys.nir_split:
        parts.append((NIR, _on_distinct(batch, [b, k], nir_from_parts(pl.col(b), pl.col(k)))))
    if keys.last_names and keys.first_name and keys.birth_date:
        first = _on_distinct(batch, [keys.first_name], normalise_name(pl.col(keys.first_name)))
        dob = _on_distinct(batch, [keys.birth_date], normalise_date(pl.col(keys.birth_date)))
        for c in keys.last_names:
            last = _on_distinct(batch, [c], normalise_name(pl.col(c)))
            parts.append(
                (NAME_DOB, pl.select(pl.concat_str([last, first, dob], separator="|")).to_series())
            )
    for c in keys.phones:
        parts.append((PHONE, _on_distinct(batch, [c], normalise_phone(pl.col(c)))))
    for c in keys.emails:
        parts.append((EMAIL, _on_distinct(batch, [c], normalise_email(pl.col(c)))))
    for c in keys.tokens:
        parts.append((TOKEN, _on_distinct(batch, [c], normalise_token(pl.col(c)))))
    if not parts or n == 0:
        return pl.DataFrame(schema={"row": pl.UInt32, "view": pl.UInt8, "value": pl.String})
    rows = pl.int_range(0, n, dtype=pl.UInt32, eager=True)
    frames = [
        pl.DataFrame(
            {
                "row": rows,
                "view": pl.repeat(v, n, dtype=pl.UInt8, eager=True),
                "value": s.rename("value"),
            }
        )  # fmt: skip
        for v, s in parts
    ]
    return pl.concat(frames).drop_nulls("value").unique(maintain_order=True)


class Hasher:
    """HMAC-SHA-256 of (view, value) under the registry secret, truncated to 62 bits.

    HMAC by its definition (RFC 2104) so that DuckDB's vectorised sha256 computes it
    over a whole column at once (as `vigile.protect.pseudonym` does); `digest` is the
    same function in plain Python, for tests and single values."""

    def __init__(self, secret: bytes):
        if len(secret) < 32:
            raise ValueError("registry secret must be at least 32 bytes")
        self._secret = bytes(secret)
        block = secret.ljust(64, b"\0") if len(secret) <= 64 else hashlib.sha256(secret).digest()
        block = block.ljust(64, b"\0")
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self._db = duckdb.connect()
        self._lock = threading.Lock()

    def digest(self, view: int, value: str) -> int:
        mac = hmac.digest(self._secret, f"{view}{_SEP}{value}".encode(), "sha256")
        return int.from_bytes(mac[:8], "big") >> (64 - HASH_BITS)

    def hashes(self, views: pl.Series, values: pl.Series) -> pl.Series:
        """Int64 keyed hash of each (view, value) pair, in order."""
        if values.len() == 0:
            return pl.Series("h", [], pl.Int64)
        msgs = pl.select(  # noqa: F841 (read by the SQL below)
            pl.concat_str([views.cast(pl.String), pl.lit(_SEP), values]).alias("m")
        ).to_arrow()
        hex_chars = HASH_BITS // 4 + 1  # 16 hex digits, shifted right below
        sql = (
            f"select left(sha256($o || unhex(sha256($i || encode(m)))), {hex_chars}) as h from msgs"
        )
        with self._lock:  # one DuckDB connection, one thread at a time
            rel = self._db.cursor().sql(sql, params={"i": self._ipad, "o": self._opad})
            hexes = pl.from_arrow(rel.to_arrow_table()).get_column("h")
        # 64 bits read as unsigned, then the top HASH_BITS kept (fits a signed BIGINT).
        top = hexes.str.slice(0, 15).str.to_integer(base=16).cast(pl.UInt64)
        last = hexes.str.slice(15, 1).str.to_integer(base=16).cast(pl.UInt64)
        full = top * 16 + last
        return (full // (1 << (64 - HASH_BITS))).cast(pl.Int64).rename("h")

    def key_frame(self, values: pl.DataFrame) -> pl.DataFrame:
        """(row, view, value) -> (row, view, h): each distinct (view, value) hashed once."""
        distinct = values.select("view", "value").unique()
        distinct = distinct.with_columns(self.hashes(distinct["view"], distinct["value"]))
        return values.join(distinct, on=["view", "value"], how="left").select("row", "view", "h")
