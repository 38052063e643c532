"""Fixtures of the case-store tests (PostgreSQL comes from tests/conftest.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'case.db'}"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    """Tests choose their store and key explicitly; a developer's environment must not leak in."""
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
