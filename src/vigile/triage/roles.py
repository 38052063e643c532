"""Which column plays which part: the patient's name, the sample date, the phones...

The one place that decides column roles, for the triage and for the linkage
(`vigile.link.roles` adds only the user's overrides and the database's id).
The scan gives each column a category; several columns may share one (usage
and birth names, the patient's and the prescriber's names, sample and
reception dates, civility and sex). Headers and a first batch decide which one
is which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from ..detect.context import FEMALE_FLAG_NOTE
from ..detect.lexicons.folding import fold
from ..shapes import ColumnFinding

PRESCRIBER_WORDS = {"presc", "prescripteur", "prescriber", "medecin", "med", "docteur", "doctor",
                    "dr", "correspondant", "prescr", "referent"}  # fmt: skip
BIRTH_NAME_WORDS = {"jf", "naissance", "nais", "naiss", "birth", "maiden", "patronymique"}
LAB_WORDS = {"labo", "laboratoire", "lab", "laboratory", "etablissement", "etab", "lbm", "site",
             "structure", "establishment", "centre", "clinique", "hopital", "raison"}  # fmt: skip
SAMPLE_DATE_WORDS = {"prelev", "prel", "prelevement", "prlv", "sample", "collect", "collecte"}
RECEPTION_WORDS = {"recep", "reception", "received", "arrivee"}
PREGNANCY_WORDS = {"grossesse", "enceinte", "pregnant", "pregnancy", "gross"}
KEY_WORDS = {"cle", "key", "cl"}
SEX_WORDS = {"sexe", "sex", "genre", "gender"}
# A legal-protection measure (tutelle, curatelle...): the letter goes to the representative.
PROTECTION_WORDS = {"tutelle", "curatelle", "tuteur", "curateur", "tutelles", "curatelles"}
PROTECTION_PAIRS = ({"protection", "juridique"}, {"majeur", "protege"}, {"majeur", "protegee"},
                    {"mesure", "protection"}, {"sauvegarde", "justice"})  # fmt: skip
# Cell values of a yes/no or measure column (folded, lowercase).
PROTECTION_VALUES = ("oui", "non", "o", "n", "yes", "no", "y", "1", "0", "vrai", "faux", "true",
                     "false", "x", "aucune", "aucun", "neant", "sans", "tutelle", "curatelle",
                     "curatelle renforcee", "sauvegarde de justice", "habilitation familiale",
                     "mandat de protection future", "tutelle aux prestations sociales")  # fmt: skip
TEXT_OTHER_CATEGORIES = ("lab_test", "phone", "email", "nir", "last_name", "first_name")
HEALTH_CATEGORIES = {"health_condition", "medication", "lab_test"}


def header_tokens(name: str) -> set[str]:
    """Folded header words: 'DateNaissance' and 'dt_nais' both split into words."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return {t for t in re.split(r"[^a-z0-9]+", fold(spaced)) if t}


@dataclass(frozen=True)
class Roles:
    nir_full: tuple[str, ...] = ()
    nir_split: tuple[tuple[str, str], ...] = ()  # (13-char body, 2-digit key)
    last_name: str | None = None
    birth_name: str | None = None
    first_name: str | None = None
    birth_date: str | None = None
    postcode: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None  # the patient's first phone (phones[0])
    phones: tuple[str, ...] = ()  # every phone column of the patient, `phone` first
    sex: str | None = None
    address: tuple[str, ...] = ()  # the patient's address lines
    protection: str | None = None  # yes/no (or measure) column of a legal protection
    event_date: str | None = None
    lab_name: str | None = None
    finess: str | None = None
    prescriber_name: str | None = None
    prescriber_id: str | None = None
    passwords: tuple[str, ...] = ()
    pregnancy_flags: tuple[str, ...] = ()
    treatments: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()  # free text searched for health mentions
    by_category: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # free-text columns and the other categories (phone, e-mail...) the scan found in them
    text_others: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _doctor_share(sample: pl.DataFrame | None, col: str) -> float:
    if sample is None or col not in sample.columns or sample.height == 0:
        return 0.0
    s = sample.get_column(col).drop_nulls().str.strip_chars()
    s = s.filter(s.str.len_bytes() > 0)
    if s.len() == 0:
        return 0.0
    return float(s.str.contains(r"(?i)^(dr|docteur|pr)\b\.?").mean() or 0.0)


def is_protection_header(name: str) -> bool:
    toks = header_tokens(name)
    return bool(toks & PROTECTION_WORDS) or any(pair <= toks for pair in PROTECTION_PAIRS)


def _protection_column(
    findings: Sequence[ColumnFinding], sample: pl.DataFrame | None
) -> str | None:
    """A column whose header names a legal protection and whose cells are yes/no (or a
    measure); a guardian's name or address column is not one."""
    for f in findings:
        if not is_protection_header(f.name) or f.category in (
            "last_name",
            "first_name",
            "address",
            "phone",
            "email",
        ):
            continue
        if sample is None or f.name not in sample.columns:
            return f.name
        s = sample.get_column(f.name).cast(pl.String).drop_nulls().str.strip_chars()
        s = s.filter(s.str.len_bytes() > 0)
        if s.len() == 0:
            return f.name
        if s.n_unique() > 40:  # names, addresses, dates: not a yes/no column
            continue
        counts = s.value_counts()  # few distinct values: fold each once
        folded = counts.get_column(s.name).map_elements(fold, return_dtype=pl.String)
        known = counts.get_column("count").filter(folded.str.strip_chars().is_in(PROTECTION_VALUES))
        if known.sum() >= 0.9 * s.len():
            return f.name
    return None


