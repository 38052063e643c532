"""Fixtures for the linkage tests; the generator lives in link_pairs.py."""

from __future__ import annotations

import pytest
from link_pairs import Pair, make_pair


@pytest.fixture(scope="session")
def pair(tmp_path_factory) -> Pair:
    return make_pair(tmp_path_factory.mktemp("link"))
