"""The scan pipeline: read -> detect -> findings, for every table of every input.

`vigile.scan.sweep` is the same engine over file shares: `sweep(roots, index=...)` walks
them incrementally, and `inspect_file(path, sample_rows) -> dict` is its per-file unit of
work (plain inputs and outputs: the local process pool and a Spark runner both call it).
"""

from .pipeline import ScanResult, iter_files, scan_path
from .render import render_scan

__all__ = ["ScanResult", "iter_files", "render_scan", "scan_path"]
