"""Free-text scanning: one compiled alternation per kind over folded text.

Polars' regex engine (Rust `regex`) has no look-behind, so negation is handled
by first erasing negated mentions ("pas de grossesse", "VIH negatif") and then
looking for the remaining positive ones. A negation scope stops at
punctuation and spans at most three words.
"""

from __future__ import annotations

import re
from functools import cache

import polars as pl

from vigile.detect import lexicons as lx
from vigile.detect.extract import EMAIL_REGEX, fold_expr, nir_normalized
from vigile.detect.lexicons import reference as ref

WB = r"(?-u:\b)"  # ASCII word boundary: folded text is ASCII, and this keeps the fast DFA engine
POST_NEGATIONS = (
    "negatif",
    "negative",
    "neg",
    "non",
    "absent",
    "absente",
    "exclu",
    "exclue",
    "nul",
)
NAME_CONTEXT_WORDS = (
    "mme", "mlle", "madame", "mademoiselle", "mr", "m", "monsieur", "dr", "docteur", "pr",
    "professeur", "appeler", "rappeler", "contacter", "prevenir", "chez",
)  # fmt: skip


def alternation(terms) -> str:
    """Longest-first alternation of literal terms, wrapped in ASCII word boundaries."""
    uniq = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
    return WB + "(?:" + "|".join(re.escape(t) for t in uniq) + ")" + WB


@cache
def _cue_group() -> str:
    cues = sorted({c.strip() for c in lx.negation_cues() if c.strip()}, key=lambda t: -len(t))
    return r"(?:^|[^a-z0-9])(?:" + "|".join(re.escape(c) for c in cues) + r")"


@cache
def kind_terms() -> dict[str, tuple[str, ...]]:
    terms = dict(lx.health_terms())
    terms["treatment"] = tuple(lx.medications())
    return terms


@cache
def _kind_regexes(kind: str) -> tuple[str, str, str]:
    """(positive, negated-before, negated-after) regexes for one kind."""
    body = alternation(kind_terms()[kind])
    gap = r"\s*(?:[a-z0-9][a-z0-9\-]*'?\s*){0,3}?"
    before = _cue_group() + gap + body
    after = body + r"\s*:?\s*" + alternation(POST_NEGATIONS)
    positive = body
    if kind == "treatment":  # a dosage alone ("1 cp/j", "850 mg") also reveals a treatment
        positive = "(?:" + body + "|" + lx.DOSAGE_REGEX + ")"
    return positive, before, after


# Reference lists (lexicons.reference) searched in free text, per kind: CIM-10 labels
# and the ALD list reveal a condition ("other_condition" unless a hand list names a more
# telling kind), BDPM drugs a treatment.
REFERENCE_LISTS = {"other_condition": ("cim10", "ald"), "treatment": ("drugs",)}
# Who a mention is about: after these words, a condition is a relative's (family history).
FAMILY_CUES = (
    "atcd familiaux", "atcd familial", "antecedents familiaux", "antecedent familial",
    "antecedents familiaux de", "histoire familiale", "familial de", "familiaux de",
    "mere", "pere", "frere", "soeur", "fils", "fille", "grand mere", "grand pere",
    "grand-mere", "grand-pere", "oncle", "tante", "cousin", "cousine", "conjoint",
    "epoux", "epouse", "mari", "enfant",
)  # fmt: skip
# Not conditions of anyone, whatever a lexicon says: specimen and visit notes.
NOT_CONDITIONS = (
    "a jeun", "non a jeun", "hemolyse", "tube hemolyse", "echantillon hemolyse",
    "prelevement hemolyse", "ras", "r a s", "rien a signaler", "bilan systematique",
)  # fmt: skip


# A test named, not a condition asserted: "Sérologie toxoplasmose : immunisée". The next
# three words are erased unless the text says the result is positive.
LAB_CUES = (
    "serologie", "serologies", "test de", "test", "depistage", "depistage de",
    "recherche de", "recherche", "dosage", "controle", "controle de",
)  # fmt: skip
POSITIVE_RESULT = r"(?-u:\b)(?:positif|positive|positifs|positives|pos|detecte|detectee)(?-u:\b)|\+"


# Care sessions counted like doses ("dialyse 3x/semaine", "kine 2 fois par semaine").
SESSIONS = (
    r"(?-u:\b)(?:dialyse|dialysee|dialyses|hemodialyse|seances?|kine|kinesitherapie|orthophonie)"
    r"\s*:?\s*\d+ ?(?:x|fois) ?(?:/ ?|par )(?:sem|semaine|j|jour|mois)(?-u:\b)"
)


