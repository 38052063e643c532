"""Check keys of generated identifiers, against python-stdnum."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir

from vigile.synth.identifiers import build_nirs, finess_number, nir_like_barcodes, rpps_numbers

departements = st.sampled_from(["01", "29", "2A", "2B", "75", "95", "97", "99"])


@given(
    sex=st.integers(1, 2),
    year=st.integers(1920, 2020),
    month=st.integers(1, 12),
    dep=departements,
    commune=st.integers(1, 999),
    order=st.integers(1, 999),
)
def test_nir_is_valid_and_encodes_its_inputs(sex, year, month, dep, commune, order):
    one = lambda v: np.array([v])  # noqa: E731
    body, key = build_nirs(one(sex), one(year), one(month), one(dep), one(commune), one(order))
    number = body[0] + key[0]
    assert nir.is_valid(number)
    assert number[0] == str(sex)
    assert number[1:3] == f"{year % 100:02d}"
    assert number[3:5] == f"{month:02d}"
    assert number[5:7] == dep
    assert number[7:10] == f"{commune:03d}"
    assert key[0] == nir.calc_check_digits(body[0])


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1))
def test_barcodes_look_like_nir_but_fail_the_key(seed):
    codes = nir_like_barcodes(np.random.default_rng(seed), 500)
    assert all(len(c) == 15 and c.isdigit() and c[0] in "12" for c in codes)
    assert not any(nir.is_valid(c) for c in codes)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1))
def test_rpps_and_finess_keys(seed):
    rng = np.random.default_rng(seed)
    for number in rpps_numbers(rng, 20):
        assert len(number) == 11 and number[0] == "1" and luhn.is_valid(number)
    for dep in ("29", "35", "2A"):
        finess = finess_number(rng, dep)
        assert len(finess) == 9 and finess.isdigit() and luhn.is_valid(finess)
