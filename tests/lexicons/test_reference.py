"""The public reference lists (BDPM drugs, CIM-10, ALD, communes, postcodes) and how the
free-text detectors use them."""

import gzip
import re
from importlib.resources import files

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.detect import lexicons as lx
from vigile.detect.lexicons import build
from vigile.detect.lexicons import reference as ref
from vigile.detect.profiler import classify
from vigile.detect.text import health_mention_exprs, text_health_exprs, text_other_exprs

REF = files("vigile.detect.lexicons").joinpath("data", "ref")
LISTS = (
    "drugs", "cim10", "ald", "communes", "postcodes", "dosage_forms", "label_negations",
    "lab_tests",
)  # fmt: skip


@pytest.mark.parametrize("name", LISTS)
def test_every_list_names_its_source_and_holds_words(name):
    raw = gzip.decompress(REF.joinpath(f"{name}.txt.gz").read_bytes()).decode("utf-8")
    header = "\n".join(line for line in raw.splitlines() if line.startswith("#"))
    assert re.search(r"Source|art\. D322-1", header), name
    assert "Built 20" in header, name
    terms = ref.ref_terms(name)
    assert terms and len(set(terms)) == len(terms)
    assert all(re.fullmatch(r"[a-z0-9]+(?: [a-z0-9]+)*", t) for t in terms), name


def test_the_lists_are_compact():
    total = sum(len(REF.joinpath(f"{n}.txt.gz").read_bytes()) for n in LISTS)
    assert total < 2_000_000


def test_known_entries():
    drugs = set(ref.ref_terms("drugs"))
    assert {"doliprane", "paracetamol", "abacavir", "levothyrox", "metformine"} <= drugs
    assert "avenir" not in drugs and "martin" not in drugs  # ordinary words, names
    cim = set(ref.ref_terms("cim10"))
    assert {"asthme", "cholera", "fibrose kystique"} <= cim
    communes = set(ref.ref_terms("communes"))
    assert {"paris", "paris 1er arrondissement", "paris 01", "saint etienne", "lyon"} <= communes
    assert {"75001", "13008", "97411"} <= ref.postcodes()


def _words(values):
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return df.select(ref.words_expr(lx.fold_expr(pl.col("v"))))["literal"].to_list()


@settings(deadline=None, max_examples=200)
@given(st.lists(st.text(st.sampled_from(list("ab é-'.,0 1ŒçÉ\t")), max_size=20), max_size=8))
def test_words_expr_is_build_words_padded(texts):
    # the same words, one space at each end (a term " x " then matches whole words)
    assert _words(texts) == [f" {build.words(t)} " for t in texts]


def _terms() -> list[str]:
    # Whole terms, several words long (a search by another word than the first misses them).
    terms = [*ref.padded("drugs"), *ref.padded("cim10", "ald")]
    return [t.strip() for t in terms if t.count(" ") >= 3][:80]


def _term_words() -> list[str]:
    # Words of real terms (first, inner and last ones), joined negations, and noise.
    terms = [*ref.padded("drugs")[:40], *ref.padded("cim10", "ald")[:40]]
    return sorted({w for t in terms for w in t.split()}) + ["pump", "x_y", "nonprecisee"]


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.lists(st.sampled_from(_term_words()), max_size=6).map(" ".join)
        | st.text(st.sampled_from(list("abé -'_0")), max_size=12)
        | st.tuples(st.sampled_from(_terms()), st.sampled_from(_term_words())).map(" ".join)
        | st.none(),
        max_size=12,
    ),
    st.sampled_from([("drugs",), ("cim10", "ald")]),
)
def test_contains_terms_among_the_values_words_is_the_full_search(texts, names):
    # The automaton of the terms the values' words can start finds exactly what the
    # full list finds (regression: the full automaton, built per call, made most of a
    # small file's sweep cost).
    df = pl.DataFrame({"v": texts}, schema={"v": pl.String})
    folded = df.select(lx.fold_expr(pl.col("v")))["v"]
    words = ref.words_expr(pl.col("v"))
    full = pl.DataFrame({"v": folded}).select(ref.contains_terms(words, *names))
    among = ref.word_set(folded)
    fast = pl.DataFrame({"v": folded}).select(ref.contains_terms(words, *names, among=among))
    assert fast.to_series().to_list() == full.to_series().to_list()


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(["St", "Ste", "saint", "Étienne", "CEDEX", "2", "-", " ", "Lyon"])))
def test_commune_words_expr_is_build_commune_words(parts):
    text = " ".join(parts)
    got = pl.DataFrame({"v": [text]}).select(ref.commune_words_expr(lx.fold_expr(pl.col("v"))))
    assert got.item() == build.commune_words(text)


