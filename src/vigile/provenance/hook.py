"""Registration of a `vigile export run` while it runs: each output batch (what the
recipient gets: pseudonyms, generalised values) is fingerprinted on a worker thread,
overlapping the export's own stages, and the export is registered once its manifest
is signed. `vigile.protect` only calls the methods below (it imports nothing from here).

With canaries, the first table with identifying columns gets them in its first batch,
at seeded places, in its own columns and styles, before the export's transformation
(so they are pseudonymised like every row). They are registered as canaries twice
over: their plain identities (what `vigile link` and a plain copy show) and their rows
as exported (pseudonyms), under the same canary.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from .. import __version__
from .errors import ProvenanceError
from .fingerprint import key_columns_from_categories
from .registry import ExportRecord, Fingerprint, Registry


def content_digest(manifest: dict) -> str:
    """What the export holds, not how it was wrapped: the source, profile, pseudonym key,
    recipients and each part's plaintext digest, rows and columns — not the dates nor the
    encrypted files' digests (age draws a new file key each run). A rerun of a killed
    export makes the same content, so finds its own registration (same name, same
    digest) instead of "name taken"; another export under that name differs."""
    keep = ("source", "recipients", "profile_sha256", "pseudonym_key_id", "tables_not_exported")
    doc = {k: manifest.get(k) for k in keep}
    doc["parts"] = [{k: v for k, v in p.items() if k != "sha256"} for p in manifest["parts"]]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ExportHook:
    def __init__(
        self,
        registry: Registry,
        *,
        name: str,
        recipient: str,
        purpose: str,
        canaries: int = 0,
        patients: str | os.PathLike | None = None,
        email_domain: str | None = None,
    ):
        self.registry = registry
        self.name = name
        self.recipient = recipient
        self.purpose = purpose
        self.canaries = canaries
        self.patients = patients
        self.email_domain = email_domain
        self._chosen: pl.DataFrame | None = None  # the canaries (canonical fields)
        self._canary_keys: list[pl.DataFrame] = []  # (h, unit, view)
        self._seed = 0
        self._planted: list[int] | None = None  # positions in the planted batch
        self._split_next = False  # the next output batch holds the canaries
        self._fp: Fingerprint | None = None
        self._columns: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigile-provenance")
        self._pending: Future | None = None

    def check(self, resuming: bool = False) -> None:
        """Before the export starts: the name must be free — unless `resuming` (the
        export folder was left by a killed run), where a registration of the same
        content (see `content_digest`) is this export's own and is kept."""
        mine = self.registry.find(self.name)
        if mine is not None and not resuming:
            raise ProvenanceError(
                f"an export named {self.name!r} is already registered: write the export to a folder of another name"
            )
        if self.canaries:  # drawn before any work: a bad --patients fails at once
            from .register import draw_canaries

            self._chosen, keys, self._seed = draw_canaries(
                self.registry, self.name, self.canaries, patients=self.patients,
                email_domain=self.email_domain, mine=mine.id if mine else None,
            )  # fmt: skip
            self._canary_keys = [keys]

    def plant(self, first: pl.DataFrame) -> pl.DataFrame:
        """A table's first source batch, with the canaries planted if this is the first
        table with identifying columns (unchanged otherwise). Call after `table`."""
        if self._chosen is None or self._planted is not None or first.height == 0:
            return first
        from .reading import classify_frame
        from .register import canary_rows, planted

        t = classify_frame(first)
        if t.keys.empty:
            return first
        rows = canary_rows(t, self._chosen, self._seed)
        rows = rows.select(  # the source's own types (a database's dates, numbers)
            pl.col(c).cast(first.schema[c], strict=False) for c in first.columns
        )
        out, self._planted = planted(first, rows, self._seed)
        self._split_next = True
        return out

    def table(self, rules) -> None:
        """A table starts; `rules` are its output columns (vigile.protect ColumnRule)."""
        cats = {r.name: r.category for r in rules if r.action in ("keep", "pseudonymise")}
        pseudo_all = {r.name for r in rules if r.action == "pseudonymise"}
        pseudo = {r.name for r in rules if r.action == "pseudonymise" and r.format != "nir"}
        keys = key_columns_from_categories(cats, pseudo, pseudo_all)
        self._columns += [r.name for r in rules if r.name not in self._columns]
        if self._fp is None:
            self._fp = self.registry.fingerprint(keys)
        else:
            self._wait()
            self._fp.keys = keys

    def batch(self, out: pl.DataFrame) -> None:
        """An output batch: fingerprinted on the worker while the next one is made (at
        most one waits, so memory holds one batch more)."""
        self._wait()
        if self._split_next and self._fp is not None:  # the canaries, as they leave
            self._split_next = False
            at = pl.Series(self._planted, dtype=pl.UInt32)
            self._canary_keys.append(self._canary_output_keys(out[at]))
            out = out.filter(~pl.int_range(0, out.height, dtype=pl.UInt32).is_in(at.implode()))
        if self._fp is not None and not self._fp.keys.empty:
            self._pending = self._pool.submit(self._fp.add, out)
        elif self._fp is not None:
            self._fp.rows += out.height

    def _canary_output_keys(self, rows: pl.DataFrame) -> pl.DataFrame:
        """(h, unit, view) of the canaries' exported rows: canary i (in planting order)
        is unit -(i + 1), as its plain identity is."""
        assert self._fp is not None
        from .fingerprint import view_values

        if self._fp.keys.empty:
            return pl.DataFrame(schema={"h": pl.Int64, "unit": pl.Int64, "view": pl.Int16})
        kf = self.registry.hasher.key_frame(view_values(rows, self._fp.keys))
        return kf.select(
            "h",
            (-(pl.col("row").cast(pl.Int64) + 1)).alias("unit"),
            pl.col("view").cast(pl.Int16),
        )

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def finish(self, manifest: dict) -> ExportRecord:
        self._wait()
        self._pool.shutdown()
        if self._fp is None:
            raise ProvenanceError("no table exported: nothing to register")
        if self._chosen is not None and self._planted is None:
            raise ProvenanceError(
                "no exported table has identifying columns to plant canaries in: "
                "export without --canaries"
            )
        canary_keys = None
        if self._canary_keys:
            canary_keys = pl.concat(self._canary_keys).unique(["h", "unit"], keep="first")
        digest = content_digest(manifest)
        existing = self.registry.find(self.name)
        if existing is not None and existing.sha256 != digest:
            raise ProvenanceError(
                f"an export named {self.name!r} is already registered with other content: "
                "write the export to a folder of another name"
            )
        record, _ = self.registry.register(
            self._fp,
            name=self.name,
            recipient=self.recipient,
            purpose=self.purpose,
            software=f"vigile {__version__} export",
            columns=self._columns,
            source=manifest.get("source"),
            sha256=digest,
            canary_keys=canary_keys,
        )
        return record

    def abort(self) -> None:
        self._pending = None
        self._pool.shutdown(wait=True, cancel_futures=True)
