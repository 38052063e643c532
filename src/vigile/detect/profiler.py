"""Column classification: accumulate evidence over batches, then decide once.

`ColumnProfiler.update` runs the vectorised engine on a batch and adds counts;
`finish` combines the header prior with content shares into one category per
column (or None), a confidence, the shares and up to three masked samples.
Raw values stay in memory only for those samples and are masked on output.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import polars as pl

from vigile.detect import checks, dates
from vigile.detect import context as ctx
from vigile.detect import distinct as dist
from vigile.detect import engine as en
from vigile.detect import features as feat
from vigile.detect.detectors import NIR_BODY_PATTERN
from vigile.detect.headers import best_header_hit
from vigile.detect.ids import email, finess, iban, ip, nir, rpps
from vigile.detect.ids import phone as ids_phone
from vigile.detect.lexicons import fold
from vigile.detect.mask import mask
from vigile.detect.organisations import names_organisation
from vigile.shapes import ColumnFinding, SourceKind

SMALL_DISTINCT = 64
HEADER_ONLY = {"insurance", "health_condition", "medication", "lab_test", "login", "password"}
NAME_LIKE = {"last_name", "first_name", "city", "address"}
# Share of shaped cells a header of these categories needs (the identifier's module says).
HEADER_SHARES = {
    "email": email.HEADER_SHARE,
    "iban": iban.HEADER_SHARE,
    "ip_address": ip.HEADER_SHARE,
}


@dataclass
class _Acc:
    ne: int = 0
    num: int = 0
    multiword: int = 0
    lsum: int = 0
    uniq_max: int = 0
    uniq_sum: int = 0
    lengths: int = 0
    counts: Counter = field(default_factory=Counter)
    small: dict[str, int] | None = field(default_factory=dict)
    years: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    pairs: Counter = field(default_factory=Counter)  # key column index -> valid NIR rows
    shapes: int = 0  # coarse shapes of credential-like values (engine.credential_stats)
    names: float = 0.0  # credential-like cells built from a person's name
    top: int = 0  # cells of the commonest value of a credential-like column (per flush)

    def share(self, key: str) -> float:
        return self.counts[key] / self.ne if self.ne else 0.0


@dataclass
class _Cand:
    category: str
    confidence: float
    share: float
    validated: float
    note: str | None = None


# Distinct values wait across batches until this many are pending over all columns: a
# patient's name, NIR, address and phones recur in every batch that holds one of their
# samples, and are then examined once per flush instead of once per batch (about 100 MB
# of strings at the flush point).
PENDING_VALUES = 4_000_000
# A column whose batch has fewer distinct values than this share of its cells repeats
# itself: its pending frames are merged by value at the flush; the others are stacked.
REPEATING = 0.9
SAMPLE_FROM = 4096  # masked samples are drawn from this many distinct values per flush
KEY_DISTINCT = 100  # at most this many distinct values in a NIR key column's batch


class ColumnProfiler:
    """Accumulates evidence for each column over batches; `finish` classifies."""

    def __init__(self, columns: list[str], kind: SourceKind = "table") -> None:
        self.columns = list(columns)
        self.kind = kind
        self._acc = [_Acc() for _ in self.columns]
        # yes/no column -> [non-empty cells on women's rows, on men's rows]
        self._flags: dict[int, list[int]] = {}
        self._pending: list[list[pl.DataFrame]] = [[] for _ in self.columns]
        self._repeating = [False] * len(self.columns)
        self._pending_values = 0
        # Columns read ungrouped (engine.unique_columns): distinct values estimated.
        self._estimated: Counter = Counter()
        # The first rows, to read relations between columns at the end (detect.context).
        self._rows: list[pl.DataFrame] = []
        self._rows_n = 0

    def update(self, batch: pl.DataFrame) -> None:
        if batch.width == 0 or batch.height == 0:
            return
        batch = batch.select([pl.col(c).cast(pl.String) for c in self.columns])
        if self._rows_n < ctx.ROW_SAMPLE:
            self._rows.append(batch.head(ctx.ROW_SAMPLE - self._rows_n))
            self._rows_n += self._rows[-1].height
        unique = dist.unique_columns(batch)
        distincts = dist.distinct_counts(batch, frozenset(unique))
        for c, n in unique.items():
            self._estimated[self.columns.index(c)] += n
        self._pair_nir(batch, distincts)
        self._flags_by_sex(batch, distincts)
        for i, d in enumerate(distincts):
            if d.height:
                self._pending[i].append(d)
                self._repeating[i] |= d.height < REPEATING * int(d[dist.COUNT].sum())
                self._pending_values += d.height
        if self._pending_values >= PENDING_VALUES:
            self._flush()

    def _flush(self) -> None:
        """Run the detectors once over every column's pending distinct values."""
        merged = pl.collect_all([self._merged(i) for i in range(len(self.columns))])
        self._pending = [[] for _ in self.columns]
        self._pending_values = 0
        feats = feat.features(merged)
        for i, n in self._estimated.items():  # ungrouped rows overstate distinct values
            feats[i] = replace(feats[i], uniq=min(n, feats[i].uniq))
        self._estimated.clear()
        counts = en.run_detectors(merged, feats, text_kind=self.kind == "text")
        # Year histograms of date-shaped columns and samples (the smallest of the first
        # SAMPLE_FROM distinct values: a sort of every value of a record-number column
        # would cost more than its features), for every column at once.
        dated = [i for i, (f, c) in enumerate(zip(feats, counts, strict=True))
                 if f.ne and c.get("date~shape", 0) >= 0.5 * f.ne]  # fmt: skip
        short = [i for i, a in enumerate(self._acc) if len(a.samples) < 3]
        found = pl.collect_all(
            [dates.year_counts(merged[i]) for i in dated]
            + [
                merged[i]
                .lazy()
                .head(SAMPLE_FROM)
                .select(pl.col(dist.VALUE).bottom_k(3 - len(self._acc[i].samples)))
                for i in short
            ]
        )
        years = dict(zip(dated, found, strict=False))
        smallest = dict(
            zip(short, (r[dist.VALUE].to_list() for r in found[len(dated) :]), strict=True)
        )
        for i, (d, f, c) in enumerate(zip(merged, feats, counts, strict=True)):
            self._accumulate(self._acc[i], d, f, c, years.get(i), smallest.get(i, []))

    def _merged(self, i: int) -> pl.LazyFrame:
        frames = self._pending[i]
        if not frames:
            return pl.LazyFrame(schema={dist.VALUE: pl.String, dist.COUNT: pl.UInt32})
        lf = pl.concat([d.lazy() for d in frames])
        if len(frames) > 1 and self._repeating[i]:
            lf = lf.group_by(dist.VALUE).agg(pl.col(dist.COUNT).sum())
        return lf

    def _flags_by_sex(self, batch: pl.DataFrame, distincts: list[pl.DataFrame]) -> None:
        """Count yes/no cells by the sex of their row (see detect.context)."""
        small = [dict(d.iter_rows()) if d.height <= 4 else None for d in distincts]
        sexes = [i for i, vals in enumerate(small) if ctx.sex_codes(vals)]
        flags = [i for i, vals in enumerate(small) if ctx.is_yes_no(vals)]
        if not sexes or not flags:  # any sex-like column will do (SEXE, CIVILITE)
            return
        names = [self.columns[j] for j in flags]
        for j, (women, men) in zip(
            flags, ctx.flag_by_sex(batch, self.columns[sexes[0]], names).values(), strict=True
        ):
            acc = self._flags.setdefault(j, [0, 0])
            acc[0] += women
            acc[1] += men

    def _accumulate(
        self,
        a: _Acc,
        d: pl.DataFrame,
        f: feat.Features,
        c: dict[str, int],
        years: pl.DataFrame | None,
        smallest: list[str],
    ) -> None:
        if not f.ne:
            return
        a.ne += f.ne
        a.num += f.num
        a.multiword += f.multiword
        a.lsum += f.lsum
        a.uniq_max = max(a.uniq_max, f.uniq)
        a.uniq_sum += f.uniq
        a.lengths = max(a.lengths, c.pop("lengths", 0))  # distinct lengths: a max, not a sum
        a.counts.update(c)
        credential = c.get("plain_password", 0) + c.get("password_hash", 0)
        if credential >= 0.5 * f.ne or c.get("login", 0) >= 0.5 * f.ne:
            shapes, names, top = feat.credential_stats(d)
            a.shapes = max(a.shapes, shapes)
            a.names += names
            a.top = max(a.top, top)
        if c.get("iban", 0) >= 0.3 * f.ne:  # every distinct candidate, vectorised (ids.iban)
            shaped = d.filter(pl.col(dist.VALUE).str.contains(iban.PATTERN))
            a.counts["iban~valid"] += iban.valid_count(shaped, dist.VALUE, dist.COUNT)
        if c.get("phone_intl", 0) >= ids_phone.INTL_FROM * f.ne:
            total, ok = checks.validate_distinct(d, ids_phone.INTL_PATTERN, ids_phone.intl_is_valid)
            a.counts["phone_intl~valid"] += round(ok)
        if years is not None:  # date-shaped (c["date~shape"] >= 0.5 * f.ne): dates.year_counts
            ys = dates.year_dict(years)
            a.years.update(ys)
            a.counts["date"] += sum(ys.values())
            a.counts["date~time"] += int(years[dates.TIMES].sum())
        if a.small is not None:
            if d.height > SMALL_DISTINCT:
                a.small = None
            else:
                for val, n in d.iter_rows():
                    a.small[val] = a.small.get(val, 0) + n
                if len(a.small) > SMALL_DISTINCT:
                    a.small = None
        a.samples.extend(x for x in smallest if x not in a.samples)

    def _pair_nir(self, batch: pl.DataFrame, distincts: list[pl.DataFrame]) -> None:
        """A 1-2 digit key column beside 13-character NIR bodies: check the pair row by row.
        The key column's few distinct values tell whether it can be one: at most
        KEY_DISTINCT, none over 2 characters, 90% of the cells numeric."""
        few = [j for j, d in enumerate(distincts) if 0 < d.height <= KEY_DISTINCT]
        keys = [
            j
            for j, f in zip(few, feat.features([distincts[j] for j in few]), strict=True)
            if f.lmax <= 2 and f.num >= 0.9 * f.ne
        ]
        if not keys:
            return
        # Bodies anywhere in the table (exports are reordered): columns whose first
        # distinct values are all 13-character NIR bodies.
        heads = pl.collect_all(
            [
                d.lazy().head(20).select(pl.col(dist.VALUE).str.contains(NIR_BODY_PATTERN).all())
                for d in distincts
            ]
        )
        bodies = [i for i, h in enumerate(heads) if distincts[i].height and h.item()]
        probe = batch.head(PAIR_PROBE_ROWS)
        for j in keys:
            for i in bodies:
                if i == j:
                    continue
                body, key = self.columns[i], self.columns[j]
                # Gate: a key column validates (nearly) every row of its body, any other
                # small numeric column about 1 row in 97; the probe's first rows tell which,
                # before the whole batch is checked.
                filled = probe.select(
                    (pl.col(body).is_not_null() & pl.col(key).is_not_null()).sum()
                ).item()
                if checks.nir_pair_valid(probe, body, key) < PAIR_PROBE_SHARE * filled:
                    continue
                valid = checks.nir_pair_valid(batch, body, key)
                if valid:
                    self._acc[i].pairs[j] += valid

    # --- decision -----------------------------------------------------------

    def finish(self) -> list[ColumnFinding]:
        if self._pending_values:
            self._flush()
        first = [self._decide(i, None) for i in range(len(self.columns))]
        postcode_cols = {i for i, c in enumerate(first) if c and c.category == "postcode"}
        decided: list[_Cand | None] = []
        for i in range(len(self.columns)):
            beside_pc = bool({i - 1, i + 1} & postcode_cols)
            decided.append(self._decide(i, beside_pc) if beside_pc else first[i])
        notes: dict[int, _Cand] = {}
        for i, a in enumerate(self._acc):  # split NIR: body and key are one identifier
            for j, valid in a.pairs.items():
                share = valid / a.ne if a.ne else 0.0
                if share >= 0.5:
                    decided[i] = _Cand(
                        "nir",
                        min(0.99, 0.6 + 0.4 * share),
                        share,
                        share,
                        f"NIR body; key in column {self.columns[j]}",
                    )
                    notes[j] = _Cand(
                        "nir",
                        decided[i].confidence,
                        1.0,
                        share,
                        f"NIR key column paired with {self.columns[i]}",
                    )
        decided = [notes.get(i, c) for i, c in enumerate(decided)]
        decided = self._by_context(decided)
        return [self._finding(i, c) for i, c in enumerate(decided)]

    def _by_context(self, decided: list[_Cand | None]) -> list[_Cand | None]:
        """Name what content and header left null, by place and relation (detect.context)."""
        views = [
            ctx.ColumnView(
                c.category if c else None,
                a.ne,
                _uniq_ratio(a),
                a.multiword / a.ne if a.ne else 0.0,
                a.num / a.ne if a.ne else 0.0,
                a.share("plain_password") + a.share("password_hash"),
                best_header_hit(name) is not None,
            )
            for a, c, name in zip(self._acc, decided, self.columns, strict=True)
        ]
        out = list(decided)
        sample = pl.concat(self._rows) if self._rows else None
        masks = ctx.fill_masks(sample) if sample is not None else None
        for i, (cat, conf, note) in ctx.neighbour_rules(views, masks).items():
            out[i] = _Cand(cat, conf, 1.0, 0.0, note)
        for i, (cat, conf, note) in ctx.relation_rules(views, masks).items():
            if out[i] is None:
                out[i] = _Cand(cat, conf, 1.0, 0.0, note)
        if sample is not None:
            self._city_by_postcode(out, views, sample)
        for j, (women, men) in self._flags.items():
            if out[j] is None and ctx.female_only(women, men):
                share = women / self._acc[j].ne if self._acc[j].ne else 0.0
                out[j] = _Cand("health_condition", 0.6, share, 0.0, ctx.FEMALE_FLAG_NOTE)
        return out

    def _city_by_postcode(
        self, out: list[_Cand | None], views: list[ctx.ColumnView], sample: pl.DataFrame
    ) -> None:
        """A column of words (left null, or taken for family names by content alone) that
        is one value for all the persons of a postcode is the commune (detect.context)."""
        cats = [c.category if c else None for c in out]
        postcode = next((i for i, c in enumerate(cats) if c == "postcode"), None)
        person = next(
            (i for i, c in enumerate(cats) if c in ("first_name", "birth_date", "nir")), None
        )
        if postcode is None or person is None:
            return
        candidates = [
            i
            for i, (c, v) in enumerate(zip(cats, views, strict=True))
            if (c is None or (c == "last_name" and not v.by_header))
            and v.non_empty
            and v.numeric_share < 0.1
            and self._acc[i].share("alpha_only") >= 0.8
            and self._acc[i].uniq_sum >= 10
        ]
        names = ctx.city_by_postcode(
            sample,
            self.columns[postcode],
            self.columns[person],
            [self.columns[i] for i in candidates],
        )
        for i in candidates:
            if self.columns[i] in names:
                out[i] = _Cand("city", 0.7, 1.0, 0.0, "one value for the persons of a postcode")

    def _finding(self, i: int, c: _Cand | None) -> ColumnFinding:
        a = self._acc[i]
        text = {
            k.removeprefix("text:"): round(n / a.ne, 4)
            for k, n in sorted(a.counts.items())
            if k.startswith("text:") and n > 0 and a.ne
        }
        cat = c.category if c else None
        mcat = cat if cat not in (None,) and not (c and c.note and "key column" in c.note) else None
        samples = tuple(mask(s, mcat) for s in a.samples[:3])
        if c and c.note and "key column" in c.note:
            samples = tuple(mask(s, "sex") for s in a.samples[:3])  # fully masked digits
        return ColumnFinding(
            name=self.columns[i],
            category=cat,
            confidence=round(c.confidence, 3) if c else 0.0,
            share=round(c.share, 4) if c else 0.0,
            validated_share=round(c.validated, 4) if c else 0.0,
            non_empty=a.ne,
            text_categories=text,
            masked_samples=samples,
            note=c.note if c else None,
        )

    def _thing_dates(self, i: int) -> bool:
        """Dates of things, not persons: its header says so (lot expiry, péremption), or
        it holds a few dates repeated on every row beside a lot or reagent column."""
        if dates.names_thing_date(self.columns[i]):
            return True
        a = self._acc[i]
        if not _dates_of_things(a):
            return False
        neighbours = [self.columns[j] for j in (i - 1, i + 1) if 0 <= j < len(self.columns)]
        return dates.beside_thing(neighbours) or self._after_every_date(i)

    def _after_every_date(self, i: int) -> bool:
        """Most of the column's dates lie after (in later years than) nearly all the dates
        of every other date column of the table: the future of the rows, as a lot's expiry
        is (events of persons are the table's other dates)."""
        years = self._acc[i].years
        total = sum(years.values())
        others = [
            b.years
            for j, b in enumerate(self._acc)
            if j != i and b.years and b.share("date") >= 0.6 and not _dates_of_things(b)
        ]
        if not total or not others:
            return False
        latest = max(_quantile_years(y, sum(y.values()))[1] for y in others)
        return sum(n for y, n in years.items() if y > latest) >= 0.5 * total

    def _decide(self, i: int, beside_postcode: bool | None) -> _Cand | None:
        a = self._acc[i]
        if not a.ne:
            return None
        hit = best_header_hit(self.columns[i])
        if a.small is not None and len(a.small) == 1 and a.ne >= 5:
            return None  # constant column
        cands = _content_candidates(a, bool(beside_postcode))
        name = self.columns[i]
        if (
            hit is not None
            and hit.category in PERSON_NAMES
            and (names_organisation(name) or a.share("organisation") >= ORGANISATION_SHARE)
        ):
            hit = None  # `Nom du laboratoire`: an establishment's name, not a person's
        if self._thing_dates(i):
            hit = None if hit is not None and hit.category in DATES else hit
            cands = [c for c in cands if c.category not in DATES]
        if (
            hit is not None
            and hit.hint in GENERIC_DATE_HINTS
            and any(c.category == "birth_date" for c in cands)
        ):
            hit = None  # `DATE` says a date, not whose: birth-date content tells more
        if hit is not None:
            cands = _apply_header(a, hit.category, hit.detector, hit.strength, cands)
        if not cands:
            return None
        return max(cands, key=lambda c: c.confidence)


