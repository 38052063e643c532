"""The sweep's memory: a small local SQLite database of what was seen last time.

A file whose size and mtime are unchanged is not read again; a changed file whose
sha256 was already inspected (a copy, a touched file) reuses that result.

Paths are stored as the OS gives them (bytes): a name that is not valid UTF-8 is a
valid path, and SQLite text cannot hold it. The index is a local cache beside the
operator's account, never a report: it is the one place where raw paths are kept.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

# 2: paths as bytes; results carry `not_read` (results of version 1 called an unreadable
# file clean, so they are dropped, not reused).
VERSION = 2

_SCHEMA = """
create table if not exists files (
    path blob primary key, size integer not null, mtime_ns integer not null,
    sha256 text not null, swept_at text not null);
create table if not exists results (sha256 text primary key, result text not null);
"""


class SweepIndex:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Two sweeps sharing an index wait for each other's commits rather than fail.
        self.db = sqlite3.connect(path, timeout=60)
        with self.db:
            if self.db.execute("pragma user_version").fetchone()[0] < VERSION:
                self.db.executescript("drop table if exists files; drop table if exists results;")
                self.db.execute(f"pragma user_version = {VERSION}")
            self.db.executescript(_SCHEMA)
        self._files: dict[bytes, tuple[int, int, str]] | None = None

    def _load(self) -> dict[bytes, tuple[int, int, str]]:
        if self._files is None:  # one query beats 10,000 lookups
            rows = self.db.execute("select path, size, mtime_ns, sha256 from files")
            self._files = {bytes(p): (s, m, h) for p, s, m, h in rows}
        return self._files

    def unchanged(self, path: str | bytes, size: int, mtime_ns: int) -> str | None:
        """The sha256 recorded for `path` if its size and mtime are the same, else None."""
        hit = self._load().get(os.fsencode(path))
        return hit[2] if hit and hit[0] == size and hit[1] == mtime_ns else None

    def result(self, sha256: str) -> dict | None:
        row = self.db.execute("select result from results where sha256 = ?", (sha256,)).fetchone()
        return json.loads(row[0]) if row else None

    def results(self, hashes: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            q = f"select sha256, result from results where sha256 in ({','.join('?' * len(chunk))})"
            out.update({h: json.loads(r) for h, r in self.db.execute(q, chunk)})
        return out

    def record(
        self, rows: list[tuple[str | bytes, int, int, str, str]], results: dict[str, dict]
    ) -> None:
        """Remember files (path, size, mtime_ns, sha256, swept_at) and inspected contents."""
        with self.db:
            self.db.executemany(
                "insert or replace into files values (?, ?, ?, ?, ?)",
                [(os.fsencode(p), *rest) for p, *rest in rows],
            )
            self.db.executemany(
                "insert or replace into results values (?, ?)",
                [(h, json.dumps(r, sort_keys=True)) for h, r in results.items()],
            )

    def close(self) -> None:
        self.db.close()
