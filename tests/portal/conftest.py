"""Fixtures of the portal tests; helpers live in portal_support.py (conftest names clash
across test folders, so test modules import helpers from there)."""

from __future__ import annotations

import pytest
from portal_support import Case, build_case


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> Case:
    return build_case(tmp_path_factory.mktemp("portal"))


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch):
    for var in ("VIGILE_DB", "VIGILE_KEY", "VIGILE_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
