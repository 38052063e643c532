"""Départements, regions and a tile-grid layout of France.

Hand-written: no library offers the département -> region table (2016
regions) and a cartogram layout offline. The grid puts one square per
département at its approximate position (a tile-grid cartogram, not a true
map); overseas départements sit on the bottom row.
"""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "84": "Auvergne-Rhône-Alpes",
    "27": "Bourgogne-Franche-Comté",
    "53": "Bretagne",
    "24": "Centre-Val de Loire",
    "94": "Corse",
    "44": "Grand Est",
    "32": "Hauts-de-France",
    "11": "Île-de-France",
    "28": "Normandie",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "52": "Pays de la Loire",
    "93": "Provence-Alpes-Côte d'Azur",
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
}

# code -> (name, region code)
DEPARTEMENTS: dict[str, tuple[str, str]] = {
    "01": ("Ain", "84"),
    "02": ("Aisne", "32"),
    "03": ("Allier", "84"),
    "04": ("Alpes-de-Haute-Provence", "93"),
    "05": ("Hautes-Alpes", "93"),
    "06": ("Alpes-Maritimes", "93"),
    "07": ("Ardèche", "84"),
    "08": ("Ardennes", "44"),
    "09": ("Ariège", "76"),
    "10": ("Aube", "44"),
    "11": ("Aude", "76"),
    "12": ("Aveyron", "76"),
    "13": ("Bouches-du-Rhône", "93"),
    "14": ("Calvados", "28"),
    "15": ("Cantal", "84"),
    "16": ("Charente", "75"),
    "17": ("Charente-Maritime", "75"),
    "18": ("Cher", "24"),
    "19": ("Corrèze", "75"),
    "2A": ("Corse-du-Sud", "94"),
    "2B": ("Haute-Corse", "94"),
    "21": ("Côte-d'Or", "27"),
    "22": ("Côtes-d'Armor", "53"),
    "23": ("Creuse", "75"),
    "24": ("Dordogne", "75"),
    "25": ("Doubs", "27"),
    "26": ("Drôme", "84"),
    "27": ("Eure", "28"),
    "28": ("Eure-et-Loir", "24"),
    "29": ("Finistère", "53"),
    "30": ("Gard", "76"),
    "31": ("Haute-Garonne", "76"),
    "32": ("Gers", "76"),
    "33": ("Gironde", "75"),
    "34": ("Hérault", "76"),
    "35": ("Ille-et-Vilaine", "53"),
    "36": ("Indre", "24"),
    "37": ("Indre-et-Loire", "24"),
    "38": ("Isère", "84"),
    "39": ("Jura", "27"),
    "40": ("Landes", "75"),
    "41": ("Loir-et-Cher", "24"),
    "42": ("Loire", "84"),
    "43": ("Haute-Loire", "84"),
    "44": ("Loire-Atlantique", "52"),
    "45": ("Loiret", "24"),
    "46": ("Lot", "76"),
    "47": ("Lot-et-Garonne", "75"),
    "48": ("Lozère", "76"),
    "49": ("Maine-et-Loire", "52"),
    "50": ("Manche", "28"),
    "51": ("Marne", "44"),
    "52": ("Haute-Marne", "44"),
    "53": ("Mayenne", "52"),
    "54": ("Meurthe-et-Moselle", "44"),
    "55": ("Meuse", "44"),
    "56": ("Morbihan", "53"),
    "57": ("Moselle", "44"),
    "58": ("Nièvre", "27"),
    "59": ("Nord", "32"),
    "60": ("Oise", "32"),
    "61": ("Orne", "28"),
    "62": ("Pas-de-Calais", "32"),
    "63": ("Puy-de-Dôme", "84"),
    "64": ("Pyrénées-Atlantiques", "75"),
    "65": ("Hautes-Pyrénées", "76"),
    "66": ("Pyrénées-Orientales", "76"),
    "67": ("Bas-Rhin", "44"),
    "68": ("Haut-Rhin", "44"),
    "69": ("Rhône", "84"),
    "70": ("Haute-Saône", "27"),
    "71": ("Saône-et-Loire", "27"),
    "72": ("Sarthe", "52"),
    "73": ("Savoie", "84"),
    "74": ("Haute-Savoie", "84"),
    "75": ("Paris", "11"),
    "76": ("Seine-Maritime", "28"),
    "77": ("Seine-et-Marne", "11"),
    "78": ("Yvelines", "11"),
    "79": ("Deux-Sèvres", "75"),
    "80": ("Somme", "32"),
    "81": ("Tarn", "76"),
    "82": ("Tarn-et-Garonne", "76"),
    "83": ("Var", "93"),
    "84": ("Vaucluse", "93"),
    "85": ("Vendée", "52"),
    "86": ("Vienne", "75"),
    "87": ("Haute-Vienne", "75"),
    "88": ("Vosges", "44"),
    "89": ("Yonne", "27"),
    "90": ("Territoire de Belfort", "27"),
    "91": ("Essonne", "11"),
    "92": ("Hauts-de-Seine", "11"),
    "93": ("Seine-Saint-Denis", "11"),
    "94": ("Val-de-Marne", "11"),
    "95": ("Val-d'Oise", "11"),
    "971": ("Guadeloupe", "01"),
    "972": ("Martinique", "02"),
    "973": ("Guyane", "03"),
    "974": ("La Réunion", "04"),
    "976": ("Mayotte", "06"),
}