PERSON_NAMES = ("last_name", "first_name")
# Header hints that say "a date" and nothing of whose (an abbreviation of "Date de
# naissance" cut to `DATE` is one): they do not turn birth-date content into `date`.
GENERIC_DATE_HINTS = frozenset({"date", "dt"})
DATES = ("date", "birth_date")
ORGANISATION_SHARE = 0.3  # cells naming an establishment (organisations.VALUE_WORDS)


def _uniq_ratio(a: _Acc) -> float:
    return min(1.0, a.uniq_sum / a.ne) if a.ne else 0.0


def _content_candidates(a: _Acc, beside_postcode: bool) -> list[_Cand]:
    s = a.share
    out: list[_Cand] = []

    def add(cat: str, conf: float, share: float, validated: float | None = None) -> None:
        out.append(_Cand(cat, min(conf, 0.99), share, share if validated is None else validated))

    if s("nir~valid") >= nir.CONTENT_SHARE:
        add("nir", 0.6 + 0.4 * s("nir~valid"), s("nir"), s("nir~valid"))
    phone = s("phone") + s("phone_intl~valid")
    if phone >= ids_phone.CONTENT_SHARE:
        add("phone", 0.5 + 0.45 * phone, phone)
    if s("postcode~valid") >= 0.8 and (s("postcode~round") >= 0.4 or beside_postcode):
        add(
            "postcode",
            0.5 + 0.3 * s("postcode~valid") + 0.1 * (s("postcode~round") >= 0.4),
            s("postcode"),
            s("postcode~valid"),
        )
    if s("rpps~valid") >= rpps.CONTENT_SHARE:
        add("rpps", 0.85, s("rpps"), s("rpps~valid"))
    if s("finess~valid") >= finess.CONTENT_SHARE:
        add("finess", 0.8, s("finess"), s("finess~valid"))
    if s("date") >= 0.6 and not _dates_of_things(a):
        add(_birth_or_date(a), 0.55 + 0.3 * s("date"), s("date"))
    if s("ip_address") >= ip.CONTENT_SHARE:
        add("ip_address", 0.85, s("ip_address"))
    if s("email") >= email.CONTENT_SHARE:
        add("email", 0.85, s("email"))
    if s("iban~valid") >= iban.CONTENT_SHARE:
        add("iban", 0.9, s("iban"), s("iban~valid"))
    _credential_candidates(a, add)
    if s("blood_group") >= 0.8 and s("blood_group~rh") >= 0.3 and a.uniq_max >= 2:
        add("blood_group", 0.85, s("blood_group"))
    if s("sex") >= 0.9 and a.small is not None:
        codes = {en.sex_code(x) for x in a.small}
        if codes == {"M", "F"} and len(a.small) <= 3:
            add("sex", 0.8, s("sex"))
    _name_candidates(a, beside_postcode, add)
    free_text = a.multiword >= 0.3 * a.ne and a.lsum >= 12 * a.ne
    units = _units_only(a)
    for cat in ("medication", "lab_test", "health_condition"):
        if cat == "medication" and units:
            continue
        if s(cat) >= (0.8 if free_text else 0.5):  # comments mentioning health stay free text
            # results carry units that read as dosages: analyses win over medication
            penalty = 0.2 if cat == "medication" and s("lab_test") >= 0.5 else 0.0
            add(cat, 0.5 + 0.3 * s(cat) - penalty, s(cat))
    return out


