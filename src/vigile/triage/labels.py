"""Human wording shared by the Markdown and HTML reports, in French (default) and English.

French follows the typographic rules a DPO expects in an official document: a no-break
space before « : », a narrow no-break space before « ; ! ? % » and as thousands
separator, « » quotes, the decimal comma and agreement of counted nouns. Every French
string below goes through `fr_typo` once, at import, so a plain space typed before a
colon in the source can never reach the reader.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ..categories import CATEGORIES

LANGS = ("fr", "en")
NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space

_BEFORE_HIGH = re.compile(r"[ \u00a0\u202f]+(?=[;!?%»])")
_AFTER_OPEN = re.compile(r"«[ \u00a0\u202f]*")


def fr_typo(text: str) -> str:
    """French spacing of high punctuation and quotes: no-break space before « : » and
    inside « », narrow no-break space before ; ! ? % (only where a space is already typed,
    so "09:00" and "https://" are left alone)."""
    text = re.sub(r"[ \u00a0\u202f]+:", NBSP + ":", text)
    text = _BEFORE_HIGH.sub(lambda m: NBSP if text[m.end()] == "»" else NNBSP, text)
    return _AFTER_OPEN.sub("«" + NBSP, text)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use fr or en")
    return lang


# -- numbers, counts, dates ----------------------------------------------------------
def fmt_int(n: int | str | None, lang: str = "fr") -> str:
    """1 234 (narrow no-break space) in French, 1,234 in English; '<10' kept as is."""
    if n is None:
        return "—"
    if isinstance(n, str):
        return n
    text = f"{n:,}"
    return text.replace(",", NNBSP) if lang == "fr" else text


def fmt_dec(x: float, lang: str = "fr") -> str:
    """0,75 in French, 0.75 in English (shortest form: 4, not 4.0)."""
    text = f"{x:g}"
    return text.replace(".", ",") if lang == "fr" else text


def pct(part: int, whole: int, lang: str = "fr") -> str:
    """'12,5 %' (narrow no-break space) in French, '12.5%' in English."""
    if not whole:
        return "—"
    value = f"{100 * part / whole:.1f}"
    return value.replace(".", ",") + NNBSP + "%" if lang == "fr" else value + "%"


def share(fraction: float, lang: str = "fr") -> str:
    """A 0..1 fraction as a percentage."""
    return pct(round(fraction * 10_000), 10_000, lang)


def plural(n: int | str, one: str, many: str, lang: str = "fr") -> str:
    """The noun agreeing with n: French takes the singular for 0 and 1, English for 1 only;
    a suppressed cell ('<10') takes the plural."""
    if isinstance(n, str):
        return many
    return one if (n in (0, 1) if lang == "fr" else n == 1) else many


def count(n: int | str | None, one: str, many: str, lang: str = "fr") -> str:
    """'1 personne', '2 personnes', '1 234 personnes': thousands with a narrow no-break
    space, a no-break space before the noun."""
    return f"{fmt_int(n, lang)}{NBSP}{plural(n if n is not None else 2, one, many, lang)}"


def persons(n: int | str | None, lang: str = "fr") -> str:
    return count(n, *(("personne", "personnes") if lang == "fr" else ("person", "persons")), lang)


def rows(n: int | str | None, lang: str = "fr") -> str:
    return count(n, *(("ligne", "lignes") if lang == "fr" else ("row", "rows")), lang)


def fmt_date(iso: str | None, lang: str = "fr") -> str:
    """'2015-01-02' -> '02/01/2015' in French; ISO kept in English."""
    if not iso:
        return "—"
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return d.strftime("%d/%m/%Y") if lang == "fr" else d.isoformat()


def fmt_time(iso: str | None, lang: str = "fr") -> str:
    """An ISO UTC time ('...Z') shown in Europe/Paris with the zone named."""
    if not iso:
        return "—"
    from ..case.clock import show_time  # lazily: the case store is not needed to triage

    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return show_time(moment, lang) or "—"


# -- fixed vocabulary ------------------------------------------------------------------
CATEGORY_LABELS_FR = {
    "nir": "numéro de sécurité sociale (NIR / INS)",
    "last_name": "nom de famille, de naissance ou d'usage",
    "first_name": "prénoms",
    "birth_date": "date de naissance",
    "sex": "sexe",
    "address": "adresse postale",
    "postcode": "code postal",
    "city": "commune",
    "phone": "numéro de téléphone",
    "email": "adresse électronique",
    "iban": "coordonnées bancaires (IBAN, RIB)",
    "insurance": "organisme complémentaire ou numéro d'adhérent",
    "blood_group": "groupe sanguin (ABO / rhésus)",
    "health_condition": "pathologies, diagnostics, grossesse, handicap, VIH",
    "medication": "traitements, médicaments, posologies",
    "lab_test": "analyses prescrites ou leurs résultats",
    "rpps": "identifiant de professionnel de santé (RPPS, ADELI)",
    "finess": "identifiant d'établissement de santé (FINESS)",
    "login": "identifiant de connexion",
    "password": "mot de passe, code ou empreinte de mot de passe",
    "ip_address": "adresse IP",
    "date": "autre date liée à la personne",
}
HEALTH_KIND_LABELS = {
    "fr": {
        "pregnancy": "grossesse",
        "hiv": "VIH",
        "disability": "handicap (dont surdité)",
        "chronic_disease": "maladie chronique (ALD)",
        "mental_health": "santé mentale",
        "addiction": "addiction",
        "infectious_disease": "maladie infectieuse",
        "other_condition": "autre pathologie",
        "treatment": "traitement",
    },
    "en": {
        "pregnancy": "pregnancy",
        "hiv": "HIV",
        "disability": "disability (incl. deafness)",
        "chronic_disease": "chronic disease",
        "mental_health": "mental health",
        "addiction": "addiction",
        "infectious_disease": "infectious disease",
        "other_condition": "other condition",
        "treatment": "treatment",
    },
}
# Severity levels agree with « sévérité » (feminine) in French.
LEVEL_LABELS = {
    "fr": {"low": "faible", "medium": "moyenne", "high": "élevée", "very_high": "très élevée"},
    "en": {"low": "low", "medium": "medium", "high": "high", "very_high": "very high"},
}
KEY_LABELS = {
    "fr": {
        "nir": "NIR valide",
        "nir_via_identity": "NIR trouvé sur une autre ligne de la même identité",
        "identity": "identité normalisée",
        "row": "sans identifiant (la ligne)",
    },
    "en": {
        "nir": "validated NIR",
        "nir_via_identity": "NIR found on another row of the same identity",
        "identity": "normalised identity",
        "row": "no identifier (row)",
    },
}
# Headings and fixed sentences. {n}-style fields are filled by `Words.t`.
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Vigile — triage de fuite de données",
        "html_title": "Triage de fuite — {name}",
        "lead": "**{persons}** dans {rows} · sévérité **{level}** (ENISA {score}, gravité "
        "CNIL *{gravite}*) · {minors} · {over_75}",
        "minors": "{n} mineurs",
        "minors_one": "{n} mineur",
        "over_75": "{n} personnes de 75 ans ou plus",
        "over_75_one": "{n} personne de 75 ans ou plus",
        "sub": "vigile {version} · analysé le {at} · schéma {schema} · aucune donnée "
        "personnelle n'apparaît dans ce rapport",
        "analysed": "Analysé le {at} avec vigile {version} (schéma `{schema}`).",
        "card_persons": "personnes distinctes",
        "card_persons_one": "personne distincte",
        "card_rows": "lignes",
        "card_rows_one": "ligne",
        "card_minors": "mineurs (moins de 18 ans)",
        "card_minors_one": "mineur (moins de 18 ans)",
        "card_over75": "personnes de 75 ans ou plus",
        "card_over75_one": "personne de 75 ans ou plus",
        "card_severity": "sévérité · ENISA {score} · gravité {gravite}",
        "h_evidence": "Preuve",
        "col_file": "fichier",
        "col_bytes": "octets",
        "col_rows": "lignes",
        "h_persons": "Personnes",
        "person_key": "Clé de personne : {key}",
        "row_coverage": "Lignes rattachées par : {items}",
        "ages": "Âges au {date} : {minors} (moins de 18 ans), {over_75}.",
        "h_categories": "Données exposées",
        "col_category": "catégorie",
        "col_persons": "personnes",
        "col_share": "part",
        "h_health": "Mentions de santé",
        "health_intro": "Mentions de santé (texte libre et colonnes structurées) :",
        "col_kind": "nature",
        "credentials": "**Identifiants** : {persons} avec un mot de passe exposé — {plain} en "
        "clair, {hashed} sous forme d'empreinte seulement.",
        "h_geography": "Géographie",
        "col_region": "région",
        "col_departement": "département",
        "col_town": "commune (10 personnes ou plus)",
        "top_towns": "Principales communes (10 personnes ou plus) : {items}",
        "dep_sources": "Département d'après le code postal pour {postcode}, d'après le "
        "département de naissance du NIR pour {nir} ; {without} sans département.",
        "all_departements": "Tous les départements",
        "map_label": "Personnes par département",
        "map_overseas": "Outre-mer",
        "map_none": "aucune",
        "h_origin": "Origine",
        "col_establishment": "établissement",
        "no_establishment": "Aucune colonne d'établissement trouvée.",
        "prescribers": "Prescripteurs : {n} distincts (noms non reproduits).",
        "prescribers_one": "Prescripteurs : {n} distinct (nom non reproduit).",
        "no_prescribers": "Aucune colonne de prescripteur trouvée.",
        "h_time": "Période",
        "time_range": "Du {lo} au {hi}.",
        "col_year": "année",
        "no_event_date": "Aucune date d'événement trouvée.",
        "timeline_label": "Lignes par année",
        "h_severity": "Sévérité (méthode ENISA 2013)",
        "severity_line": "SE = DPC × EI + CB = **{formula}** → **{level}** · gravité CNIL : "
        "**{gravite}**",
        "col_factor": "facteur",
        "col_value": "valeur",
        "col_why": "justification",
        "bands": "Seuils : faible < 2 ≤ moyenne < 3 ≤ élevée < 4 ≤ très élevée. Gravité CNIL : "
        "négligeable, limitée, importante, maximale.",
        "h_duties": "Obligations",
        "due": "OBLIGATOIRE",
        "deadline": "délai : {d}",
        "not_due": "non obligatoire",
        "h_not_found": "Non trouvé",
        "all_found": "Toutes les catégories du catalogue ont été trouvées.",
        "health_not_found": "Mentions de santé non trouvées : {items}.",
        "error": "Erreur de lecture (message technique) : {e}",
        "factor_DPC": "DPC (contexte du traitement des données)",
        "factor_EI": "EI (facilité d'identification)",
        "factor_CB": "CB (circonstances de la violation)",
    },
    "en": {
        "title": "Vigile — leak triage",
        "html_title": "Leak triage — {name}",
        "lead": "**{persons}** in {rows} · severity **{level}** (ENISA {score}, CNIL gravité "
        "*{gravite}*) · {minors} · {over_75}",
        "minors": "{n} minors",
        "minors_one": "{n} minor",
        "over_75": "{n} persons aged 75 or more",
        "over_75_one": "{n} person aged 75 or more",
        "sub": "vigile {version} · analysed {at} · schema {schema} · no personal value appears "
        "in this report",
        "analysed": "Analysed at {at} with vigile {version} (schema `{schema}`).",
        "card_persons": "distinct persons",
        "card_persons_one": "distinct person",
        "card_rows": "rows",
        "card_rows_one": "row",
        "card_minors": "minors (< 18)",
        "card_minors_one": "minor (< 18)",
        "card_over75": "aged 75 or more",
        "card_over75_one": "aged 75 or more",
        "card_severity": "severity · ENISA {score} · gravité {gravite}",
        "h_evidence": "Evidence",
        "col_file": "file",
        "col_bytes": "bytes",
        "col_rows": "rows",
        "h_persons": "Persons",
        "person_key": "Person key: {key}",
        "row_coverage": "Rows keyed by: {items}",
        "ages": "Ages on {date}: {minors} (under 18), {over_75}.",
        "h_categories": "Exposure by category",
        "col_category": "category",
        "col_persons": "persons",
        "col_share": "share",
        "h_health": "Health mentions",
        "health_intro": "Health mentions (free text and structured columns):",
        "col_kind": "kind",
        "credentials": "**Credentials**: {persons} with a password exposed — {plain} in plain "
        "text, {hashed} hashed only.",
        "h_geography": "Geography",
        "col_region": "region",
        "col_departement": "département",
        "col_town": "town (10 persons or more)",
        "top_towns": "Top towns (10 persons or more): {items}",
        "dep_sources": "Département from the postcode for {postcode}, from the NIR birth "
        "département for {nir}; {without} without one.",
        "all_departements": "All départements",
        "map_label": "Persons by département",
        "map_overseas": "Overseas",
        "map_none": "none",
        "h_origin": "Origin",
        "col_establishment": "establishment",
        "no_establishment": "No establishment column found.",
        "prescribers": "Prescribers: {n} distinct (names not reported).",
        "prescribers_one": "Prescribers: {n} distinct (name not reported).",
        "no_prescribers": "No prescriber column found.",
        "h_time": "Time span",
        "time_range": "From {lo} to {hi}.",
        "col_year": "year",
        "no_event_date": "No event date found.",
        "timeline_label": "Rows by year",
        "h_severity": "Severity (ENISA 2013 method)",
        "severity_line": "SE = DPC × EI + CB = **{formula}** → **{level}** · CNIL gravité: "
        "**{gravite}**",
        "col_factor": "factor",
        "col_value": "value",
        "col_why": "why",
        "bands": "Bands: low < 2 ≤ medium < 3 ≤ high < 4 ≤ very high. CNIL gravité: "
        "négligeable, limité, important, maximal.",
        "h_duties": "Duties",
        "due": "DUE",
        "deadline": "deadline: {d}",
        "not_due": "not due",
        "h_not_found": "Not found",
        "all_found": "Every category of the catalogue was found.",
        "health_not_found": "Health mentions not found: {items}.",
        "error": "Read error: {e}",
        "factor_DPC": "DPC (data processing context)",
        "factor_EI": "EI (ease of identification)",
        "factor_CB": "CB (circumstances of the breach)",
    },
}

# The CNIL form's gravité in French agrees with « gravité » (feminine) when shown as a
# sentence; the JSON keeps the form's own words (enisa.CNIL_GRAVITE).
GRAVITE_FR = {
    "négligeable": "négligeable",
    "limité": "limitée",
    "important": "importante",
    "maximal": "maximale",
}

# The notes vigile.triage.api writes (English), and their French. A note without a
# pattern here is shown as written.
_NOTES_FR: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^No table could be read from the input\(s\)"),
        "Aucune table n'a pu être lue dans le ou les fichiers : ces chiffres ne disent rien du "
        "risque que présente le fichier ; voir les erreurs.",
    ),
    (
        re.compile(r"^(\d+) free-text source\(s\)"),
        "{0} source(s) en texte libre (journaux, documents) lue(s) mais non comptée(s) dans "
        "les personnes : sans colonnes, rien ne permet d'y rattacher des personnes.",
    ),
    (
        re.compile(r"^Columns were classified on the first ([\d,]+) rows"),
        "Les colonnes ont été classées sur les {0} premières lignes de chaque table ; chaque "
        "chiffre compte toutes les lignes.",
    ),
    (
        re.compile(r"^([\d,]+) row\(s\) carry no usable identifier"),
        "{0} ligne(s) sans identifiant exploitable : chacune est comptée comme une personne "
        "distincte (borne haute).",
    ),
)

# A counted noun never leaves its figure at the end of a line.
TEXT = {
    lang: {k: v.replace("{n} ", "{n}" + NBSP) for k, v in t.items()} for lang, t in TEXT.items()
}
TEXT["fr"] = {k: fr_typo(v) for k, v in TEXT["fr"].items()}
CATEGORY_LABELS_FR = {k: fr_typo(v) for k, v in CATEGORY_LABELS_FR.items()}


def note_in(note: str, lang: str = "fr") -> str:
    """A note of the triage result in the reader's language."""
    if lang != "fr":
        return note
    for pattern, french in _NOTES_FR:
        m = pattern.match(note)
        if m:
            figures = [fmt_int(int(g.replace(",", "")), "fr") for g in m.groups()]
            return fr_typo(french.format(*figures))
    return note


