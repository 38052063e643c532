"""Attribution at scale (the benchmark's measurement, smaller): fragments of registered
exports, transformed, go to the right export; unrelated files go nowhere.

`attribute` is fed the fragment's keyed views directly (the file reading and column
classification are covered by test_trace.py): 200 trials and 200 unrelated files run in
seconds. benchmarks/bench_provenance.py runs 1,000 x 1,000 through files.
"""

from __future__ import annotations

import random

import polars as pl

from vigile.provenance.fingerprint import view_values
from vigile.provenance.trace import attribute

from .world import keys_of, transform

TRIALS = 200
FRAGMENT = 100


def _found(reg, frame: pl.DataFrame) -> pl.DataFrame:
    vv = view_values(frame, keys_of(frame))
    return reg.hasher.key_frame(vv).with_columns(pl.col("row").cast(pl.Int64))


def test_fragments_go_to_their_export(world, world_registry):
    rng = random.Random(5)
    names = {e.id: e.name for e in world_registry.exports().values()}
    right = 0
    for _ in range(TRIALS):
        i = rng.randrange(len(world.exports))
        frame = world.export_frame(i)
        frag = transform(frame.sample(min(FRAGMENT, frame.height), seed=rng.randrange(2**31)), rng)
        _, scored = attribute(_found(world_registry, frag), world_registry)
        if scored and names[scored[0][0]] == f"export-{i:04d}":
            right += 1
    assert right / TRIALS >= 0.99, right


def test_unrelated_files_match_nothing(unrelated, world_registry):
    rng = random.Random(6)
    false = 0
    for _ in range(TRIALS):
        frag = transform(unrelated.sample(FRAGMENT, seed=rng.randrange(2**31)), rng)
        _, scored = attribute(_found(world_registry, frag), world_registry)
        false += bool(scored)
    assert false == 0


def test_a_whole_export_is_the_best_of_many_overlapping_ones(world, world_registry):
    frame = world.export_frame(3)
    n, scored = attribute(_found(world_registry, frame), world_registry)
    assert n == frame.height
    best = world_registry.exports([scored[0][0]])[scored[0][0]]
    assert best.name == "export-0003" and scored[0][1] == frame.height
    assert scored[0][3] > 0.99
