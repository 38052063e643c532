"""Hostile-input limits, and the budget that enforces them across one scan of a path."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from vigile.read.errors import ReadError

GiB = 1 << 30
MiB = 1 << 20
KiB = 1 << 10


def _default_worker_memory() -> int:
    """Address space of an isolated reader: 4 GiB, or half the machine's memory if less."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 4 * GiB
    return max(1 * GiB, min(4 * GiB, total // 2))


@dataclass(frozen=True)
class Limits:
    batch_rows: int = 250_000
    # The native UTF-8 CSV path (files up to native_csv.NATIVE_MAX_BYTES) sizes its batches
    # in bytes of text, at least batch_rows rows: polars parses that path ahead anyway, so
    # larger batches cost little memory, and each distinct value is grouped once per batch.
    native_batch_bytes: int = 256 * MiB
    max_total_uncompressed: int = 8 * GiB  # over everything extracted from one top-level path
    max_member_uncompressed: int = 4 * GiB  # one archive member (or workbook part)
    max_ratio: float = 200.0  # decompressed / compressed, measured while streaming
    max_depth: int = 3  # archive nesting
    max_entries: int = 10_000  # archive members over one top-level path
    max_line_bytes: int = 16 * MiB  # one CSV record / SQL value
    # A physical line longer than this is never handed to polars' CSV parser (whose cost
    # grows with the square of a record's field count): it is read in pieces of this
    # size, split at the delimiter, and so is a text line. Also the longest cell value
    # the CSV and text readers hand on.
    max_field_bytes: int = 256 * KiB
    max_json_bytes: int = 512 * MiB  # a JSON document that must be parsed whole
    # Tiny members compress absurdly well (a 1 MiB run of zeros); the ratio of one member
    # is only checked once it has produced this many bytes. The ratio over all the
    # members of an archive so far is checked from the same size on, so many small
    # members cannot add up to a bomb.
    ratio_grace_bytes: int = 1 * MiB
    # Workbooks: a sheet is a rectangle for calamine (32 bytes a cell); a sheet spanning
    # more cells is refused before calamine sees it.
    max_sheet_cells: int = 50_000_000
    # Isolated readers (workbooks through calamine): address space and time limits of
    # the child process that reads them. worker_seconds bounds the time spent waiting
    # for each answer of the child.
    worker_memory: int = field(default_factory=_default_worker_memory)
    worker_seconds: float = 600.0


@dataclass
class Meter:
    """Bytes produced and consumed by the finished members of one archive."""

    produced: int = 0
    consumed: int = 0

    def close_member(self, produced: int, consumed: int) -> None:
        self.produced += produced
        self.consumed += consumed


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

    def add_bytes(
        self, path: str, n: int, produced: int, consumed: int, meter: Meter | None = None
    ) -> None:
        """Account `n` new decompressed bytes; `produced`/`consumed` are the member's totals
        so far, `meter` the archive's finished members (for the ratio over all of them)."""
        self.uncompressed += n
        lim = self.limits
        if self.uncompressed > lim.max_total_uncompressed:
            raise ReadError(
                path,
                f"decompression bomb: total uncompressed size exceeds {lim.max_total_uncompressed}"
                " bytes, stopped",
            )
        if produced > lim.max_member_uncompressed:
            raise ReadError(
                path,
                f"decompression bomb: member larger than {lim.max_member_uncompressed} bytes,"
                " stopped",
            )
        if produced > lim.ratio_grace_bytes and produced > lim.max_ratio * max(consumed, 1):
            raise ReadError(
                path,
                f"decompression bomb: compression ratio exceeds {lim.max_ratio:g}, stopped",
            )
        if meter is not None:
            total, packed = meter.produced + produced, meter.consumed + consumed
            if total > lim.ratio_grace_bytes and total > lim.max_ratio * max(packed, 1):
                raise ReadError(
                    path,
                    f"decompression bomb: compression ratio over the archive's members exceeds"
                    f" {lim.max_ratio:g}, stopped",
                )