KEY_FIELDS_FR = {
    "last_name": "nom",
    "first_name": "prénom",
    "birth_date": "date de naissance",
    "postcode": "code postal",
    "email": "adresse électronique",
    "phone": "téléphone",
}
KEY_PARTS_FR = {
    "nir (with birth date)": "NIR (avec la date de naissance)",
    "none": "aucune",
}


def person_key_label(label: str, lang: str = "fr") -> str:
    """The person key of vigile.triage.persons ('nir (with birth date) else
    last_name+first_name+birth_date', tables joined by ' | ') in French."""
    if lang != "fr":
        return label

    def part(p: str) -> str:
        if p in KEY_PARTS_FR:
            return KEY_PARTS_FR[p]
        if p.startswith("row ("):
            return "la ligne (sans identifiant : chaque ligne compte pour une personne)"
        fields = p.split("+")
        if all(f in KEY_FIELDS_FR for f in fields):
            return " + ".join(KEY_FIELDS_FR[f] for f in fields)
        return p

    tables = [", à défaut ".join(part(p) for p in t.split(" else ")) for t in label.split(" | ")]
    return fr_typo(" | ".join(tables))


def category_label(cat: str, lang: str = "fr") -> str:
    if lang == "fr" and cat in CATEGORY_LABELS_FR:
        return CATEGORY_LABELS_FR[cat]
    c = CATEGORIES.get(cat)
    return c.label if c else cat


