"""An independent free-text benchmark: French lab/clinical comments with cell-level truth,
written WITHOUT looking at `vigile.synth`'s comment templates (nor tuned on their outputs),
from the real reference lists, to measure the free-text detectors per cell.

Each comment joins one to three clauses, each of a known kind:

- a condition the person has ("Patiente connue pour {c}", "ATCD de {c}", "{c} depuis 2015",
  an abbreviation such as "DT2" or "HTA"): health_condition;
- a treatment the person takes ("Sous {d}", "TTT : {d} 1 cp/j"): medication (and
  health_condition too for opioid substitution, taken for one condition only);
- the same denied ("pas de", "absence de", "ne présente pas de", "{c} exclu") or about a
  relative ("mère diabétique", "ATCD familiaux de {c}"): neither;
- notes that assert nothing about health ("à jeun", "hémolysé", "RAS", "prélèvement
  difficile", administrative notes) and named lab tests without a result: neither.

Then cells are mutated: case changes, accents dropped, a typo in a long word, words cut
("insuf.", "chron."). Conditions come from the CIM-10 labels (cut at their first comma,
at most eight words), the ALD list and usual wordings written here; drugs from the BDPM
specialties (name before the comma, or its brand) and substances; lab tests from the NABM
labels and usual wordings. With `benchmarks/data/lexicon_sources/` written (see
bench_lexicons.py) the lists are taken as published; otherwise from vigile's shipped terms.

Seeds are split: TUNE_SEEDS may be looked at while fixing the detectors; HELD_SEEDS are
only reported. Cells are synthetic; the report prints figures only (and, with --misses,
missed cells of tuning seeds).

Run: .venv/bin/python benchmarks/freetext_independent.py [--held] [--cells 2000] [--misses 20]
"""

from __future__ import annotations

import argparse
import random
import re
import time
import unicodedata
from functools import cache
from pathlib import Path

import polars as pl

TUNE_SEEDS = tuple(range(0, 10))
HELD_SEEDS = tuple(range(100, 120))
CATEGORIES = ("health_condition", "medication")
SOURCES = Path(__file__).resolve().parent / "data" / "lexicon_sources"

# --- usual wordings (written for this benchmark) ---------------------------------------
CONDITIONS = (
    "diabète de type 2", "diabète insulino-dépendant", "hypertension artérielle",
    "asthme", "BPCO", "insuffisance rénale chronique", "hypothyroïdie", "épilepsie",
    "infection par le VIH", "hépatite C chronique", "dépression", "trouble bipolaire",
    "schizophrénie", "cancer du sein", "drépanocytose", "mucoviscidose",
    "sclérose en plaques", "maladie de Crohn", "polyarthrite rhumatoïde",
    "fibrillation auriculaire", "insuffisance cardiaque", "cirrhose", "anorexie mentale",
    "maladie de Parkinson", "maladie d'Alzheimer", "lupus", "psoriasis", "tuberculose",
    "leucémie lymphoïde chronique", "hémophilie A", "obésité morbide", "dénutrition",
    "alcoolisme chronique", "dépendance aux opiacés", "grossesse de 12 SA",
)  # fmt: skip
ABBREVIATED = ("DT2", "DT1", "HTA", "IRC", "BPCO", "SEP", "FA", "ACFA", "IDM", "AVC",
               "VIH+", "VHC", "K sein", "LLC", "PR", "RCH", "ICC", "SAOS")  # fmt: skip
# adjective forms: "{who} {adj}" (person) vs "{relative} {adj}" (family)
ADJECTIVES = ("diabétique", "asthmatique", "épileptique", "hypertendu", "insuffisant rénal",
              "cirrhotique", "séropositif", "dépressif", "drépanocytaire", "obèse")  # fmt: skip
RELATIVES = ("mère", "père", "frère", "sœur", "grand-mère", "grand-père", "oncle", "tante",
             "fils", "fille")  # fmt: skip
