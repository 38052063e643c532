import polars as pl
import pytest
from frames import (
    CITIES,
    FIRST,
    LAST,
    POSTCODES,
    N,
    barcodes,
    dates,
    hex_hashes,
    ibans,
    logins,
    luhn_number,
    nirs,
    phones,
    pick,
    plain_passwords,
    rng,
)  # fmt: skip

from vigile.detect import ColumnProfiler, classify, profiler


def _classify(columns: dict[str, list], kind="table"):
    df = pl.DataFrame(columns, schema={k: pl.String for k in columns})
    return {f.name: f for f in classify(df, kind=kind)}


CONTENT_CASES = {
    "nir": nirs(),
    "nir_spaced": nirs(spaced=True),
    "last_name": pick(LAST),
    "prescriber": ["Dr " + x + " " + y for x, y in zip(pick(LAST), pick(FIRST), strict=True)],
    "first_name": pick(FIRST),
    "birth_date": dates(1925, 2020),
    "birth_date_iso": dates(1925, 2020, fmt="{y}-{m:02d}-{d:02d}"),
    "sex": pick(["M", "F"]),
    "sex_hf": pick(["H", "F"]),
    "sex_civility": pick(["M.", "Mme"]),
    "sex_title": pick(["Mr", "Mrs"]),
    "lab_results": pick(["TSH 2.1 mUI/L", "CRP 12 mg/L", "Glycemie 1.02 g/L", "Ferritine 85 ug/L"]),
    "password_mixed": hex_hashes(24) + plain_passwords(16),
    "address": [
        f"{rng.randint(1, 120)} {rng.choice(['rue', 'avenue', 'bd', 'chemin', 'impasse'])} "
        f"{rng.choice(['des Lilas', 'Victor Hugo', 'de la Gare', 'du Port'])}"
        for _ in range(N)
    ],
    "phone": phones(),
    "email": [f"{x.lower().replace(' ', '')}.{i}@exemple.fr" for i, x in enumerate(pick(LAST))],
    "iban": ibans(),
    "insurance": pick(
        ["MGEN", "HARMONIE MUTUELLE", "MALAKOFF HUMANIS", "MACIF", "AXA", "GROUPAMA"]
    ),
    "blood_group": pick(["A+", "O RH-1", "AB POS", "B négatif", "A Rh1", "O-"]),
    "medication": pick(
        ["LEVOTHYROX 75 µg", "KARDEGIC 75 mg", "METFORMINE 850 mg x2/j", "DOLIPRANE 1000 mg"]
    ),
    "lab_test": pick(["NFS, CRP, TSH", "GLYCEMIE", "HBA1C, FERRITINE", "TSH", "CRP"]),
    "rpps": [luhn_number("1", 11) for _ in range(N)],
    "finess": [luhn_number(rng.choice(["35", "29", "75", "13"]), 9) for _ in range(N)],
    "password_hash": hex_hashes(),
    "password_sha1": hex_hashes(length=40),
    "password_bcrypt": [
        "$2y$10$"
        + "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./")
            for _ in range(53)
        )
        for _ in range(N)
    ],
    "ip_address": [f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(N)],
    "date": dates(2013, 2020, fmt="{d:02d}/{m:02d}/{y} 10:{d:02d}"),
    "date_plain": dates(2016, 2019),
}
EXPECTED = {
    "nir": "nir", "nir_spaced": "nir", "last_name": "last_name", "prescriber": "last_name",
    "first_name": "first_name", "birth_date": "birth_date", "birth_date_iso": "birth_date",
    "sex": "sex", "sex_hf": "sex", "sex_civility": "sex", "sex_title": "sex",
    "lab_results": "lab_test", "password_mixed": "password", "address": "address", "phone": "phone", "email": "email",
    "iban": "iban", "insurance": "insurance", "blood_group": "blood_group",
    "medication": "medication", "lab_test": "lab_test", "rpps": "rpps", "finess": "finess",
    "password_hash": "password", "password_sha1": "password", "password_bcrypt": "password",
    "ip_address": "ip_address", "date": "date", "date_plain": "date",
}  # fmt: skip

