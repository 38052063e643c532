"""Fixtures for the linkage tests; the small pairs' generator lives in link_pairs.py."""

from __future__ import annotations

import pytest
from link_pairs import Pair, SynthIncident, make_pair, make_synth_incident


@pytest.fixture(scope="session")
def pair(tmp_path_factory) -> Pair:
    return make_pair(tmp_path_factory.mktemp("link"))


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> SynthIncident:
    """A vigile.synth lab export and the controller's patient database (with a legal
    protection column), and each leak person's expected exposure."""
    return make_synth_incident(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="session")
def pair_link(pair):
    """`pair` linked with the default options (DuckDB, memory limit from free memory): one
    Splink run shared by the tests that read it."""
    from vigile.link import link

    return link(pair.leak, pair.patients)