# Tile-grid cartogram: row -> département codes with their column.
# fmt: off
_GRID_ROWS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("62", 6), ("59", 7)),
    (("76", 5), ("80", 6), ("02", 7), ("08", 8)),
    (("50", 2), ("14", 3), ("27", 4), ("95", 5), ("60", 6), ("51", 7), ("55", 8), ("57", 9), ("67", 10)),
    (("29", 0), ("22", 1), ("35", 2), ("61", 3), ("78", 4), ("75", 5), ("93", 6), ("10", 7), ("54", 8), ("88", 9), ("68", 10)),
    (("56", 1), ("53", 2), ("72", 3), ("28", 4), ("92", 5), ("94", 6), ("77", 7), ("52", 8), ("70", 9), ("90", 10)),
    (("44", 2), ("49", 3), ("37", 4), ("41", 5), ("91", 6), ("89", 7), ("21", 8), ("25", 9)),
    (("85", 2), ("79", 3), ("86", 4), ("36", 5), ("45", 6), ("58", 7), ("71", 8), ("39", 9)),
    (("17", 3), ("16", 4), ("87", 5), ("18", 6), ("03", 7), ("69", 8), ("01", 9), ("74", 10)),
    (("33", 3), ("24", 4), ("19", 5), ("23", 6), ("63", 7), ("42", 8), ("38", 9), ("73", 10)),
    (("40", 3), ("47", 4), ("46", 5), ("15", 6), ("43", 7), ("07", 8), ("26", 9), ("05", 10)),
    (("64", 3), ("32", 4), ("82", 5), ("12", 6), ("48", 7), ("30", 8), ("84", 9), ("04", 10), ("06", 11)),
    (("65", 4), ("31", 5), ("81", 6), ("34", 7), ("13", 9), ("83", 10)),
    (("09", 5), ("11", 6), ("66", 7), ("2B", 11)),
    (("971", 0), ("972", 1), ("973", 2), ("974", 3), ("976", 4), ("2A", 11)),
)
# fmt: on

# code -> (column, row)
GRID: dict[str, tuple[int, int]] = {
    code: (col, row) for row, cells in enumerate(_GRID_ROWS) for code, col in cells
}


def departement_name(code: str) -> str:
    entry = DEPARTEMENTS.get(code)
    return entry[0] if entry else "abroad" if code == "99" else "unknown"


def region_of(code: str) -> str | None:
    entry = DEPARTEMENTS.get(code)
    return entry[1] if entry else None