def assign_roles(findings: Sequence[ColumnFinding], sample: pl.DataFrame | None = None) -> Roles:
    toks = {f.name: header_tokens(f.name) for f in findings}
    by_cat: dict[str, list[str]] = {}
    for f in findings:
        if f.category:
            by_cat.setdefault(f.category, []).append(f.name)

    def first(cat: str, avoid: set[str] = frozenset(), prefer: set[str] = frozenset()):
        cols = [c for c in by_cat.get(cat, []) if not toks[c] & avoid]
        preferred = [c for c in cols if toks[c] & prefer]
        return (preferred or cols or [None])[0]

    lab_cols = [f.name for f in findings if toks[f.name] & LAB_WORDS and f.category != "finess"]
    prescriber_cols = {
        f.name
        for f in findings
        if f.category in ("last_name", "first_name")
        and (toks[f.name] & PRESCRIBER_WORDS or _doctor_share(sample, f.name) >= 0.5)
    }
    avoid_patient = PRESCRIBER_WORDS | LAB_WORDS

    names = [
        c for c in by_cat.get("last_name", []) if c not in prescriber_cols and c not in lab_cols
    ]
    usage = [c for c in names if not toks[c] & BIRTH_NAME_WORDS]
    birth = [c for c in names if toks[c] & BIRTH_NAME_WORDS]
    firsts = [c for c in by_cat.get("first_name", []) if c not in prescriber_cols]

    # Split NIR: a key column (2 digits) and its 13-character body. The scan's note names
    # the pair ("NIR key column paired with NSS"); else a key header right after its body.
    nir_cols = by_cat.get("nir", [])
    order = [f.name for f in findings]
    notes = {f.name: f.note or "" for f in findings}
    split: list[tuple[str, str]] = []
    for c in nir_cols:
        m = re.search(r"key column paired with (.+)$", notes[c], re.IGNORECASE)
        if m and m.group(1).strip() in nir_cols:
            split.append((m.group(1).strip(), c))
        elif toks[c] & KEY_WORDS and "body" not in notes[c].lower():
            i = order.index(c)
            body = next((b for b in reversed(order[:i]) if b in nir_cols), None)
            if body:
                split.append((body, c))
    keys = {k for _, k in split}
    bodies = {b for b, _ in split}
    full = tuple(c for c in nir_cols if c not in keys and c not in bodies)

    text_cols: list[str] = []
    text_others: list[tuple[str, tuple[str, ...]]] = []
    for f in findings:
        tc = f.text_categories or {}
        # Free text; also a column classified otherwise whose cells mention conditions.
        if tc.get("health_condition", 0) > 0 or tc.get("medication", 0) > 0:
            if f.category is None or f.category not in HEALTH_CATEGORIES:
                text_cols.append(f.name)
        others = tuple(c for c, share in tc.items() if share > 0 and c in TEXT_OTHER_CATEGORIES)
        if f.category is None and others:
            text_others.append((f.name, others))
    # A pregnancy flag: named so, or found by relation (a yes/no column filled on women's
    # rows only, whatever its header: the scan's note says so, see detect.context).
    preg = tuple(
        c
        for c in by_cat.get("health_condition", [])
        if toks[c] & PREGNANCY_WORDS or notes[c] == FEMALE_FLAG_NOTE
    )
    # Structured condition columns (ALD, diagnosis) are searched like free text as well.
    text_cols += [c for c in by_cat.get("health_condition", []) if c not in preg]

    prescriber_name = next((c for c in by_cat.get("last_name", []) if c in prescriber_cols), None)
    phone = first("phone", avoid=avoid_patient)
    phones = [c for c in by_cat.get("phone", []) if not toks[c] & avoid_patient and c != phone]
    # A civility (M., Mme) is a sex column too: a header saying sexe/genre wins.
    sexes = [c for c in by_cat.get("sex", []) if not toks[c] & avoid_patient]
    sex = next((c for c in sexes if toks[c] & SEX_WORDS), sexes[0] if sexes else None)
    return Roles(
        nir_full=full,
        nir_split=tuple(split),
        last_name=(usage or birth or [None])[0],
        birth_name=birth[0] if birth and usage else None,
        first_name=(firsts or [None])[0],
        birth_date=first("birth_date"),
        postcode=first("postcode", avoid=avoid_patient),
        city=first("city", avoid=avoid_patient),
        email=first("email", avoid=avoid_patient),
        phone=phone,
        phones=((phone,) if phone else ()) + tuple(phones),
        sex=sex,
        address=tuple(c for c in by_cat.get("address", []) if not toks[c] & avoid_patient),
        protection=_protection_column(findings, sample),
        event_date=first("date", prefer=SAMPLE_DATE_WORDS)
        if any(toks[c] & SAMPLE_DATE_WORDS for c in by_cat.get("date", []))
        else first("date", prefer=RECEPTION_WORDS),
        lab_name=(lab_cols or [None])[0],
        finess=first("finess"),
        prescriber_name=prescriber_name,
        prescriber_id=first("rpps"),
        passwords=tuple(by_cat.get("password", [])),
        pregnancy_flags=preg,
        treatments=tuple(by_cat.get("medication", [])),
        text_columns=tuple(text_cols),
        by_category={k: tuple(v) for k, v in by_cat.items()},
        text_others=tuple(text_others),
    )
