"""Fixtures of the notify tests: small case stores with fake affected persons."""

from __future__ import annotations

import pytest
from notify_case import make_case, new_key


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def case(tmp_path, key):
    """(url, key, incident_id) of a SQLite case with 25 affected persons."""
    url = f"sqlite:///{tmp_path / 'case.db'}"
    return url, key, make_case(url, key, 25)


@pytest.fixture
def pdftoppm():
    import shutil

    path = shutil.which("pdftoppm")
    if path is None:
        pytest.fail("pdftoppm missing: apt-get install -y poppler-utils")
    return path
