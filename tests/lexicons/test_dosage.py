import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.detect.lexicons import DOSAGE_REGEX, fold

PY = re.compile(DOSAGE_REGEX)

MATCHES = [
    "Levothyrox 75 µg",
    "levothyrox 75 ug le matin",
    "75 mcg",
    "Metformine 850 mg x2/j",
    "850mg",
    "1 cp/j",
    "1 cp / j",
    "1/2 cp le soir",
    "2 gélules par jour",
    "x2/j",
    "x 3 / jour",
    "3 fois par jour",
    "2x/j",
    "comprimé sécable",
    "gélule",
    "un sachet le matin",
    "ampoule buvable",
    "Lovenox 4000 UI/0,4 ml",
    "ferritine 30 ui/l",
    "glycémie 1,10 g/l",
    "10 mg/kg",
    "0,5 ml",
    "Dépakine 500 mg LP",
    "1 injection par semaine",
    "Uvedose 100 000 UI",
    "2 bouffées matin et soir",
    "collyre",
    "sirop",
    "40 gouttes",
    "1 g 3 fois par jour",
    "2 grammes",
]

NO_MATCH = [
    "Patient à jeun",
    "Prélèvement difficile",
    "Rappeler pour RDV",
    "Tube hémolysé",
    "Ordonnance jointe",
    "12 rue de la Paix 75001 Paris",
    "Bât. C 3ème étage",
    "Tél 06 12 34 56 78",
    "prélevé le 12/03/2021 à 8h30",
    "G6PD normal",
    "patient de 45 ans",
    "2 tubes",
    "rdv dans 3 mois",
    "sa mère l'accompagne",
    "dossier 2021-0042",
    "NIR 1 85 05 78 006 084 36",
]


def test_dosage_regex_compiles_in_python_and_polars():
    re.compile(DOSAGE_REGEX)
    pl.Series(["x"]).str.contains(DOSAGE_REGEX)


@pytest.mark.parametrize("text", MATCHES)
def test_dosage_found(text):
    assert PY.search(fold(text)), text


@pytest.mark.parametrize("text", NO_MATCH)
def test_no_dosage_found(text):
    assert PY.search(fold(text)) is None, text


def test_polars_agrees_on_examples():
    texts = [fold(t) for t in MATCHES + NO_MATCH]
    got = pl.Series(texts).str.contains(DOSAGE_REGEX).to_list()
    assert got == [True] * len(MATCHES) + [False] * len(NO_MATCH)


_UNITS = st.sampled_from(["mg", "ug", "µg", "mcg", "g", "ml", "UI", "mmol"])
_AMOUNT = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)


@given(_AMOUNT, st.booleans(), _UNITS, st.sampled_from(["", "/j", " / jour", "/kg", "/24h"]))
def test_any_amount_with_a_unit_is_a_dosage(amount, space, unit, per):
    text = fold(f"traitement {str(amount).replace('.', ',')}{' ' if space else ''}{unit}{per} ")
    assert PY.search(text)


@settings(deadline=None)  # the first call compiles the regex in polars (shared machine)
@given(st.lists(st.text(st.sampled_from(list("0123456789 ,./xjmguilcpµ")), max_size=15)))
def test_python_and_polars_engines_agree(texts):
    folded = [fold(t) for t in texts]
    got = pl.Series(folded, dtype=pl.String).str.contains(DOSAGE_REGEX).to_list()
    assert got == [bool(PY.search(t)) for t in folded]