DECOYS = {
    "record_numbers": [str(100000 + i) for i in range(N)],
    "barcodes": barcodes(),
    "amounts": [f"{rng.randint(1, 300)},{rng.choice(['00', '50', '20'])}" for _ in range(N)],
    "operator_codes": pick(["OP1", "OP2", "OP7", "TEC3"]),
    "analysis_codes": pick(["B101", "B202", "G0345", "H1234"]),
    "constant": ["LABO CENTRAL"] * N,
    "ten_digits": [str(rng.randint(10**9, 10**10 - 1)) for _ in range(N)],
    "sample_numbers": [f"E{rng.randint(10**8, 10**9 - 1)}" for _ in range(N)],
    "lab_names": pick(
        ["Laboratoire Biopole Blois", "Laboratoire Biomedical Saint-Brieuc", "Labo des Rives"]
    ),
    "clinical_notes": pick(
        ["Sous lithium", "Controle", "Diabete", "Sous LEVOTHYROX", "Bilan pre-operatoire"]
    ),
}


@pytest.mark.parametrize("case", sorted(CONTENT_CASES))
def test_content_alone_decides_with_meaningless_headers(case):
    found = _classify({"C01": CONTENT_CASES[case]})["C01"]
    assert found.category == EXPECTED[case], case
    assert 0.5 <= found.confidence <= 1.0
    assert found.non_empty == N and found.share > 0.5
    assert len(found.masked_samples) >= 1


@pytest.mark.parametrize("case", sorted(DECOYS))
def test_decoys_stay_null(case):
    found = _classify({"C01": DECOYS[case]})["C01"]
    assert found.category is None, case


def test_postcode_and_city_side_by_side():
    out = _classify({"C01": pick(POSTCODES), "C02": pick(CITIES)})
    assert out["C01"].category == "postcode"
    assert out["C02"].category == "city"


def test_a_bare_date_header_does_not_hide_birth_dates():
    # Regression: `Date naissance` abbreviated to `DATE` (bench_mutations' truncations)
    # turned birth-date content (1930-2019) into `date`; a named event date stays `date`.
    out = _classify({"DATE": dates(1930, 2019), "DT_PRELEV": dates(1930, 2019),
                     "DATE_2": dates(2016, 2019)})  # fmt: skip
    assert out["DATE"].category == "birth_date"
    assert out["DT_PRELEV"].category == "date"
    assert out["DATE_2"].category == "date"


def test_family_names_beside_a_postcode_stay_family_names():
    # Regression (tuning seeds 40, 43 of bench_mutations): in a shuffled export with
    # opaque headers, a column of family names landed right after the postcode and was
    # taken for the commune by place alone.
    out = _classify({"C01": pick(POSTCODES), "C02": pick(LAST), "C03": pick(CITIES)})
    assert out["C01"].category == "postcode"
    assert out["C02"].category == "last_name"
    assert out["C03"].category == "city"
    before = _classify({"C01": pick(LAST), "C02": pick(POSTCODES)})
    assert before["C01"].category == "last_name"


@pytest.mark.parametrize(
    ("header", "values", "category"),
    [
        ("NUM_ADH", [str(rng.randint(10**7, 10**8)) for _ in range(N)], "insurance"),
        ("GROSSESSE", pick(["OUI", "NON", "", None]), "health_condition"),
        ("IDENTIFIANT", [f"u{rng.randint(1000, 99999)}" for _ in range(N)], "login"),
        ("LOGIN", logins(), "login"),
        ("MDP", plain_passwords(), "password"),
        ("ADELI", [str(rng.randint(10**8, 10**9 - 1)) for _ in range(N)], "rpps"),
        ("DT_NAIS", dates(1930, 2019), "birth_date"),
        ("DT_PRELEV", dates(2016, 2019), "date"),
        ("NOM", pick(LAST), "last_name"),
        ("NOM_LABO", ["LABO CENTRAL"] * N, None),
    ],
)
def test_header_prior(header, values, category):
    assert _classify({header: values})[header].category == category


def test_birth_date_header_on_implausible_dates_is_date():
    assert _classify({"DT_NAIS": dates(2030, 2040)})["DT_NAIS"].category == "date"


def test_plain_passwords_without_header():
    assert _classify({"C01": plain_passwords()})["C01"].category == "password"


def test_split_nir_pair():
    full = nirs()
    out = _classify(
        {
            "NSS": [v[:13] for v in full],
            "CLE": [v[13:] for v in full],
            "N": [str(i) for i in range(N)],
        }
    )
    assert out["NSS"].category == "nir"
    assert out["CLE"].category == "nir"
    assert "NSS" in (out["CLE"].note or "")
    assert out["N"].category is None