# A column of passwords: most values password-shaped (ids.password), many distinct ones
# (tokens that repeat across rows are not passwords: a person's own password repeats on
# their rows, a batch code on everybody's), varied in length and shape (record numbers
# and sample ids have one template), and not mostly built from names (logins are).
CREDENTIAL_SHARE = 0.6
DISTINCT_CREDENTIALS = 20  # distinct values, or half the cells of a smaller column
REPEATED_TOKEN = 0.05  # the commonest value in more cells than this: a code, not a secret


# Under a header that says password, a common password (or its hash) shared by many persons
# still leaves a column of passwords: only a value in most cells makes it a code.
REPEATED_TOKEN_UNDER_HEADER = 0.5


def _distinct_tokens(a: _Acc, header: bool = False) -> bool:
    uniq = _uniq_ratio(a)
    many = a.uniq_sum >= min(DISTINCT_CREDENTIALS, 0.5 * a.ne)
    repeat = REPEATED_TOKEN_UNDER_HEADER if header else REPEATED_TOKEN
    return many and uniq >= 0.15 and a.top <= max(2, repeat * a.ne)


def _credential_candidates(a: _Acc, add) -> None:
    s = a.share
    hashed, plain = s("password_hash"), s("plain_password")
    names = a.names / a.ne if a.ne else 0.0
    if not _distinct_tokens(a):
        return
    if hashed >= 0.8:
        add("password", 0.85, hashed)
    elif (
        hashed + plain >= CREDENTIAL_SHARE
        and (a.lengths >= 3 or hashed >= 0.3)
        and (a.shapes >= 3 or hashed >= 0.3)
        and names < 0.4
        and s("email") < 0.2
    ):
        add("password", 0.55 + 0.3 * (hashed + plain), hashed + plain)
    elif s("login") >= 0.9 and names >= 0.5 and plain < 0.5 and s("alpha_only") < 0.3:
        add("login", 0.55, s("login"))  # first.last, jdupont: accounts named after persons


