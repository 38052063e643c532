"""ENISA 2013 arithmetic on worked examples, bands, and the CNIL gravité mapping."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.triage.enisa import (
    CNIL_GRAVITE,
    Circumstances,
    Factor,
    assess,
    circumstances,
    data_processing_context,
    ease_of_identification,
    level_of,
    severity,
)

LEAK_2021 = {
    "nir", "last_name", "first_name", "birth_date", "sex", "address", "postcode", "city",
    "phone", "email", "insurance", "blood_group", "health_condition", "medication", "lab_test",
    "rpps", "finess", "login", "password", "date",
}  # fmt: skip


def test_2021_leak_is_5_very_high():
    sev = assess(LEAK_2021, Circumstances(), health_conditions=True, health_context=True)
    assert (sev.dpc.value, sev.ei.value, sev.cb.value) == (4, 1, 1)
    assert sev.score == 5.0
    assert sev.formula == "4 × 1 + 1 = 5"
    assert sev.level == "very_high"
    assert sev.gravite == "maximal"
    assert all(f.reasons for f in (sev.dpc, sev.ei, sev.cb))


def test_circumstances_are_options():
    sev = assess(
        LEAK_2021,
        Circumstances(unknown_recipients=False, malicious=False),
        health_conditions=True,
        health_context=True,
    )
    assert sev.cb.value == 0.25
    assert sev.score == 4.25 and sev.level == "very_high"
    assert circumstances(Circumstances(malicious=False)).value == 0.5


def test_supermarket_customer_list_is_low():
    # ENISA example: names and phones of a shop's customers, DPC 1, EI maximum,
    # disclosed to known recipients without malice: 1 x 1 + 0.25 = 1.25, low.
    sev = assess(
        {"last_name", "first_name", "phone"},
        Circumstances(unknown_recipients=False, malicious=False),
    )
    assert sev.dpc.value == 1 and sev.ei.value == 1
    assert sev.score == 1.25 and sev.level == "low" and sev.gravite == "négligeable"


def test_patient_list_of_a_lab_without_health_data_is_high():
    # Simple data, +2 because being a lab's patient reveals health status: 3 x 1 + 0.5 = 3.5.
    sev = assess(
        {"last_name", "first_name", "birth_date"},
        Circumstances(malicious=False),
        health_context=True,
    )
    assert sev.dpc.value == 3
    assert sev.score == 3.5 and sev.level == "high" and sev.gravite == "important"


def test_treatments_only_lower_dpc_by_one():
    dpc = data_processing_context({"medication", "last_name"})
    assert dpc.value == 3
    assert any("-1" in r for r in dpc.reasons)


def test_blood_group_only_lower_dpc_by_two():
    assert data_processing_context({"blood_group"}).value == 2


def test_minors_raise_simple_data():
    assert data_processing_context({"last_name"}, minors=True).value == 2


def test_bank_accounts_are_financial():
    assert data_processing_context({"iban", "last_name"}).value == 3
    assert data_processing_context({"insurance"}).value == 2


@pytest.mark.parametrize(
    ("cats", "ei"),
    [
        ({"nir"}, 1.0),
        ({"last_name", "first_name", "birth_date"}, 1.0),
        ({"last_name", "first_name", "address"}, 1.0),
        ({"last_name", "first_name"}, 0.75),
        ({"phone"}, 0.5),
        ({"blood_group", "date"}, 0.25),
    ],
)
def test_ease_of_identification(cats, ei):
    assert ease_of_identification(cats).value == ei


@pytest.mark.parametrize(
    ("score", "level"),
    [(0.25, "low"), (1.99, "low"), (2.0, "medium"), (2.99, "medium"), (3.0, "high"),
     (3.75, "high"), (4.0, "very_high"), (5.0, "very_high")],
)  # fmt: skip
def test_bands(score, level):
    assert level_of(score) == level


def test_gravite_wording():
    assert list(CNIL_GRAVITE.values()) == ["négligeable", "limité", "important", "maximal"]


quarter = st.integers(min_value=0, max_value=4).map(lambda n: n / 4)


@given(
    dpc=st.integers(min_value=1, max_value=4),
    ei=st.sampled_from([0.25, 0.5, 0.75, 1.0]),
    cb=st.integers(min_value=0, max_value=8).map(lambda n: n / 4),
)
def test_formula_is_exact_and_monotonic(dpc, ei, cb):
    sev = severity(Factor("DPC", dpc, ("x",)), Factor("EI", ei, ("x",)), Factor("CB", cb, ("x",)))
    assert sev.score == dpc * ei + cb
    bigger = severity(
        Factor("DPC", dpc, ("x",)), Factor("EI", ei, ("x",)), Factor("CB", cb + 0.5, ("x",))
    )
    order = ["low", "medium", "high", "very_high"]
    assert order.index(bigger.level) >= order.index(sev.level)
