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
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import polars as pl

from .errors import ProtectError

SECRET_BYTES = 32
HEX_CHARS = 32  # 128 bits: collisions are negligible even over billions of values
# Distinct values remembered per kind (normalisation and format) before its memo
# restarts; ~170 B each. On the 10 M-row benchmark a memo of 500,000 hashes 1.88 M
# values per million rows (1.68 M with 1 M entries, 3.1 M with none) for 200 MB less.
DEFAULT_CACHE_ENTRIES = 500_000
_HMAC_SQL = (
    f"select left(sha256($o || unhex(sha256($i || encode(v)))), {HEX_CHARS}) as h"
    " from distinct_values"
)


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
    """Pseudonyms already computed for one kind (normalisation and format), within one
    generation, keyed by the value as it came.

    A private polars Categories numbers each distinct raw value (0, 1, 2... in order of
    arrival, across batches), and `pseudonyms[code]` is its pseudonym ("" when the
    value normalises to nothing): a batch's pseudonyms are then one gather by code,
    and only values never seen before are normalised, hashed and formatted. Bounded: a
    full memo is dropped for a fresh one."""

    def __init__(self) -> None:
        self.dtype = pl.Categorical(pl.Categories.random())
        # polars frees a Categories' strings (and so reuses its codes) once no Series
        # of that dtype is alive: this empty one keeps the numbering for our lifetime.
        self._keep_alive = pl.Series("anchor", [], self.dtype)
        self.pseudonyms = pl.Series("p", [], pl.String)


Kind = tuple[bool, bool]  # (compact, nir_format)


class Pseudonymiser:
    """Keyed pseudonyms for whole batches, hashing each distinct value once per memo
    generation (names, insurers, prescribers and returning patients repeat from batch
    to batch). The memo lives only in this process's memory, like the secret. One
    caller at a time: `columns` runs the kinds of a batch side by side itself."""

    def __init__(self, secret: bytes, cache_entries: int = DEFAULT_CACHE_ENTRIES):
        if len(secret) < SECRET_BYTES:
            raise ProtectError(f"pseudonymisation secret shorter than {SECRET_BYTES} bytes")
        block = secret.ljust(64, b"\0") if len(secret) <= 64 else hashlib.sha256(secret).digest()
        block = block.ljust(64, b"\0")
        # HMAC by its definition (RFC 2104), so the SQL engine can compute it.
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self._db = duckdb.connect()
        self._cursors: dict[Kind, duckdb.DuckDBPyConnection] = {}
        self._cursors_lock = threading.Lock()
        self.key_id = hmac.new(secret, b"vigile key id", "sha256").hexdigest()[:16]
        self.cache_entries = cache_entries
        # One memo per kind, shared by every column of that kind: a surname in NOM
        # and in NOM_JF is hashed once.
        self._memos: dict[Kind, _Memo] = {}
        # Kinds are independent (own memo, own DuckDB cursor): they run side by side,
        # and callers may add their own work (`pool`) to use the cores fully.
        self.pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="vigile-pseudonyms")
        weakref.finalize(self, self.pool.shutdown, wait=False)

    def _hmac(self, values: pl.Series, kind: Kind = (False, False)) -> pl.Series:
        """Hex HMAC-SHA-256 (HEX_CHARS) of each (non-null, distinct) value, in order."""
        with self._cursors_lock:  # a DuckDB connection serves one thread at a time
            db = self._cursors.get(kind)
            if db is None:
                db = self._cursors[kind] = self._db.cursor()
        distinct_values = values.rename("v").to_frame().to_arrow()  # noqa: F841 (read by SQL)
        rel = db.sql(_HMAC_SQL, params={"i": self._ipad, "o": self._opad})
        return pl.from_arrow(rel.to_arrow_table()).get_column("h")

    def _fresh(self, raw: pl.Series, kind: Kind) -> pl.Series:
        """Pseudonyms of distinct raw values: normalised, hashed, formatted; "" when blank."""
        compact, nir_format = kind
        norm = raw.to_frame("v").select(_normalise_expr(pl.col("v"), compact)).to_series()
        out = pl.repeat("", len(raw), dtype=pl.String, eager=True)
        present = norm.is_not_null()
        if present.any():
            digests = self._hmac(norm.filter(present), kind)
            if nir_format:
                digests = nir_from_digest(digests)
            out = out.scatter(present.arg_true(), digests)
        return out

    def _memo(self, kind: Kind) -> _Memo:
        memo = self._memos.get(kind)
        if memo is None or memo.pseudonyms.len() >= max(self.cache_entries, 1):
            memo = self._memos[kind] = _Memo()
        return memo

    def _kind(self, batch: pl.DataFrame, names: list[str], kind: Kind) -> pl.DataFrame:
        """Pseudonyms of the columns `names` of `batch`, all of one kind."""
        memo = self._memo(kind)
        codes = batch.select(
            pl.col(n).cast(pl.String).cast(memo.dtype).to_physical() for n in names
        )
        known = memo.pseudonyms.len()
        new = (
            pl.concat(
                [pl.DataFrame({"code": codes[n], "raw": batch[n].cast(pl.String)}) for n in names],
                rechunk=False,
            )
            .filter(pl.col("code") >= known)
            .unique(subset="code")
        )
        if new.height:
            size = int(new["code"].max()) + 1  # type: ignore[arg-type]
            grown = memo.pseudonyms.extend_constant(None, size - known)
            memo.pseudonyms = grown.scatter(new["code"], self._fresh(new["raw"], kind)).rechunk()
        out = codes.select(pl.lit(memo.pseudonyms).gather(pl.col(n)).alias(n) for n in names)
        if any(out[n].null_count() != codes[n].null_count() for n in names):
            raise ProtectError("internal error: a pseudonym is missing")  # never silently null
        return out.select(pl.when(pl.col(n).str.len_bytes() > 0).then(pl.col(n)) for n in names)

    def columns(self, batch: pl.DataFrame, specs: dict[str, tuple[bool, bool]]) -> pl.DataFrame:
        """Pseudonyms of several columns: {name: (compact, nir_format)} -> frame.

        Values already in the memo are looked up by code, the others normalised and
        hashed once; nulls and blanks stay null."""
        if not specs:
            return pl.DataFrame()
        by_kind = {k: [n for n, kk in specs.items() if kk == k] for k in set(specs.values())}
        # The kind with most columns runs here, the others on the pool meanwhile.
        first, *others = sorted(by_kind, key=lambda k: -len(by_kind[k]))
        futures = [self.pool.submit(self._kind, batch, by_kind[k], k) for k in others]
        frames = [self._kind(batch, by_kind[first], first)] + [f.result() for f in futures]
        return pl.concat(frames, how="horizontal").select(list(specs))

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
    s = col.cast(pl.String)
    if compact:  # \s is what strip_chars strips (Unicode White_Space): no strip needed
        s = s.str.replace_all(r"[\s.\-]", "").str.to_uppercase()
    else:
        s = s.str.strip_chars()
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
