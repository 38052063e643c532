"""Build the public reference lexicons shipped in `data/ref/` (a maintainer's tool, never
imported by a scan).

    python -m vigile.detect.lexicons.build --bdpm CIS_bdpm.txt --compo CIS_COMPO_bdpm.txt \
        --edsnlp-resources edsnlp/resources --communes communes.json \
        --postcodes codes-postaux.json --nabm IR_BIO_R.csv --stop /usr/share/dict/french \
        --out data/ref

Sources (each file's header repeats its own):

- BDPM, Base de donnees publique des medicaments (ANSM, base-donnees-publique.medicaments
  .gouv.fr, Licence Ouverte / Open Licence 2.0): CIS_bdpm.txt (specialties, their
  pharmaceutical forms) and CIS_COMPO_bdpm.txt (active substances);
- edsnlp (AP-HP, BSD-3-Clause), its wheel's `resources/`: cim10.csv.gz (the French
  CIM-10 labels of the ATIH) and drugs.json (Romedi brand names and INN by ATC code);
- the ALD list (art. D322-1 of the Code de la securite sociale), written out in ALD_LIST;
- npm `@etalab/decoupage-administratif` (data under Licence Ouverte; INSEE COG with the
  La Poste postcodes of each commune): current communes, arrondissements municipaux,
  communes deleguees and associees (old commune names);
- npm `codes-postaux` (Base Adresse Nationale, MIT; La Poste / DGFiP data): postcodes
  and their "libelle d'acheminement";
- the NABM (Nomenclature des actes de biologie medicale, Assurance Maladie, a public
  regulatory nomenclature) as the SNDS reference table IR_BIO_R.csv (`BIO_INF_LIB`, each
  act's label, cut at 100 characters) published in indsante/schema-snds
  (`nomenclatures/ORAREF/IR_BIO_R.csv`, MPL-2.0, last changed 2019-05-13).

Every term is folded and then reduced to `words` (runs of [a-z0-9] joined by one space):
the detectors compare in that form with one Aho-Corasick pass (polars `contains_any`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable
from pathlib import Path

from vigile.detect.lexicons.folding import fold

WORDS = re.compile(r"[^a-z0-9]+")

# The ALD 30 list (art. D322-1 CSS; "HTA severe" left it in 2011), with the usual wordings.
ALD_LIST = (
    "accident vasculaire cerebral invalidant",
    "insuffisance medullaire et autres cytopenies chroniques",
    "arteriopathies chroniques avec manifestations ischemiques",
    "bilharziose compliquee",
    "insuffisance cardiaque grave",
    "troubles du rythme graves",
    "cardiopathies valvulaires graves",
    "cardiopathies congenitales graves",
    "maladies chroniques actives du foie et cirrhoses",
    "deficit immunitaire primitif grave necessitant un traitement prolonge",
    "deficit immunitaire cause par le virus de l'immunodeficience humaine",
    "diabete de type 1",
    "diabete de type 2",
    "diabete de type 1 et diabete de type 2",
    "formes graves des affections neurologiques et musculaires",
    "epilepsie grave",
    "hemoglobinopathies",
    "hemolyses chroniques constitutionnelles et acquises severes",
    "hemophilies et affections constitutionnelles de l'hemostase graves",
    "maladie coronaire",
    "insuffisance respiratoire chronique grave",
    "maladie d'alzheimer et autres demences",
    "maladie de parkinson",
    "maladies metaboliques hereditaires necessitant un traitement prolonge specialise",
    "mucoviscidose",
    "nephropathie chronique grave et syndrome nephrotique primitif",
    "paraplegie",
    "vascularites",
    "lupus erythemateux systemique",
    "sclerodermie generalisee evolutive",
    "polyarthrite rhumatoide evolutive",
    "affections psychiatriques de longue duree",
    "rectocolite hemorragique et maladie de crohn evolutives",
    "rectocolite hemorragique",
    "maladie de crohn",
    "sclerose en plaques",
    "scoliose idiopathique structurale evolutive",
    "spondylarthrite grave",
    "spondylarthrite ankylosante",
    "suites de transplantation d'organe",
    "tuberculose active",
    "lepre",
    "tumeur maligne",
    "affection maligne du tissu lymphatique ou hematopoietique",
    "affection de longue duree",
)

# CIM-10 chapters kept: diseases, symptoms, injuries, factors (A00-U99 and Z). External
# causes (V01-Y98, chapter XX) describe circumstances ("pieton blesse dans une collision"),
# not a person's condition, and are 27,000 of the 42,900 labels.
CIM10_DROPPED_CHAPTERS = frozenset("VWXY")
# One-word CIM-10 labels that are ordinary words in lab comments and exports.
CIM10_STOP = frozenset(
    {"agitation", "charbon", "convalescence", "foudre", "goutte", "hostilite", "immobilite",
     "malaise", "nervosite", "orthophonie", "paleur", "peste", "rage", "rougeur",
     "simulateur", "sterilisation", "stomies", "stupeur", "suractivite", "surmenage",
     "tristesse", "gale", "cauchemars", "somnolence", "palpitations", "tics", "conseil"}
)  # fmt: skip
# Drug words that are ordinary words of lab files (analytes, specimens, units, forms).
DRUG_STOP = frozenset(
    {"eau", "oxygene", "air", "azote", "glucose", "sodium", "potassium", "calcium", "fer",
     "zinc", "magnesium", "phosphore", "cuivre", "iode", "chlore", "soufre", "sang",
     "plasma", "serum", "albumine", "uree", "creatinine", "insuline", "heparine",
     "vitamine", "test", "tests", "base", "acide", "solution", "standard", "normal",
     "control", "controle", "bilan", "urine", "urines", "lait", "miel", "sel", "sucre",
     "alcool", "ethanol", "vaccin", "gaz", "argent", "or", "platine", "carbone", "lithium",
     "ferritine", "fibrinogene", "thrombine", "glycine", "cholesterol", "bicarbonate",
     "phosphate", "chlorure", "sulfate", "citrate", "lactate", "acetate", "nitrate",
     "mannitol", "vaseline", "paraffine", "talc", "gelatine", "amidon", "lactose",
     "saccharose", "fructose", "sorbitol", "glycerol", "ammoniaque", "bore", "silice",
     "kaolin", "argile", "charbon", "ginseng", "camomille", "menthe", "thym", "sauge",
     "lavande", "arnica", "ortie", "avoine", "soja", "ble", "mais", "riz", "orge",
     "seigle", "levure", "pollen", "poussiere", "chat", "chien", "cheval", "abeille",
     "guepe", "venin", "tabac", "plomb", "mercure", "arsenic", "radium", "technetium",
     "fluor", "brome", "cobalt", "chrome", "selenium", "manganese", "molybdene",
     "tungstene", "titane", "baryum", "strontium", "cesium", "thallium", "gallium",
     "indium", "xenon", "krypton", "helium", "argon", "neon", "hydrogene",
     "daily", "true", "aqua", "cyclo", "glyco", "dermo", "gyno", "hemi", "fero", "femi",
     "depo", "angi", "acti", "alka", "stimu", "toco", "pilo", "diffu", "disci", "nati",
     "tcaps", "mate", "muse", "drill", "peau", "nerfs", "morue", "coca", "cacao", "boldo",
     "divers",
     # organs named by organotherapy/homeopathic specialties ("VESSIE BOIRON"): a
     # comment naming an organ names no drug
     "vessie", "prostate", "estomac", "pancreas", "duodenum", "artere", "arteres",
     "foie", "rein", "reins", "poumon", "poumons", "coeur", "thymus", "thyroide",
     "cerveau", "colon", "intestin", "rate", "muscle", "uterus", "ovaire", "testicule",
     "sein", "moelle", "cartilage", "placenta", "veine", "hypophyse", "surrenale"}
)  # fmt: skip
# Specialty-name words that name a laboratory (generic makers) rather than a drug.
MAKERS = frozenset(
    {"arrow", "sandoz", "viatris", "mylan", "biogaran", "teva", "eg", "zentiva", "accord",
     "cristers", "zydus", "ranbaxy", "actavis", "almus", "evolugen", "qualimed", "sun",
     "ratiopharm", "pfizer", "bgr", "lab", "gnr", "krka", "alter", "medisol", "conseil",
     "pharma", "labs", "laboratoires", "sante", "france", "upsa", "hospira", "fresenius",
     "kabi", "panpharma", "aguettant", "renaudin", "baxter", "bbraun", "b", "braun",
     "substipharm", "reig", "jofre", "tillomed", "aristo", "glenmark", "sanofi"}
)  # fmt: skip


def words(text: str) -> str:
    return WORDS.sub(" ", fold(text)).strip()


def _person_names() -> frozenset[str]:
    from vigile.detect import lexicons as lx

    return frozenset(words(n) for n in (*lx.first_names(), *lx.last_names()))


def _stop_words(path: Path | None) -> frozenset[str]:
    found = set(_person_names())
    if path is not None:
        found |= {words(w) for w in path.read_text("utf-8", "replace").split()}
    return frozenset(found)


def drug_terms(
    bdpm: Path, compo: Path, edsnlp: Path, stop: frozenset[str]
) -> tuple[list[str], list[str]]:
    """(drug names and substances, pharmaceutical forms) as `words`."""
    names: set[str] = set()
    heads: set[str] = set()  # first words of specialty names: checked against `stop`
    inn: set[str] = set()  # substances (BDPM composition, edsnlp's INN)
    forms: set[str] = set()
    for line in _lines(bdpm):
        cols = line.split("\t")
        if len(cols) < 3:
            continue
        denomination, form = cols[1], cols[2]
        # the whole name before the form ("glucose 10 fresenius kabi france"): several
        # words, safe even where its first word alone is too ordinary to be a drug
        whole = words(denomination.split(",", 1)[0])
        if " " in whole:
            names.add(whole)
        head = words(re.split(r"\d|,", denomination, maxsplit=1)[0])
        if head:
            names.add(head)
            parts = [w for w in head.split() if w not in MAKERS]
            if parts:
                names.add(" ".join(parts))
            # the brand or the INN, hyphenated parts together: "doliprane", "gyno pevaryl"
            first = words(fold(denomination).split(" ", 1)[0])
            if first and not re.search(r"\d", first):
                heads.add(first)
        if form.strip():
            forms.add(words(form))
    for line in _lines(compo):
        cols = line.split("\t")
        if len(cols) < 4:
            continue
        whole = words(cols[3])  # "cobalt chlorure de hexahydrate", salts included
        if " " in whole:
            names.add(whole)
        subst = re.sub(r"\(.*?\)|\[.*?\]", " ", cols[3])
        subst = re.sub(r"\b(?:base|pour preparations homeopathiques)\b", " ", fold(subst))
        subst = words(subst)
        if subst:
            names.add(subst)
            inn.add(subst)
    by_atc = json.loads((edsnlp / "drugs.json").read_text("utf-8"))
    for terms in by_atc.values():
        names.update(words(t) for t in terms)
        inn.update(words(t) for t in terms if t != t.upper())  # INN are lower case there
    # A specialty's first word alone is kept unless it is an ordinary French word or a
    # person's name ("avenir", "elegance", "martin"); full names and substances are kept.
    # A one-word term that is an ordinary word or a name is kept only if it is a substance
    # ("morphine", "codeine"); a brand short and ordinary ("peau", "daily") is dropped.
    names |= heads
    names_only = _person_names()
    keep = []
    for t in names:
        if len(t) < 4 or t in DRUG_STOP or t in MAKERS or t.isdigit():
            continue
        if " " not in t and t in stop and (t not in inn or len(t) < 6 or t in names_only):
            continue
        if not re.search(r"[a-z]{3}", t):
            continue
        keep.append(t)
    return sorted(keep), sorted(f for f in forms if f)


def cim10_terms(edsnlp: Path) -> tuple[list[str], list[str]]:
    """(labels as `words`, the source labels kept, as written) of CIM-10 chapters kept."""
    out: set[str] = set()
    source: list[str] = []
    with gzip.open(edsnlp / "cim10.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["code"][:1] in CIM10_DROPPED_CHAPTERS:
                continue
            label = row["long"].strip()
            source.append(label)
            w = words(label)
            if len(w) < 4 or w in CIM10_STOP:
                continue
            out.add(w)
            # the label's head, as comments write it: "Tumeur maligne de l'estomac" for
            # "Tumeur maligne de l'estomac, partie non precisee"
            head = words(re.split(r",| - ", label, maxsplit=1)[0])
            if head != w and len(head.split()) >= 2 and len(head) >= 8:
                if head not in CIM10_STOP and not head.startswith("autres "):
                    out.add(head)
            for cut in (", sans precision", " sans precision", ", sai", " sai"):
                if w.endswith(words(cut)):
                    short = w.removesuffix(words(cut)).strip()
                    if len(short) >= 4 and short not in CIM10_STOP:
                        out.add(short)
    return sorted(out), source


# Lab-test terms from the NABM labels (hand-written here: no package extracts them).
# Label words that name no test on their own: admin notes, methods shared with ordinary
# French, specimens, people.
LAB_GENERIC = frozenset(
    {"acte", "actes", "autre", "autres", "cas", "complement", "cotation", "forfait",
     "examen", "examens", "recherche", "test", "tests", "dosage", "dosages",
     "detection", "determination", "identification", "ident", "isolement", "culture", "cultures", "etude", "exploration", "epreuve", "controle",
     "suivi", "confirmation", "depistage", "diagnostic", "technique", "techn", "methode",
     "meth", "liq", "biol", "biologique", "prel", "prelevement", "prelevements", "sang",
     "serum", "urine", "urines", "selles", "plasma", "femme", "homme", "enfant", "adulte",
     "patient", "malade", "animal", "nouveau", "ne", "nabm", "inscrit", "inscrits",
     "inscrite", "nommement", "designee", "plusieurs", "plusieur", "plusieu", "un", "une",
     "des", "les", "par", "pour", "dans", "sur", "avec", "sans", "en", "et", "ou", "de",
     "du", "la", "le", "l", "d", "a", "au", "aux", "ex", "inf", "anti", "vitro",
     "qualitative", "quantitative", "quantification", "titrage", "iteratif", "genome",
     "congelation", "urgence", "dimanche", "ferie", "samedi", "positif", "positivite",
     "clairance", "calculs", "alcool", "antibiotique", "immunite", "statut", "prise",
     "charge", "limitee", "indications", "situations", "suivantes", "chez", "lors",
     "phase", "immune", "erronee", "errone", "codifie", "complet", "complete", "total",
     "totale", "totaux", "libre", "seriques", "serique", "plasmatique", "urinaire",
     "urinaires", "sanguin", "sanguine", "fecal", "fecale", "moelle", "latex", "scotch",
     "mal", "rage", "plomb", "lithium", "quick", "lyme", "color", "larva", "hybrid",
     "molec", "detec", "pneumoc", "secretions", "surrenales", "thyroide", "plasmatiques",
     "metaboliques", "typage", "genique", "points", "mutations", "serums", "parallele",
     "techniques", "min", "cycle", "site", "pediatrie", "nourrisson", "nuit",
     "supplement", "biologie", "non", "moins", "deux", "quatre", "therapeutique",
     "suspicion", "specifique", "mai", "nso", "systeme", "nerveux", "tractus", "digestif",
     "collection", "fermee", "apres", "connue", "secretion"}
)  # fmt: skip
# Lab-method words of three NABM labels or more that a French dictionary also holds
# (so the dictionary filter would drop them), picked by hand from that frequency list.
LAB_METHODS = frozenset(
    {"serodiagnostic", "electrophorese", "chromatographie", "immunofluorescence",
     "agglutination", "hybridation", "inoculation", "numeration", "groupage",
     "cytogenetique", "immunologique", "microscopique"}
)  # fmt: skip
# The NABM's own abbreviations of lab words ("RECH.", "IDENTIF.", "EX. MYCO"): no
# ordinary word, however short.
LAB_ABBREVIATIONS = frozenset(
    {"rech", "identif", "isol", "microbio", "myco", "parasito", "histopath", "cytopath",
     "anapath", "serodiag"}
)  # fmt: skip
# Words that name a condition rather than a test ("legionelloses", "hepatopathies").
LAB_DISEASE_WORD = re.compile(
    r"(?:oses?|iases?|ites?|opathies?|penies?|thyroidies?|dependants?|infections?|maligne"
    r"|malignes|kystes?|maladies?|syndromes?|nosocomiale)$"
)
LAB_DISEASE_EXCEPT = frozenset({"glucose", "fructose", "lactose", "saccharose", "globulines"})
LAB_FUNCTION = frozenset(
    {"ou", "et", "de", "du", "des", "par", "en", "le", "la", "les", "pas", "au", "aux", "a",
     "d", "l", "un", "une", "sur", "avec", "dans", "pour", "sans", "chez"}
)  # fmt: skip


def _lab_term_ok(
    term: str, stop: frozenset[str], conditions: frozenset[str], drugs: frozenset[str]
) -> bool:
    ws = term.split()
    if not ws or len(term) < 3 or term in stop:
        return False
    if all(w in LAB_GENERIC or w.isdigit() or len(w) < 2 for w in ws):
        return False
    if ws[0] in LAB_FUNCTION or ws[-1] in LAB_FUNCTION:  # a label cut mid-phrase
        return False
    if any(LAB_DISEASE_WORD.search(w) and w not in LAB_DISEASE_EXCEPT for w in ws):
        return False
    # a condition named inside, as whole words: a mention of it is no lab test; a drug's
    # name alone is a treatment (its level inside a longer name is a test: "digoxine
    # apres chromatographie")
    inner = {" ".join(ws[i : i + n]) for n in range(1, len(ws) + 1) for i in range(len(ws))}
    return not (inner & conditions) and term not in drugs


def lab_test_terms(
    nabm: Path, stop: frozenset[str], conditions: frozenset[str], drugs: frozenset[str]
) -> tuple[list[str], list[str]]:
    """(lab-test terms as `words`, the NABM labels as written) from IR_BIO_R.csv.

    A label is cut into its head and its parts after a colon (each up to the first '(',
    '.', ',' or ';': the analyte, the examination or its method, "GLUCOSE (GLYCEMIE)" ->
    "glucose"), the items in its parentheses
    (synonyms and abbreviations: "glycemie", "cs tf") and its lab words (those in three
    labels or more that are no ordinary French: "serodiagnostic", "antibiogramme").
    Terms naming a condition (CIM-10, ALD, hand health lists) or a drug alone are left
    out, as are ordinary French words and people's names (`stop`)."""
    rows = list(csv.DictReader(_lines(nabm), delimiter=";"))
    labels = [r["BIO_INF_LIB"].strip() for r in rows if r.get("BIO_INF_LIB")]
    heads: set[str] = set()  # analytes are often ordinary words too ("glucose"): kept
    terms: set[str] = set()
    counts: dict[str, int] = {}
    for label in labels:
        f = fold(label)
        # the head, and each part after a colon ("SYPHILIS : SERODIAGNOSTIC : TITRAGES")
        for part in f.split(":"):
            head = words(re.split(r"[(.,;]", part, maxsplit=1)[0])
            if 0 < len(head.split()) <= 8:
                heads.add(head)
        for inside in re.findall(r"\(([^)]*)\)?", f):
            for item in re.split(r",| ou | et |/", inside):
                item = words(item)
                if 0 < len(item.split()) <= 4 and (len(item) >= 4 or " " not in item):
                    terms.add(item)
        for w in set(words(f).split()):
            counts[w] = counts.get(w, 0) + 1
    terms |= {w for w, n in counts.items() if n >= 3 and len(w) >= 5 and not w.isdigit()}
    terms |= LAB_ABBREVIATIONS & set(counts)
    names = _person_names()
    keep = {t for t in heads if _lab_term_ok(t, names, conditions, drugs)}
    lab_stop = stop - LAB_METHODS
    others = {t for t in terms - heads if _lab_term_ok(t, lab_stop, conditions, drugs)}
    return sorted(keep | others), labels


