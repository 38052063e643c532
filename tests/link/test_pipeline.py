"""End-to-end linkage on a small pair with known truth (one Splink run per session)."""

from __future__ import annotations

import polars as pl
import pytest

from vigile.link import LinkOptions, categories_of
from vigile.link.evaluate import score
from vigile.link.pipeline import choose


@pytest.fixture(scope="module")
def result(pair_link):
    return pair_link


def _truth(pair) -> pl.DataFrame:
    return pl.DataFrame(
        {"person": list(pair.truth), "patient_id": list(pair.truth.values())},
        schema={"person": pl.Int64, "patient_id": pl.String},
    )


def test_precision_and_recall(result, pair):
    s = score(result, pl.Series(pair.row_person, dtype=pl.Int64), _truth(pair))
    assert s.precision >= 0.99 and s.recall >= 0.99, s
    assert s.pair_precision >= 0.99


def test_rows_are_reduced_to_persons(result, pair):
    # Rows without NIR join the NIR seen with the same identity: one key per person.
    assert result.leak.rows == len(pair.row_person)
    assert result.leak.persons.height == len(set(pair.row_person))


def test_nir_pass_then_splink(result, pair):
    c = result.counts()
    # Persons whose database record kept its NIR are linked deterministically...
    assert c["matched_nir"] > 0.4 * len(pair.truth)
    # ...the rest (typos, name swaps, moves, missing NIRs) by Splink.
    assert c["matched_probabilistic"] > 0.3 * len(pair.truth)
    assert (
        c["matched_nir"] + c["matched_probabilistic"] + c["review"] + c["unmatched_leak_persons"]
        == (c["leak_persons"])
    )


def test_strangers_are_counted_unmatched(result, pair):
    assert result.unmatched_leak_persons + result.review.height == pair.strangers


def test_one_patient_per_leak_person(result):
    assert result.matches.get_column("leak_key").is_duplicated().sum() == 0
    assert result.matches.get_column("match_probability").is_between(0.95, 1.0).all()


def test_exposed_categories_per_person(result):
    aff = result.affected()
    cats = [categories_of(m) for m in aff.get_column("mask").to_list()]
    # Every linked person had names, birth date and a phone in the leak.
    assert all({"last_name", "first_name", "birth_date", "phone"} <= c for c in cats)
    # Comments mention pregnancy or a treatment for some women only.
    with_health = sum("health_condition" in c for c in cats)
    assert 0 < with_health < len(cats)
    assert any("medication" in c for c in cats)
    assert all("password" not in c for c in cats)


def test_choose_routes_ambiguity_and_gray_zone_to_review():
    cands = pl.DataFrame(
        {
            "leak_key": ["a", "a", "b", "c", "c"],
            "patient_id": ["P1", "P2", "P3", "P4", "P5"],
            "match_probability": [0.99, 0.40, 0.80, 0.97, 0.96],
        }
    )
    matches, review = choose(cands, LinkOptions(match_threshold=0.95, review_threshold=0.5))
    assert matches.select("leak_key", "patient_id").rows() == [("a", "P1")]
    # b: gray zone; c: two strong candidates -> a person decides, best one shown.
    assert sorted(review.select("leak_key", "patient_id").rows()) == [("b", "P3"), ("c", "P4")]
