"""The manual review queue: gray-zone pairs shown side by side, decided by a person.

For each field the reviewer sees a verdict computed at link time (same, differs,
missing, or close: typo, swapped day-month, same year and month, compound name
part, usage/birth name swap, same département) and partially masked values: the
first letters of each name, the birth year, the département of the postcode, the
sex in clear, the first and last pairs of the phone, the initials of the e-mail.
That is enough to decide most pairs; `vigile link review --reveal` shows the
values in clear to the authorised reviewer (each reveal audited).

The sealed review item also carries, under reserved keys, the clear values (for
--reveal) and what an accepted pair needs to become an affected person (the leak
person's exposure and the patient's identity for the letters): the case store
encrypts the whole item.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence

import polars as pl

from ..detect.mask import mask_email, mask_phone
from .exposure import PASSWORD_FORM, categories_of, kinds_of
from .patients import IDENTITY_FIELDS
from .pipeline import is_minor

REVIEW_FIELDS = (
    "last_name",
    "birth_name",
    "first_name",
    "birth_date",
    "sex",
    "postcode",
    "phone",
    "email",
)
CATEGORIES_KEY = "_categories"  # in leak_masked: comma-separated category ids (older items)
EXPOSURE_KEY = "_exposure"  # in leak_masked: JSON of the accepted person's exposure record
VERDICTS_KEY = "_verdicts"  # in leak_masked: JSON field -> verdict
AGREEMENT_KEY = "_agreement"  # older items: JSON field -> mark
CLEAR_KEY = "_clear"  # in both: JSON field -> value in clear (shown with --reveal only)
IDENTITY_KEY = "_identity"  # in patient_masked: JSON of the identity for letters
NAME_FIELDS = ("last_name", "birth_name", "first_name")
_COMPARED = (*REVIEW_FIELDS, "phone2")  # a second phone is compared, not shown
_SEX = {"1": "M", "2": "F"}


# --- verdicts -----------------------------------------------------------------


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance; short strings only."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _typo(a: str, b: str) -> bool:
    return edit_distance(a, b) <= (2 if min(len(a), len(b)) >= 8 else 1)


def _compound(a: str, b: str) -> bool:
    """One name is a part of the other ("JEAN" / "JEAN PIERRE", "DUPONT" / "DUPONT DURAND")."""
    wa, wb = a.split(), b.split()
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(short) < len(long_) and all(w in long_ for w in short)


def _departement(postcode: str) -> str:
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


def verdict(f: str, a: str | None, b: str | None, left: dict, right: dict) -> str:
    """How the leak's value `a` and the patient's `b` of field `f` compare (no value in it).

    `left`/`right`: every field of each side (for the usage/birth name swap)."""
    if not a or not b:
        return "missing"
    if a == b:
        return "same"
    if f in NAME_FIELDS:
        if f != "first_name":
            other = "birth_name" if f == "last_name" else "last_name"
            if a == right.get(other) or b == left.get(other):
                return "close: usage/birth name swap"
        if _compound(a, b):
            return "close: compound name part"
        return "close: typo" if _typo(a, b) else "differs"
    if f == "birth_date":
        if len(a) == len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
            return "close: swapped day-month"
        if a[:7] == b[:7]:
            return "close: same year and month"
        return "close: typo" if edit_distance(a, b) <= 1 else "differs"
    if f == "postcode":
        return "close: same département" if _departement(a) == _departement(b) else "differs"
    if f == "email":
        return "close: typo" if _typo(a, b) else "differs"
    if f == "phone" and (a == right.get("phone2") or b == left.get("phone2")):
        return "close: their other number"
    return "differs"


# --- partial masks ----------------------------------------------------------------


def _name_mask(value: str) -> str:
    """First two letters of each word of four or more letters, else the first letter."""

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        keep = 2 if len(w) >= 4 else 1
        return w[:keep] + "*" * (len(w) - keep)

    return re.sub(r"[^\W_]+", word, value)


def partial(f: str, value: str) -> str:
    """What the reviewer sees by default: enough to judge a pair, not the value."""
    if f in NAME_FIELDS:
        return _name_mask(value)
    if f == "birth_date":
        return value[:4] + "-**-**" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else "****"
    if f == "sex":
        return _SEX.get(value, "*")
    if f == "postcode":
        dep = _departement(value)
        return dep + "*" * (len(value) - len(dep))
    if f == "phone":
        return mask_phone(value)
    if f == "email":
        return mask_email(value)
    return "*" * len(value)


# --- items --------------------------------------------------------------------


def review_items(
    review: pl.DataFrame,
    persons: pl.DataFrame,
    patients: pl.DataFrame,
    reference_date: dt.date | None = None,
) -> list:
    """ReviewItem objects for the case store (a small gray-zone set: per-pair Python is fine)."""
    from ..case import ReviewItem

    ref = reference_date or dt.date.today()
    id_cols = [f"id_{f}" for f in IDENTITY_FIELDS]
    pairs = (
        review.join(persons.select("leak_key", "mask", "kinds", "pw", *_COMPARED), on="leak_key")
        .join(
            patients.select("patient_id", *_COMPARED, *id_cols, "protected"),
            on="patient_id",
            suffix="_r",
        )
        .with_columns(
            is_minor(pl.coalesce("birth_date_r", "birth_date"), ref).alias("minor"),
            pl.col("protected").fill_null(False),
        )
    )
    items = []
    for row in pairs.sort("match_probability", descending=True).iter_rows(named=True):
        left = {f: row[f] for f in _COMPARED if row[f]}
        right = {f: row[f + "_r"] for f in _COMPARED if row[f + "_r"]}
        leak_side = {f: partial(f, v) for f, v in left.items() if f in REVIEW_FIELDS}
        leak_side[VERDICTS_KEY] = json.dumps(
            {f: verdict(f, left.get(f), right.get(f), left, right) for f in REVIEW_FIELDS}
        )
        leak_side[CLEAR_KEY] = json.dumps(left)
        leak_side[EXPOSURE_KEY] = json.dumps(
            {
                "categories": sorted(categories_of(row["mask"])),
                "health_kinds": sorted(kinds_of(row["kinds"])),
                "password": PASSWORD_FORM.get(row["pw"]),
                "minor": bool(row["minor"]),
                "protected": bool(row["protected"]),
            }
        )
        patient_side = {f: partial(f, v) for f, v in right.items() if f in REVIEW_FIELDS}
        patient_side[CLEAR_KEY] = json.dumps(right)
        patient_side[IDENTITY_KEY] = json.dumps(
            {f: row[f"id_{f}"] for f in IDENTITY_FIELDS if row[f"id_{f}"]}
        )
        items.append(
            ReviewItem(
                id=None,
                leak_key=row["leak_key"],
                patient_id=row["patient_id"],
                match_probability=float(row["match_probability"]),
                leak_masked=leak_side,
                patient_masked=patient_side,
            )
        )
    return items


_OLD_MARKS = {"=": "same", "~": "close", "!=": "differs", "": "missing"}


def side_by_side(item, reveal: bool = False) -> list[tuple[str, str, str, str]]:
    """(field, leak value, verdict, patient value) rows for display: partially masked, or
    in clear with `reveal` (the caller audits it); reserved keys are never shown."""
    lm, pm = item.leak_masked, item.patient_masked
    if VERDICTS_KEY in lm:
        verdicts = json.loads(lm[VERDICTS_KEY])
    else:
        verdicts = {
            f: _OLD_MARKS.get(m, m) for f, m in json.loads(lm.get(AGREEMENT_KEY, "{}")).items()
        }
    if reveal and CLEAR_KEY in lm:
        left, right = json.loads(lm[CLEAR_KEY]), json.loads(pm.get(CLEAR_KEY, "{}"))
    else:
        left, right = lm, pm
    rows = []
    for f in REVIEW_FIELDS:
        a, b = left.get(f, ""), right.get(f, "")
        if a or b:
            rows.append((f, a, verdicts.get(f, ""), b))
    return rows


def exposure_of(item) -> dict:
    """The accepted person's exposure record carried by a review item."""
    raw = item.leak_masked.get(EXPOSURE_KEY)
    if raw:
        return json.loads(raw)
    cats = [c for c in item.leak_masked.get(CATEGORIES_KEY, "").split(",") if c]
    return {"categories": cats}


