"""Registration of a `vigile export run` while it runs: each output batch (what the
recipient gets: pseudonyms, generalised values) is fingerprinted on a worker thread,
overlapping the export's own stages, and the export is registered once its manifest
is signed. `vigile.protect` only calls the methods below (it imports nothing from here).
"""

from __future__ import annotations

import hashlib
import json
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
    def __init__(self, registry: Registry, *, name: str, recipient: str, purpose: str):
        self.registry = registry
        self.name = name
        self.recipient = recipient
        self.purpose = purpose
        self._fp: Fingerprint | None = None
        self._columns: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigile-provenance")
        self._pending: Future | None = None

    def check(self, resuming: bool = False) -> None:
        """Before the export starts: the name must be free — unless `resuming` (the
        export folder was left by a killed run), where a registration of the same
        content (see `content_digest`) is this export's own and is kept."""
        if self.registry.find(self.name) is not None and not resuming:
            raise ProvenanceError(
                f"an export named {self.name!r} is already registered: write the export to a folder of another name"
            )

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
        if self._fp is not None and not self._fp.keys.empty:
            self._pending = self._pool.submit(self._fp.add, out)
        elif self._fp is not None:
            self._fp.rows += out.height

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def finish(self, manifest: dict) -> ExportRecord:
        self._wait()
        self._pool.shutdown()
        if self._fp is None:
            raise ProvenanceError("no table exported: nothing to register")
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
        )
        return record

    def abort(self) -> None:
        self._pending = None
        self._pool.shutdown(wait=True, cancel_futures=True)