DRUGS_USUAL = ("Doliprane 1 g", "Kardégic 75", "Lévothyrox 50 µg", "metformine 850",
               "Glucophage 1000", "insuline Lantus", "méthadone", "Subutex 8 mg",
               "Truvada", "Biktarvy", "lithium", "Dépakote", "Xarelto 20", "Eliquis 5 mg",
               "Previscan", "Tahor 20", "Ventoline", "Seretide", "Humira", "Méthotrexate",
               "Levothyrox", "amlodipine 5 mg", "ramipril", "Deroxat", "Seroplex 10",
               "Risperdal", "Zyprexa", "Lovenox 4000", "Coversyl", "furosémide 40")  # fmt: skip
# Opioid substitution drugs are taken for one condition only: a cell saying one is taken
# asserts that dependence too (the truth counts it as health_condition). Antiretrovirals
# are counted as medication only: some are taken before any infection (PrEP) or for
# hepatitis B.
REVEALING_WORDS = re.compile(r"(?i)m[ée]thadone|subutex|bupr[ée]norphine")
DOSES = ("", "", " 1 cp/j", " matin et soir", " 2x/j", " 500 mg", " au coucher", " 1/2 cp")
LABS_USUAL = ("NFS", "CRP", "bilan lipidique", "ionogramme", "TSH", "HbA1c", "glycémie",
              "créatinine", "ferritine", "bilan hépatique", "INR", "TP/TCA", "ECBU",
              "sérologie VIH", "sérologie hépatite B", "sérologie toxoplasmose",
              "βHCG", "PSA", "vitamine D", "D-dimères")  # fmt: skip
# Words that make a CIM-10 label a visit, an exam or a circumstance, not a condition.
NOT_A_CONDITION = re.compile(
    r"(?i)ant[ée]c[ée]dent|examen|vaccination|surveillance|contact|besoin|difficult|"
    r"probl[èe]me|m[èe]re|f[œo]e?tus|nouveau-n[ée]|sujet|personne|recours|soins|conseil|"
    r"d[ée]pistage|mise en place|ajustement|observation|suite|s[ée]quelle|complication|"
    r"accouchement|naissance|donneur|porteur|[ée]tat|absence|intervention|surveillance|"
    r"effet|intoxication|traumatique|fracture|plaie|br[ûu]lure|corrosion|luxation|entorse|"
    r"contusion|corps [ée]tranger|l[ée]sion|morsure|piq[ûu]re|autres|classée"
)
# Lab labels that name a condition in their own words are left out (the generator's own
# rule: a test named with no result asserts nothing, but such labels blur the truth).
NAMES_A_CONDITION = re.compile(
    r"(?i)oses?\b|ites?\b|iases?\b|pathie|infection|maladie|virus|syndrome|grossesse|"
    r"cancer|tumeur|syphilis|h[ée]patite|vih|sida|diab[èe]te|leuc[ée]mie|h[ée]mopathie|"
    r"pylori|chlamydia|coqueluche|grippe|trisomie|rougeole|rub[ée]ole|toxoplasm|plasmod|"
    r"bacill|myco|candida|strepto|staphylo|herp[eè]s|cmv|ebv|vhb|vhc|legionell|borreli|"
    r"lyme|parasit|helminth|amib|trich|bilharz|filari|leishman|trypanos|echinoc|hydatique|"
    r"allerg|foetal|f[œo]etal|tuberculos|paludisme|dengue|zika|chikungunya|varicell|zona|"
    r"t[ée]tanos|tularem|brucell|rickett|leptosp|salmonell|shigell|yersin|listeri|"
    r"coxiell|fi[èe]vre|oreillons|rage\b|variole|polio"
)

