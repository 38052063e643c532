"""Validators: check digits and plausibility, as polars expressions where it pays.

The NIR, RPPS and FINESS keys run on every candidate cell, so they are polars
expressions (integer arithmetic, no per-cell Python), in their modules under `ids/`
(re-exported here under their former names); their tests prove them equal to
python-stdnum (`stdnum.fr.nir`, `stdnum.luhn`). IBAN and SIRET/SIREN
are rarer and are checked with python-stdnum on *distinct* candidates only,
capped at `MAX_DISTINCT_VALIDATIONS` per column and batch: beyond the cap the
validated share of the checked candidates is extrapolated to the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from stdnum import iban as std_iban
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

from vigile.detect.ids import finess, nir, rpps
from vigile.detect.ids.luhn import luhn_is_valid, luhn_valid  # noqa: F401  re-exported

MAX_DISTINCT_VALIDATIONS = 20_000

# Real département prefixes of French postcodes and FINESS numbers. Corsica is
# "20" in postcodes and "2A"/"2B" in FINESS / NIR.
POSTCODE_PREFIX_REGEX = r"^(?:0[1-9]|[1-8]\d|9[0-5]|97[1-8]|98[678])"


# --- NIR, RPPS, FINESS: their knowledge is in `ids/`; these names are kept for callers ---

NIR_COMPACT_REGEX = nir.COMPACT_REGEX
nir_compact = nir.compact
nir_key_valid = nir.key_valid
nir_bare_key_valid = nir.bare_key_valid
nir_key_matches = nir.key_matches
nir_is_valid = nir.is_valid
rpps_valid = rpps.valid
FINESS_PREFIX_REGEX = finess.PREFIX_REGEX
finess_valid = finess.valid


# --- Python-level validators for distinct candidates ------------------------


def iban_is_valid(value: str) -> bool:
    return std_iban.is_valid(value)


def siret_is_valid(value: str) -> bool:
    return std_siret.is_valid(value)


def siren_is_valid(value: str) -> bool:
    return std_siren.is_valid(value)


def validated_share_of_distinct(
    values: Iterable[str], check: Callable[[str], bool], cap: int = MAX_DISTINCT_VALIDATIONS
) -> tuple[int, int]:
    """Validate at most `cap` distinct values; returns (checked, valid).

    Callers extrapolate valid/checked to all candidates (documented in the
    module docstring). Values never leave this function.
    """
    checked = valid = 0
    for v in values:
        if checked >= cap:
            break
        checked += 1
        valid += bool(check(v))
    return checked, valid
