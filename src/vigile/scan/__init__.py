"""The scan pipeline: read -> detect -> findings, for every table of every input."""

from .pipeline import ScanResult, iter_files, scan_path
from .render import render_scan

__all__ = ["ScanResult", "iter_files", "render_scan", "scan_path"]
