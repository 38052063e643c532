"""The provenance registry: which export holds which (keyed) identities.

Stored in the case store's database (SQLite by default, PostgreSQL by URL) in tables
of its own (`schema`), migrated by its own Alembic chain. Registering an export is one
transaction: a killed registration leaves nothing, a repeated one finds the export
already there (same name and digest) and changes nothing.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine, create_engine, event, func, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from ..case import resolve_db_url
from .errors import ProvenanceError
from .fingerprint import EMAIL, NAME_DOB, NIR, TOKEN, VIEWS, Hasher, KeyColumns, view_series
from .keys import load_registry_key
from .migrate import upgrade_head
from .schema import blocks, exports, keys, meta

LOOKUP_CHUNK = 5_000
# An export with more keys than this is stored by bucket (`schema.blocks`), not key by key.
BLOCK_THRESHOLD = 100_000
# 2^14 buckets: a 491,840-row export's 580,000 keys in 16,384 rows of ~600 bytes (one
# SQLite insert each: 2^16 rows made registering cost 0.3 s more); a 500-row fragment's
# ~2,500 hashes read ~15 % of a large export's blocks. Changing it needs a migration
# (revision p0002 re-packed 16-bit buckets into these).
BUCKET_BITS = 14
KEY_SCHEMA = {"h": pl.Int64, "export_id": pl.Int32, "unit": pl.Int64, "view": pl.Int16}
RECORD = np.dtype([("h", "<i8"), ("unit", "<i8"), ("view", "i1")])
_KEY_CHECK = b"vigile.provenance key check"


@dataclass(frozen=True)
class ExportRecord:
    id: int
    name: str
    recipient: str
    purpose: str
    software: str
    registered_at: datetime
    registered_by: str
    rows: int
    units: int
    canaries: int
    columns: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    source: str | None = None
    sha256: str | None = None


@dataclass
class Fingerprint:
    """An export's identities being collected, batch by batch (`add`), before `register`.

    Per row, the keyed hashes of its views; rows with the same set of hashes (a
    person's several samples) are one identity ("unit"), named by its signature (the
    XOR of its hashes)."""

    hasher: Hasher
    keys: KeyColumns
    rows: int = 0
    # Per batch: (signature of each distinct identity, then its keys as (identity index,
    # view, h)): a person's repeated rows are dropped batch by batch, on their 64-bit
    # signatures, so the final sort by hash sees each identity once.
    _batches: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )
    _frame: pl.DataFrame | None = None
    units: int = 0  # identities held (known once `frame` is built)

    def add(self, batch: pl.DataFrame) -> None:
        self.rows += batch.height
        cols = self.keys.used()
        if not cols or batch.height == 0:
            return
        # Every row is normalised and hashed (AES is cheaper than finding a person's
        # repeated rows among string columns); a person's rows then fall into one unit.
        ident = batch.select(pl.col(cols).cast(pl.String))
        n = ident.height
        hashed: list[tuple[int, np.ndarray, np.ndarray]] = []
        sig = np.zeros(n, dtype=np.int64)
        for view, values in view_series(ident, self.keys, distinct=True):
            present = values.is_not_null().to_numpy()
            if not present.any():
                continue
            h = np.zeros(n, dtype=np.int64)
            h[present] = self.hasher.hash_column(view, values.filter(present))
            sig ^= h  # the identity's signature: the XOR of its hashes
            hashed.append((view, present, h))
        if not hashed:
            return
        first = np.flatnonzero(pl.Series(sig).is_first_distinct().to_numpy())  # per identity
        sigs = sig[first]
        recs, views, hs = [], [], []
        seen: dict[int, list[np.ndarray]] = {}  # per view, the hashes of earlier columns
        for view, present, h in hashed:
            keep = present[first]
            hf = h[first]
            for earlier in seen.get(view, ()):  # a value in two columns of one view: once
                keep &= hf != earlier
            seen.setdefault(view, []).append(np.where(present[first], hf, 0))
            recs.append(np.flatnonzero(keep))
            views.append(np.full(int(keep.sum()), view, np.int16))
            hs.append(hf[keep])
        rec, vw, hh = np.concatenate(recs), np.concatenate(views), np.concatenate(hs)
        order = np.argsort(hh)  # sorted here, on the worker: `frame` merges the runs
        self._batches.append((sigs, rec[order], vw[order], hh[order]))
        self._frame = None

    def merge(self, other: Fingerprint) -> None:
        """Add another table's fingerprint (same registry) to this one."""
        self.rows += other.rows
        self._batches.extend(other._batches)
        self._frame = None

    def frame(self) -> pl.DataFrame:
        """(h, unit, view) once each, sorted by hash; `unit` (> 0) names an identity."""
        if self._frame is not None:
            return self._frame
        if not self._batches:
            self.units = 0
            return pl.DataFrame(schema={"h": pl.Int64, "unit": pl.Int64, "view": pl.Int16})
        sizes = np.array([len(b[0]) for b in self._batches])
        offsets = np.r_[0, np.cumsum(sizes)[:-1]]
        sigs = np.concatenate([b[0] for b in self._batches])
        rec = np.concatenate([b[1] + o for b, o in zip(self._batches, offsets, strict=True)])
        view = np.concatenate([b[2] for b in self._batches])
        h = np.concatenate([b[3] for b in self._batches])
        # An identity seen in several batches is kept from its first; within a batch
        # each (identity, hash) is there once (`add`), so the keys kept are unique.
        first = pl.Series(sigs).is_first_distinct().to_numpy()
        m = first[rec]
        rec, view, h = rec[m], view[m], h[m]
        held = np.zeros(len(sigs), dtype=bool)
        held[rec] = True
        self.units = int(held.sum())
        # Each batch is sorted by hash: a stable sort of the runs merges them (timsort).
        order = np.argsort(h, kind="stable")
        self._frame = pl.DataFrame(
            {"h": h[order], "unit": sigs[rec[order]] + 1, "view": view[order]}
        )
        return self._frame


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Registry:
    """One registry (in one database) with its secret."""

    def __init__(self, engine: Engine, secret: bytes, actor: str | None = None):
        self.engine = engine
        self.hasher = Hasher(secret)
        self.actor = actor or _actor()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- keys -------------------------------------------------------------------------
    def _check_key(self) -> None:
        """The first secret to meet the registry becomes its secret; another one is
        refused (its hashes would match nothing)."""
        mine = self.hasher.digest(0, _KEY_CHECK.decode()).to_bytes(8, "big")
        with self.engine.begin() as conn:
            found = conn.execute(
                select(meta.c.value).where(meta.c.key == "key_check")
            ).scalar_one_or_none()
            if found is None:
                conn.execute(insert(meta).values(key="key_check", value=mine))
            elif bytes(found) != mine:
                raise ProvenanceError(
                    "this registry key is not the one the registry was made with: use the "
                    "key file of the first registration (see --registry-key)"
                )

    def fingerprint(self, keys: KeyColumns) -> Fingerprint:
        return Fingerprint(self.hasher, keys)

    # -- exports ----------------------------------------------------------------------
    def find(self, name: str) -> ExportRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(exports).where(exports.c.name == name)).mappings().first()
        return _record(row) if row else None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(exports)).scalar_one()

    def exports(self, ids: Iterable[int] | None = None) -> dict[int, ExportRecord]:
        q = select(exports)
        if ids is not None:
            q = q.where(exports.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return {r["id"]: _record(r) for r in conn.execute(q).mappings()}

    def register(
        self,
        fp: Fingerprint,
        *,
        name: str,
        recipient: str,
        purpose: str,
        software: str,
        columns: Sequence[str],
        source: str | None = None,
        sha256: str | None = None,
        canary_keys: pl.DataFrame | None = None,
        now: datetime | None = None,
    ) -> tuple[ExportRecord, bool]:
        """Record the export; returns (record, created). `canary_keys` is a (h, unit,
        view) frame with units -1, -2... The same name registered again with the same
        digest is the same export (nothing changes); another digest is refused."""
        if not name or len(name) > 200:
            raise ProvenanceError("an export name must be 1 to 200 characters")
        existing = self.find(name)
        if existing is not None:
            if sha256 and existing.sha256 == sha256:
                return existing, False
            raise ProvenanceError(
                f"an export named {name!r} is already registered: choose another --name"
            )
        frame = fp.frame()
        n_canaries = 0
        if canary_keys is not None and canary_keys.height:
            n_canaries = int(canary_keys["unit"].n_unique())
            frame = pl.concat([frame, canary_keys.select(frame.columns)]).sort("h")
        units = fp.units
        views = sorted({VIEWS[int(v)] for v in frame["view"].unique().to_list()})
        at = now or datetime.now(UTC)
        try:
            created = self._insert(fp, frame, name, recipient, purpose, software, at,
                                   source, sha256, units, columns, views, n_canaries)  # fmt: skip
        except IntegrityError:  # registered meanwhile by another run
            existing = self.find(name)
            if existing is not None and sha256 and existing.sha256 == sha256:
                return existing, False
            raise ProvenanceError(
                f"an export named {name!r} is already registered: choose another --name"
            ) from None
        rec = self.find(name)
        assert rec is not None and created
        return rec, True

    def _insert(self, fp, frame, name, recipient, purpose, software, at, source, sha256,
                units, columns, views, n_canaries) -> bool:  # fmt: skip
        """The export and its keys, in one transaction."""
        with self.engine.begin() as conn:
            eid = conn.execute(
                insert(exports).values(
                    name=name,
                    recipient=recipient,
                    purpose=purpose,
                    software=software,
                    registered_at=at,
                    registered_by=self.actor,
                    source=source,
                    sha256=sha256,
                    rows=fp.rows,
                    units=units,
                    columns=json.dumps(list(columns), ensure_ascii=False),
                    views=json.dumps(views),
                    canaries=n_canaries,
                )
            ).inserted_primary_key[0]
            if frame.height > BLOCK_THRESHOLD:
                _insert_blocks(conn, eid, frame.filter(pl.col("unit") > 0))
                frame = frame.filter(pl.col("unit") < 0)  # canaries stay key by key
            _bulk_insert(conn, frame.with_columns(pl.lit(eid, pl.Int32).alias("export_id")))
        return True

    # -- look-ups ---------------------------------------------------------------------
    def lookup(self, hashes: pl.Series, top: int | None = None) -> pl.DataFrame:
        """Every registered (h, export_id, unit, view) whose hash is among `hashes`.

        `top`: only the `top` exports holding the most of those hashes (counted in the
        database, one indexed query per chunk of hashes), plus every export one of whose
        canaries is among them. What a trace then examines in Python is bounded by
        `top` x the hashes, however many exports the registry holds or share patients."""
        wanted = hashes.unique().sort()
        wl = wanted.to_list()
        buckets = (wanted // (1 << (62 - BUCKET_BITS))).unique().to_list()
        with self.engine.connect() as conn:
            packed = self._blocks(conn, buckets, wanted)
            keep = None
            if top is not None:
                keep = self._top_exports(conn, wl, packed, top)
            out: list[tuple] = []
            for i in range(0, len(wl), LOOKUP_CHUNK):
                q = select(keys.c.h, keys.c.export_id, keys.c.unit, keys.c.view).where(
                    keys.c.h.in_(wl[i : i + LOOKUP_CHUNK])
                )
                if keep is not None:
                    q = q.where(keys.c.export_id.in_(keep))
                out.extend(conn.execute(q).all())
        frame = pl.DataFrame(out, schema=KEY_SCHEMA, orient="row")
        if packed is not None:
            if keep is not None:
                packed = packed.filter(pl.col("export_id").is_in(keep))
            frame = pl.concat([frame, packed])
        return frame

    def _top_exports(self, conn, wl: list[int], packed: pl.DataFrame | None, top: int):
        """Ids of the `top` exports holding the most of the hashes `wl` (key rows in the
        database, packed blocks in `packed`), and of every export whose canary is hit."""
        counts: dict[int, int] = {}
        canary: set[int] = set()
        for i in range(0, len(wl), LOOKUP_CHUNK):
            q = (
                select(keys.c.export_id, func.count(), func.min(keys.c.unit))
                .where(keys.c.h.in_(wl[i : i + LOOKUP_CHUNK]))
                .group_by(keys.c.export_id)
            )
            for eid, n, low in conn.execute(q):
                counts[eid] = counts.get(eid, 0) + n
                if low < 0:
                    canary.add(eid)
        if packed is not None and packed.height:
            per = packed.group_by("export_id").agg(pl.len(), pl.col("unit").min())
            for eid, n, low in per.iter_rows():
                counts[eid] = counts.get(eid, 0) + n
                if low < 0:
                    canary.add(eid)
        best = sorted(counts, key=lambda e: (-counts[e], e))[:top]
        return sorted(set(best) | canary)

    def _blocks(self, conn, buckets: list[int], wanted: pl.Series) -> pl.DataFrame | None:
        """(h, export_id, unit, view) of the packed blocks (large exports) among `wanted`."""
        found_blocks: list[tuple[int, bytes]] = []
        for i in range(0, len(buckets), LOOKUP_CHUNK):
            chunk = buckets[i : i + LOOKUP_CHUNK]
            found_blocks.extend(
                conn.execute(
                    select(blocks.c.export_id, blocks.c.data).where(blocks.c.bucket.in_(chunk))
                ).all()
            )
        if not found_blocks:
            return None
        recs = np.frombuffer(b"".join(bytes(d) for _, d in found_blocks), dtype=RECORD)
        counts = [len(d) // RECORD.itemsize for _, d in found_blocks]
        eids = np.repeat(np.array([e for e, _ in found_blocks], dtype=np.int32), counts)
        return pl.DataFrame(
            {
                "h": recs["h"],
                "export_id": eids,
                "unit": recs["unit"],
                "view": recs["view"].astype(np.int16),
            }  # fmt: skip
        ).filter(pl.col("h").is_in(wanted.implode()))

    def canary_keys(self) -> pl.DataFrame:
        """(h, export_id, unit, view) of every canary of every export (a few per export)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(keys.c.h, keys.c.export_id, keys.c.unit, keys.c.view).where(keys.c.unit < 0)
            ).all()
        return pl.DataFrame(
            rows,
            schema=KEY_SCHEMA,
            orient="row",
        )

    def canary_mask(self, fields: pl.DataFrame) -> pl.Series:
        """True for each person (row of `fields`, in the canonical fields of
        `canaries.FIELDS`, normalised as `vigile.link` normalises) who is a canary of a
        registered export: a canary's NIR, name with birth date or e-mail, or two of its
        views. Linkage, letters and the portal leave those persons out."""
        from .canaries import canonical_values

        n = fields.height
        vals = canonical_values(fields)
        canary = self.canary_keys()
        if n == 0 or vals.height == 0 or canary.height == 0:
            return pl.Series("is_canary", [False] * n, pl.Boolean)
        kf = self.hasher.key_frame(vals).join(canary.select("h", "unit", "export_id"), on="h")
        per = kf.group_by("row", "export_id", "unit").agg(
            pl.col("view").n_unique().alias("n"),
            pl.col("view").is_in([NIR, NAME_DOB, EMAIL, TOKEN]).any().alias("strong"),
        )
        rows = per.filter(pl.col("strong") | (pl.col("n") >= 2))["row"].unique()
        return pl.select(
            pl.int_range(0, n, dtype=pl.UInt32)
            .is_in(rows.cast(pl.UInt32).implode())
            .alias("is_canary")
        ).to_series()


def _bulk_insert(conn, frame: pl.DataFrame) -> None:
    """Many key rows at once, through the driver's fastest path (our own table)."""
    cols = ("h", "export_id", "unit", "view")
    rows = zip(*(frame.get_column(c).to_list() for c in cols), strict=True)
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur:
            with cur.copy(f"COPY provenance_keys ({', '.join(cols)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        return
    cur = dbapi.cursor()
    try:
        cur.executemany(
            f"INSERT INTO provenance_keys ({', '.join(cols)}) VALUES (?, ?, ?, ?)", rows
        )
    finally:
        cur.close()


def _insert_blocks(conn, eid: int, frame: pl.DataFrame) -> None:
    """A large export's keys by bucket: packed records, one row per bucket."""
    rec = np.empty(frame.height, dtype=RECORD)
    rec["h"] = frame["h"].to_numpy()
    rec["unit"] = frame["unit"].to_numpy()
    rec["view"] = frame["view"].to_numpy().astype(np.int8)
    bucket = rec["h"] >> (62 - BUCKET_BITS)  # sorted by h, so by bucket
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(rec)]
    raw = rec.tobytes()
    size = RECORD.itemsize
    rows = [
        (int(bucket[a]), eid, raw[a * size : b * size])
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    dbapi = conn.connection.driver_connection
    sql = "INSERT INTO provenance_blocks (bucket, export_id, data) VALUES "
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur:
            with cur.copy("COPY provenance_blocks (bucket, export_id, data) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        return
    cur = dbapi.cursor()
    try:
        cur.executemany(sql + "(?, ?, ?)", rows)
    finally:
        cur.close()


def _record(r) -> ExportRecord:
    at = r["registered_at"]
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return ExportRecord(
        id=r["id"],
        name=r["name"],
        recipient=r["recipient"],
        purpose=r["purpose"],
        software=r["software"],
        registered_at=at,
        registered_by=r["registered_by"],
        rows=r["rows"],
        units=r["units"],
        canaries=r["canaries"],
        columns=tuple(json.loads(r["columns"])),
        views=tuple(json.loads(r["views"])),
        source=r["source"],
        sha256=r["sha256"],
    )


def registry_exists(url: str | None = None) -> bool:
    """Whether the store's database holds a provenance registry (read-only look: creates
    neither a file nor a table). Linkage asks it before looking for canaries."""
    try:
        full = resolve_db_url(url)
        u = make_url(full)
    except (ArgumentError, ValueError):
        return False
    if u.get_backend_name() == "sqlite" and (not u.database or not Path(u.database).exists()):
        return False
    engine = create_engine(full)
    try:
        return inspect(engine).has_table(exports.name)
    except OperationalError:
        return False
    finally:
        engine.dispose()


def open_registry(
    url: str | None = None,
    key_file: str | os.PathLike | None = None,
    *,
    create: bool = False,
    secret: bytes | None = None,
) -> Registry:
    """Open (creating its tables when missing) the registry in the store's database.

    `create`: a missing SQLite file and a missing key file are created (registering);
    tracing opens an existing registry only."""
    full = resolve_db_url(url)
    try:
        u = make_url(full)
    except ArgumentError:
        raise ProvenanceError("invalid database URL") from None
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        path = Path(u.database)
        if not path.exists():
            if not create:
                raise ProvenanceError(
                    f"no registry at {path}: register an export first "
                    "(`vigile provenance register`), or name the database with --db"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    key = secret if secret is not None else load_registry_key(full, key_file, create=create)
    engine = create_engine(full)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        upgrade_head(engine)
    except OperationalError as e:
        engine.dispose()
        raise ProvenanceError(
            f"cannot open the registry in {_safe_url(full)} ({type(e.orig).__name__})"
        ) from None
    reg = Registry(engine, key)
    try:
        reg._check_key()
    except ProvenanceError:
        reg.close()
        raise
    return reg