# A word inside a negation or family scope: it starts with a letter or digit (a lone "-"
# between two clauses is no word) and may hold "'", "-", "/", "%", "+" ("5 mg/10 mg").
SCOPE_WORD = r"(?:\s*[a-z0-9][a-z0-9'/%+\-]*)"
# " - " (spaced dash) between two statements ends a clause, as punctuation does.
CLAUSE_DASH = r"\s[-\u2013\u2014]\s"
# A clause that ends on a denial ("Lupus : non", "VIH+ exclu", "Sérologie : négative"):
# erased whole, whatever it names (the reference labels are matched without bounds).
DENIED_CLAUSE = (
    r"[^.;,!?]*(?-u:\b)(?:exclu|exclue|exclus|exclues|non|negatif|negative|negatifs"
    r"|negatives|absent|absente|absents|absentes|nul|nulle)\s*(?:$|[.;,!?])"
)


@cache
def _scope_erase() -> str:
    """A negation or family cue and the words it governs (up to punctuation, at most
    twelve words): erased before the reference lists are searched. A cue must stand as a
    word of its own: "non-voyant" is a condition, not a negation of "voyant"."""
    cues = sorted({c.strip() for c in lx.negation_cues() if c.strip()}, key=lambda t: -len(t))
    open_cues = [c for c in cues if c.endswith("'")]  # "pas d'": the word follows at once
    word_cues = [c for c in cues if not c.endswith("'")]
    alt = lambda cs: "(?:" + "|".join(re.escape(c) for c in cs) + ")"  # noqa: E731
    negation = r"(?:^|[^a-z0-9\-])(?:" + alt(word_cues) + r"(?:\s+|$)|" + alt(open_cues) + ")"
    family = alternation(FAMILY_CUES) + r"\s*:?"
    return "(?:" + negation + "|" + family + r")" + SCOPE_WORD + "{0,12}"


@cache
def _lab_scope() -> str:
    return alternation(LAB_CUES) + r"\s*:?" + SCOPE_WORD + "{0,3}"


@cache
def _not_conditions() -> str:
    return alternation(NOT_CONDITIONS)


def _asserted(f: pl.Expr) -> pl.Expr:
    """Folded text with negated, family and specimen mentions erased (label-internal
    negations, "non precisee", joined first: they qualify a condition, not deny it)."""
    joined = ref.join_label_negations(f).str.replace_all(CLAUSE_DASH, " ; ")
    erased = (
        joined.str.replace_all(DENIED_CLAUSE, " ; ")
        .str.replace_all(_scope_erase(), " ")
        .str.replace_all(_not_conditions(), " ")
    )
    tested = erased.str.replace_all(_lab_scope(), " ")
    return pl.when(erased.str.contains(POSITIVE_RESULT)).then(erased).otherwise(tested)


# Words that say a drug is taken (any dosage says it too).
TREATMENT_CUES = (
    r"(?-u:\b)(?:sous|traitement|traitements|traite|traitee|ttt|trt|tt|prend|prise|relais"
    r"|renouvellement|ordonnance|posologie|injection|injections|cure|supplementation"
    r"|substitution|mis|mise|substitue)(?-u:\b)"
)


@cache
def lab_drug_terms() -> tuple[str, ...]:
    """Names both of a lab test and of a drug ("vitamine d", "insuline", "testosterone"):
    a treatment only where the text says one is taken (TREATMENT_CUES, a dosage)."""
    lab = {_words(t) for t in lx.lab_tests()} | set(ref.ref_terms("lab_tests"))
    drug = {_words(t) for t in lx.medications()} | set(ref.ref_terms("drugs"))
    return tuple(sorted(lab & drug))


