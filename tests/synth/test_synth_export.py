"""The lab export: valid identifiers, decoys that fail, and a truth equal to the file."""

import io
import json
import re
from datetime import date

import phonenumbers
import polars as pl
import pytest
from stdnum import luhn
from stdnum.fr import nir

from vigile.categories import CATEGORY_IDS
from vigile.synth import ExportSpec, GroundTruth, generate_lab_export
from vigile.synth.clinical import COMMENT_TEMPLATES, KINDS
from vigile.synth.fields import FIELDS
from vigile.synth.geography import (
    DEPARTEMENTS,
    OVERSEAS_PHONE_REGIONS,
    SKEWED,
    departement_of_postcode,
)


def _persons_of(frame, truth, mask) -> set[int]:
    rows = truth.row_persons()
    return set(rows.filter(pl.Series(mask))["person"].to_list())


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    spec = ExportSpec(rows=300, seed=5)
    generate_lab_export(spec, tmp_path / "a.csv")
    generate_lab_export(spec, tmp_path / "b.csv")
    generate_lab_export(ExportSpec(rows=300, seed=6), tmp_path / "c.csv")
    a, b, c = ((tmp_path / f"{x}.csv").read_bytes() for x in "abc")
    assert a == b
    assert a != c
    assert (tmp_path / "a.csv.persons.parquet").read_bytes() == (
        tmp_path / "b.csv.persons.parquet"
    ).read_bytes()


def test_every_nir_valid_and_consistent_with_sex_and_birth(small_export):
    _, truth, df = small_export
    rows = df.filter(pl.col("NIR").is_not_null())
    assert rows.height > 0.9 * df.height
    nirs = rows["NIR"].to_list()
    assert all(nir.is_valid(v) for v in nirs)
    deps = {v[5:7] for v in nirs}
    assert {"2A", "2B", "97", "99"} <= deps
    for v, sex, born in zip(nirs, rows["SEXE"], rows["DT_NAIS"], strict=True):
        assert v[0] == {"M": "1", "F": "2"}[sex]
        assert v[1:3] == born[8:10] and v[3:5] == born[3:5]
    # Split form: 13 digits + key column, equal to the full one.
    assert (rows["NIR13"] + rows["CLE"]).to_list() == nirs
    assert truth.columns["CLE"] == "nir" and truth.columns["NIR13"] == "nir"


def test_decoys_and_professional_ids(small_export):
    _, truth, df = small_export
    assert not any(nir.is_valid(v) for v in df["CODE_BARRE"])
    assert all(v[0] in "12" and len(v) == 15 for v in df["CODE_BARRE"])
    assert all(len(v) == 11 and v[0] == "1" and luhn.is_valid(v) for v in df["RPPS"])
    assert all(len(v) == 9 and luhn.is_valid(v) for v in df["FINESS"])
    assert df["PAYS"].n_unique() == 1
    assert all(re.fullmatch(r"\d+,\d\d", v) for v in df["MONTANT"])
    for header in ("CODE_BARRE", "MONTANT", "OPERATEUR", "NUM_DOSSIER", "PAYS", "CODES_ACTES"):
        assert truth.columns[header] is None


def test_postcodes_real_and_geography_skewed(small_export):
    _, truth, df = small_export
    deps = [departement_of_postcode(cp) for cp in df["CP"]]
    assert set(deps) <= set(DEPARTEMENTS)
    assert sum(d in SKEWED for d in deps) > 0.5 * len(deps)
    # persons_by_departement recounted from the file and the hidden mapping.
    rows = truth.row_persons()
    per_person = (
        pl.DataFrame({"person": rows["person"], "dep": deps}).unique("person")["dep"].value_counts()
    )
    assert dict(per_person.iter_rows()) == truth.persons_by_departement


