"""Keyed pseudonyms: HMAC-SHA-256 under a secret held outside the export.

The same value gives the same pseudonym in every table and every export made
with the same secret, so joins still work; without the secret nobody can
recompute or reverse them (unlike a plain hash of a NIR, which is brute-forced
in minutes). Each distinct value is hashed once (per memo generation), inside
DuckDB's vectorised engine: polars has no keyed cryptographic hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import duckdb
import polars as pl

from .errors import ProtectError

SECRET_BYTES = 32
HEX_CHARS = 32  # 128 bits: collisions are negligible even over billions of values
# Distinct values remembered per normalisation before the memo restarts (~100 B each).
DEFAULT_CACHE_ENTRIES = 1_000_000
_HMAC_SQL = "select sha256($o || unhex(sha256($i || encode(v)))) as h from distinct_values"


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def write_secret(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(new_secret().hex() + "\n")


def read_secret(path: str | Path) -> bytes:
    try:
        text = Path(path).read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeError):
        raise ProtectError(f"{path}: not a readable pseudonymisation secret (hex)") from None
    if len(key) < SECRET_BYTES:
        raise ProtectError(f"{path}: pseudonymisation secret shorter than {SECRET_BYTES} bytes")
    return key


class _Memo:
    """Pseudonyms already computed for one normalisation, within one generation.

    A private polars Categories numbers each distinct normalised value (0, 1, 2...
    in order of arrival, across batches), and `digests[code]` is its pseudonym: a
    batch's pseudonyms are then one gather by code, and only values never seen
    before are hashed. Bounded: a full memo is dropped for a fresh one."""

    def __init__(self) -> None:
        self.dtype = pl.Categorical(pl.Categories.random())
        # polars frees a Categories' strings (and so reuses its codes) once no Series
        # of that dtype is alive: this empty one keeps the numbering for our lifetime.
        self._keep_alive = pl.Series("anchor", [], self.dtype)
        self.digests = pl.Series("h", [], pl.String)


class Pseudonymiser:
    """Keyed pseudonyms for whole batches, hashing each distinct value once per memo
    generation (names, insurers, prescribers and returning patients repeat from batch
    to batch). The memo lives only in this process's memory, like the secret."""

    def __init__(self, secret: bytes, cache_entries: int = DEFAULT_CACHE_ENTRIES):
        if len(secret) < SECRET_BYTES:
            raise ProtectError(f"pseudonymisation secret shorter than {SECRET_BYTES} bytes")
        block = secret.ljust(64, b"\0") if len(secret) <= 64 else hashlib.sha256(secret).digest()
        block = block.ljust(64, b"\0")
        # HMAC by its definition (RFC 2104), so the SQL engine can compute it.
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self._db = duckdb.connect()
        self.key_id = hmac.new(secret, b"vigile key id", "sha256").hexdigest()[:16]
        self.cache_entries = cache_entries
        # One memo per normalisation (compact or not), shared by every column so
        # normalised: a surname in NOM and in NOM_JF is hashed once.
        self._memos: dict[bool, _Memo] = {}

    def _hmac(self, values: pl.Series) -> pl.Series:
        """Hex HMAC-SHA-256 of each (non-null, distinct) value, in order."""
        distinct_values = values.rename("v").to_frame().to_arrow()  # noqa: F841 (read by SQL)
        rel = self._db.sql(_HMAC_SQL, params={"i": self._ipad, "o": self._opad})
        return pl.from_arrow(rel.to_arrow_table()).get_column("h")

    def _memo(self, compact: bool) -> _Memo:
        memo = self._memos.get(compact)
        if memo is None or memo.digests.len() >= max(self.cache_entries, 1):
            memo = self._memos[compact] = _Memo()
        return memo

    def _group(self, norms: pl.DataFrame, names: list[str], compact: bool) -> pl.DataFrame:
        """Hex pseudonyms (HEX_CHARS) of the columns `names` of `norms`."""
        memo = self._memo(compact)
        codes = norms.select(pl.col(n).cast(memo.dtype).to_physical() for n in names)
        known = memo.digests.len()
        new = (
            pl.concat(
                [pl.DataFrame({"code": codes[n], "norm": norms[n]}) for n in names],
                rechunk=False,
            )
            .filter(pl.col("code") >= known)
            .unique(subset="code")
        )
        if new.height:
            size = int(new["code"].max()) + 1  # type: ignore[arg-type]
            grown = pl.concat([memo.digests, pl.Series("h", [None] * (size - known), pl.String)])
            fresh = self._hmac(new["norm"]).str.slice(0, HEX_CHARS)
            memo.digests = grown.scatter(new["code"], fresh).rechunk()
        out = codes.select(pl.lit(memo.digests).gather(pl.col(n)).alias(n) for n in names)
        if any(out[n].null_count() != codes[n].null_count() for n in names):
            raise ProtectError("internal error: a pseudonym is missing")  # never silently null
        return out

    def columns(self, batch: pl.DataFrame, specs: dict[str, tuple[bool, bool]]) -> pl.DataFrame:
        """Pseudonyms of several columns: {name: (compact, nir_format)} -> frame.

        Columns are normalised together; values already in the memo are looked up by
        code, the others hashed once; nulls and blanks stay null."""
        if not specs:
            return pl.DataFrame()
        norms = batch.select(
            _normalise_expr(pl.col(name), compact).alias(name)
            for name, (compact, _) in specs.items()
        )
        out: dict[str, pl.Series] = {}
        for compact in sorted({c for c, _ in specs.values()}):
            names = [n for n, (c, _) in specs.items() if c == compact]
            hexes = self._group(norms, names, compact)
            for name in names:
                h = hexes.get_column(name)
                out[name] = nir_from_digest(h) if specs[name][1] else h
        return pl.DataFrame([out[name] for name in specs])

    def hex(self, values: pl.Series, compact: bool = False) -> pl.Series:
        """32 hex characters; `compact` drops spaces, dots and dashes first (NIR, phones)."""
        return self.columns(values.rename("v").to_frame(), {"v": (compact, False)})["v"].rename(
            values.name
        )

    def nir(self, values: pl.Series) -> pl.Series:
        return self.columns(values.rename("v").to_frame(), {"v": (True, True)})["v"].rename(
            values.name
        )