def _stronger(a: str | None, b: str | None) -> str | None:
    forms = [None, "hashed", "plain"]
    return max(a, b, key=forms.index)


def apply_decisions(store, incident_id: int, decided: Sequence, unmatched_before: int) -> int:
    """Fold decided review items into the affected persons (one replace for a whole session).

    Accepted pairs become affected persons ("review" method; exposure merged when the
    patient is already affected); rejected ones become leak persons found in no record.
    Returns the new affected count.
    """
    from ..case import AffectedPerson

    accepted = [it for it in decided if it.decision == "accepted"]
    rejected = sum(1 for it in decided if it.decision == "rejected")
    persons = {p.patient_id: p for p in store.affected(incident_id)}
    for it in accepted:
        exp = exposure_of(it)
        cats = frozenset(exp.get("categories") or ())
        kinds = frozenset(exp.get("health_kinds") or ())
        identity = json.loads(it.patient_masked.get(IDENTITY_KEY, "{}"))
        old = persons.get(it.patient_id)
        if old is not None:
            persons[it.patient_id] = AffectedPerson(
                old.patient_id,
                old.match_probability,
                old.match_method,
                old.categories | cats,
                old.identity,
                health_kinds=old.health_kinds | kinds,
                password=_stronger(old.password, exp.get("password")),
                minor=old.minor or bool(exp.get("minor")),
                protected=old.protected or bool(exp.get("protected")),
            )
        else:
            persons[it.patient_id] = AffectedPerson(
                it.patient_id,
                it.match_probability,
                "review",
                cats,
                identity,
                health_kinds=kinds,
                password=exp.get("password"),
                minor=bool(exp.get("minor")),
                protected=bool(exp.get("protected")),
            )
    return store.replace_affected(incident_id, persons.values(), unmatched_before + rejected)


