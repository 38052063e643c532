"""Hostile-input limits, and the budget that enforces them across one scan of a path."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigile.read.errors import ReadError

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    batch_rows: int = 250_000
    # The native UTF-8 CSV path (files up to native_csv.NATIVE_MAX_BYTES) sizes its batches
    # in bytes of text, at least batch_rows rows: polars parses that path ahead anyway, so
    # larger batches cost little memory, and each distinct value is grouped once per batch.
    native_batch_bytes: int = 256 * MiB
    max_total_uncompressed: int = 8 * GiB  # over everything extracted from one top-level path
    max_ratio: float = 200.0  # decompressed / compressed, measured while streaming
    max_depth: int = 3  # archive nesting
    max_entries: int = 10_000  # archive members over one top-level path
    max_line_bytes: int = 16 * MiB  # one line / CSV record / SQL value
    max_json_bytes: int = 512 * MiB  # a JSON document that must be parsed whole
    # Tiny members compress absurdly well (a 1 MiB run of zeros); the ratio is only
    # checked once a member has produced this many bytes.
    ratio_grace_bytes: int = 1 * MiB


@dataclass
class Budget:
    """Mutable counters shared by every archive opened under one top-level path."""

    limits: Limits
    uncompressed: int = 0
    entries: int = 0
    _names: list[str] = field(default_factory=list)

    def add_entry(self, path: str) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ReadError(path, f"too many archive entries (limit {self.limits.max_entries})")

    def add_bytes(self, path: str, n: int, produced: int, consumed: int) -> None:
        """Account `n` new decompressed bytes; `produced`/`consumed` are the member's totals."""
        self.uncompressed += n
        lim = self.limits
        if self.uncompressed > lim.max_total_uncompressed:
            raise ReadError(
                path,
                f"decompression bomb: total uncompressed size exceeds {lim.max_total_uncompressed}"
                " bytes, stopped",
            )
        if produced > lim.ratio_grace_bytes and produced > lim.max_ratio * max(consumed, 1):
            raise ReadError(
                path,
                f"decompression bomb: compression ratio exceeds {lim.max_ratio:g}, stopped",
            )
