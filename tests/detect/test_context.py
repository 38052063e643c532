"""Cross-column rules: place and relation name what content alone cannot."""

import unicodedata

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from vigile.detect.context import (
    FEMALE,
    MALE,
    ColumnView,
    female_only,
    flag_by_sex,
    is_yes_no,
    neighbour_rules,
    sex_codes,
)

ID = ColumnView(None, 1000, 0.9, 0.0)


def test_member_number_beside_insurer_and_login_beside_password():
    views = [ColumnView("insurance", 1000, 0.01, 0.5), ID, ColumnView(None, 1000, 0.9, 0.0),
             ColumnView("password", 1000, 0.95, 0.0)]  # fmt: skip
    got = neighbour_rules(views)
    assert got[1][0] == "insurance"
    assert got[2][0] == "login"
    assert 0 not in got and 3 not in got


def test_numeric_column_after_a_password_is_not_a_login():
    barcode = ColumnView(None, 1000, 1.0, 0.0, numeric_share=1.0)
    views = [ColumnView("password", 1000, 0.95, 0.0), barcode]
    assert neighbour_rules(views) == {}
    mixed = ColumnView(None, 1000, 1.0, 0.0, numeric_share=0.2)
    assert neighbour_rules([ColumnView("password", 1000, 0.95, 0.0), mixed])[1][0] == "login"
    # before the password, even a numeric account id is the login
    assert neighbour_rules([barcode, ColumnView("password", 1000, 0.95, 0.0)])[0][0] == "login"


def test_low_cardinality_or_text_neighbours_stay_null():
    codes = ColumnView(None, 1000, 0.002, 0.0)  # a regime code beside the insurer
    text = ColumnView(None, 1000, 0.8, 0.6)  # free text
    assert neighbour_rules([ColumnView("insurance", 1000, 0.01, 0.5), codes, text]) == {}


def test_categorised_columns_are_never_renamed():
    views = [ColumnView("insurance", 10, 0.5, 0.0), ColumnView("date", 10, 0.9, 0.0)]
    assert neighbour_rules(views) == {}


@given(
    st.lists(
        st.sampled_from(["OUI", "NON", "O", "N", "oui", "non"]), min_size=2, max_size=4, unique=True
    )
)
def test_yes_no_codes(values):
    d = dict.fromkeys(values, 1)
    assert is_yes_no(d)
    assert not is_yes_no({**d, "PEUT-ETRE": 1})


def test_sex_and_yes_no_are_told_apart():
    assert (
        sex_codes({"M": 5, "F": 6}) and sex_codes({"1": 5, "2": 6}) and sex_codes({"H": 1, "F": 1})
    )
    assert not sex_codes({"OUI": 5, "NON": 6})
    assert not is_yes_no({"1": 5, "2": 6})
    assert not is_yes_no({"OUI": 3})


def test_flag_filled_only_for_women():
    n = 200
    df = pl.DataFrame(
        {
            "S": ["F", "M"] * n,
            "PREG": [
                "OUI" if i % 4 == 0 else ("NON" if i % 2 == 0 else None) for i in range(2 * n)
            ],
            "URGENT": ["OUI", "NON"] * n,
        }
    )
    counts = flag_by_sex(df, "S", ["PREG", "URGENT"])
    assert counts["PREG"] == (n, 0)
    assert counts["URGENT"] == (n, n)
    assert female_only(*counts["PREG"]) and not female_only(*counts["URGENT"])


def test_flag_read_by_a_sex_column_written_with_accents():
    # Regression (tuning seeds 23, 25 of bench_mutations): sex written "Féminin"/"Masculin"
    # was lowercased but not folded, so no row read as a woman's and a pregnancy flag
    # under an opaque or abbreviated header stayed unnamed.
    n = 200
    df = pl.DataFrame(
        {
            "S": ["Féminin", "Masculin"] * n,
            "PREG": [
                "OUI" if i % 4 == 0 else ("NON" if i % 2 == 0 else None) for i in range(2 * n)
            ],
        }
    )
    assert sex_codes(dict(df["S"].value_counts().iter_rows()))
    assert flag_by_sex(df, "S", ["PREG"]) == {"PREG": (n, 0)}
    from vigile.detect import classify

    df = df.with_columns(pl.Series("ID", [f"{i:06d}" for i in range(2 * n)]))
    got = {c.name: c.category for c in classify(df.rename({"PREG": "C07"}))}
    assert got["C07"] == "health_condition"


def test_profiler_names_columns_by_context_with_meaningless_headers():
    # The generator's meaningless-header export: member number, pregnancy flag and login
    # have no telling content; their place and their relation to other columns decide.
    import json
    import tempfile
    from pathlib import Path

    from vigile.detect import classify
    from vigile.read import open_tables
    from vigile.synth import ExportSpec, generate_lab_export

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        generate_lab_export(ExportSpec(rows=3_000, seed=5, header_style="meaningless"), path)
        truth = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))["columns"]
        [table] = list(open_tables(path))
        df = pl.concat(list(table.batches()))
    got = {c.name: c for c in classify(df)}
    notes = {n: c.note for n, c in got.items() if c.note}
    # The login is built from names (jean.dupont) and is now found by its content.
    related = {"beside", "women", "rows of"}
    assert {got[n].category for n in notes if any(w in notes[n] for w in related)} == {
        "insurance",
        "health_condition",
    }
    wrong = {n: (want, got[n].category) for n, want in truth.items() if got[n].category != want}
    assert not wrong


_SEXES = st.sampled_from(
    ["F", " f ", "Mme", "M", "m.", "H", "2", "1", "x", "", None, "Féminin", "MASCULIN", "Fémme"]
)
_FLAGS = st.sampled_from(["OUI", " ", "", None, "NON", "x"])


@given(st.lists(st.tuples(_SEXES, _FLAGS), min_size=1, max_size=40))
def test_flag_by_sex_counts_like_a_row_by_row_reference(rows):
    df = pl.DataFrame(rows, schema={"S": pl.String, "F": pl.String}, orient="row")

    def sex(v):
        v = unicodedata.normalize("NFKD", (v or "").strip().lower())
        v = "".join(ch for ch in v if not unicodedata.combining(ch)).strip(" .")
        return "F" if v in FEMALE else "M" if v in MALE else None

    filled = [(sex(s), bool(f and f.strip())) for s, f in rows]
    women = sum(f for s, f in filled if s == "F")
    men = sum(f for s, f in filled if s == "M")
    assert flag_by_sex(df, "S", ["F"]) == {"F": (women, men)}
