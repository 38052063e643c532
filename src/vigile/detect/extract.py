"""Row-level polars expressions for triage and linkage: expressions in, expressions out.

Everything here is vectorised; nothing calls Python per cell.
"""

from __future__ import annotations

import polars as pl

from vigile.detect.ids import email as _email
from vigile.detect.ids import password as _password
from vigile.detect.ids import phone as _phone
from vigile.detect.validators import POSTCODE_PREFIX_REGEX, nir_key_valid

# Plausible NIR layout on top of the key: sex digit (1/2, 3/4 provisional, 7/8
# temporary), month 01-12 or the 20-42/50-99 codes used for unknown months.
NIR_PLAUSIBLE_REGEX = r"^[123478]\d{2}(?:0[1-9]|1[0-2]|[2-9]\d)(?:\d{2}|2A|2B)\d{8}$"


def fold_expr(e: pl.Expr) -> pl.Expr:
    """Same canonical form as `lexicons.fold`: NFKD, no combining marks, lowercase,
    curly apostrophe -> ', whitespace collapsed."""
    return (
        e.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all("\u2019", "'", literal=True)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def nir_normalized(e: pl.Expr) -> pl.Expr:
    """15-char NIR (uppercase, 2A/2B kept), or null when not NIR-shaped or the key fails."""
    c = e.str.replace_all(r"[\s.\-]", "").str.to_uppercase()
    ok = c.str.contains(NIR_PLAUSIBLE_REGEX) & nir_key_valid(c)
    return pl.when(ok).then(c).otherwise(None)


def nir_from_parts(body: pl.Expr, key: pl.Expr) -> pl.Expr:
    """NIR from 13 characters and a separate 2-digit key column (e.g. NSS + CLE)."""
    b = body.str.replace_all(r"[\s.\-]", "").str.to_uppercase()
    k = key.str.strip_chars().str.zfill(2)
    return nir_normalized(b + k)


def departement_from_nir(e: pl.Expr) -> pl.Expr:
    """Birth département of a normalised NIR: "01".."95", "2A"/"2B", "971".."976", "99" abroad."""
    two = e.str.slice(5, 2)
    three = e.str.slice(5, 3)
    return pl.when(two == "97").then(three).otherwise(two)


_DATE_FORMATS: tuple[tuple[str, str], ...] = (
    # (regex over the date part, strftime format after separators unified to "/")
    (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
    (r"^\d{8}$", "%Y%m%d"),
    (r"^\d{8}$", "%d%m%Y"),
)


def parse_date(e: pl.Expr) -> pl.Expr:
    """pl.Date from dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, yyyymmdd, ddmmyyyy,
    with an optional time part; null if not a date.

    An 8-digit value is read as yyyymmdd when that gives a year in 1900-2100,
    otherwise as ddmmyyyy. Over many values, materialise `date_text` first and apply
    `date_from_text` to that column: polars recomputes the text in every format tried.
    """
    return date_from_text(date_text(e))


def date_text(e: pl.Expr) -> pl.Expr:
    """The date part of a value, separators unified to "/" (null if not date-like)."""
    part = e.str.strip_chars().str.extract(
        r"^(\d[\d/.\-]{5,9})(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$", 1
    )
    return part.str.replace_all(r"[.\-]", "/")


# Two-digit years: 00 up to this year's two digits are 20xx, the others 19xx (a birth in
# 1921 written 21 reads as 2021: two digits cannot say more).
TWO_DIGIT_YEAR = r"^\d{1,2}/\d{1,2}/\d{2}$"


def _four_digit_year(part: pl.Expr) -> pl.Expr:
    import datetime as dt

    yy = part.str.slice(-2).cast(pl.Int32, strict=False)
    century = pl.when(yy <= dt.date.today().year % 100).then(pl.lit("20")).otherwise(pl.lit("19"))
    return part.str.head(-2) + century + part.str.tail(2)


def date_from_text(part: pl.Expr) -> pl.Expr:
    """pl.Date from a `date_text`, trying each format in turn."""
    candidates = [
        pl.when(part.str.contains(TWO_DIGIT_YEAR))
        .then(_four_digit_year(part))
        .otherwise(None)
        .str.to_date("%d/%m/%Y", strict=False)
    ]
    for regex, fmt in _DATE_FORMATS:
        d = (
            pl.when(part.str.contains(regex))
            .then(part)
            .otherwise(None)
            .str.to_date(fmt, strict=False)
        )
        d = pl.when(d.dt.year().is_between(1850, 2100)).then(d).otherwise(None)
        candidates.append(d)
    return pl.coalesce(candidates)


def normalize_name(e: pl.Expr) -> pl.Expr:
    """Folded uppercase ASCII; hyphens and apostrophes become spaces; whitespace collapsed."""
    f = fold_expr(e).str.replace_all(r"['\-]", " ").str.replace_all(r"[^a-z ]", "")
    f = f.str.replace_all(r"\s+", " ").str.strip_chars().str.to_uppercase()
    return pl.when(f.str.len_bytes() > 0).then(f).otherwise(None)


FR_PHONE_REGEX = _phone.FR_PATTERN


def normalize_phone(e: pl.Expr) -> pl.Expr:
    """E.164-like "+33612345678" for French numbers, null otherwise."""
    s = e.str.strip_chars()
    digits = s.str.replace_all(r"\(0\)", "").str.replace_all(r"\D", "")
    national = (
        pl.when(s.str.starts_with("+33"))
        .then(digits.str.slice(2))
        .when(s.str.starts_with("0033"))
        .then(digits.str.slice(4))
        .otherwise(digits.str.strip_prefix("0"))
    )
    ok = s.str.contains(FR_PHONE_REGEX) & national.str.contains(r"^[1-9]\d{8}$")
    return pl.when(ok).then(pl.lit("+33") + national).otherwise(None)


EMAIL_REGEX = _email.PATTERN


def normalize_email(e: pl.Expr) -> pl.Expr:
    """Lowercased, stripped e-mail, or null when not e-mail-shaped."""
    s = e.str.strip_chars().str.to_lowercase()
    return pl.when(s.str.contains(EMAIL_REGEX)).then(s).otherwise(None)


def postcode(e: pl.Expr) -> pl.Expr:
    """5-digit string with a real département prefix, or null."""
    s = e.str.strip_chars().str.replace_all(" ", "", literal=True)
    s = pl.when(s.str.contains(r"^\d{4}$")).then(pl.lit("0") + s).otherwise(s)  # lost leading zero
    ok = s.str.contains(r"^\d{5}$") & s.str.contains(POSTCODE_PREFIX_REGEX)
    return pl.when(ok).then(s).otherwise(None)


def departement_from_postcode(e: pl.Expr) -> pl.Expr:
    """Département of a postcode: Corsica 200xx-201xx -> 2A, 202xx-206xx -> 2B; 97x overseas."""
    pc = postcode(e)
    return (
        pl.when(pc.str.starts_with("97") | pc.str.starts_with("98"))
        .then(pc.str.slice(0, 3))
        .when(pc.str.contains(r"^20[01]"))
        .then(pl.lit("2A"))
        .when(pc.str.starts_with("20"))
        .then(pl.lit("2B"))
        .otherwise(pc.str.slice(0, 2))
    )


# Password hashes (every format of detect.ids.password) and clear-text shapes.
HASH_REGEX = _password.HASH_REGEX
# A plain password: short, no spaces, and the caller requires mixed character classes.
PLAIN_PASSWORD_REGEX = r"^\S{4,32}$"


def password_kind(e: pl.Expr) -> pl.Expr:
    """Per cell "hash" | "plain" | null, per cell, from the shape of the value alone."""
    s = e.str.strip_chars()
    classes = (
        s.str.contains(r"[a-z]").cast(pl.Int8)
        + s.str.contains(r"[A-Z]").cast(pl.Int8)
        + s.str.contains(r"\d").cast(pl.Int8)
        + s.str.contains(r"[^A-Za-z0-9]").cast(pl.Int8)
    )
    return (
        pl.when(s.str.contains(HASH_REGEX))
        .then(pl.lit("hash"))
        .when(s.str.contains(PLAIN_PASSWORD_REGEX) & (classes >= 2))
        .then(pl.lit("plain"))
        .otherwise(None)
    )


def health_mentions(e: pl.Expr) -> dict[str, pl.Expr]:
    """kind -> Boolean expression per cell for every HEALTH_KIND plus "treatment".

    Negated mentions ("pas de grossesse", "VIH negatif") do not count.
    """
    from vigile.detect.text import health_mention_exprs

    return health_mention_exprs(e)