def _words(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", term).strip()


def _treatment(cleaned: pl.Expr, words: pl.Expr, positive: str) -> pl.Expr:
    """A drug named or a dosage, in a text whose negated and family scopes are erased:
    a lab-and-drug name counts only beside a treatment cue (a dosage is a treatment by
    itself), and drug names inside a condition's label ("carence en thiamine") do not
    count. Written without when/then, whose branches polars would both compute."""
    # CIM-10/ALD labels holding a drug name as whole words (a few hundred, listed by
    # lexicons.build): erased before drugs are searched
    labels = ref.padded("condition_drug_labels").to_list()
    words = words.str.replace_many(labels, [" "] * len(labels))
    ambiguous = lab_drug_terms()
    if not ambiguous:
        return cleaned.str.contains(positive) | ref.contains_terms(words, "drugs")
    padded = [f" {t} " for t in ambiguous]
    bare_words = words.str.replace_many(padded, [" "] * len(padded))
    bare = cleaned.str.replace_all(alternation(ambiguous).replace(" ", r"[^a-z0-9]+"), " ")
    said = words.str.contains_any(padded)
    return (
        bare.str.contains(positive)
        | ref.contains_terms(bare_words, "drugs")
        | (said & cleaned.str.contains(TREATMENT_CUES))
    )


def health_mention_exprs(e: pl.Expr, folded: bool = False) -> dict[str, pl.Expr]:
    """kind -> Boolean per cell, for HEALTH_KINDS plus "treatment"; a mention counts only
    when it asserts something about the person (negations, family history and specimen
    notes erased first)."""
    f = e if folded else fold_expr(e)
    asserted = _asserted(f)
    words = ref.words_expr(asserted)
    out: dict[str, pl.Expr] = {}
    for kind in (*lx.HEALTH_KINDS, "treatment"):
        positive, before, after = _kind_regexes(kind)
        cleaned = asserted.str.replace_all(before, " ").str.replace_all(after, " ")
        if kind == "treatment":  # "dialysé 3x/semaine": sessions, not a drug's dosage
            hit = _treatment(cleaned.str.replace_all(SESSIONS, " "), words, positive)
        else:
            hit = cleaned.str.contains(positive)
            if kind in REFERENCE_LISTS:
                hit = hit | ref.contains_terms(words, *REFERENCE_LISTS[kind])
        out[kind] = hit.fill_null(False)
    return out


# --- other categories inside free text --------------------------------------

FR_PHONE_IN_TEXT = (
    r"(?:^|[^\d+])(?:(?:\+|00)33[\s.\-]?(?:\(0\)[\s.\-]?)?|0)[1-9](?:[\s.\-]?\d{2}){4}(?:$|\D)"
)
EMAIL_IN_TEXT = EMAIL_REGEX.strip("^$")
NIR_IN_TEXT = r"(?:^|[^\dA-Za-z])([12378][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}[\s.]?\d{2})(?:$|\D)"


@cache
def text_lab_regex() -> str:
    """One alternation of the hand lab terms and the NABM's (`reference` "lab_tests",
    stored as `words`: a space there matches any run of non-alphanumerics, "cs-tf")."""
    hand = sorted({t for t in lx.lab_tests() if t}, key=lambda t: (-len(t), t))
    nabm = sorted(set(ref.ref_terms("lab_tests")), key=lambda t: (-len(t), t))
    alts = [re.escape(t) for t in hand]
    alts += [r"[^a-z0-9]+".join(re.escape(w) for w in t.split()) for t in nabm]
    return WB + "(?:" + "|".join(alts) + ")" + WB


@cache
def _first_name_in_context() -> str:
    ctx = alternation(NAME_CONTEXT_WORDS)
    return ctx + r"\.?\s+(?:[a-z'\-]+\s+)?" + alternation(lx.first_names())


# Context word then a capitalised word, over the original (case-kept) text.
LAST_NAME_IN_CONTEXT = (
    r"(?i:\b(?:mme|mlle|madame|mademoiselle|mr|m\.|monsieur|dr|docteur|pr|professeur"
    r"|appeler|rappeler|contacter|prevenir|prévenir|chez))\.?\s+\p{Lu}[\p{L}'\-]+\b"
)


def text_category_exprs(e: pl.Expr, folded: pl.Expr | None = None) -> dict[str, pl.Expr]:
    """category -> Boolean per cell for a free-text column (`folded`: its fold, if at hand)."""
    f = fold_expr(e) if folded is None else folded
    return {**text_health_exprs(f), **text_other_exprs(e, f)}


def text_health_exprs(folded: pl.Expr) -> dict[str, pl.Expr]:
    """health_condition and medication, negation aware (the costly part: run it on
    cells that contain a health or drug term at all)."""
    health = health_mention_exprs(folded, folded=True)
    return {
        "health_condition": pl.any_horizontal(*(health[k] for k in lx.HEALTH_KINDS)),
        "medication": health["treatment"],
    }


def text_other_exprs(e: pl.Expr, folded: pl.Expr) -> dict[str, pl.Expr]:
    return {
        "lab_test": folded.str.contains(text_lab_regex()).fill_null(False),
        "phone": e.str.contains(FR_PHONE_IN_TEXT).fill_null(False),
        "email": e.str.contains(EMAIL_IN_TEXT).fill_null(False),
        "nir": nir_normalized(e.str.extract(NIR_IN_TEXT, 1)).is_not_null(),
        "last_name": e.str.contains(LAST_NAME_IN_CONTEXT).fill_null(False),
        "first_name": folded.str.contains(_first_name_in_context()).fill_null(False),
    }