def test_phones_are_valid_french_numbers(small_export):
    _, _, df = small_export
    for column in ("TEL_PORT", "TEL_DOM"):
        values = df[column].drop_nulls().unique().to_list()[:400]
        assert values
        styles = {("+" in v, "." in v, " " in v) for v in values}
        assert len(styles) >= 3 if column == "TEL_PORT" else True
        for v in values:
            compact = re.sub(r"\D", "", v)
            region = OVERSEAS_PHONE_REGIONS.get(compact[:4], "FR")
            assert phonenumbers.is_valid_number(phonenumbers.parse(v, region)), column


def test_truth_counts_equal_the_file(small_export):
    _, truth, df = small_export
    rows = truth.row_persons()
    assert truth.rows == df.height == rows.height
    assert truth.persons == rows["person"].n_unique()
    assert 2.2 < truth.rows / truth.persons < 2.6
    ref = date.fromisoformat(truth.age_reference_date)
    born = (
        pl.DataFrame({"person": rows["person"], "born": df["DT_NAIS"]})
        .unique("person")["born"]
        .str.to_date("%d/%m/%Y")
        .to_list()
    )
    ages = [ref.year - b.year - ((ref.month, ref.day) < (b.month, b.day)) for b in born]
    assert truth.minors == sum(a < 18 for a in ages) > 0
    assert truth.over_75 == sum(a >= 75 for a in ages) > 0
    assert max(ages) <= 100

    # Passwords: plain vs hashes, recounted per person from the MDP column.
    pw = pl.DataFrame({"person": rows["person"], "pw": df["MDP"]}).drop_nulls().unique("person")
    hashed = pw["pw"].str.contains(r"^([0-9a-f]{32}|[0-9a-f]{40}|\$2y\$10\$.{53})$")
    assert truth.passwords["hash"] == int(hashed.sum()) > 0
    assert truth.passwords["plain"] == int((~hashed).sum()) > 0

    # Health mentions in free text, recounted from the comment template of each row.
    kinds = {k: set() for k in KINDS}
    for person, tpl in zip(rows["person"], rows["comment_template"], strict=True):
        if tpl >= 0 and COMMENT_TEMPLATES[tpl].kind:
            kinds[COMMENT_TEMPLATES[tpl].kind].add(person)
    for person, kind in zip(rows["person"], rows["clinical_kind"], strict=True):
        if kind:
            kinds[kind].add(person)
    assert truth.health_mentions_in_text == {k: len(v) for k, v in kinds.items()}
    assert all(truth.health_mentions[k] >= truth.health_mentions_in_text[k] for k in KINDS)
    assert all(v > 0 for v in truth.health_mentions.values())


def test_comments_match_their_templates(small_export):
    _, truth, df = small_export
    rows = truth.row_persons()
    tpl = rows["comment_template"].to_list()
    comments = df["COMMENTAIRE"].to_list()
    assert sum(t < 0 for t in tpl) > 0.3 * len(tpl)  # many empty
    for t, text in zip(tpl, comments, strict=True):
        if t < 0:
            assert text is None
            continue
        template = COMMENT_TEMPLATES[t].text
        prefix = template.split("{")[0]
        assert text.startswith(prefix)
        if "{" not in template:
            assert text == template
    # Pregnancy only ever revealed for women.
    sex = df["SEXE"].to_list()
    for t, s in zip(tpl, sex, strict=True):
        if t >= 0 and COMMENT_TEMPLATES[t].kind == "pregnancy":
            assert s == "F"
    assert set(df["GROSSESSE"].drop_nulls()) <= {"OUI", "NON"}
    assert df.filter(pl.col("GROSSESSE") == "OUI")["SEXE"].unique().to_list() == ["F"]


def test_templates_keep_tests_apart_from_conditions():
    by_text = {t.text: t for t in COMMENT_TEMPLATES}
    assert by_text["Sérologie VIH négative"].kind is None
    assert by_text["Sérologie VIH négative"].categories == ("lab_test",)
    assert by_text["Pas de grossesse"].kind is None
    assert by_text["Patient VIH+ suivi au CHU"].kind == "hiv"
    assert by_text["Surdité profonde, SMS uniquement"].kind == "disability"
    assert by_text["Sous LEVOTHYROX 75 µg"].kind == "treatment"