def test_split_nir_pair_with_failing_keys_is_not_nir():
    full = barcodes()
    out = _classify({"C01": [v[:13] for v in full], "C02": [v[13:] for v in full]})
    assert out["C02"].category is None


COMMENTS = [
    "Patient à jeun",
    "Prélèvement difficile",
    "Enceinte 12 SA",
    "pas de grossesse",
    "Surdité, appeler Mme DUPONT",
    "Diabète type 2",
    "",
    None,
    "Rappeler pour RDV",
    "tube hémolysé",
]


def test_free_text_categories_with_negation():
    found = _classify({"COMMENTAIRE": COMMENTS * 4})["COMMENTAIRE"]
    assert found.category is None
    # enceinte, surdité, diabète: 3 of 8 non-empty; "pas de grossesse" is negated
    assert found.text_categories["health_condition"] == pytest.approx(3 / 8)
    assert found.text_categories["last_name"] == pytest.approx(1 / 8)
    assert "phone" not in found.text_categories


def test_text_kind_single_line_column():
    lines = [
        "Appeler le 06 12 34 56 78",
        "mail: a.b@exemple.fr",
        "VIH positif",
        "rien",
        "sans diabète",
    ]
    found = _classify({"line": lines}, kind="text")["line"]
    assert found.text_categories["phone"] == pytest.approx(1 / 5)
    assert found.text_categories["email"] == pytest.approx(1 / 5)
    assert found.text_categories["health_condition"] == pytest.approx(1 / 5)


def test_profiler_accumulates_batches_and_keeps_order():
    cols = {"NOM": pick(LAST, 80), "C02": nirs(80), "C03": pick(["", " ", None, "x"], 80)}
    df = pl.DataFrame(cols, schema={k: pl.String for k in cols})
    p = ColumnProfiler(columns=df.columns)
    for batch in df.iter_slices(30):
        p.update(batch)
    out = p.finish()
    assert [f.name for f in out] == ["NOM", "C02", "C03"]
    assert out[1].category == "nir" and out[1].non_empty == 80 and out[1].validated_share == 1.0
    assert out[2].non_empty == sum(v == "x" for v in cols["C03"])


def test_no_raw_value_in_findings():
    values = nirs()
    found = _classify({"C01": values})["C01"]
    text = repr(found.to_json())
    assert not any(v in text for v in values)


@pytest.mark.parametrize("pending", [1, 50, 10**9])  # flush every batch, now and then, once
def test_findings_do_not_depend_on_batches_or_flushes(monkeypatch, pending):
    """One flush over many batches gives exactly what one batch gives. Flushing more
    often keeps categories and counts; the distinct count is then summed per flush (as it
    was per batch before values were held), which can change which rule names a column."""
    full = nirs(120)
    cols = {
        "NOM": pick(LAST, 120),
        "NSS": [v[:13] for v in full],
        "CLE": [v[13:] for v in full],
        "COMMENTAIRE": COMMENTS * 12,
        "C05": nirs(120),
    }
    df = pl.DataFrame(cols, schema={k: pl.String for k in cols})

    def shares(findings):
        if pending < 10**9:
            return [(f.name, f.category, f.non_empty, f.text_categories) for f in findings]
        return [
            (f.name, f.category, f.share, f.validated_share, f.non_empty, f.text_categories)
            for f in findings
        ]

    whole = ColumnProfiler(columns=df.columns)
    whole.update(df)
    monkeypatch.setattr(profiler, "PENDING_VALUES", pending)
    split = ColumnProfiler(columns=df.columns)
    for batch in df.iter_slices(25):
        split.update(batch)
    assert shares(split.finish()) == shares(whole.finish())


def test_a_large_column_of_street_addresses_is_not_free_text():
    # More distinct values than the gate draws: the draw shows street addresses, so the
    # cells are not searched for names or phones (a comment column still is).
    streets = [f"{n} rue des Lilas" for n in range(1, 2901)] + ["3 rue Haute chez Mme MARTIN"] * 100
    comments = [f"Rappeler Mme MARTIN, dossier {n}" for n in range(3000)]
    out = _classify({"ADR1": streets, "OBS": comments})
    assert out["ADR1"].category == "address" and out["ADR1"].text_categories == {}
    assert out["OBS"].text_categories.get("last_name") == 1.0
