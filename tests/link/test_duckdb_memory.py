"""The DuckDB link under a memory limit: same matches, spill folder private and removed."""

from __future__ import annotations

import os
import stat

import pytest

from vigile.link import LinkOptions, SplinkOptions, link
from vigile.link.probabilistic import (
    MEMORY_LIMIT_ENV,
    check_memory_limit,
    default_memory_limit,
    duckdb_connection,
)


def _pairs(result) -> set[tuple[str, str]]:
    return set(result.matches.select("leak_key", "patient_id").iter_rows())


def test_tiny_memory_limit_gives_the_same_matches(pair, pair_link, tmp_path):
    """64 MB (40 MB is too little for DuckDB's hash joins of Splink's blocking)."""
    spill = tmp_path / "spill"
    spill.mkdir()
    free = pair_link
    tight = link(
        pair.leak,
        pair.patients,
        options=LinkOptions(splink=SplinkOptions(memory_limit="64MB", spill_dir=str(spill))),
    )
    assert len(_pairs(free)) > 250
    assert _pairs(tight) == _pairs(free)
    assert set(tight.review.iter_rows()) == set(free.review.iter_rows())
    assert list(spill.iterdir()) == []  # the spill folder is gone


def test_connection_settings_and_private_spill_folder(tmp_path):
    with duckdb_connection("100MB", str(tmp_path)) as con:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
        folder = con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0]
        (spill,) = tmp_path.iterdir()
        assert os.path.samefile(folder, spill)
        assert stat.S_IMODE(spill.stat().st_mode) == 0o700
        # a sort larger than the limit spills there and still finishes
        n = con.sql(
            "SELECT count(*) FROM (SELECT md5(i::VARCHAR) h FROM range(3000000) t(i) ORDER BY h)"
        ).fetchall()[0][0]
    assert n == 3_000_000
    assert limit.replace(" ", "") in ("95.3MiB", "100.0MB", "100MB")
    assert list(tmp_path.iterdir()) == []


def test_memory_limit_from_environment_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "300MiB")
    with duckdb_connection(spill_dir=str(tmp_path)) as con:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit.replace(" ", "") == "300.0MiB"
    mib = int(default_memory_limit().removesuffix("MiB"))
    assert mib >= 1024


@pytest.mark.parametrize("bad", ["lots", "8", "-1GB", "8 GB; DROP", ""])
def test_memory_limit_must_be_a_size(bad):
    with pytest.raises(ValueError, match="8GB or 512MiB"):
        check_memory_limit(bad)