@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "non", "x"]), min_size=1, max_size=4)))
def test_prune_keeps_a_shorter_term_inside_each_dropped_one(phrases):
    terms = sorted({" ".join(p) for p in phrases})
    kept = build.prune(terms, ["non x"])
    joined = lambda t: f" {t.replace('non x', 'nonx')} "  # noqa: E731
    for t in set(terms) - set(kept):
        assert any(joined(k) in joined(t) for k in kept), t
    for k in kept:  # no kept term holds another kept term
        assert not any(o != k and joined(o) in joined(k) for o in kept)


def _kinds(texts):
    df = pl.DataFrame({"v": texts}).with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    out = df.select(**health_mention_exprs(pl.col("f"), folded=True))
    return [{k for k in out.columns if row[k]} for row in out.iter_rows(named=True)]


def test_free_text_asserts_about_the_person_only():
    got = _kinds([
        "Goitre non toxique",  # a label-internal "non" qualifies, it does not deny
        "Pas de goitre",
        "Mère : asthme",
        "Antécédents familiaux de mucoviscidose",
        "Non-voyant, accompagné",
        "Sérologie toxoplasmose : immunisée",
        "Sérologie VIH positive",
        "Dialysé 3x/semaine",
        "Sous ABACAVIR ARROW 300 mg, comprimé",
        "Tube hémolysé, patient à jeun, RAS",
        "Polyarthrite rhumatoïde évolutive",
    ])  # fmt: skip
    assert "other_condition" in got[0]
    assert got[1] == set() and got[2] == set() and got[3] == set()
    assert "disability" in got[4]
    assert got[5] == set()
    assert "hiv" in got[6]
    assert "treatment" not in got[7] and "chronic_disease" in got[7]
    assert "treatment" in got[8]
    assert got[9] == set()
    assert got[10] - {"treatment"}


def test_bdpm_and_cim10_entries_inside_sentences():
    texts = [
        "Renouvellement de GLUCOSE 10 % FRESENIUS KABI FRANCE, solution pour perfusion",
        "Patient connu pour Choléra à Vibrio cholerae 01, biovar El Tor, bilan",
        "Suivi pour Fracture de la jambe, partie non précisée",
    ]
    df = pl.DataFrame({"v": texts}).with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    found = df.select(**text_health_exprs(pl.col("f")))
    assert found["medication"][0]
    assert found["health_condition"][1] and found["health_condition"][2]


def test_a_column_of_communes_is_city_and_family_names_are_not():
    communes = [c for c in ref.ref_terms("communes") if " " not in c][::97][:300]
    cities = [c.title() for c in communes]
    assert classify(pl.DataFrame({"C04": cities}))[0].category == "city"
    names = sorted(lx.last_names())[::31][:300]
    assert classify(pl.DataFrame({"C05": [n.upper() for n in names]}))[0].category != "city"


def test_cedex_and_saint_forms_are_communes():
    values = ["ST ETIENNE CEDEX 2", "Lyon Cedex 03", "Ste-Foy-lès-Lyon", "Paris 15", "PARIS"]
    df = pl.DataFrame({"v": values})
    got = df.select(ref.commune_words_expr(lx.fold_expr(pl.col("v"))).is_in(ref.communes()))
    assert got.to_series().all()


