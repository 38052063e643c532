"""Cross-column evidence for columns whose content alone cannot name them.

With meaningless headers (C01, C02…) a member number is just digits, a login just a
token and a pregnancy flag just OUI/NON. Exports still betray them by their place and by
their relation to other columns, which is what a human analyst reads:
- an identifier right beside an insurer column is the member number (`insurance`);
- an identifier right before a password column (or a non-numeric one right after it) is
  the account name (`login`);
- a yes/no column filled only on rows of women is a pregnancy flag (`health_condition`).
These rules only ever name columns left without a category by content and header.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from vigile.detect.lexicons import fold

YES_NO = frozenset({"oui", "non", "o", "n", "y", "yes", "no", "1", "0", "vrai", "faux", "x"})
FEMALE = frozenset({"f", "2", "femme", "feminin", "mme", "madame", "mlle"})
MALE = frozenset({"m", "h", "1", "homme", "masculin", "mr", "monsieur", "m."})


@dataclass(frozen=True)
class ColumnView:
    """What the neighbour rules need to know of one column."""

    category: str | None
    non_empty: int
    distinct_ratio: float  # distinct values / non-empty cells (approximate over batches)
    multiword_share: float  # share of cells with a space
    numeric_share: float = 0.0  # share of cells that are digits and separators only


def _identifier_like(v: ColumnView) -> bool:
    return v.non_empty > 0 and v.distinct_ratio >= 0.2 and v.multiword_share < 0.05


def neighbour_rules(views: list[ColumnView]) -> dict[int, tuple[str, float, str]]:
    """index -> (category, confidence, note) for uncategorised identifier-like columns
    directly beside an insurer or a password column."""
    out: dict[int, tuple[str, float, str]] = {}
    for i, v in enumerate(views):
        if v.category is not None or not _identifier_like(v):
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(views):
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


def flag_by_sex(
    batch: pl.DataFrame, sex_col: str, flag_cols: list[str]
) -> dict[str, tuple[int, int]]:
    """flag column -> (non-empty cells on rows of women, non-empty cells on rows of men)."""
    if not flag_cols:
        return {}
    sex = (
        pl.col(sex_col)
        .str.strip_chars()
        .str.to_lowercase()
        .str.strip_chars(" .")
        .replace_strict({**dict.fromkeys(FEMALE, "F"), **dict.fromkeys(MALE, "M")}, default=None)
    )
    filled = [
        (pl.col(c).str.strip_chars().str.len_bytes() > 0).fill_null(False).alias(c)
        for c in flag_cols
    ]
    # Few distinct (sex, flags) combinations: group the raw cells first, then map those.
    combos = batch.group_by([sex_col, *flag_cols]).len(name="\0n")
    df = combos.select(sex.alias("_sex"), *filled, pl.col("\0n"))
    counts = df.group_by("_sex").agg(
        [pl.col("\0n").filter(pl.col(c)).sum().alias(c) for c in flag_cols]
    )
    out: dict[str, tuple[int, int]] = {}
    rows = {r["_sex"]: r for r in counts.iter_rows(named=True)}
    for c in flag_cols:
        out[c] = (int(rows.get("F", {}).get(c) or 0), int(rows.get("M", {}).get(c) or 0))
    return out


def female_only(women: int, men: int, min_cells: int = 20) -> bool:
    """Filled on women's rows and (almost) never on men's: a pregnancy-type flag."""
    return women >= min_cells and men <= 0.01 * women