# NIR body + key pairing: rows probed first, and the share of them that must validate.
PAIR_PROBE_ROWS = 2048
PAIR_PROBE_SHARE = 0.3


# Share of cells that are commune names from which a column is a column of communes
# (family names that are also communes, like "Laval", stay far below it).
COMMUNE_SHARE = 0.7
# Share of cells in the family-name lexicon from which a column beside a postcode is not
# taken for its commune by place (tuning seeds: family names 0.67-0.73 with communes
# 0.08-0.13; commune columns 0.31-0.38 with communes 0.50-0.57).
FAMILY_NAME_SHARE = 0.5


def _name_candidates(a: _Acc, beside_postcode: bool, add) -> None:
    s = a.share
    if "alpha_only" not in a.counts:
        return
    alpha = s("alpha_only")
    # Persons and places are many; lab names, sites and statuses are few.
    many = a.uniq_sum >= min(50, 0.3 * a.ne)
    clinical = max(s("health_condition"), s("medication"), s("lab_test"))
    if s("insurer") >= 0.6:
        add("insurance", 0.8, s("insurer"))
    if s("address") >= 0.5:
        add("address", 0.75, s("address"))
    if s("first_name") >= 0.6 and alpha >= 0.8:
        add("first_name", 0.5 + 0.4 * s("first_name"), s("first_name"))
        return
    if s("prescriber") >= 0.5 and s("organisation") < 0.3:
        # "Dr NOM Prénom": a title before a name is telling even when few doctors repeat.
        add("last_name", 0.75, s("prescriber"))
        return
    if s("commune") >= COMMUNE_SHARE and many and s("organisation") < 0.3:
        # Most values are French commune names (INSEE COG, La Poste): a column of places,
        # even where family names and job titles also happen to be communes now and then.
        add("city", 0.6 + 0.3 * s("commune"), s("commune"))
        return
    if s("organisation") >= 0.3 or clinical >= 0.1 or not many:
        return
    # Place is weak evidence in a reordered export: a column beside the postcode is the
    # commune unless its content reads as family names far more than as communes.
    family_names = s("surname") >= FAMILY_NAME_SHARE and s("surname") > s("commune")
    if alpha >= 0.8 and beside_postcode and s("insurer") < 0.3 and not family_names:
        add("city", 0.75, alpha)
        return
    if alpha >= 0.8 and s("city_marker") >= 0.15 and s("surname") < 0.3:
        add("city", 0.55, alpha)
        return
    if alpha >= 0.8 and s("upper") >= 0.6 and s("surname") >= 0.15:
        add("last_name", 0.5 + 0.4 * s("surname"), s("surname"))
    elif alpha >= 0.8 and s("surname") >= 0.5 and s("city_marker") < 0.15:
        # Family names in title or lower case: the lexicon alone, and a stricter share.
        add("last_name", 0.45 + 0.4 * s("surname"), s("surname"))


