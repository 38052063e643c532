import re
from importlib.resources import files

import polars as pl
import pytest

from vigile.detect import lexicons as L
from vigile.detect.lexicons.loading import load_terms

DATA = files("vigile.detect.lexicons").joinpath("data")


def _data_files():
    out = []
    for entry in DATA.iterdir():
        if entry.is_dir():
            out += [f"{entry.name}/{f.name}" for f in entry.iterdir() if f.name.endswith(".txt")]
        elif entry.name.endswith(".txt"):
            out.append(entry.name)
    return sorted(out)


def _whole_word(terms) -> re.Pattern:
    # Longest first so a phrase wins over its first word; the engine may do otherwise,
    # but a match is a match for these tests.
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternation})\b")


ALL_HEALTH = frozenset(t for terms in L.health_terms().values() for t in terms)
HEALTH_RE = _whole_word(ALL_HEALTH)
MEDICATION_RE = _whole_word(L.medications())


@pytest.mark.parametrize("name", _data_files())
def test_data_files_are_folded_unique_and_without_empty_lines(name):
    lines = DATA.joinpath(name).read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "file ends with a newline"
    terms = [line for line in lines[:-1] if not line.startswith("#")]
    assert all(terms), f"{name}: empty line"
    assert [t for t in terms if L.fold(t) != t] == [], f"{name}: unfolded terms"
    assert len(terms) == len(set(terms)), f"{name}: duplicates"


def test_every_data_file_is_served_by_the_api():
    # A file no API function returns would be a lexicon the detectors silently miss.
    served = [frozenset(terms) for _, terms in _all_lists()]
    for name in _data_files():
        terms = frozenset(load_terms(name.removesuffix(".txt")))
        assert terms in served, name


def _all_lists():
    yield "medications", L.medications()
    yield "lab_tests", L.lab_tests()
    yield "insurers", L.insurers()
    yield "first_names", L.first_names()
    yield "last_names", L.last_names()
    yield "street_types", L.street_types()
    yield "address_extras", L.address_extras()
    yield "negation_cues", L.negation_cues()
    for kind, terms in L.health_terms().items():
        yield kind, terms
    for kind, terms in L.credential_header_words().items():
        yield kind, terms


@pytest.mark.parametrize(("name", "terms"), list(_all_lists()))
def test_api_terms_are_folded_unique_non_empty(name, terms):
    assert terms, name
    assert all(t and L.fold(t) == t and not t.startswith("#") for t in terms), name
    if isinstance(terms, tuple):
        assert len(set(terms)) == len(terms), name


def test_minimum_sizes():
    assert len(L.medications()) >= 400
    assert len(L.lab_tests()) >= 200
    assert len(L.insurers()) >= 80
    assert len(L.first_names()) >= 1500
    assert len(L.last_names()) >= 1000
    assert all(len(L.health_terms()[k]) >= 25 for k in L.HEALTH_KINDS)


def test_types_and_keys():
    assert L.HEALTH_KINDS == (
        "pregnancy",
        "hiv",
        "disability",
        "chronic_disease",
        "mental_health",
        "addiction",
        "infectious_disease",
        "other_condition",
    )
    assert tuple(L.health_terms()) == L.HEALTH_KINDS
    assert all(isinstance(v, tuple) for v in L.health_terms().values())
    assert isinstance(L.first_names(), frozenset) and isinstance(L.last_names(), frozenset)
    assert set(L.credential_header_words()) == {"login", "password"}
    assert L.medications() is L.medications()  # loaded once, cached


