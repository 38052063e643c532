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
import numpy as np
import polars as pl
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

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
    # Columns already in canonical form (vigile's own pseudonyms): taken as they are.
    trusted: frozenset[str] = frozenset()

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


def key_columns_from_categories(
    categories: Mapping[str, str | None], pseudonymised=(), pseudonymised_all=()
):
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
        trusted=frozenset(pseudonymised_all),
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


def _plain(df: pl.DataFrame, cols: list[str], expr: pl.Expr) -> pl.Series:
    return df.select(expr.alias("__out")).get_column("__out")


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


def view_series(
    batch: pl.DataFrame, keys: KeyColumns, distinct: bool = False
) -> list[tuple[int, pl.Series]]:
    """(view, normalised values of every row, null where none) for each source of a view.
    `distinct`: the rows are already distinct identities (each cell normalised as is)."""
    ev = _plain if distinct else _on_distinct
    if any(dt != pl.String for dt in batch.select(keys.used()).dtypes):
        batch = batch.with_columns(pl.col(keys.used()).cast(pl.String))

    def norm(view: int, c: str, fn) -> tuple[int, pl.Series]:
        if c in keys.trusted:  # vigile's own pseudonyms: canonical already
            s = batch.get_column(c)
            return view, pl.select(pl.when(s.str.len_bytes() > 0).then(s)).to_series()
        return view, ev(batch, [c], fn(pl.col(c)))

    parts: list[tuple[int, pl.Series]] = [norm(NIR, c, normalise_nir) for c in keys.nir]
    for b, k in keys.nir_split:
        parts.append((NIR, ev(batch, [b, k], nir_from_parts(pl.col(b), pl.col(k)))))
    if keys.last_names and keys.first_name and keys.birth_date:
        first = ev(batch, [keys.first_name], normalise_name(pl.col(keys.first_name)))
        dob = ev(batch, [keys.birth_date], normalise_date(pl.col(keys.birth_date)))
        for c in keys.last_names:
            last = ev(batch, [c], normalise_name(pl.col(c)))
            parts.append(
                (NAME_DOB, pl.select(pl.concat_str([last, first, dob], separator="|")).to_series())
            )
    parts += [norm(PHONE, c, normalise_phone) for c in keys.phones]
    parts += [norm(EMAIL, c, normalise_email) for c in keys.emails]
    parts += [norm(TOKEN, c, normalise_token) for c in keys.tokens]
    return parts


