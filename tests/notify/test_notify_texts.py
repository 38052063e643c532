"""Letters and e-mails say describe()'s words; representatives read them in the third person."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile import wording
from vigile.categories import CATEGORY_IDS
from vigile.notify.letters import profile
from vigile.notify.texts import (
    MINOR,
    NBSP,
    PROTECTED,
    SELF,
    THIRD_PERSON,
    THIRD_PERSON_ADVICE,
    THIRD_PERSON_SOURCE,
    french_date,
    said,
    typeset,
)
from vigile.wording import describe


def test_letter_profile_is_describe():
    cats = frozenset({"nir", "last_name", "lab_test", "password"})
    text = describe(cats, "plain")
    prof = profile(cats, "plain")
    assert prof["exposed"] == typeset(list(text.exposed))
    assert prof["not_exposed"] == typeset(list(text.not_exposed))
    assert prof["advice"] == typeset(text.advice_texts())
    # The same words: only the spaces before a colon became no-break spaces.
    assert [a.replace(NBSP, " ") for a in prof["advice"]] == text.advice_texts()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("relevés : signalez", "relevés\u00a0: signalez"),
        ("vraiment ? oui ; non !", "vraiment\u202f? oui\u202f; non\u202f!"),
        ("« code »", "«\u202fcode\u202f»"),
        ("https://verif.labo.test/a:b", "https://verif.labo.test/a:b"),
    ],
)
def test_french_typography(text, expected):
    assert typeset(text) == expected
    assert typeset({"a": [text]}) == {"a": [expected]}


def test_lab_results_are_never_called_absent_health_information():
    """Regression: a letter told a person whose row held lab results that the file did not
    contain information about her health (notify had its own list of reassurances)."""
    prof = profile(frozenset({"last_name", "first_name", "lab_test"}))
    assert "les analyses qui vous ont été prescrites" in prof["exposed"]
    assert not any("santé" in w for w in prof["not_exposed"])
    assert typeset(wording.advice_text("health")) in prof["advice"]


def _every_phrase() -> set[str]:
    phrases = set(wording.CATEGORY_WORDS.values()) | set(wording.PASSWORD_WORDS.values())
    phrases |= {w for _, w in wording.REASSURING}
    return phrases


def test_every_describe_phrase_has_a_third_person_form():
    assert _every_phrase() <= set(THIRD_PERSON)
    assert not any(w.startswith(("votre", "vos")) for w in THIRD_PERSON.values())


def test_every_advice_has_a_third_person_form_written_from_the_current_text():
    assert set(THIRD_PERSON_ADVICE) == set(wording.ADVICE) | {wording.ADVICE_ALWAYS}
    for key, start in THIRD_PERSON_SOURCE.items():
        assert wording.advice_text(key).startswith(start), key


@given(
    cats=st.frozensets(st.sampled_from(sorted(CATEGORY_IDS))),
    password=st.sampled_from([None, "plain", "hashed"]),
    audience=st.sampled_from([MINOR, PROTECTED]),
)
def test_representatives_read_the_same_facts_in_the_third_person(cats, password, audience):
    first = describe(cats, password)
    third = said(first, audience)
    assert len(third.exposed) == len(first.exposed)
    assert len(third.not_exposed) == len(first.not_exposed)
    assert len(third.advice) == len(first.advice)
    for line in (*third.exposed, *third.not_exposed):
        assert not line.startswith(("votre ", "vos ")), line


def test_third_person_advice_names_the_reader():
    text = describe({"phone", "health_condition"})
    minor = said(text, MINOR)
    protected = said(text, PROTECTED)
    assert any("votre enfant" in a for a in minor.advice)
    assert any("la personne que vous représentez" in a for a in protected.advice)
    assert said(text, SELF).advice == tuple(text.advice_texts())


def test_self_is_describe_unchanged():
    for cats in itertools.islice(itertools.combinations(sorted(CATEGORY_IDS), 3), 50):
        text = describe(cats)
        words = said(text, SELF)
        assert (words.exposed, words.not_exposed) == (text.exposed, text.not_exposed)


def test_unknown_category_is_refused():
    with pytest.raises(ValueError):
        profile(frozenset({"not_a_category"}))


def test_french_date():
    assert french_date("2021-02-23T09:00:00+00:00") == "23 février 2021"
    assert french_date("2021-03-01") == "1er mars 2021"