def _normalise_expr(col: pl.Expr, compact: bool = False) -> pl.Expr:
    """Spacing and case never split one person into two pseudonyms."""
    s = col.cast(pl.String).str.strip_chars()
    if compact:
        s = s.str.replace_all(r"[\s.\-]", "").str.to_uppercase()
    return pl.when(s.str.len_bytes() > 0).then(s)


def nir_from_digest(digests: pl.Series) -> pl.Series:
    """A NIR-shaped pseudonym with a valid key, from a hex digest (vectorised arithmetic).

    Sex 1/2, any year, a fictitious month 20-42 (the range INSEE gives people whose
    birth month is unknown, so pseudonyms rarely look like a real person's number),
    a département 01-95 other than 20, commune 001-990, order 001-999, then the key.
    The fields are assembled as one integer (each fits its width; sex is never 0, so
    the 15 digits need no padding), then formatted once.
    """
    h = pl.col("h")
    dep0 = (h // 4_600) % 94
    body = (
        (1 + h % 2) * 10**12
        + ((h // 2) % 100) * 10**10
        + (20 + (h // 200) % 23) * 10**8
        + pl.when(dep0 >= 19).then(dep0 + 2).otherwise(dep0 + 1) * 10**6
        + (1 + (h // 432_400) % 990) * 10**3
        + (1 + (h // 428_076_000) % 999)
    )
    nir = body * 100 + (97 - body % 97)
    h13 = digests.str.slice(0, 13).str.to_integer(base=16, dtype=pl.UInt64)
    return pl.DataFrame({"h": h13}).select(nir.cast(pl.String).alias(digests.name)).to_series()