def view_values(batch: pl.DataFrame, keys: KeyColumns) -> pl.DataFrame:
    """Long frame (row: u32, view: u8, value: str) of every non-null normalised view
    value of every row of `batch` (rows numbered from 0 in the batch)."""
    n = batch.height
    parts = view_series(batch, keys) if n else []
    if not parts:
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
    """Keyed hash of (view, value) under the registry secret, 62 bits.

    Each value is encoded as one 16-byte block and enciphered with AES-256 under a key
    derived from the registry secret for its view (HMAC-SHA-256 as the derivation): a
    ASCII value of up to 15 bytes padded (0x01 then zeros), a pseudonym (32 hex characters) as
    its 16 bytes, a longer value (names with birth date, most e-mails) as the first 16
    bytes of its SHA-256, each kind under its own key so no two encodings meet. AES is a
    keyed permutation: without the secret, no value can be tested against a hash. Done
    on whole columns (numpy over the Arrow buffers, one AES-ECB call per view and
    kind; DuckDB's sha256 for long values), since per-value Python was the registration's
    bottleneck; `digest` is the same function one value at a time, for tests.
    """

    def __init__(self, secret: bytes):
        if len(secret) < 32:
            raise ValueError("registry secret must be at least 32 bytes")
        self._secret = bytes(secret)
        self._keys: dict[tuple[int, str], bytes] = {}
        self._db: duckdb.DuckDBPyConnection | None = None  # opened for the first long value
        self._lock = threading.Lock()

    def _key(self, view: int, kind: str) -> bytes:
        k = self._keys.get((view, kind))
        if k is None:
            info = f"vigile.provenance/aes/{view}/{kind}".encode()
            k = self._keys[(view, kind)] = hmac.digest(self._secret, info, "sha256")
        return k

    def _encipher(self, view: int, kind: str, blocks: bytes) -> np.ndarray:
        enc = Cipher(algorithms.AES(self._key(view, kind)), modes.ECB()).encryptor()
        out = enc.update(blocks) + enc.finalize()
        return (np.frombuffer(out, dtype=">u8")[::2] >> np.uint64(64 - HASH_BITS)).astype(np.int64)

    @staticmethod
    def _block(view: int, value: str) -> tuple[str, bytes]:
        if view == TOKEN:
            return "token", bytes.fromhex(value)
        b = value.encode()
        if len(b) <= 15 and b.isascii():
            return "short", b + b"\x01" + b"\0" * (15 - len(b))
        return "long", hashlib.sha256(b).digest()[:16]

    def digest(self, view: int, value: str) -> int:
        kind, block = self._block(view, value)
        return int(self._encipher(view, kind, block)[0])

    def _sha_blocks(self, values: pl.Series) -> bytes:
        """First 16 bytes of the SHA-256 of each value, concatenated (in DuckDB)."""
        msgs = values.rename("m").to_frame().to_arrow()  # noqa: F841 (read by the SQL)
        with self._lock:  # one DuckDB connection, one thread at a time
            if self._db is None:
                self._db = duckdb.connect()
            t = self._db.cursor().sql("select unhex(left(sha256(m), 32)) as d from msgs")
            col = t.to_arrow_table().column("d").combine_chunks()
        return _fixed_width(col, 16)

    def hash_column(self, view: int, values: pl.Series) -> np.ndarray:
        """Int64 keyed hashes of non-null `values` of one view, in order."""
        n = values.len()
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if view == TOKEN:
            return self._encipher(
                view, "token", _fixed_width(values.str.decode("hex").to_arrow(), 16)
            )
        nbytes = values.str.len_bytes()
        short = ((nbytes <= 15) & (values.str.len_chars() == nbytes)).to_numpy()
        if short.all():
            return self._encipher(view, "short", _padded(values))
        out = np.zeros(n, dtype=np.int64)
        if short.any():
            out[short] = self._encipher(view, "short", _padded(values.filter(short)))
        out[~short] = self._encipher(view, "long", self._sha_blocks(values.filter(~short)))
        return out

    def hashes(self, views: pl.Series, values: pl.Series) -> pl.Series:
        """Int64 keyed hash of each (view, value) pair (values not null), in order."""
        n = values.len()
        out = np.zeros(n, dtype=np.int64)
        if n == 0:
            return pl.Series("h", out)
        frame = pl.DataFrame({"view": views.cast(pl.UInt8), "value": values})
        frame = frame.with_row_index("i").with_columns(pl.col("value").str.len_bytes().alias("len"))
        for (view,), part in frame.group_by("view"):
            v = int(view)
            if v == TOKEN:
                raw = part.get_column("value").str.decode("hex")
                groups = [("token", part["i"], _fixed_width(raw.to_arrow(), 16))]
            else:
                ascii_short = (pl.col("len") <= 15) & (
                    pl.col("value").str.len_chars() == pl.col("len")
                )
                short = part.filter(ascii_short)
                long = part.filter(~ascii_short)
                groups = [
                    ("short", short["i"], _padded(short.get_column("value"))),
                    ("long", long["i"], self._sha_blocks(long.get_column("value"))),
                ]
            for kind, idx, blocks in groups:
                if len(idx):
                    out[idx.to_numpy()] = self._encipher(v, kind, blocks)
        return pl.Series("h", out)

    def key_frame(self, values: pl.DataFrame) -> pl.DataFrame:
        """(row, view, value) -> (row, view, h): each distinct (view, value) hashed once."""
        distinct = values.select("view", "value").unique()
        distinct = distinct.with_columns(self.hashes(distinct["view"], distinct["value"]))
        return values.join(distinct, on=["view", "value"], how="left").select("row", "view", "h")


def _fixed_width(arr, width: int) -> bytes:
    """The values of an Arrow binary array whose values are all `width` bytes, as one
    buffer (checked: a value of another size would shift every later block)."""
    import pyarrow as pa

    arr = arr.cast(pa.large_binary())
    if arr.null_count:
        raise ValueError("null in a fixed-width block column")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    if len(arr) and not (np.diff(offsets) == width).all():
        raise ValueError("a block is not 16 bytes")
    data = arr.buffers()[2]
    return bytes(memoryview(data)[offsets[0] : offsets[-1]]) if len(arr) else b""


def _padded(values: pl.Series) -> bytes:
    """ASCII values of at most 15 bytes, each padded to 16 (0x01 then zeros), in one
    buffer. Every short value is ASCII (NIR, E.164 phone, e-mail, folded names)."""
    blocks = pl.select(
        pl.concat_str([pl.lit(values), pl.lit("\x01")]).str.pad_end(16, "\x00").cast(pl.Binary)
    ).to_series()
    return _fixed_width(blocks.to_arrow(), 16)