# One usual wording per condition of the ALD 30 list (ALD 12, severe hypertension,
# left the list in 2011 but is still written in records).
ALD_30 = {
    1: ["accident vasculaire cerebral invalidant", "avc"],
    2: ["insuffisance medullaire", "cytopenie chronique"],
    3: ["arteriopathie chronique", "arteriopathie obliterante des membres inferieurs"],
    4: ["bilharziose compliquee"],
    5: ["insuffisance cardiaque grave", "troubles du rythme graves", "cardiopathie congenitale"],
    6: ["maladie chronique du foie", "cirrhose", "hepatite chronique"],
    7: ["deficit immunitaire acquis", "vih"],
    8: ["diabete de type 1", "diabete de type 2"],
    9: ["myopathie", "epilepsie grave"],
    10: ["hemoglobinopathie", "anemie hemolytique", "drepanocytose"],
    11: ["hemophilie", "trouble de l'hemostase"],
    12: ["hta severe", "hypertension arterielle severe"],
    13: ["maladie coronaire"],
    14: ["insuffisance respiratoire chronique grave"],
    15: ["maladie d'alzheimer", "demence"],
    16: ["maladie de parkinson"],
    17: ["maladie metabolique hereditaire"],
    18: ["mucoviscidose"],
    19: ["nephropathie chronique grave", "syndrome nephrotique", "insuffisance renale", "dialyse"],
    20: ["paraplegie"],
    21: ["vascularite", "lupus erythemateux systemique", "sclerodermie systemique"],
    22: ["polyarthrite rhumatoide evolutive"],
    23: ["affection psychiatrique", "schizophrenie", "trouble bipolaire"],
    24: ["rectocolite hemorragique", "maladie de crohn"],
    25: ["sclerose en plaques"],
    26: ["scoliose idiopathique structurale evolutive"],
    27: ["spondylarthrite grave"],
    28: ["suites de transplantation d'organe", "greffe"],
    29: ["tuberculose active", "lepre"],
    30: ["tumeur maligne", "cancer", "leucemie", "lymphome"],
}


@pytest.mark.parametrize("number", sorted(ALD_30))
def test_every_ald_30_condition_is_present(number):
    missing = [t for t in ALD_30[number] if t not in ALL_HEALTH]
    assert missing == [], f"ALD {number}"


@pytest.mark.parametrize(
    ("kind", "terms"),
    [
        (
            "pregnancy",
            ["grossesse", "enceinte", "12 sa", "ivg", "accouchement", "beta hcg positif"],
        ),
        ("hiv", ["vih", "hiv", "sida", "seropositif", "seropositivite vih"]),
        (
            "disability",
            [
                "surdite",
                "sourd",
                "malentendant",
                "non-voyant",
                "aveugle",
                "malvoyant",
                "handicap",
                "fauteuil roulant",
                "trisomie",
                "paraplegie",
                "tetraplegie",
                "autisme",
            ],
        ),
        ("chronic_disease", ["diabete", "insuffisance renale", "cancer", "hypothyroidie", "crohn"]),
        (
            "mental_health",
            [
                "depression",
                "schizophrenie",
                "bipolaire",
                "anorexie",
                "tentative de suicide",
                "troubles psychiatriques",
            ],
        ),
        (
            "addiction",
            [
                "alcoolisme",
                "ethylisme",
                "toxicomanie",
                "sevrage",
                "methadone",
                "subutex",
                "cannabis",
                "heroine",
            ],
        ),
        (
            "infectious_disease",
            ["hepatite b", "hepatite c", "tuberculose", "syphilis", "chlamydia", "covid"],
        ),
        ("other_condition", ["allergie", "asthme", "anemie"]),
    ],
)
def test_health_kinds_cover_the_brief(kind, terms):
    assert [t for t in terms if t not in L.health_terms()[kind]] == []


def test_named_terms_of_the_other_lists():
    assert {"levothyrox", "metformine", "truvada", "subutex", "doliprane"} <= set(L.medications())
    assert {
        "nfs",
        "crp",
        "tsh",
        "hba1c",
        "glycemie",
        "ferritine",
        "serologie vih",
        "inr",
        "beta hcg",
    } <= set(L.lab_tests())
    assert {
        "mgen",
        "harmonie mutuelle",
        "malakoff humanis",
        "ag2r la mondiale",
        "mnh",
        "macif",
        "maaf",
        "matmut",
        "groupama",
        "axa",
        "allianz",
        "swiss life",
        "april",
        "apivia",
        "mutuelle generale",
    } <= set(L.insurers())
    assert {"jean-pierre", "marie", "camille", "mohamed", "nathalie"} <= L.first_names()
    assert {"martin", "dupont", "le gall", "nguyen", "da silva"} <= L.last_names()
    assert {"rue", "av", "bd", "che", "imp", "pl", "rte", "lieu-dit", "za", "bp"} <= set(
        L.street_types()
    )
    assert {"batiment", "bat", "appt", "etage", "escalier", "chez", "cedex", "cs"} <= set(
        L.address_extras()
    )
    assert {"pas de", "pas d'", "sans", "absence de", "aucun", "non", "ni", "negatif pour"} <= set(
        L.negation_cues()
    )
    words = L.credential_header_words()
    assert {"login", "identifiant", "utilisateur", "compte"} <= set(words["login"])
    assert {"mdp", "mot de passe", "password", "pwd", "pin", "hash"} <= set(words["password"])


