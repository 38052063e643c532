"""Shared helpers for the benchmarks: cached synthetic inputs and timing."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

DATA = Path(os.environ.get("VIGILE_BENCH_DATA", Path(__file__).resolve().parent / "data"))


def synth_export(name: str, **spec) -> Path:
    """Generate (once) a synthetic export under benchmarks/data/ and return its path."""
    from vigile.synth import ExportSpec, generate_lab_export

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    if not path.exists() or not Path(f"{path}.truth.json").exists():
        t = time.perf_counter()
        generate_lab_export(ExportSpec(**spec), path)
        print(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
    return path


@contextmanager
def timed(label: str, results: dict):
    t = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t