UNITS_ONLY = re.compile(r"^(?:[munpμµ]?(?:g|mol|ui|eq|l)|%|[gt])(?:\s?/\s?[a-z0-9]+)?$")


def _units_only(a: _Acc) -> bool:
    """A few values that are all units of measure (mmol/L, g/L, %): no drug."""
    return a.small is not None and all(UNITS_ONLY.match(fold(x).strip()) for x in a.small)


FEW_DATES = 30  # distinct dates at most...
FEW_DATES_SHARE = 0.01  # ...and per cell at most: the dates of a few things, not of persons


def _dates_of_things(a: _Acc) -> bool:
    """Reagent lot expiry dates, an export date: a handful of dates repeated on every
    row are tied to things, not to persons (persons' dates spread over many days)."""
    return a.uniq_max < FEW_DATES and a.uniq_sum < FEW_DATES_SHARE * a.ne


def _birth_or_date(a: _Acc) -> str:
    """Birth dates: every year plausible (1900..today), no times, ages spread over decades."""
    total = sum(a.years.values())
    if not total or a.counts["date~time"] > 0.1 * a.ne:  # dates with a time of day
        return "date"
    this_year = dt.date.today().year
    plausible = sum(n for y, n in a.years.items() if 1900 <= y <= this_year) / total
    ys = sorted(a.years.elements()) if total <= 100_000 else None
    if ys is None:
        lo, hi = _quantile_years(a.years, total)
    else:
        lo, hi = ys[int(0.1 * (len(ys) - 1))], ys[int(0.9 * (len(ys) - 1))]
    return "birth_date" if plausible >= 0.99 and hi - lo >= 15 else "date"


