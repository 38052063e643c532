from hypothesis import given
from hypothesis import strategies as st

from vigile.triage.model import suppress


@given(st.integers(min_value=1, max_value=9))
def test_small_cells_are_hidden(n):
    assert suppress(n) == "<10"


@given(st.integers(min_value=10, max_value=10**7))
def test_other_cells_are_exact(n):
    assert suppress(n) == n


def test_zero_is_not_a_small_cell():
    assert suppress(0) == 0