POS_CONDITION = (
    "{c}", "Patient connu pour {c}", "Patiente suivie pour {c}", "ATCD de {c}",
    "Antécédent personnel de {c}", "{c} depuis 2015", "Hospitalisé en mars pour {c}",
    "Diagnostic de {c} posé en 2019", "Dans le cadre de son {c}", "Suivi {c}",
    "Contexte de {c}", "Atteint de {c}", "Porteuse d'une {c}", "{c} connu(e)",
    "Motif : {c}", "Découverte de {c}", "Pathologie : {c}", "Prise en charge de {c}",
)  # fmt: skip
POS_ADJECTIVE = ("Patient {a}", "Patiente {a} connue", "{a} depuis 10 ans", "Pt {a}")
NEG_CONDITION = (
    "Pas de {c}", "Absence de {c}", "Ne présente pas de {c}", "Aucun signe de {c}",
    "{c} exclu", "Sans {c}", "Pas d'antécédent de {c}", "Pas de notion de {c}",
    "{c} : non", "Aucune {c} connue", "Ni {c} ni autre antécédent",
)  # fmt: skip
FAMILY_CONDITION = (
    "Mère : {c}", "Père traité pour {c}", "ATCD familiaux de {c}",
    "Antécédents familiaux : {c}", "Frère atteint de {c}", "Grand-mère décédée de {c}",
    "Histoire familiale de {c}", "ATCD familial : {c} (mère)", "Sœur suivie pour {c}",
)  # fmt: skip
FAMILY_ADJECTIVE = ("{r} {a}", "{R} {a}", "{R} {a}e")
POS_DRUG = (
    "Sous {d}", "Traitement par {d}", "TTT : {d}", "Prend {d}{dose}", "{d}{dose}",
    "Traitement en cours : {d}", "Relais par {d}", "Renouvellement {d}",
    "Ttt habituel {d}{dose}", "Ordonnance : {d}{dose}", "Mis sous {d} le 12/03",
)  # fmt: skip
NEG_DRUG = ("Pas de {d}", "Ne prend pas de {d}", "Aucun traitement par {d}", "Sans {d}")
NEUTRAL = (
    "À jeun", "Non à jeun", "Patient à jeun depuis 12 h", "Tube hémolysé",
    "Échantillon hémolysé, à refaire", "Prélèvement difficile", "RAS", "R.A.S.",
    "Rien à signaler", "Prélèvement à domicile", "Résultats envoyés par courrier",
    "Ordonnance scannée", "Tiers payant", "Carte vitale non présentée", "RDV à 8 h",
    "Second prélèvement", "Tube sec + EDTA", "Urgent", "Contrôle dans 3 mois",
    "Quantité insuffisante", "Échantillon coagulé", "Facture envoyée à la mutuelle",
    "Appeler le secrétariat", "Résultats au médecin traitant", "Prélevé à 7h45",
    "Patient prévenu", "Dossier complet", "Paiement CB", "Bilan de routine",
)  # fmt: skip
LAB_CLAUSE = ("{l}", "Bilan : {l}", "Demande de {l}", "{l} à contrôler", "{l} en cours",
              "Résultat {l} transmis", "Ajout {l} au bilan")  # fmt: skip
CUTS = {"insuffisance": "insuf.", "chronique": "chron.", "artérielle": "art.",
        "traitement": "ttt", "antécédent": "atcd", "antécédents": "atcds",
        "hypertension": "hyper-tension", "maladie": "mal."}  # fmt: skip


def _lines(name: str, published: bool) -> list[str] | None:
    path = SOURCES / name
    if not published or not path.exists():
        return None
    return [x.strip() for x in path.read_text("utf-8").splitlines() if x.strip()]


@cache
def lists(published: bool = True) -> dict[str, tuple[str, ...]]:
    """The condition, drug and lab lists, as published when at hand (and asked for)."""
    from vigile.detect.lexicons import reference as ref
    from vigile.detect.lexicons.build import ALD_LIST

    cim = _lines("cim10_labels.txt", published) or list(ref.ref_terms("cim10"))
    cim = [c.split(",")[0].split(" - ")[0].strip() for c in cim]
    cim = [c for c in cim if len(c.split()) <= 8 and not NOT_A_CONDITION.search(c)]
    cim = [c for c in cim if not re.search(r"[*()\[\]]|\d\.\d", c)]  # codes, asides
    spec = _lines("bdpm_specialties.txt", published)
    if spec:
        names = [s.split(",")[0].strip() for s in spec]
        drugs = names + [n.split()[0].title() for n in names if len(n.split()[0]) >= 5]
        drugs += _lines("bdpm_substances.txt", published) or []
    else:
        drugs = list(ref.ref_terms("drugs"))
    drugs = [d for d in drugs if 4 <= len(d) <= 60 and not d[0].isdigit() and "(" not in d]
    labs = _lines("nabm_labels.txt", published) or list(ref.ref_terms("lab_tests"))
    labs = [x.split(":")[0].split("(")[0].strip().lower() for x in labs]
    labs = [x for x in labs if 3 <= len(x) <= 40 and not NAMES_A_CONDITION.search(x)]
    # a drug's level ("digoxine", "acide valproique") is a test that names a treatment:
    # left out, its truth is not clear-cut
    drug_words = {_strip_accents(w).lower() for d in drugs for w in re.findall(r"[^\W\d_]{5,}", d)}
    labs = [x for x in labs if not drug_words & set(re.findall(r"[^\W\d_]{5,}", _strip_accents(x)))]
    return {
        "conditions": tuple(sorted(set(cim))),
        "ald": tuple(ALD_LIST),
        "drugs": tuple(sorted(set(drugs))),
        "labs": tuple(sorted(set(labs))),
    }


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def _typo(rng: random.Random, s: str) -> str:
    long_words = [m for m in re.finditer(r"[^\W\d_]{7,}", s)]
    if not long_words:
        return s
    m = rng.choice(long_words)
    w = m.group(0)
    i = rng.randrange(1, len(w) - 2)
    w = w[:i] + w[i + 1] + w[i] + w[i + 2 :] if rng.random() < 0.5 else w[:i] + w[i + 1 :]
    return s[: m.start()] + w + s[m.end() :]


