"""Clinical vocabulary: health-mention kinds, comment templates with their truth,
treatments, analyses and result summaries.

Each comment template says which health-mention kind it reveals (or none) and
which categories.md ids its text contains. Negated or purely "a test was done"
comments reveal no condition: "Sérologie VIH négative" is a lab_test, not hiv.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS: tuple[str, ...] = (
    "pregnancy",
    "hiv",
    "disability",
    "chronic_disease",
    "mental_health",
    "addiction",
    "treatment",
)


@dataclass(frozen=True)
class CommentTemplate:
    text: str  # may hold one placeholder: {phone} or {doctor}
    kind: str | None  # health-mention kind revealed, or None
    categories: tuple[str, ...]  # categories.md ids present in the text
    group: str  # how the generator picks it


def _t(group: str, kind: str | None, cats: str, *texts: str) -> list[CommentTemplate]:
    return [CommentTemplate(t, kind, tuple(cats.split()), group) for t in texts]


HC = "health_condition"
COMMENT_TEMPLATES: tuple[CommentTemplate, ...] = tuple(
    _t("pregnancy", "pregnancy", HC,
       "Grossesse 12 SA", "Patiente enceinte, terme prévu en juin", "Suivi de grossesse",
       "G2P1, grossesse en cours", "Grossesse gémellaire, suivi rapproché",
       "Enceinte de 5 mois")
    + _t("pregnancy", "pregnancy", f"{HC} lab_test",
         "Enceinte - sérologie toxoplasmose mensuelle", "Grossesse : RAI à contrôler")
    + _t("hiv", "hiv", HC, "Patient VIH+ suivi au CHU", "VIH connu, venir à jeun",
         "Séropositif VIH depuis 2009")
    + _t("hiv", "hiv", f"{HC} medication", "Séropositif VIH sous trithérapie")
    + _t("hiv", "hiv", f"{HC} lab_test", "VIH connu - charge virale de contrôle",
         "Infection VIH, suivi CD4")
    + _t("disability", "disability", HC,
         "Patient sourd, communiquer par écrit", "Malentendant - appeler l'aidant",
         "Surdité profonde, SMS uniquement", "Patient en fauteuil roulant",
         "Non-voyant, accompagné", "Patiente malentendante, parler fort")
    + _t("chronic_disease", "chronic_disease", HC,
         "Diabétique type 2", "Diabète insulino-dépendant", "Dialysé 3x/semaine",
         "Insuffisance rénale chronique", "Hypothyroïdie", "Mucoviscidose",
         "Suivi oncologie - cancer colorectal", "Drépanocytose")
    + _t("chronic_disease", "chronic_disease", f"{HC} medication",
         "Cancer du sein en cours de chimiothérapie")
    + _t("mental_health", "mental_health", HC,
         "Suivi psychiatrique - dépression", "Patient schizophrène, venir accompagné",
         "Anorexie mentale, pesée à chaque visite")
    + _t("mental_health", "mental_health", f"{HC} medication lab_test",
         "Trouble bipolaire, lithémie sous TERALITHE")
    + _t("addiction", "addiction", HC, "Sevrage alcoolique en cours", "Éthylisme chronique")
    + _t("addiction", "addiction", f"{HC} medication",
         "Patient sous méthadone", "Toxicomanie - substitution SUBUTEX")
    + _t("chronic_disease", "chronic_disease", HC,
         "Polyarthrite rhumatoïde évolutive", "Sclérose en plaques, suivi neurologique",
         "Maladie de Crohn, poussée en cours", "Insuffisance cardiaque, suivi cardiologique")
    + _t("treatment", "treatment", "medication",
         "Sous LEVOTHYROX 75 µg", "Traitement par PREVISCAN - INR cible 2-3",
         "Sous KARDEGIC 75 mg", "Sous METFORMINE 850 mg x2/j", "Anticoagulé (XARELTO 20 mg)",
         "Traitement : AMLODIPINE 5 mg, comprimé", "Sous ELIQUIS 2,5 mg")
    + _t("harmless", None, "",
         "Patient à jeun", "Prélèvement difficile", "Rappeler pour RDV",
         "Prélèvement à domicile", "Tube hémolysé, à refaire", "Patient non à jeun",
         "Ordonnance scannée", "Envoyer résultats par courrier", "Résultats sur serveur",
         "RAS", "Bilan RAS", "Échantillon hémolysé", "À jeun depuis 12 h",
         "Carte vitale présentée, mutuelle à jour", "Facture adressée à la mutuelle",
         "Dossier incomplet - rappeler le secrétariat")
    + _t("lab_only", None, "lab_test",
         "Sérologie VIH négative", "Sérologie toxoplasmose : immunisée",
         "Contrôle INR demandé", "HbA1c à contrôler dans 3 mois")
    + _t("negated", None, "",
         "Pas de traitement en cours", "Aucun antécédent notable", "Pas d'allergie connue",
         "Pas de diabète connu", "Sans antécédent de cancer", "Absence d'insuffisance rénale")
    # family history: a relative's condition, not the person's (kind None)
    + _t("negated", None, "",
         "Antécédents familiaux de diabète", "Mère diabétique",
         "Père décédé d'un cancer du poumon", "ATCD familiaux : cancer du sein",
         "Frère suivi pour schizophrénie")
    + _t("negated_female", None, "", "Pas de grossesse", "Non enceinte")
    + _t("negated_female", None, "lab_test", "Test de grossesse négatif")
    + _t("contact", None, "phone", "Rappeler au {phone}", "Joindre la fille au {phone}")
    + _t("doctor", None, "last_name",
         "Résultats à transmettre au {doctor}", "Copie au {doctor}")
)  # fmt: skip

# Short "renseignements cliniques" labels, one list per kind (all health_condition
# except treatment, which is medication).
CLINICAL_LABELS: dict[str, tuple[str, ...]] = {
    "pregnancy": ("Grossesse", "Grossesse 2e trimestre", "Enceinte"),
    "hiv": ("VIH", "Infection VIH"),
    "disability": ("Surdité", "Malentendant", "Handicap moteur"),
    "chronic_disease": ("Diabète", "IRC dialysée", "Cancer du poumon", "Hypothyroïdie"),
    "mental_health": ("Dépression", "Schizophrénie"),
    "addiction": ("Éthylisme", "Toxicomanie"),
    "treatment": ("Sous AVK", "Sous lithium", "Sous LEVOTHYROX"),
}
NEUTRAL_CLINICAL = ("Bilan annuel", "Bilan pré-opératoire", "Contrôle", "Bilan systématique")

TREATMENTS = (
    "LEVOTHYROX 75 µg", "LEVOTHYROX 100 µg", "KARDEGIC 75 mg", "KARDEGIC 160 mg",
    "METFORMINE 850 mg x2/j", "METFORMINE 1000 mg", "PREVISCAN 20 mg", "XARELTO 20 mg",
    "ELIQUIS 5 mg x2/j", "TAHOR 20 mg", "AMLOR 5 mg", "LASILIX 40 mg", "INSULINE LANTUS",
    "COUMADINE 5 mg", "DOLIPRANE 1 g", "SERESTA 10 mg", "DEPAKINE 500 mg", "CORTANCYL 20 mg",
)  # fmt: skip

# (label, NABM-like 4-digit code, result template). Codes are realistic in shape only.
ANALYSES = (
    ("NFS", "1104", "Hb {v:.1f} g/dL"),
    ("CRP", "1804", "CRP {v:.0f} mg/L"),
    ("TSH", "1208", "TSH {v:.2f} mUI/L"),
    ("Glycémie", "0552", "Gly {v:.2f} g/L"),
    ("Créatinine", "0592", "Créat {v:.0f} µmol/L"),
    ("HbA1c", "1577", "HbA1c {v:.1f} %"),
    ("EAL", "0996", "LDL {v:.2f} g/L"),
    ("TP/INR", "0126", "INR {v:.1f}"),
    ("Ferritine", "1806", "Ferritine {v:.0f} µg/L"),
    ("Vitamine D", "1139", "25-OH-D {v:.0f} ng/mL"),
    ("PSA", "7318", "PSA {v:.2f} ng/mL"),
    ("hCG", "7402", "hCG {v:.0f} UI/L"),
    ("Sérologie VIH", "0388", "VIH {neg}"),
    ("Toxoplasmose", "1832", "Toxo IgG {neg}"),
    ("Ionogramme", "1610", "Na {v:.0f} mmol/L"),
    ("ECBU", "5201", "ECBU {neg}"),
)
_RANGES = {"NFS": (9, 17), "CRP": (1, 80), "TSH": (0.3, 6), "Glycémie": (0.7, 2.2),
           "Créatinine": (45, 180), "HbA1c": (4.8, 10), "EAL": (0.8, 2.2), "TP/INR": (0.9, 3.8),
           "Ferritine": (10, 400), "Vitamine D": (8, 60), "PSA": (0.2, 9), "hCG": (1, 90000),
           "Ionogramme": (132, 146)}  # fmt: skip


def analysis_panels(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[str]]:
    """A pool of (analyses requested, analysis codes, result summary) triples."""
    labels, codes, results = [], [], []
    for _ in range(n):
        picks = sorted(rng.choice(len(ANALYSES), rng.integers(1, 5), replace=False))
        chosen = [ANALYSES[i] for i in picks]
        labels.append(", ".join(c[0] for c in chosen))
        codes.append(" ".join(c[1] for c in chosen))
        parts = []
        for label, _code, tpl in chosen:
            low, high = _RANGES.get(label, (0, 1))
            neg = "négatif" if rng.random() < 0.97 else "positif"
            parts.append(tpl.format(v=rng.uniform(low, high), neg=neg).replace(".", ","))
        results.append("; ".join(parts))
    return labels, codes, results


def blood_group_notations() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Suffix notations for Rhesus positive and negative ('{abo}' is the ABO group)."""
    positive = ("{abo}+", "{abo} RH+", "{abo} Rh1", "{abo} POS", "{abo} positif", "{abo} Rh+")
    negative = ("{abo}-", "{abo} RH-", "{abo} RH-1", "{abo} NEG", "{abo} négatif", "{abo} Rh-")
    return positive, negative