HARMLESS_COMMENTS = [
    "Patient à jeun",
    "Prélèvement difficile",
    "Rappeler pour RDV",
    "Tube hémolysé",
    "tube hemolyse",
    "Ordonnance jointe",
    "Résultats transmis au médecin",
    "Patient venu à pied",
    "Sérum lipémique, échantillon ictérique",
    "Tube coagulé, à reprélever",
    "Prélevé au domicile le 12/03 à 8h",
    "Désinfection à l'alcool, garrot posé",
    "Facture envoyée à la mutuelle",
    "Sa fille l'accompagne",
    "Il est venu avec sa carte vitale",
    "Attente 15 min, patient parti avant la prise de sang",
    "Non renseigné",
    "Compte rendu envoyé par courrier",
    "Merci de rappeler le laboratoire",
    "Ni fax ni mail disponible",
]


@pytest.mark.parametrize("comment", HARMLESS_COMMENTS)
def test_harmless_lab_comments_match_no_health_or_drug_term(comment):
    text = L.fold(comment)
    assert HEALTH_RE.search(text) is None
    assert MEDICATION_RE.search(text) is None


CITIES = (
    "Paris, Marseille, Lyon, Toulouse, Nice, Nantes, Montpellier, Strasbourg, Bordeaux, Lille, "
    "Rennes, Reims, Toulon, Saint-Étienne, Le Havre, Grenoble, Dijon, Angers, Nîmes, "
    "Villeurbanne, Clermont-Ferrand, Le Mans, Aix-en-Provence, Brest, Tours, Amiens, Limoges, "
    "Annecy, Perpignan, Boulogne-Billancourt, Metz, Besançon, Orléans, Rouen, Mulhouse, Caen, "
    "Nancy, Argenteuil, Saint-Denis, Montreuil, Roubaix, Tourcoing, Avignon, Poitiers, Pau, "
    "La Rochelle, Calais, Cannes, Antibes, Ajaccio, Bastia, Colmar, Troyes, Quimper, Vannes, "
    "Lorient, Chartres, Évreux, Laval, Niort, Valence, Bourges, Saint-Malo, Cayenne, "
    "Fort-de-France, Pointe-à-Pitre, Saint-Pierre"
).split(", ")


def test_common_names_and_cities_are_not_health_or_drug_terms():
    # One documented exception: "sourd" (deaf) is also a French family name (rank about
    # 6,000); as a disability marker it is too important to drop.
    allowed = {"sourd"}
    probes = {L.fold(c) for c in CITIES} | L.first_names() | L.last_names()
    probes |= {"martin", "rose", "paris", "claude", "france", "marie", "pierre", "blanc"}
    health_hits = {p for p in probes if HEALTH_RE.search(p)}
    assert health_hits <= allowed
    assert {p for p in probes if MEDICATION_RE.search(p)} == set()


def test_lexicons_do_not_overlap_where_a_column_must_be_told_apart():
    meds, labs = set(L.medications()), set(L.lab_tests())
    assert meds & labs == set()
    assert ALL_HEALTH & labs == set()
    assert set(L.insurers()) & (meds | labs | ALL_HEALTH) == set()


def test_health_alternation_runs_in_polars():
    # The engine compiles whole-word alternations for the Rust regex engine.
    pattern = rf"\b(?:{'|'.join(re.escape(t) for t in L.health_terms()['pregnancy'])})\b"
    texts = pl.Series([L.fold(t) for t in ["Grossesse 12 SA", "tube hémolysé", "sa mère"]])
    assert texts.str.contains(pattern).to_list() == [True, False, False]