def _mutate(rng: random.Random, s: str) -> str:
    r = rng.random()
    if r < 0.15:
        s = s.upper()
    elif r < 0.25:
        s = s.lower()
    if rng.random() < 0.15:
        s = _strip_accents(s)
    if rng.random() < 0.10:
        s = " ".join(CUTS.get(w.lower(), w) if rng.random() < 0.7 else w for w in s.split(" "))
    if rng.random() < 0.05:
        s = _typo(rng, s)
    return s


def _lower_first(c: str) -> str:
    """ "Asthme" -> "asthme" inside a sentence; abbreviations ("HTA", "VIH+") kept."""
    head = c.split(" ")[0]
    return c if sum(ch.isupper() for ch in head) > 1 else c[:1].lower() + c[1:]


def _condition(rng: random.Random, ls) -> str:
    r = rng.random()
    if r < 0.45:
        return rng.choice(ls["conditions"])
    if r < 0.6:
        return rng.choice(ls["ald"])
    if r < 0.85:
        return rng.choice(CONDITIONS)
    return rng.choice(ABBREVIATED)


def _clause(rng: random.Random, ls) -> tuple[str, str]:
    """(text, kind): kind in pos_condition, pos_drug, and the kinds that assert neither."""
    r = rng.random()
    if r < 0.22:
        if rng.random() < 0.2:
            return rng.choice(POS_ADJECTIVE).format(a=rng.choice(ADJECTIVES)), "pos_condition"
        c = _condition(rng, ls)
        return rng.choice(POS_CONDITION).format(c=_lower_first(c)), "pos_condition"
    if r < 0.40:
        d = rng.choice(DRUGS_USUAL) if rng.random() < 0.3 else rng.choice(ls["drugs"])
        text = rng.choice(POS_DRUG).format(d=d, dose=rng.choice(DOSES))
        return text, "pos_drug_revealing" if REVEALING_WORDS.search(d) else "pos_drug"
    if r < 0.52:
        c = _condition(rng, ls)
        return rng.choice(NEG_CONDITION).format(c=_lower_first(c)), "neg_condition"
    if r < 0.64:
        if rng.random() < 0.35:
            rel = rng.choice(RELATIVES)
            t = rng.choice(FAMILY_ADJECTIVE)
            return t.format(r=rel, R=rel.capitalize(), a=rng.choice(ADJECTIVES)), "family"
        c = _condition(rng, ls)
        return rng.choice(FAMILY_CONDITION).format(c=_lower_first(c)), "family"
    if r < 0.70:
        d = rng.choice(DRUGS_USUAL) if rng.random() < 0.5 else rng.choice(ls["drugs"])
        return rng.choice(NEG_DRUG).format(d=d), "neg_drug"
    if r < 0.85:
        return rng.choice(NEUTRAL), "neutral"
    lab = rng.choice(LABS_USUAL) if rng.random() < 0.5 else rng.choice(ls["labs"])
    return rng.choice(LAB_CLAUSE).format(l=lab), "lab"


