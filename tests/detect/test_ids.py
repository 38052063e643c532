"""Each identifier module's vectorised validator equals its per-value reference (hypothesis),
and the per-value references agree with the libraries that define the identifier."""

import ipaddress
import re

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as std_nir

from vigile.detect.ids import email, finess, ip, nir, phone, rpps


def _eval(expr_fn, values):
    return (
        pl.DataFrame({"x": values}, schema={"x": pl.String})
        .select(expr_fn(pl.col("x")).fill_null(False))["x"]
        .to_list()
    )


def _same(expr_fn, value_fn, values):
    assert _eval(expr_fn, values) == [value_fn(v) for v in values]


@st.composite
def with_luhn(draw, length: int, prefix: str = ""):
    """A `length`-digit string whose Luhn key is right (or, half the time, anything)."""
    body = prefix + draw(
        st.text("0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix))
    )
    key = (
        luhn.calc_check_digit(body) if draw(st.booleans()) else draw(st.sampled_from("0123456789"))
    )
    return body + key


# --- FINESS -----------------------------------------------------------------


@st.composite
def finess_like(draw):
    value = draw(with_luhn(9))
    if draw(st.booleans()):  # Corsica: the key is computed with 2A/2B read as 20
        corsica = "20" + value[2:8]
        value = draw(st.sampled_from(["2A", "2B"])) + corsica[2:] + luhn.calc_check_digit(corsica)
    return value


noise = st.text(alphabet="0123456789AB2 ", min_size=0, max_size=12)


@settings(max_examples=300)
@given(st.lists(st.one_of(finess_like(), noise, st.text(max_size=10)), max_size=30))
def test_finess_vectorised_equals_reference(values):
    _same(finess.valid, finess.is_valid, values)


@given(finess_like())
def test_finess_reference_is_prefix_and_luhn(value):
    digits = "20" + value[2:] if value[:2] in ("2A", "2B") else value
    expected = bool(re.match(finess.PREFIX_REGEX, value)) and luhn.is_valid(digits)
    assert finess.is_valid(value) == expected


# --- RPPS -------------------------------------------------------------------


@settings(max_examples=300)
@given(
    st.lists(st.one_of(with_luhn(11), with_luhn(11, "1"), noise, st.text(max_size=12)), max_size=30)
)
def test_rpps_vectorised_equals_reference(values):
    _same(rpps.valid, rpps.is_valid, values)


@given(with_luhn(11, "1"))
def test_rpps_reference_is_luhn(value):
    assert rpps.is_valid(value) == luhn.is_valid(value)


# --- NIR --------------------------------------------------------------------


@st.composite
def nir_like(draw):
    body = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    if draw(st.booleans()):
        body = body[:5] + draw(st.sampled_from(["2A", "2B"])) + body[7:]
    key = (
        std_nir.calc_check_digits(body)
        if draw(st.booleans())
        else draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    )
    return body + key


@settings(max_examples=300)
@given(
    st.lists(st.one_of(nir_like(), st.text("0123456789", min_size=15, max_size=15)), max_size=30)
)
def test_nir_vectorised_equals_stdnum(values):
    _same(nir.key_valid, nir.is_valid, values)
    bare = [v for v in values if v.isdigit()]
    _same(nir.bare_key_valid, nir.is_valid, bare)


# --- phone ------------------------------------------------------------------

phone_chars = st.text(alphabet="0123456789 +.-/()", min_size=0, max_size=22)


@st.composite
def french_phone(draw):
    lead = draw(st.sampled_from(["0", "+33", "0033", "+33 (0)", "+33(0)"]))
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    first = draw(st.sampled_from("123456789"))
    pairs = [draw(st.text("0123456789", min_size=2, max_size=2)) for _ in range(4)]
    return lead + first + sep + sep.join(pairs)


@settings(max_examples=300)
@given(st.lists(st.one_of(french_phone(), phone_chars), max_size=30))
def test_phone_vectorised_equals_reference(values):
    _same(phone.is_fr, phone.is_fr_value, values)


@given(french_phone())
def test_french_shapes_are_french_numbers(value):
    assert phone.is_fr_value(value)
    national = value.replace("(0)", "").replace("+33", "0").replace("0033", "0")
    assert phonenumbers.parse(national, "FR").country_code == 33


# --- e-mail -----------------------------------------------------------------

mail_chars = st.text(alphabet="abcXYZ019._%+'-@é ", min_size=0, max_size=20)


@st.composite
def mail(draw):
    local = draw(st.text("abcdef0123._-+", min_size=1, max_size=8))
    host = draw(st.text("abcdef0123-", min_size=1, max_size=8))
    tld = draw(st.text("abcdefFR", min_size=2, max_size=4))
    return f"{local}@{host}.{tld}"


@settings(max_examples=300)
@given(st.lists(st.one_of(mail(), mail_chars), max_size=30))
def test_email_vectorised_equals_reference(values):
    _same(email.is_email, email.is_email_value, values)


@given(mail())
def test_email_shapes_are_emails(value):
    assert email.is_email_value(value)


# --- IP ---------------------------------------------------------------------

ip_chars = st.text(alphabet="0123456789abcdefABCDEF.:", min_size=0, max_size=20)


@settings(max_examples=300)
@given(st.lists(st.one_of(ip_chars, st.ip_addresses().map(str)), max_size=30))
def test_ip_vectorised_equals_reference(values):
    _same(lambda e: ip.is_ipv4(e) | ip.is_ipv6(e), ip.is_ip_value, values)


@given(st.ip_addresses())
def test_every_address_is_recognised(address):
    assert ip.is_ip_value(str(address))


@given(st.text(alphabet="0123456789.", min_size=7, max_size=15))
def test_ipv4_reference_agrees_with_ipaddress(value):
    try:
        parsed = ipaddress.IPv4Address(value)
    except ValueError:
        parsed = None
    if parsed is not None:  # ipaddress is stricter (no leading zeros), never looser
        assert ip.is_ip_value(value)


def test_ids_hold_their_thresholds():
    # the content share is never below the share a header needs
    for m in (nir, rpps, finess, phone, email, ip):
        assert 0 <= m.HEADER_SHARE <= m.CONTENT_SHARE <= 1
