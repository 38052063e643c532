"""IP addresses: dotted IPv4 (each part 0-255) and IPv6 in its colon forms (including the
`::` compressions). An address of a person's connection is personal data (CJEU,
Breyer, C-582/14).

IPv4 is read on numeric-like columns, IPv6 on the others; both only on short values.
"""

from __future__ import annotations

import re

import polars as pl

from vigile.detect.mask import mask_generic

IPV4_PATTERN = r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$"
IPV6_PATTERN = r"^(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}$"
MIN_LEN, MAX_LEN = 3, 45
IPV4_MIN_LEN, IPV4_MAX_LEN = 7, 15
HEADER_HINTS = (
    "ip", "adresse ip", "ip address", "ip connexion", "ip client", "ipv4", "ipv6",
    "remote addr",
)  # fmt: skip

CONTENT_SHARE = 0.6  # address-shaped cells, content alone
HEADER_SHARE = 0.3  # with an IP header

mask = mask_generic
_V4_RE, _V6_RE = re.compile(IPV4_PATTERN, re.ASCII), re.compile(IPV6_PATTERN)


def is_ipv4(e: pl.Expr) -> pl.Expr:
    return e.str.contains(IPV4_PATTERN)


def is_ipv6(e: pl.Expr) -> pl.Expr:
    return e.str.contains(IPV6_PATTERN)


def is_ip_value(value: str) -> bool:
    """`is_ipv4 | is_ipv6` for one value (the oracle of the expressions in the tests)."""
    return bool(_V4_RE.fullmatch(value) or _V6_RE.fullmatch(value))
