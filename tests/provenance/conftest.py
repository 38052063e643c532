"""Fixtures of the provenance tests: a registry in a throwaway SQLite file, and a world
of overlapping synthetic exports registered in it (built once per session)."""

from __future__ import annotations

import os

import pytest

from vigile.provenance import open_registry

from .world import KEYS, build_world, history


@pytest.fixture
def registry(tmp_path):
    with open_registry(str(tmp_path / "store.db"), create=True) as reg:
        yield reg


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("world")


@pytest.fixture(scope="session")
def world(world_dir):
    return build_world(world_dir / "history.csv", rows=12_000, exports=200, persons_each=150,
                       seed=41)  # fmt: skip


@pytest.fixture(scope="session")
def unrelated(world_dir):
    """Another seed's patients: nobody of the world's history."""
    return history(world_dir / "others.csv", 6_000, seed=977).drop("__person")


@pytest.fixture(scope="session")
def world_registry(world, world_dir):
    """The world's 200 exports registered in one registry (its secret in the env)."""
    key = os.urandom(32)
    reg = open_registry(str(world_dir / "world.db"), create=True, secret=key)
    for i in range(len(world.exports)):
        fp = reg.fingerprint(KEYS)
        frame = world.export_frame(i)
        fp.add(frame)
        reg.register(fp, name=f"export-{i:04d}", recipient=f"recipient {i % 7}",
                     purpose="migration", software="LIS", columns=frame.columns)  # fmt: skip
    yield reg
    reg.close()