def commune_terms(communes: Path, postcodes: Path) -> tuple[list[str], list[str], list[str]]:
    """(commune names as `words`, every postcode, the source names as written)."""
    names: set[str] = set()
    codes: set[str] = set()
    source: list[str] = []
    for c in json.loads(communes.read_text("utf-8")):
        source.append(c["nom"])
        names.add(commune_words(c["nom"]))
        codes.update(c.get("codesPostaux", ()))
        m = re.match(r"^(.*) (\d+)(?:er|e)? arrondissement$", c["nom"], re.I)
        if m:  # "Paris 1er Arrondissement" is also written "Paris 1", "Paris 01", "Paris 1er"
            city, n = m.group(1), int(m.group(2))
            for form in (f"{city} {n}", f"{city} {n:02d}", f"{city} {n}e", f"{city} {n}er"):
                names.add(commune_words(form))
    for p in json.loads(postcodes.read_text("utf-8")):
        codes.add(p["codePostal"])
        names.add(commune_words(p["libelleAcheminement"]))
    return sorted(n for n in names if n), sorted(codes), source


def commune_words(name: str) -> str:
    """A commune name as compared: `words`, saint/sainte spelt out, a CEDEX tail dropped."""
    w = f" {words(name)} ".replace(" st ", " saint ").replace(" ste ", " sainte ")
    return re.sub(r" cedex(?: \d+)? $", " ", w).strip(" ")