def generate(seed: int, cells: int, published: bool = True) -> pl.DataFrame:
    """`cells` comments with their truth: text, health_condition, medication, kinds."""
    rng = random.Random(seed)
    ls = lists(published)
    texts, hc, med, kinds = [], [], [], []
    for _ in range(cells):
        parts = [_clause(rng, ls) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        sep = rng.choice((". ", ", ", " - ", " ; ", ". "))
        texts.append(_mutate(rng, sep.join(p for p, _ in parts)))
        ks = [k for _, k in parts]
        hc.append("pos_condition" in ks or "pos_drug_revealing" in ks)
        med.append("pos_drug" in ks or "pos_drug_revealing" in ks)
        kinds.append("+".join(ks))
    return pl.DataFrame({"text": texts, "health_condition": hc, "medication": med, "kinds": kinds})


def detect(texts: pl.Series) -> pl.DataFrame:
    """vigile's free-text health_condition and medication per cell."""
    from vigile.detect import lexicons as lx
    from vigile.detect.text import text_health_exprs

    df = texts.rename("v").to_frame().with_columns(lx.fold_expr(pl.col("v")).alias("f"))
    return df.select(**{k: e.fill_null(False) for k, e in text_health_exprs(pl.col("f")).items()})


def scores(truth: pl.DataFrame, found: pl.DataFrame) -> dict[str, dict[str, float]]:
    """category -> cells, tp, fp, fn, precision, recall (one polars pass)."""
    out = {}
    for c in CATEGORIES:
        w, g = truth[c], found[c]
        tp, fp, fn = (w & g).sum(), (~w & g).sum(), (w & ~g).sum()
        out[c] = {
            "cells": int(w.sum()),
            "tp": int(tp),
            "fp": int(fp),
            "fn": int(fn),
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
    return out


def run(seeds, cells: int, misses: int = 0) -> dict[str, dict[str, float]]:
    truth = pl.concat([generate(s, cells) for s in seeds])
    found = detect(truth["text"])
    if misses:
        both = pl.concat([truth, found.rename(lambda c: f"got_{c}")], how="horizontal")
        for c in CATEGORIES:
            for side, cond in (("FN", pl.col(c)), ("FP", ~pl.col(c))):
                by = (
                    both.filter(cond & (pl.col(c) != pl.col(f"got_{c}")))
                    .with_columns(pl.col("kinds").str.split("+"))
                    .explode("kinds")["kinds"]
                    .value_counts(sort=True)
                )
                print(f"  {c} {side} by clause kind: {dict(by.iter_rows())}")
            wrong = both.filter(pl.col(c) != pl.col(f"got_{c}")).head(misses)
            for row in wrong.iter_rows(named=True):
                side = "FN" if row[c] else "FP"
                print(f"  {c[:6]} {side} [{row['kinds']}] {row['text']}")
    return scores(truth, found)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", action="store_true", help="report the held-back seeds")
    ap.add_argument("--cells", type=int, default=2000, help="comments per seed")
    ap.add_argument("--misses", type=int, default=0, help="missed cells shown (tuning only)")
    a = ap.parse_args(argv)
    seeds = HELD_SEEDS if a.held else TUNE_SEEDS
    ls = lists()
    src = "as published" if (SOURCES / "cim10_labels.txt").exists() else "vigile's terms"
    print(
        f"lists ({src}): conditions {len(ls['conditions'])}, drugs {len(ls['drugs'])}, "
        f"lab tests {len(ls['labs'])}"
    )
    t = time.perf_counter()
    got = run(seeds, a.cells, 0 if a.held else a.misses)
    took = time.perf_counter() - t
    label = "held-back" if a.held else "tuning"
    print(f"{label} seeds {seeds[0]}-{seeds[-1]}, {a.cells * len(seeds)} cells ({took:.1f} s)")
    print(
        f"{'category':18} {'cells':>7} {'tp':>6} {'fp':>5} {'fn':>5} {'precision':>10} {'recall':>7}"
    )
    ok = True
    for c, s in got.items():
        print(
            f"{c:18} {s['cells']:7d} {s['tp']:6d} {s['fp']:5d} {s['fn']:5d} "
            f"{s['precision']:10.3f} {s['recall']:7.3f}"
        )
        ok &= s["precision"] >= 0.98 and s["recall"] >= 0.95
    print(f"target precision >= 0.98, recall >= 0.95: {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