def _quantile_years(years: Counter, total: int) -> tuple[int, int]:
    acc, lo, hi = 0, None, None
    for y in sorted(years):
        acc += years[y]
        if lo is None and acc >= 0.1 * total:
            lo = y
        if hi is None and acc >= 0.9 * total:
            hi = y
    return lo or 0, hi or 0


def _apply_header(
    a: _Acc, cat: str, detector: str, strength: float, cands: list[_Cand]
) -> list[_Cand]:
    """The header is a prior: it boosts agreeing content, and alone decides header-only
    categories; it never makes a regex category out of content that does not match."""
    s = a.share
    out = list(cands)
    for c in out:
        if c.category == cat or (
            cat in ("date", "birth_date") and c.category in ("date", "birth_date")
        ):
            c.confidence = min(0.99, c.confidence + 0.15 * strength)
            if cat in ("date", "birth_date") and c.category != cat:
                if not (
                    cat == "birth_date" and _birth_or_date(a) == "date" and _implausible_birth(a)
                ):
                    c.category = cat
            return out
    alpha = 1.0 - a.num / a.ne if a.ne else 0.0
    if cat == "nir" and detector == "nir_key":
        return out  # a key column is nir only when its pair validates (see finish)
    if cat == "nir" and s("nir~valid") >= nir.HEADER_SHARE:
        out.append(_Cand("nir", 0.7, s("nir"), s("nir~valid")))
    elif cat in ("date", "birth_date") and s("date") >= 0.5:
        out.append(_Cand(cat, 0.75, s("date"), s("date")))
    elif cat == "phone" and s("phone") + s("phone_intl~valid") >= ids_phone.HEADER_SHARE:
        out.append(_Cand(cat, 0.7, s("phone"), s("phone")))
    elif cat == "postcode" and s("postcode~valid") >= 0.5:
        out.append(_Cand(cat, 0.75, s("postcode"), s("postcode~valid")))
    elif cat == "sex" and s("sex") >= 0.8:
        out.append(_Cand(cat, 0.8, s("sex"), s("sex")))
    elif cat == "blood_group" and s("blood_group") >= 0.5:
        out.append(_Cand(cat, 0.8, s("blood_group"), s("blood_group")))
    elif cat == "rpps" and (s("rpps") >= rpps.HEADER_SHARE or a.num >= rpps.HEADER_NUMERIC * a.ne):
        out.append(_Cand(cat, 0.7, s("rpps"), s("rpps~valid")))
    elif cat == "finess" and s("finess") >= finess.HEADER_SHARE:
        out.append(_Cand(cat, 0.7, s("finess"), s("finess~valid")))
    elif cat in HEADER_SHARES and s(cat) >= HEADER_SHARES[cat]:
        out.append(_Cand(cat, 0.7, s(cat), s(cat + "~valid") if cat == "iban" else s(cat)))
    elif cat in NAME_LIKE and alpha >= 0.5 and (strength == 1.0 or s("alpha_only") >= 0.5):
        out.append(_Cand(cat, 0.55 + 0.15 * strength, alpha, 0.0))
    elif cat in ("login", "password") and not _distinct_tokens(a, header=True):
        pass  # operator codes, batch tokens: a few values repeated are no one's account
    elif cat in HEADER_ONLY and (strength == 1.0 or s(_lexicon_key(detector)) >= 0.2):
        share = s(_lexicon_key(detector)) if _lexicon_key(detector) else 0.0
        out.append(_Cand(cat, 0.55 + 0.2 * strength, share, 0.0))
    return out


def _lexicon_key(detector: str) -> str:
    return {"insurer": "insurer", "medication": "medication", "lab_test": "lab_test",
            "health_condition": "health_condition", "password_hash": "password_hash",
            "login": "login"}.get(detector, "")  # fmt: skip


def _implausible_birth(a: _Acc) -> bool:
    total = sum(a.years.values())
    this_year = dt.date.today().year
    bad = sum(n for y, n in a.years.items() if not 1900 <= y <= this_year)
    return bool(total) and bad / total > 0.05


def classify(df: pl.DataFrame, kind: SourceKind = "table") -> list[ColumnFinding]:
    """Classify every column of one frame (a single batch)."""
    p = ColumnProfiler(columns=list(df.columns), kind=kind)
    p.update(df)
    return p.finish()