def test_truth_json_and_category_ids(small_export):
    path, truth, df = small_export
    data = json.loads(path.with_name(path.name + ".truth.json").read_text())
    assert data["rows"] == truth.rows and data["columns"] == truth.columns
    assert list(truth.columns) == df.columns
    used = {c for c in truth.columns.values() if c} | {
        c for cats in truth.text_columns.values() for c in cats
    }
    assert used <= set(CATEGORY_IDS)
    assert set(truth.text_columns) == {"COMMENTAIRE", "RENS_CLIN", "COMM_PRELEV"}
    assert truth.columns["MED_PRESC"] == "last_name"
    assert truth.columns["GROSSESSE"] == "health_condition"
    assert truth.columns["NUM_ADH"] == "insurance"
    # The hidden mapping never holds personal values.
    assert set(truth.row_persons().columns) == {
        "row",
        "person",
        "comment_template",
        "clinical_kind",
    }
    assert truth.nir["born_corsica"] > 0


def test_reloaded_truth_regenerates_the_same_persons(small_export):
    path, truth, _ = small_export
    again = GroundTruth.load(path)
    assert again.persons_frame().equals(truth.persons_frame())


@pytest.mark.parametrize(
    ("encoding", "separator", "style", "fields", "nir_mode"),
    [
        ("utf-8", ";", "lis", "standard", "full"),
        ("utf-8-sig", ",", "verbose", "full", "split"),
        ("cp1252", "\t", "english", "standard", "both"),
        ("cp1252", "|", "meaningless", "full", "none"),
    ],
)
def test_dialects_read_back(tmp_path, encoding, separator, style, fields, nir_mode):
    path = tmp_path / "x.csv"
    spec = ExportSpec(
        rows=250, seed=2, encoding=encoding, separator=separator, header_style=style,
        fields=fields, nir=nir_mode,
    )  # fmt: skip
    truth = generate_lab_export(spec, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    text = raw.decode("cp1252") if encoding == "cp1252" else raw.decode("utf-8-sig")
    df = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)
    assert df.height == 250
    assert df.columns == list(truth.columns)
    expected = 35 if fields == "standard" else 54
    expected += {"full": 0, "split": 1, "both": 2, "none": -1}[nir_mode]
    assert df.width == expected
    if style == "meaningless":
        assert df.columns[:3] == ["C01", "C02", "C03"]
    nir_headers = [h for h, c in truth.columns.items() if c == "nir"]
    assert len(nir_headers) == {"full": 1, "split": 2, "both": 3, "none": 0}[nir_mode]
    if encoding == "cp1252":
        assert b"\xe9" in raw and "é" in text  # single-byte accents, decoded back
    if nir_mode in ("full", "both"):
        full = next(h for h in nir_headers if df[h].drop_nulls().str.len_chars().max() > 13)
        assert all(nir.is_valid(v) for v in df[full].drop_nulls())
        spaced = df[full].drop_nulls().str.contains(" ").all()
        assert spaced == (style == "verbose")


def test_xlsx_reads_back(tmp_path):
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "x.xlsx"
    truth = generate_lab_export(ExportSpec(rows=120, seed=3, format="xlsx"), path)
    df = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    assert df.height == 120 and df.columns == list(truth.columns)


def test_fields_table_is_consistent():
    keys = [f.key for f in FIELDS]
    assert len(keys) == len(set(keys))
    for style in ("lis", "verbose", "english"):
        names = [getattr(f, style) for f in FIELDS]
        assert len(names) == len(set(names))
    assert all(f.category in CATEGORY_IDS for f in FIELDS if f.category)


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        ExportSpec(rows=10, persons=20)
    with pytest.raises(ValueError):
        ExportSpec(rows=2_000_000, format="xlsx")