def pending(items: Iterable) -> list:
    return [it for it in items if it.decision is None]


# --- decisions given in bulk ------------------------------------------------------

ACCEPT_WORDS = {"a", "accept", "accepted", "y", "yes", "oui", "o", "1", "true", "match"}
REJECT_WORDS = {"r", "reject", "rejected", "n", "no", "non", "0", "false", "nomatch", "no match"}


class DecisionError(ValueError):
    """A decision list cannot be read (the message names the line, never a value)."""


def parse_ids(spec: str) -> list[int]:
    """`"1,2,5-9"` -> [1, 2, 5, 6, 7, 8, 9]; raises DecisionError on anything else."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi or hi - lo > 100_000:
                raise DecisionError(f"bad id range {part!r}: write LOW-HIGH")
            out.extend(range(lo, hi + 1))
        elif part.isdigit():
            out.append(int(part))
        else:
            raise DecisionError(f"bad review id {part!r}: write ids as 1,2,5-9")
    return out


def _decision_word(word: object, where: str) -> bool:
    w = str(word).strip().lower()
    if w in ACCEPT_WORDS:
        return True
    if w in REJECT_WORDS:
        return False
    raise DecisionError(f"{where}: decision must be accept or reject")


def read_decisions(path) -> dict[int, bool]:
    """A decisions file: CSV (id,decision; a header line is optional) or JSON (a list of
    {"id": N, "decision": "accept"|"reject"}, or an object {"N": "accept", ...})."""
    import csv
    import io
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8-sig")
    out: dict[int, bool] = {}

    def put(rid: object, word: object, where: str) -> None:
        try:
            i = int(str(rid).strip())
        except ValueError:
            raise DecisionError(f"{where}: review id must be a number") from None
        ok = _decision_word(word, where)
        if out.get(i, ok) != ok:
            raise DecisionError(f"{where}: review id {i} is both accepted and rejected")
        out[i] = ok

    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DecisionError(f"{path}: not valid JSON (line {e.lineno})") from None
        if isinstance(data, dict):
            for k, v in data.items():
                put(k, v, f"{path}: entry {k!r}")
        elif isinstance(data, list):
            for n, entry in enumerate(data, 1):
                if not isinstance(entry, dict) or "id" not in entry or "decision" not in entry:
                    raise DecisionError(f"{path}: entry {n} needs 'id' and 'decision'")
                put(entry["id"], entry["decision"], f"{path}: entry {n}")
        else:
            raise DecisionError(f"{path}: expected a JSON list or object")
        return out
    dialect = ";" if text.count(";") > text.count(",") else ","
    for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=dialect), 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < 2:
            raise DecisionError(f"{path}: line {n} needs id and decision")
        if n == 1 and not cells[0].isdigit():  # a header line
            continue
        put(cells[0], cells[1], f"{path}: line {n}")
    return out
