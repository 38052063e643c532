"""The letters' French wording covers every category id and picks advice per exposure."""

from __future__ import annotations

import pytest

from vigile.categories import CATEGORY_IDS
from vigile.notify.texts import (
    CATEGORY_WORDS,
    advice_keys,
    exposed_words,
    french_date,
    not_exposed_words,
)


def test_every_category_has_words():
    assert set(CATEGORY_WORDS) == set(CATEGORY_IDS)


def test_address_parts_merge_and_unknown_ids_fail():
    assert exposed_words({"address", "postcode", "city"}) == ["votre adresse postale"]
    with pytest.raises(ValueError):
        exposed_words({"not_a_category"})


@pytest.mark.parametrize(
    ("cats", "expected"),
    [
        ({"password"}, ["password", "verify"]),
        ({"login"}, ["password", "verify"]),
        ({"nir", "last_name"}, ["identity", "verify"]),
        ({"medication"}, ["health", "verify"]),
        ({"iban", "phone"}, ["iban", "contact", "verify"]),
        ({"last_name"}, ["verify"]),
    ],
)
def test_advice_follows_exposure(cats, expected):
    assert advice_keys(cats) == expected


def test_not_exposed_lists_what_is_absent():
    words = not_exposed_words({"nir", "password"})
    assert "votre numéro de sécurité sociale" not in words
    assert "vos coordonnées bancaires" in words


def test_french_date():
    assert french_date("2021-02-23T09:00:00+00:00") == "23 février 2021"
    assert french_date("2021-03-01") == "1er mars 2021"
