"""Cross-column evidence for columns whose content alone cannot name them.

With meaningless headers (C01, C02…) a member number is just digits, a login just a
token and a pregnancy flag just OUI/NON. Exports still betray them by their place and by
their relation to other columns, which is what a human analyst reads:
- an identifier right beside an insurer column is the member number (`insurance`);
- an identifier right before a password column (or a non-numeric one right after it) is
  the account name (`login`);
- a yes/no column filled only on rows of women is a pregnancy flag (`health_condition`).
These rules only ever name columns left without a category by content and header.

Place is weak evidence: exports are reordered. Relations read on a sample of rows
(`relation_rules`, `city_by_postcode`) hold wherever the columns stand:
- an identifier filled on exactly the rows where an insurer is filled is its member
  number; one filled exactly where a password is, the account name; a column of
  password-shaped values filled exactly where a login is, the password;
- a column of words whose value is one and the same for every person of a postcode is
  the commune (family names differ between the persons of a postcode).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from vigile.detect.lexicons import fold

YES_NO = frozenset({"oui", "non", "o", "n", "y", "yes", "no", "1", "0", "vrai", "faux", "x",
                    "t", "f", "true", "false", "v"})  # fmt: skip
FEMALE = frozenset({"f", "2", "femme", "feminin", "mme", "madame", "mlle", "female", "woman",
                    "mrs", "ms", "miss", "w"})  # fmt: skip
MALE = frozenset({"m", "h", "1", "homme", "masculin", "mr", "monsieur", "m.", "male", "man"})


@dataclass(frozen=True)
class ColumnView:
    """What the neighbour rules need to know of one column."""

    category: str | None
    non_empty: int
    distinct_ratio: float  # distinct values / non-empty cells (approximate over batches)
    multiword_share: float  # share of cells with a space
    numeric_share: float = 0.0  # share of cells that are digits and separators only
    credential_share: float = 0.0  # share of cells shaped like a password or a hash
    by_header: bool = False  # the category came with a header hint


def _identifier_like(v: ColumnView) -> bool:
    return v.non_empty > 0 and v.distinct_ratio >= 0.2 and v.multiword_share < 0.05


def neighbour_rules(
    views: list[ColumnView], masks: pl.DataFrame | None = None
) -> dict[int, tuple[str, float, str]]:
    """index -> (category, confidence, note) for uncategorised identifier-like columns
    directly beside an insurer or a password column. With sampled rows (`fill_masks`),
    a neighbour filled on other rows than an anchor that is not filled everywhere is no
    member number nor login: in a reordered export, place alone is chance."""
    out: dict[int, tuple[str, float, str]] = {}
    for i, v in enumerate(views):
        if v.category is not None or not _identifier_like(v):
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(views):
                continue
            if masks is not None and not _filled_alike(masks, i, j):
                continue
            other = views[j].category
            if other == "insurance":
                out[i] = ("insurance", 0.6, "member number beside an insurer column")
                break
            # Exports put the account name before its password; after it, a purely
            # numeric column is more likely a barcode or record number than a login.
            if other == "password" and (j == i + 1 or v.numeric_share < 0.5):
                out[i] = ("login", 0.6, "account name beside a password column")
                break
    return out


def is_yes_no(values: dict[str, int] | None) -> bool:
    """A small set of yes/no codes with at least two distinct values."""
    if not values or len(values) > 4:
        return False
    return len(values) >= 2 and all(fold(v).strip(" .") in YES_NO for v in values)


def sex_codes(values: dict[str, int] | None) -> bool:
    if not values or len(values) > 4:
        return False
    folded = {fold(v).strip(" .") for v in values}
    return bool(folded & FEMALE) and bool(folded & MALE) and folded <= FEMALE | MALE


def sex_of(value: str | None) -> str | None:
    """The sex ("F", "M" or None) of one code, folded as `sex_codes` reads it ("Féminin")."""
    v = fold(value or "").strip(" .")
    return "F" if v in FEMALE else "M" if v in MALE else None


def flag_by_sex(
    batch: pl.DataFrame, sex_col: str, flag_cols: list[str]
) -> dict[str, tuple[int, int]]:
    """flag column -> (non-empty cells on rows of women, non-empty cells on rows of men)."""
    if not flag_cols:
        return {}
    filled = [
        (pl.col(c).str.strip_chars().str.len_bytes() > 0).fill_null(False).alias(c)
        for c in flag_cols
    ]
    # Few distinct (sex, flags) combinations: group the raw cells first, then map those.
    # The sex codes are mapped one distinct value at a time, folded as `sex_codes` folds
    # them: a lowercase-only mapping missed every "Féminin" row.
    combos = batch.group_by([sex_col, *flag_cols]).len(name="\0n")
    codes = {v: sex_of(v) for v in combos[sex_col].unique().to_list() if v is not None}
    sex = pl.col(sex_col).replace_strict(codes, default=None, return_dtype=pl.String)
    df = combos.select(sex.alias("_sex"), *filled, pl.col("\0n"))
    counts = df.group_by("_sex").agg(
        [pl.col("\0n").filter(pl.col(c)).sum().alias(c) for c in flag_cols]
    )
    out: dict[str, tuple[int, int]] = {}
    rows = {r["_sex"]: r for r in counts.iter_rows(named=True)}
    for c in flag_cols:
        out[c] = (int(rows.get("F", {}).get(c) or 0), int(rows.get("M", {}).get(c) or 0))
    return out


FEMALE_FLAG_NOTE = "yes/no flag filled only on women's rows"  # the finding's note (triage reads it)


def female_only(women: int, men: int, min_cells: int = 20) -> bool:
    """Filled on women's rows and (almost) never on men's: a pregnancy-type flag."""
    return women >= min_cells and men <= 0.01 * women


ROW_SAMPLE = 20_000  # rows kept (the first ones) to read relations between columns
SAME_ROWS = 0.98  # share of sampled rows where two columns are filled alike
INFORMATIVE = (0.02, 0.98)  # a column filled on (nearly) every row tells no relation


def _filled_alike(masks: pl.DataFrame, i: int, j: int, at_least: float = 0.9) -> bool:
    """Column i filled on the rows where j is (when j's filling tells anything)."""
    a, b = masks.to_series(i), masks.to_series(j)
    lo, hi = INFORMATIVE
    if masks.height == 0 or not lo <= b.mean() <= hi:
        return True
    return bool((a == b).mean() >= at_least)


def fill_masks(sample: pl.DataFrame) -> pl.DataFrame:
    """Per column, whether each sampled row holds a non-blank value."""
    return sample.select(
        (pl.col(c).str.strip_chars().str.len_bytes() > 0).fill_null(False).alias(c)
        for c in sample.columns
    )


def relation_rules(
    views: list[ColumnView], masks: pl.DataFrame | None
) -> dict[int, tuple[str, float, str]]:
    """index -> (category, confidence, note) for uncategorised columns filled on the same
    sampled rows as an insurer, a password or a login column (see the module doc)."""
    if masks is None or masks.height == 0:
        return {}
    cols = masks.columns
    shares = masks.select(pl.all().mean()).row(0)
    lo, hi = INFORMATIVE
    anchors = [
        j for j, v in enumerate(views)
        if v.category in ("insurance", "password", "login") and lo <= shares[j] <= hi
    ]  # fmt: skip
    if not anchors:
        return {}
    free = [i for i, v in enumerate(views) if v.category is None and v.non_empty > 0]
    if not free:
        return {}
    agree = masks.select(
        (pl.col(cols[i]) == pl.col(cols[j])).mean().alias(f"{i}:{j}") for j in anchors for i in free
    ).row(0, named=True)
    out: dict[int, tuple[str, float, str]] = {}
    for j in anchors:
        other = views[j].category
        for i in free:
            if i in out or agree[f"{i}:{j}"] < SAME_ROWS:
                continue
            v = views[i]
            if other == "login" and v.credential_share >= 0.5 and v.distinct_ratio >= 0.1:
                out[i] = ("password", 0.65, "password-shaped, filled on the rows of a login")
            elif not _identifier_like(v):
                continue
            elif other == "insurance":
                out[i] = ("insurance", 0.65, "member number filled on the rows of an insurer")
            elif other == "password":
                out[i] = ("login", 0.65, "account name filled on the rows of a password")
    return out


def city_by_postcode(
    sample: pl.DataFrame, postcode: str, person: str, candidates: list[str]
) -> list[str]:
    """Candidates (columns of words) whose value is the same for all the persons of a
    postcode: among postcodes whose sampled rows hold at least two persons (two values
    of the `person` column, a name or a birth date), 75% or more have one value of it."""
    out = []
    for c in candidates:
        rows = sample.select(pl.col(x).str.strip_chars() for x in (postcode, person, c))
        rows = rows.drop_nulls()
        groups = rows.group_by(postcode).agg(
            pl.col(person).n_unique().alias("persons"), pl.col(c).n_unique().alias("values")
        )
        shared = groups.filter(pl.col("persons") >= 2)
        if shared.height >= 5 and (shared["values"] == 1).mean() >= 0.75:
            out.append(c)
    return out