def health_kind_label(kind: str, lang: str = "fr") -> str:
    return HEALTH_KIND_LABELS[lang].get(kind, kind)


class Words:
    """The wording of one report language: `w.t(key, **fields)` and the number helpers."""

    def __init__(self, lang: str = "fr"):
        self.lang = check_lang(lang)
        self.text = TEXT[self.lang]

    def t(self, key: str, /, **fields: object) -> str:
        text = self.text[key].format(**fields)
        return fr_typo(text) if self.lang == "fr" else text

    def n(self, value: int | str | None) -> str:
        return fmt_int(value, self.lang)

    def dec(self, value: float) -> str:
        return fmt_dec(value, self.lang)

    def pct(self, part: int, whole: int) -> str:
        return pct(part, whole, self.lang)

    def share(self, fraction: float) -> str:
        return share(fraction, self.lang)

    def persons(self, value: int | str | None) -> str:
        return persons(value, self.lang)

    def rows(self, value: int | str | None) -> str:
        return rows(value, self.lang)

    def form(self, value: int | str | None, key: str) -> str:
        """`key`, or `key_one` when there is one and value takes the singular."""
        one = f"{key}_one"
        if one in self.text and value is not None and plural(value, "1", "n", self.lang) == "1":
            return one
        return key

    def tn(self, key: str, value: int | str | None, /, **fields: object) -> str:
        """`t` of the form agreeing with value, its figure given as {n}."""
        return self.t(self.form(value, key), n=self.n(value), **fields)

    def date(self, iso: str | None) -> str:
        return fmt_date(iso, self.lang)

    def time(self, iso: str | None) -> str:
        return fmt_time(iso, self.lang)

    def level(self, level: str) -> str:
        return LEVEL_LABELS[self.lang][level]

    def gravite(self, gravite: str) -> str:
        return GRAVITE_FR.get(gravite, gravite) if self.lang == "fr" else gravite

    def category(self, cat: str) -> str:
        return category_label(cat, self.lang)

    def health_kind(self, kind: str) -> str:
        return health_kind_label(kind, self.lang)

    def person_key(self, label: str) -> str:
        return person_key_label(label, self.lang)

    def key(self, kind: str) -> str:
        return KEY_LABELS[self.lang].get(kind, kind)

    def note(self, note: str) -> str:
        return note_in(note, self.lang)

    def typo(self, text: str) -> str:
        return fr_typo(text) if self.lang == "fr" else text