NEGATION_BIGRAM = re.compile(r"\b(?:non|sans|ni|aucun|aucune) [a-z0-9]+\b")


def label_negations(terms: Iterable[str]) -> list[str]:
    """Negation word + next word pairs inside labels ("non precisee"), longest first: the
    detectors join them in texts and terms alike (lexicons.reference)."""
    found = {m for t in terms for m in NEGATION_BIGRAM.findall(t)}
    return sorted(found, key=lambda k: (-len(k), k))


def prune(terms: Iterable[str], negations: list[str]) -> list[str]:
    """Terms less those that contain another term as whole words ("cholera a vibrio
    cholerae" holds "cholera"): a text holding the longer holds the shorter, so the
    whole-word search finds the same texts with a smaller automaton. Compared with their
    label negations joined, as the detectors compare them."""
    join = re.compile("|".join(re.escape(k) for k in negations)) if negations else None
    joined = {t: join.sub(lambda m: m.group(0).replace(" ", ""), t) if join else t for t in terms}
    known = set(joined.values())
    keep = []
    for t, j in joined.items():
        ws = j.split()
        inner = (" ".join(ws[i : i + n]) for n in range(1, len(ws)) for i in range(len(ws) - n + 1))
        if not any(x in known for x in inner):
            keep.append(t)
    return sorted(keep)


