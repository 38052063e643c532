"""Keyed pseudonyms: HMAC-SHA-256 under a secret held outside the export.

The same value gives the same pseudonym in every table and every export made
with the same secret, so joins still work; without the secret nobody can
recompute or reverse them (unlike a plain hash of a NIR, which is brute-forced
in minutes). Each batch hashes its distinct values once, inside DuckDB's
vectorised engine: polars has no keyed cryptographic hash.
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


class Pseudonymiser:
    def __init__(self, secret: bytes):
        if len(secret) < SECRET_BYTES:
            raise ProtectError(f"pseudonymisation secret shorter than {SECRET_BYTES} bytes")
        block = secret.ljust(64, b"\0") if len(secret) <= 64 else hashlib.sha256(secret).digest()
        block = block.ljust(64, b"\0")
        # HMAC by its definition (RFC 2104), so the SQL engine can compute it.
        self._ipad = bytes(b ^ 0x36 for b in block)
        self._opad = bytes(b ^ 0x5C for b in block)
        self._db = duckdb.connect()
        self.key_id = hmac.new(secret, b"vigile key id", "sha256").hexdigest()[:16]

    def _hmac(self, values: pl.Series) -> pl.Series:
        """Hex HMAC-SHA-256 of each (non-null, distinct) value, in order."""
        distinct_values = values.rename("v").to_frame().to_arrow()  # noqa: F841 (read by SQL)
        rel = self._db.sql(_HMAC_SQL, params={"i": self._ipad, "o": self._opad})
        return pl.from_arrow(rel.to_arrow_table()).get_column("h")

    def columns(self, batch: pl.DataFrame, specs: dict[str, tuple[bool, bool]]) -> pl.DataFrame:
        """Pseudonyms of several columns: {name: (compact, nir_format)} -> frame.

        Each column is normalised, its distinct values hashed once, and the digests
        joined back (one hash join per column); nulls and blanks stay null."""
        out = []
        for name, (compact, nir_format) in specs.items():
            norm = _normalise(batch.get_column(name), compact).rename("norm")
            distinct = norm.drop_nulls().unique()
            if distinct.len() == 0:
                out.append(pl.Series(name, [None] * batch.height, pl.String))
                continue
            digests = pl.DataFrame({"norm": distinct, "h": self._hmac(distinct)})
            h = (
                norm.to_frame()
                .join(digests, on="norm", how="left", maintain_order="left")
                .get_column("h")
            )
            out.append(
                (nir_from_digest(h) if nir_format else h.str.slice(0, HEX_CHARS)).alias(name)
            )
        return pl.DataFrame(out)

    def hex(self, values: pl.Series, compact: bool = False) -> pl.Series:
        """32 hex characters; `compact` drops spaces, dots and dashes first (NIR, phones)."""
        return self.columns(values.rename("v").to_frame(), {"v": (compact, False)})["v"].rename(
            values.name
        )

    def nir(self, values: pl.Series) -> pl.Series:
        return self.columns(values.rename("v").to_frame(), {"v": (True, True)})["v"].rename(
            values.name
        )


def _normalise(values: pl.Series, compact: bool = False) -> pl.Series:
    """Spacing and case never split one person into two pseudonyms."""
    s = values.cast(pl.String).str.strip_chars()
    if compact:
        s = s.str.replace_all(r"[\s.\-]", "").str.to_uppercase()
    return pl.select(pl.when(s.str.len_bytes() > 0).then(s)).to_series().rename(values.name)


def nir_from_digest(digests: pl.Series) -> pl.Series:
    """A NIR-shaped pseudonym with a valid key, from a hex digest (vectorised arithmetic).

    Sex 1/2, any year, a fictitious month 20-42 (the range INSEE gives people whose
    birth month is unknown, so pseudonyms rarely look like a real person's number),
    a département 01-95 other than 20, commune 001-990, order 001-999, then the key.
    """
    h = digests.str.slice(0, 13).str.to_integer(base=16, dtype=pl.UInt64)
    f = pl.DataFrame({"h": h})
    dep0 = (pl.col("h") // 4_600) % 94
    body = pl.concat_str(
        (1 + pl.col("h") % 2).cast(pl.String),
        ((pl.col("h") // 2) % 100).cast(pl.String).str.zfill(2),
        (20 + (pl.col("h") // 200) % 23).cast(pl.String),
        pl.when(dep0 >= 19).then(dep0 + 2).otherwise(dep0 + 1).cast(pl.String).str.zfill(2),
        (1 + (pl.col("h") // 432_400) % 990).cast(pl.String).str.zfill(3),
        (1 + (pl.col("h") // 428_076_000) % 999).cast(pl.String).str.zfill(3),
    )
    key = (97 - body.cast(pl.UInt64) % 97).cast(pl.String).str.zfill(2)
    return f.select(pl.concat_str(body, key).alias(digests.name)).to_series()
