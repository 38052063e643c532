"""A unit of work that kills its process on files named `crash.csv` and hangs on
`hang.csv` (importable by the sweep's spawned workers, unlike a function defined in a
test)."""

from __future__ import annotations

import os
import time

from vigile.scan.sweep import inspect_file


def crashing_inspect(path: str | bytes, sample_rows: int) -> dict:
    if os.path.basename(os.fsdecode(path)) == "crash.csv":
        os.abort()  # as calamine did on a huge dimension: no exception, the process ends
    if os.path.basename(os.fsdecode(path)) == "hang.csv":
        time.sleep(3600)
    return inspect_file(path, sample_rows)


def crash_share(share, leaks: int, *, hang: bool = False) -> None:
    """A folder of `leaks` small exports (names, phones) and crash.csv (+ hang.csv)."""
    share.mkdir()
    for i in range(leaks):
        (share / f"leak_{i}.csv").write_text(
            "NOM;PRENOM;TEL\n" + "".join(f"MARTIN;Jeanne;06{i}{j:07d}\n" for j in range(40))
        )
    (share / "crash.csv").write_text("a\n1\n")
    if hang:
        (share / "hang.csv").write_text("a\n2\n")
