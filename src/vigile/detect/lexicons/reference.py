"""The public reference lists shipped compressed in `data/ref/` (built by `lexicons.build`,
which names each list's source, licence and date; each file's header repeats them):

- drugs: BDPM (ANSM) specialties and substances, edsnlp's Romedi names and INN;
- dosage forms: the BDPM's pharmaceutical forms;
- CIM-10 labels (ATIH, as shipped by edsnlp), chapters A-U and Z;
- the ALD list;
- communes: INSEE COG (current, arrondissements, communes deleguees/associees) and the
  La Poste "libelles d'acheminement"; postcodes: La Poste;
- lab tests: terms from the NABM labels (Assurance Maladie, via the SNDS table
  IR_BIO_R), conditions and drugs alone left out;
- condition_drug_labels: the CIM-10/ALD labels that hold a drug name ("carence en
  thiamine"), erased before drugs are searched in free text.

Terms are stored as `words` (folded, runs of [a-z0-9] joined by one space) and matched as
whole words by one Aho-Corasick pass over the padded `words` of a folded text (polars
`str.contains_any`): 16,000 labels cost about what one short regex does. Each list is
read on first use only (lazily), then cached.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files

import polars as pl

_REF = files(__package__).joinpath("data", "ref")


@cache
def ref_terms(name: str) -> tuple[str, ...]:
    """Terms of `data/ref/<name>.txt.gz` (comment lines dropped), in file order."""
    raw = gzip.decompress(_REF.joinpath(f"{name}.txt.gz").read_bytes()).decode("utf-8")
    return tuple(t for t in raw.split("\n") if t and not t.startswith("#"))


def words_expr(folded: pl.Expr) -> pl.Expr:
    """The `words` of a folded text, padded with one space each side (" a b ")."""
    bare = folded.str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars(" ")
    return pl.concat_str(pl.lit(" "), bare, pl.lit(" "))


@cache
def padded(*names: str) -> pl.Series:
    """The terms of the named lists, each padded with one space each side, for
    `contains_any` over `words_expr`: a hit is then a whole-word (phrase) match. Their
    label-internal negations are joined as a text's are (`join_label_negations`)."""
    terms = pl.Series("terms", sorted({f" {t} " for n in names for t in ref_terms(n)}))
    return (
        join_label_negations(terms.to_frame().lazy().select(pl.col("terms")))
        .collect()["terms"]
        .unique(maintain_order=True)
    )


@cache
def label_negations() -> tuple[list[str], list[str]]:
    """("non precisee", "sans complication"...: a negation word and the word after it, as
    CIM-10 and ALD labels hold them) -> the same joined ("nonprecisee"), longest first.

    Inside a label these words qualify the condition ("Goitre non toxique", "Diabete sans
    complication"); joined, they no longer read as negation cues that would erase the
    label around them, in the text and in the terms alike."""
    keys = list(ref_terms("label_negations"))
    return keys, [k.replace(" ", "") for k in keys]


def join_label_negations(lf: pl.LazyFrame | pl.Expr):
    """`label_negations` applied to a folded text expression (or to every column of a
    lazy frame of them)."""
    keys, values = label_negations()
    if isinstance(lf, pl.Expr):
        return lf.str.replace_many(keys, values)
    return lf.select(pl.all().str.replace_many(keys, values))


def contains_terms(words: pl.Expr, *names: str, among: frozenset[str] | None = None) -> pl.Expr:
    """Boolean per cell: `words` (from `words_expr`) holds a term of the named lists.

    `among`, when given, holds every word of the values `words` will run on (`word_set`):
    only the terms whose first word is one of them are searched. A padded term matches
    only where its first word is a whole word of the value, so the answer is the same,
    but polars builds the automaton on every call (9 ms for the drugs, 25 ms for the
    CIM-10 and ALD labels: most of a small file's cost in a sweep), and a small file's
    words pick a few dozen terms."""
    if among is None:
        return words.str.contains_any(padded(*names).implode().first())
    by_first = _by_first_word(names)
    picked = [t for w in sorted(among & by_first.keys()) for t in by_first[w]]
    # No candidate: one term whose first word is absent, which cannot match (polars
    # takes no empty pattern list).
    picked = picked or [padded(*names)[0]]
    return words.str.contains_any(pl.Series(picked, dtype=pl.String).implode().first())


@cache
def _by_first_word(names: tuple[str, ...]) -> dict[str, list[str]]:
    """The `padded` terms of the named lists by their first word (" a b " -> "a")."""
    out: dict[str, list[str]] = {}
    for term in padded(*names).to_list():
        out.setdefault(term.split()[0], []).append(term)
    return out


def word_set(folded: pl.Series) -> frozenset[str]:
    """Every word of folded values as `words_expr` splits them (runs of [a-z0-9])."""
    found = folded.str.extract_all(r"[a-z0-9]+").explode().drop_nulls().unique()
    return frozenset(found.to_list())


def commune_words_expr(folded: pl.Expr) -> pl.Expr:
    """A folded value as commune names are stored: `words`, "st"/"ste" spelt out, a CEDEX
    tail dropped ("ST ETIENNE CEDEX 2" -> "saint etienne")."""
    w = words_expr(folded)
    w = w.str.replace_all(" st ", " saint ", literal=True)
    w = w.str.replace_all(" ste ", " sainte ", literal=True)
    return w.str.replace(r" cedex(?: \d+)? $", " ").str.strip_chars(" ")


@cache
def communes() -> pl.Series:
    """Commune names (`commune_words`), as one list value for `is_in`."""
    return pl.Series("communes", ref_terms("communes"), dtype=pl.String).implode()


@cache
def postcodes() -> frozenset[str]:
    """Every postcode of a French commune (La Poste)."""
    return frozenset(ref_terms("postcodes"))