def labels_holding(labels: list[str], terms: list[str], negations: list[str]) -> list[str]:
    """The labels holding one of `terms` as whole words, compared with their label
    negations joined (as the detectors compare them)."""
    join = re.compile("|".join(re.escape(k) for k in negations)) if negations else None
    j = (lambda t: join.sub(lambda m: m.group(0).replace(" ", ""), t)) if join else str
    known = {j(t) for t in terms}
    out = []
    for label in labels:
        ws = j(label).split()
        inner = (" ".join(ws[i : i + n]) for n in range(1, len(ws) + 1) for i in range(len(ws)))
        if any(x in known for x in inner):
            out.append(label)
    return out


def _lines(path: Path) -> Iterable[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # the ANSM files are served in Windows-1252/latin-1
    return text.replace("\r", "").split("\n")


def write(path: Path, header: str, terms: Iterable[str]) -> None:
    body = "".join(f"# {line}\n" for line in header.strip().splitlines())
    body += "".join(f"{t}\n" for t in terms)
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same bytes on a rebuild
        f.write(body.encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bdpm", type=Path, required=True)
    ap.add_argument("--compo", type=Path, required=True)
    ap.add_argument("--edsnlp-resources", type=Path, required=True)
    ap.add_argument("--communes", type=Path, required=True)
    ap.add_argument("--postcodes", type=Path, required=True)
    ap.add_argument("--nabm", type=Path, help="the SNDS table IR_BIO_R.csv (NABM labels)")
    ap.add_argument("--stop", type=Path, help="a French word list (Debian wfrench)")
    ap.add_argument("--sources-date", default=dt.date.today().isoformat())
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--samples", type=Path, help="also write the source entries (benchmarks)")
    a = ap.parse_args(argv)
    stop = _stop_words(a.stop)
    a.out.mkdir(parents=True, exist_ok=True)
    drugs, forms = drug_terms(a.bdpm, a.compo, a.edsnlp_resources, stop)
    cim, cim_source = cim10_terms(a.edsnlp_resources)
    ald = sorted({words(t) for t in ALD_LIST})
    negations = label_negations([*cim, *ald])
    write(
        a.out / "label_negations.txt.gz",
        f"""Negation word + next word pairs inside CIM-10 and ALD labels ("non precisee"):
joined in texts and terms before matching (lexicons.reference).
Source: the cim10 and ald lists above (same sources). Built {a.sources_date}.""",
        negations,
    )
    drugs = prune(drugs, negations)
    write(
        a.out / "drugs.txt.gz",
        f"""Drug names and active substances, as `words` (lexicons.build).
Source: BDPM (ANSM), CIS_bdpm.txt (as published 2024-08) and CIS_COMPO_bdpm.txt (as
published 2022-06), Licence Ouverte / Open Licence 2.0; edsnlp 0.23.0
resources/drugs.json (Romedi, BSD-3-Clause, AP-HP).
Built {a.sources_date}. Ordinary French words (Debian wfrench) and lab analytes dropped;
names holding a shorter name as whole words left out (lexicons.build.prune).""",
        drugs,
    )
    write(
        a.out / "dosage_forms.txt.gz",
        f"""Pharmaceutical forms of the BDPM specialties, as `words` (lexicons.build).
Source: BDPM (ANSM), CIS_bdpm.txt (as published 2024-08), Licence Ouverte / Open
Licence 2.0. Built {a.sources_date}.""",
        forms,
    )
    write(
        a.out / "cim10.txt.gz",
        f"""CIM-10 (ICD-10 French) labels, chapters A-U and Z, as `words` (lexicons.build).
Source: ATIH CIM-10 FR labels as shipped by edsnlp 0.23.0 resources/cim10.csv.gz
(BSD-3-Clause, AP-HP). Built {a.sources_date}. External causes (V01-Y98) left out;
labels holding a shorter label as whole words left out (lexicons.build.prune).""",
        prune(cim, negations),
    )
    write(
        a.out / "condition_drug_labels.txt.gz",
        f"""CIM-10 and ALD labels (of the lists above) that hold a drug name (drugs list) as
whole words ("carence en thiamine"): erased from a text before drugs are searched in it
(detect.text). Same sources. Built {a.sources_date}.""",
        labels_holding(sorted({*prune(cim, negations), *ald}), drugs, negations),
    )
    write(
        a.out / "ald.txt.gz",
        f"""The ALD list (affections de longue duree, art. D322-1 du Code de la securite
sociale), with usual wordings, as `words` (lexicons.build). Built {a.sources_date}.""",
        ald,
    )
    names, codes, commune_source = commune_terms(a.communes, a.postcodes)
    write(
        a.out / "communes.txt.gz",
        f"""French communes (current, arrondissements municipaux, communes deleguees and
associees: old names) and La Poste "libelles d'acheminement", as `commune_words`.
Source: INSEE COG via npm @etalab/decoupage-administratif 6.0.0 (Licence Ouverte);
npm codes-postaux 4.1.2 (La Poste / DGFiP data, MIT). Built {a.sources_date}.""",
        names,
    )
    write(
        a.out / "postcodes.txt.gz",
        f"""Every French postcode of a commune (La Poste), Licence Ouverte.
Source: npm @etalab/decoupage-administratif 6.0.0 and codes-postaux 4.1.2. Built {a.sources_date}.""",
        codes,
    )
    nabm_source: list[str] = []
    if a.nabm:
        from vigile.detect import lexicons as lx

        health = {words(t) for ts in lx.health_terms().values() for t in ts}
        conditions = frozenset({*cim, *ald, *health})
        labs, nabm_source = lab_test_terms(a.nabm, stop, conditions, frozenset(drugs))
        write(
            a.out / "lab_tests.txt.gz",
            f"""Lab test names from the NABM labels, as `words` (lexicons.build.lab_test_terms).
Source: NABM (Nomenclature des actes de biologie medicale, Assurance Maladie, public
nomenclature), 1,076 acts as the SNDS table IR_BIO_R.csv (BIO_INF_LIB) of
indsante/schema-snds (MPL-2.0; file last changed 2019-05-13). Built {a.sources_date}.
Terms naming a condition or a drug, ordinary French words and names left out.""",
            labs,
        )
    if a.samples:  # the lists' own entries, as written, for benchmarks/bench_lexicons.py
        a.samples.mkdir(parents=True, exist_ok=True)
        bdpm_names = [c.split("\t")[1] for c in _lines(a.bdpm) if c.count("\t") >= 2]
        subst = sorted({c.split("\t")[3].strip() for c in _lines(a.compo) if c.count("\t") >= 3})
        for name, rows in (
            ("bdpm_specialties", bdpm_names),
            ("bdpm_substances", subst),
            ("cim10_labels", cim_source),
            ("communes", commune_source),
            *((("nabm_labels", nabm_source),) if nabm_source else ()),
        ):
            (a.samples / f"{name}.txt").write_text("\n".join(rows) + "\n", "utf-8")


if __name__ == "__main__":
    main()
