"""Triage of hostile files (issue 13): names shown masked and escaped in every output,
and anything not fully read reported as such, never as 'nothing exposed'."""

from __future__ import annotations

import json
import re

import pytest

from vigile.triage import render, triage_path

from . import hostile_corpus as hc


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return hc.build(
        tmp_path_factory.mktemp("hostile_triage"),
        only={"values_in_names", "non_utf8_name", "terminal_escapes_name", "xlsx_corner_cell"},
    )


def outputs(result) -> str:
    return "\n".join(render(result, fmt, lang="fr") for fmt in ("json", "markdown", "html"))


def test_names_holding_values_are_masked_in_every_output(corpus):
    result = triage_path(corpus["values_in_names"])
    text = outputs(result)
    for value in (hc.nir(1), hc.nir(7), hc.nir(8), hc.phone(9), hc.FIRST[1], hc.SURNAMES[1]):
        assert value not in text, value
    [evidence] = result.inputs
    assert evidence.path.endswith("CR_Q*******_G******_2 51 ** ** *** *** **.zip")


def test_non_utf8_and_escape_names_give_valid_reports(corpus):
    for case in ("non_utf8_name", "terminal_escapes_name"):
        result = triage_path(corpus[case])
        text = outputs(result)
        text.encode("utf-8")  # was: a JSON report that is not valid UTF-8
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), case
        assert result.rows == 50 and not result.errors
    assert triage_path(corpus["non_utf8_name"]).inputs[0].path.endswith("fuite_\\xe9t\\xe9.csv")


def test_a_sheet_not_read_is_an_error_and_a_note(corpus):
    result = triage_path(corpus["xlsx_corner_cell"])
    assert result.rows == 5  # sheet T
    assert any(e.split(": ", 1)[0].endswith("dimension.xlsx#S") for e in result.errors)
    notes = json.loads(render(result, "json"))["notes"]
    assert sum(n.startswith("Not fully read: 1 ") for n in notes) == 1


def test_table_unread_reasons_are_errors(tmp_path):
    # Regression: Table.unread (here: fields dropped from rows far longer than the header)
    # reached no triage output.
    p = tmp_path / "ragged.csv"
    rows = [";".join((hc.nir(i), hc.SURNAMES[i % 4], hc.FIRST[i % 4])) for i in range(30)]
    rows.append(";".join(["x"] * 20))
    p.write_text("NIR;NOM;PRENOM\n" + "\n".join(rows) + "\n")
    result = triage_path(p)
    assert result.rows == 31
    [error] = result.errors
    assert "not fully read: rows with more than 8 fields" in error
    assert any(n.startswith("Not fully read: 1 ") for n in result.notes)
    assert "not fully read" in render(result, "markdown", lang="en")


def test_everything_read_has_no_such_note(corpus):
    result = triage_path(corpus["non_utf8_name"])
    assert not any("Not fully read" in n for n in result.notes)
