"""Make `vigile` importable from the src layout when the package is not installed."""

import sys
from pathlib import Path

try:
    import vigile  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import polars as pl  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def small_export(tmp_path_factory):
    """A small full export with NIR as both one column and 13 digits + key."""
    from vigile.synth import ExportSpec, generate_lab_export

    path = tmp_path_factory.mktemp("synth") / "export.csv"
    truth = generate_lab_export(ExportSpec(rows=4000, seed=11, nir="both"), path)
    frame = pl.read_csv(path, separator=";", infer_schema=False)
    return path, truth, frame