def test_nabm_lab_terms_name_tests_not_conditions_or_drugs():
    labs = set(ref.ref_terms("lab_tests"))
    assert {"antibiogramme", "serodiagnostic", "ionogramme", "hba1c", "ecbu"} <= labs
    # conditions, drugs alone and ordinary words stay out
    assert not {"syphilis", "legionelloses", "carbamazepine", "recherche", "rage"} & labs
    assert not labs & set(ref.ref_terms("cim10"))


NABM_LABELS = [  # as the NABM writes them (IR_BIO_R.csv, BIO_INF_LIB)
    "SYPHILIS : SERODIAGNOSTIC DE DEPISTAGE",
    "ANTIBIOGRAMME BACTERIE AEROBIE (SAUF MYCOPLASME) (ATB)",
    "COEFFICIENT DE SATURATION DE LA TRANSFERRINE (CS-TF)",
    "EX. MYCO ISOLE : IDENTIF DE GENRE LEVURES ET CHAMPIGNONS FILAMENTEUX",
    "RETICULOCYTES (RC) : NUMERATION",
    "TOXOPLASMOSE GROSSESSE : CULTURE CELLULAIRE",
]


def test_nabm_labels_are_lab_tests_alone_and_in_sentences():
    values = NABM_LABELS * 20
    assert classify(pl.DataFrame({"C09": values}))[0].category == "lab_test"
    texts = [f"Bilan demandé : {x.lower()}" for x in NABM_LABELS]
    df = pl.DataFrame({"v": texts}).with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    assert df.select(text_other_exprs(pl.col("v"), pl.col("f"))["lab_test"]).to_series().all()


def test_lab_test_terms_from_a_nabm_table(tmp_path):
    csv_path = tmp_path / "IR_BIO_R.csv"
    rows = ["BIO_PRS_IDE;BIO_INF_LIB", "1;GLUCOSE (GLYCEMIE)", "2;SYPHILIS : TITRAGE ZZTEST",
            "3;DIGOXINE", "4;HEPATITE B (VHB) : SD : AC ANTIHBS"]  # fmt: skip
    csv_path.write_text("\n".join(rows) + "\n", "latin-1")
    terms, labels = build.lab_test_terms(
        csv_path, frozenset({"glycemie"}), frozenset({"syphilis", "hepatite b"}),
        frozenset({"digoxine"}),
    )  # fmt: skip
    assert labels == [r.split(";")[1] for r in rows[1:]]
    assert "glucose" in terms and "titrage zztest" in terms
    assert "glycemie" not in terms  # an ordinary word (stop) outside a head
    assert "syphilis" not in terms and "digoxine" not in terms
    assert not any("hepatite b" in t for t in terms)


def test_regressions_found_by_the_independent_free_text_benchmark():
    # each line was wrong before (benchmarks/freetext_independent.py, tuning seeds)
    got = _kinds([
        "Lupus : non",  # a clause that ends on a denial
        "VIH+ exclu",
        "Père traité pour asthme - Patient hypertendu",  # " - " ends the family scope
        "Sans QUINIMAX 250 mg/2 ml",  # the scope runs over "mg/2 ml"
        "Demande de vitamine D",  # a lab test, not a treatment
        "Sous vitamine D",
        "Carence en thiamine",  # a condition's label naming a drug
        "Bilan : ex microbio prel divers",
        "Suivi pour malformations congénitales de la vésicule biliaire",  # a label's head
        "Pas de DETRUSITOL 2 MG - Relais par BIKTARVY",
        "Échographie de la vessie et de la prostate",  # organs, not organotherapy drugs
    ])  # fmt: skip
    assert got[0] == set() and got[1] == set()
    assert got[2] == {"chronic_disease"}
    assert got[3] == set()
    assert got[4] == set() and got[5] == {"treatment"}
    assert "treatment" not in got[6] and got[6]
    assert got[7] == set()
    assert "other_condition" in got[8]
    assert got[9] == {"treatment"}
    assert "treatment" not in got[10]
