"""French geography for synthetic records: départements, communes, phone areas.

Faker's fr_FR commune names are invented ("RaynaudVille"), so the main towns
below are real communes with their real postcodes, written by hand; Faker only
adds small invented communes around them. The weights skew residence towards
Brittany, Normandy and Centre-Val de Loire, like the 2021 leak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker import Faker
from faker.providers.address.fr_FR import Provider as _FrAddress

# INSEE codes of all 101 départements (01-19, 2A, 2B, 21-95, 971-974, 976).
DEPARTEMENTS: tuple[str, ...] = tuple(code for code, _name in _FrAddress.departments)
DEPARTEMENT_NAMES: dict[str, str] = dict(_FrAddress.departments)

SKEWED: frozenset[str] = frozenset(
    "22 29 35 56 14 27 50 61 76 18 28 36 37 41 45".split()  # Bretagne, Normandie, Centre-VdL
)
OVERSEAS: frozenset[str] = frozenset({"971", "972", "973", "974", "976"})
CORSICA: frozenset[str] = frozenset({"2A", "2B"})

# Real communes (name, postcode). Skewed départements get several; others their préfecture.
REAL_COMMUNES: dict[str, tuple[tuple[str, str], ...]] = {
    "22": (("Saint-Brieuc", "22000"), ("Lannion", "22300"), ("Dinan", "22100"),
           ("Guingamp", "22200"), ("Loudéac", "22600"), ("Lamballe-Armor", "22400"),
           ("Paimpol", "22500"), ("Perros-Guirec", "22700"), ("Plérin", "22190")),
    "29": (("Quimper", "29000"), ("Brest", "29200"), ("Morlaix", "29600"),
           ("Concarneau", "29900"), ("Landerneau", "29800"), ("Douarnenez", "29100"),
           ("Quimperlé", "29300"), ("Carhaix-Plouguer", "29270"), ("Landivisiau", "29400"),
           ("Pont-l'Abbé", "29120"), ("Châteaulin", "29150")),
    "35": (("Rennes", "35000"), ("Saint-Malo", "35400"), ("Fougères", "35300"),
           ("Vitré", "35500"), ("Redon", "35600"), ("Bruz", "35170"),
           ("Cesson-Sévigné", "35510"), ("Dinard", "35800")),
    "56": (("Vannes", "56000"), ("Lorient", "56100"), ("Lanester", "56600"),
           ("Pontivy", "56300"), ("Auray", "56400"), ("Ploërmel", "56800"),
           ("Hennebont", "56700"), ("Quiberon", "56170")),
    "14": (("Caen", "14000"), ("Lisieux", "14100"), ("Bayeux", "14400"),
           ("Hérouville-Saint-Clair", "14200"), ("Vire Normandie", "14500"),
           ("Honfleur", "14600"), ("Falaise", "14700"), ("Deauville", "14800")),
    "27": (("Évreux", "27000"), ("Vernon", "27200"), ("Louviers", "27400"),
           ("Les Andelys", "27700"), ("Bernay", "27300"), ("Pont-Audemer", "27500"),
           ("Gisors", "27140")),
    "50": (("Saint-Lô", "50000"), ("Cherbourg-en-Cotentin", "50100"), ("Granville", "50400"),
           ("Coutances", "50200"), ("Avranches", "50300"), ("Valognes", "50700")),
    "61": (("Alençon", "61000"), ("Flers", "61100"), ("Argentan", "61200"),
           ("L'Aigle", "61300"), ("Mortagne-au-Perche", "61400")),
    "76": (("Rouen", "76000"), ("Le Havre", "76600"), ("Dieppe", "76200"),
           ("Fécamp", "76400"), ("Elbeuf", "76500"), ("Sotteville-lès-Rouen", "76300"),
           ("Yvetot", "76190"), ("Bolbec", "76210")),
    "18": (("Bourges", "18000"), ("Vierzon", "18100"), ("Saint-Amand-Montrond", "18200"),
           ("Aubigny-sur-Nère", "18700"), ("Mehun-sur-Yèvre", "18500")),
    "28": (("Chartres", "28000"), ("Dreux", "28100"), ("Châteaudun", "28200"),
           ("Nogent-le-Rotrou", "28400"), ("Lucé", "28110")),
    "36": (("Châteauroux", "36000"), ("Issoudun", "36100"), ("Le Blanc", "36300"),
           ("La Châtre", "36400"), ("Argenton-sur-Creuse", "36200")),
    "37": (("Tours", "37000"), ("Joué-lès-Tours", "37300"), ("Amboise", "37400"),
           ("Chinon", "37500"), ("Loches", "37600"), ("Saint-Cyr-sur-Loire", "37540")),
    "41": (("Blois", "41000"), ("Vendôme", "41100"), ("Romorantin-Lanthenay", "41200"),
           ("Mer", "41500"), ("Montoire-sur-le-Loir", "41800")),
    "45": (("Orléans", "45000"), ("Montargis", "45200"), ("Gien", "45500"),
           ("Pithiviers", "45300"), ("Olivet", "45160"), ("Fleury-les-Aubrais", "45400"),
           ("Saint-Jean-de-Braye", "45800")),
    "2A": (("Ajaccio", "20000"), ("Porto-Vecchio", "20137"), ("Propriano", "20110")),
    "2B": (("Bastia", "20200"), ("Corte", "20250"), ("Calvi", "20260")),
    "971": (("Basse-Terre", "97100"), ("Pointe-à-Pitre", "97110")),
    "972": (("Fort-de-France", "97200"),), "973": (("Cayenne", "97300"),),
    "974": (("Saint-Denis", "97400"), ("Saint-Pierre", "97410")),
    "976": (("Mamoudzou", "97600"),),
    "01": (("Bourg-en-Bresse", "01000"),), "02": (("Laon", "02000"),),
    "03": (("Moulins", "03000"),), "04": (("Digne-les-Bains", "04000"),),
    "05": (("Gap", "05000"),), "06": (("Nice", "06000"),), "07": (("Privas", "07000"),),
    "08": (("Charleville-Mézières", "08000"),), "09": (("Foix", "09000"),),
    "10": (("Troyes", "10000"),), "11": (("Carcassonne", "11000"),),
    "12": (("Rodez", "12000"),), "13": (("Marseille", "13001"),), "15": (("Aurillac", "15000"),),
    "16": (("Angoulême", "16000"),), "17": (("La Rochelle", "17000"),),
    "19": (("Tulle", "19000"),), "21": (("Dijon", "21000"),), "23": (("Guéret", "23000"),),
    "24": (("Périgueux", "24000"),), "25": (("Besançon", "25000"),),
    "26": (("Valence", "26000"),), "30": (("Nîmes", "30000"),), "31": (("Toulouse", "31000"),),
    "32": (("Auch", "32000"),), "33": (("Bordeaux", "33000"),),
    "34": (("Montpellier", "34000"),), "38": (("Grenoble", "38000"),),
    "39": (("Lons-le-Saunier", "39000"),), "40": (("Mont-de-Marsan", "40000"),),
    "42": (("Saint-Étienne", "42000"),), "43": (("Le Puy-en-Velay", "43000"),),
    "44": (("Nantes", "44000"),), "46": (("Cahors", "46000"),), "47": (("Agen", "47000"),),
    "48": (("Mende", "48000"),), "49": (("Angers", "49000"),),
    "51": (("Châlons-en-Champagne", "51000"),), "52": (("Chaumont", "52000"),),
    "53": (("Laval", "53000"),), "54": (("Nancy", "54000"),),
    "55": (("Bar-le-Duc", "55000"),), "57": (("Metz", "57000"),), "58": (("Nevers", "58000"),),
    "59": (("Lille", "59000"),), "60": (("Beauvais", "60000"),), "62": (("Arras", "62000"),),
    "63": (("Clermont-Ferrand", "63000"),), "64": (("Pau", "64000"),),
    "65": (("Tarbes", "65000"),), "66": (("Perpignan", "66000"),),
    "67": (("Strasbourg", "67000"),), "68": (("Colmar", "68000"),), "69": (("Lyon", "69001"),),
    "70": (("Vesoul", "70000"),), "71": (("Mâcon", "71000"),), "72": (("Le Mans", "72000"),),
    "73": (("Chambéry", "73000"),), "74": (("Annecy", "74000"),), "75": (("Paris", "75015"),),
    "77": (("Melun", "77000"),), "78": (("Versailles", "78000"),), "79": (("Niort", "79000"),),
    "80": (("Amiens", "80000"),), "81": (("Albi", "81000"),), "82": (("Montauban", "82000"),),
    "83": (("Toulon", "83000"),), "84": (("Avignon", "84000"),),
    "85": (("La Roche-sur-Yon", "85000"),), "86": (("Poitiers", "86000"),),
    "87": (("Limoges", "87000"),), "88": (("Épinal", "88000"),), "89": (("Auxerre", "89000"),),
    "90": (("Belfort", "90000"),), "91": (("Évry-Courcouronnes", "91000"),),
    "92": (("Nanterre", "92000"),), "93": (("Bobigny", "93000"),), "94": (("Créteil", "94000"),),
    "95": (("Cergy", "95000"),),
}  # fmt: skip

# Landline area digit by département (ARCEP zones 01-05); overseas have their own prefixes.
_ZONE_01 = "75 77 78 91 92 93 94 95"
_ZONE_03 = "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 89 90"
_ZONE_04 = "01 03 04 05 06 07 11 13 15 26 2A 2B 30 34 38 42 43 48 63 66 69 73 74 83 84"
_ZONE_05 = "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 86 87"
LANDLINE_PREFIX: dict[str, str] = {
    **{d: "02" for d in DEPARTEMENTS},
    **{d: "01" for d in _ZONE_01.split()},
    **{d: "03" for d in _ZONE_03.split()},
    **{d: "04" for d in _ZONE_04.split()},
    **{d: "05" for d in _ZONE_05.split()},
    # Overseas: 5-digit prefixes inside the ranges phonenumbers knows as fixed lines.
    "971": "05909", "972": "05965", "973": "05943", "974": "02622", "976": "02696",
}  # fmt: skip
# Overseas numbers belong to their own country codes (+590, +596...): never "+33".
OVERSEAS_PHONE_REGIONS = {"0590": "GP", "0596": "MQ", "0594": "GF", "0262": "RE", "0269": "YT"}

# INSEE country codes used in the NIR of persons born abroad (département 99).
BIRTH_COUNTRIES: tuple[str, ...] = (
    "352",  # Algérie
    "350",  # Maroc
    "351",  # Tunisie
    "139",  # Portugal
    "134",  # Espagne
    "127",  # Italie
    "109",  # Allemagne
    "131",  # Belgique
    "208",  # Turquie
    "341",  # Sénégal
    "326",  # Côte d'Ivoire
    "132",  # Royaume-Uni
)


def residence_weights() -> np.ndarray:
    """Probability of living in each département of DEPARTEMENTS (skewed west)."""
    w = np.array(
        [12.0 if d in SKEWED else 0.8 if d in CORSICA else 0.5 if d in OVERSEAS else 1.0
         for d in DEPARTEMENTS]
    )  # fmt: skip
    return w / w.sum()


@dataclass(frozen=True)
class Communes:
    """A pool of communes: parallel arrays, grouped by département."""

    departement: np.ndarray  # str codes, one per commune
    name: np.ndarray
    postcode: np.ndarray
    starts: dict[str, tuple[int, int]]  # département -> [start, end) slice in the arrays


def _invented_postcode(dep: str, rng: np.random.Generator) -> str:
    if dep == "2A":
        return f"201{rng.integers(1, 10)}0"
    if dep == "2B":
        return f"202{rng.integers(1, 10)}0"
    if dep in OVERSEAS:
        return f"{dep}{rng.integers(1, 10)}0"
    return f"{dep}{rng.integers(1, 100) * 10:03d}"


def build_communes(faker: Faker, rng: np.random.Generator) -> Communes:
    """Real communes plus a few invented ones per département (more in skewed ones)."""
    deps, names, posts = [], [], []
    starts: dict[str, tuple[int, int]] = {}
    for dep in DEPARTEMENTS:
        begin = len(deps)
        entries = list(REAL_COMMUNES[dep])
        invented = 25 if dep in SKEWED else 2
        seen = {n for n, _ in entries}
        for _ in range(invented):
            name = faker.city()
            if name not in seen:
                seen.add(name)
                entries.append((name, _invented_postcode(dep, rng)))
        for name, post in entries:
            deps.append(dep)
            names.append(name)
            posts.append(post)
        starts[dep] = (begin, len(deps))
    return Communes(np.array(deps), np.array(names), np.array(posts), starts)


def departement_of_postcode(postcode: str) -> str:
    """The département a French postcode belongs to (20xxx split into 2A / 2B)."""
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode < "20200" else "2B"
    return postcode[:2]
