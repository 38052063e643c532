import re

from hypothesis import given
from hypothesis import strategies as st

from vigile.categories import CATEGORY_IDS
from vigile.detect import mask

alnum_text = st.text(min_size=1, max_size=40).filter(lambda s: any(c.isalnum() for c in s))


def _kept(masked: str) -> list[str]:
    return [c for c in masked if c.isalnum()]


@given(alnum_text, st.sampled_from((None, *CATEGORY_IDS)))
def test_mask_never_contains_the_value(value, category):
    m = mask(value, category)
    assert value not in m or len(value.strip()) == 0


@given(alnum_text)
def test_generic_mask_keeps_shape_and_at_most_first_letters(value):
    m = mask(value, None)
    assert len(m) == len(value)
    words = re.findall(r"[^\W_]+", value)
    assert len(_kept(m)) <= len(words)
    assert all(c == "*" or not c.isalnum() or c in value for c in m)
    assert not any(c.isdigit() for c in m)


@given(st.text(alphabet="0123456789 ", min_size=1, max_size=25))
def test_numeric_categories_keep_few_digits(value):
    assert len(_kept(mask(value, "nir"))) <= 3
    assert len(_kept(mask(value, "phone"))) <= 4
    assert len(_kept(mask(value, "birth_date"))) <= 2
    assert len(_kept(mask(value, "iban"))) <= 6
    assert _kept(mask(value, "password")) == []


def test_category_masks():
    assert mask("1 85 03 75 123 456 78", "nir") == "1 85 ** ** *** *** **"
    assert mask("185032A12345678", "nir") == "1 85 ** ** *** *** **"
    assert mask("Jean DUPONT", "last_name") == "J*** D*****"
    assert mask("06 12 34 56 78", "phone") == "06 ** ** ** 78"
    assert mask("+33 6 12 34 56 78", "phone") == "06 ** ** ** 78"
    assert mask("jean.dupont@gmail.fr", "email") == "j***@g****.fr"
    assert mask("FR76 3000 6000 0112 3456 7890 189", "iban").startswith("FR76 ****")
    assert mask("FR7630006000011234567890189", "iban").endswith("89")
    assert mask("S3cret!", "password") == "********"
    assert mask("12/03/1985", "birth_date") == "19**-**-**"
    assert mask("A+", "blood_group") == "*+"
    assert mask("LEVOTHYROX 75 mg", None) == "L********* ** m*"
