"""vigile against Microsoft Presidio on the same export: throughput and column accuracy.

Presidio is run as presidio-structured runs it: `PandasAnalysisBuilder.generate_analysis`
over a pandas DataFrame of the file (every cell read as text), which samples n rows with
`df.sample(n, random_state=123)`, runs `BatchAnalyzerEngine.analyze_iterator` on every
column of the sample and keeps one entity per column ("most_common" strategy: the most
frequent entity among all hits, whatever its share; the builder applies no score threshold
and the engine's default is 0). Its `n` defaults to *every row*: on the 491,840-row file
that is ~17 M analyser calls (many hours of CPU), so this benchmark bounds Presidio by rows
(`--presidio-rows`, default 1,000 per column), measures its rate on that sample and
extrapolates the whole-file time from it; the output says so. `--presidio-rows 0` runs the
builder's default n (all rows): small files only. Wall and CPU time are both reported: CPU
time keeps the ratio meaningful when other jobs share the cores.

The AnalyzerEngine uses spaCy `fr_core_news_sm` with `supported_languages=["fr"]` and every
predefined recognizer that applies to French text (the output lists those that ran). The
bundled registry gives "fr" the language-agnostic recognizers only; CreditCardRecognizer is
declared for en/es/it/pl there, so it is added for "fr" by hand. This Presidio version has
no French-specific recognizer (no FR_NIR); the mapping keeps such names in case one appears.

Accuracy is scored against the generator's truth (`<file>.truth.json`): structured columns
on "columns", free-text columns (None there, not decoys) on the categories "text_columns"
lists for their cells. vigile is scored category-exact; Presidio's entity types are
coarser, so a column counts as right when its entity maps to the true category
(PRESIDIO_TO_VIGILE below); vigile is also scored under the same equivalences so both sides
can be compared on equal terms.

Run: .venv/bin/python benchmarks/bench_presidio.py [--rows 20000] [--presidio-rows 500]
(needs the [bench] extra: presidio-analyzer, presidio-structured, fr-core-news-sm).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from _common import synth_export

# Presidio entity type -> the vigile categories (categories.md) it may stand for.
# Anything not listed (ORGANIZATION, NRP, URL, CREDIT_CARD, MEDICAL_LICENSE, ...) is a wrong
# category on any column. FR_* names: not in the installed Presidio, kept for newer ones.
PRESIDIO_TO_VIGILE: dict[str, frozenset[str]] = {
    "PERSON": frozenset({"last_name", "first_name"}),
    "PHONE_NUMBER": frozenset({"phone"}),
    "EMAIL_ADDRESS": frozenset({"email"}),
    "IBAN_CODE": frozenset({"iban"}),
    "IP_ADDRESS": frozenset({"ip_address"}),
    "LOCATION": frozenset({"address", "city"}),
    "DATE_TIME": frozenset({"birth_date", "date"}),
    "FR_NIR": frozenset({"nir"}),
    "FR_SSN": frozenset({"nir"}),
    "FR_SOCIAL_SECURITY_NUMBER": frozenset({"nir"}),
}

# The same equivalences applied to vigile's own categories, for the like-for-like score.
COARSE: dict[str, str] = {c: "|".join(sorted(v)) for v in PRESIDIO_TO_VIGILE.values() for c in v}

SPACY_MODEL = "fr_core_news_sm"
LANGUAGE = "fr"


# -- Presidio side -------------------------------------------------------------------------


def build_presidio_analyzer():
    """An AnalyzerEngine on fr_core_news_sm with every recognizer applicable to French."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    nlp_conf = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=nlp_conf).create_engine()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=nlp_engine)
    loaded = {r.name for r in registry.get_recognizers(LANGUAGE, all_fields=True)}
    if "CreditCardRecognizer" not in loaded:  # language-agnostic, but not declared for fr
        registry.add_recognizer(CreditCardRecognizer(supported_language=LANGUAGE))
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=[LANGUAGE])


def describe_recognizers(analyzer) -> list[str]:
    recs = analyzer.registry.get_recognizers(LANGUAGE, all_fields=True)
    return sorted(f"{r.name}({','.join(sorted(r.supported_entities))})" for r in recs)


@dataclass(frozen=True)
class PresidioRun:
    read_s: float  # pandas.read_csv of the whole file
    analysis_s: float  # PandasAnalysisBuilder.generate_analysis on the sample
    analysis_cpu_s: float  # its CPU time: robust to other jobs sharing the cores
    sample_rows: int  # rows analysed in every column
    entities: dict[str, str]  # column -> entity type (columns without PII are absent)


def run_presidio(
    path: Path, analyzer, n: int, sep: str, encoding: str, batch_size: int = 1
) -> PresidioRun:
    import pandas as pd
    from presidio_structured import PandasAnalysisBuilder

    t = time.perf_counter()
    # Every cell as its text (no type inference turning 0612345678 into 612345678, no NaN).
    df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
    read_s = time.perf_counter() - t
    sample_rows = len(df) if n <= 0 else min(n, len(df))
    builder = PandasAnalysisBuilder(analyzer=analyzer, batch_size=batch_size)  # n_process=1
    t, cpu = time.perf_counter(), time.process_time()
    analysis = builder.generate_analysis(df, n=n or None, language=LANGUAGE)
    analysis_s, cpu_s = time.perf_counter() - t, time.process_time() - cpu
    return PresidioRun(read_s, analysis_s, cpu_s, sample_rows, dict(analysis.entity_mapping))


# -- vigile side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VigileRun:
    seconds: float
    cpu_s: float  # all threads of the process
    rows: int
    categories: dict[str, str | None]
    text_categories: dict[str, frozenset[str]]  # column -> categories found in its cells


def run_vigile(path: Path) -> VigileRun:
    from vigile.scan import scan_path

    t, cpu = time.perf_counter(), time.process_time()
    result = scan_path(path)
    seconds, cpu_s = time.perf_counter() - t, time.process_time() - cpu
    if result.errors or len(result.tables) != 1:
        raise SystemExit(f"{path.name}: vigile scan gave {len(result.tables)} tables, errors")
    [table] = result.tables
    return VigileRun(
        seconds,
        cpu_s,
        table.rows,
        {c.name: c.category for c in table.columns},
        {c.name: frozenset(c.text_categories) for c in table.columns},
    )


# -- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    right: int
    total: int
    sensitive: int
    found: int  # sensitive columns flagged with any category
    found_right: int  # ... with the right one
    decoys: int
    decoys_flagged: int
    wrong: tuple[str, ...]  # "column: want X, got Y" (column names and labels only)

    def line(self) -> str:
        return (
            f"{self.right}/{self.total} columns right ({self.right / self.total:.0%}); "
            f"sensitive found {self.found}/{self.sensitive} "
            f"(right category {self.found_right}); "
            f"decoys flagged {self.decoys_flagged}/{self.decoys}"
        )


def score(truth: dict[str, str | None], got: dict[str, str | None], same) -> Accuracy:
    """`same(want, have)` decides a match; `have` is None when a column is not flagged."""
    right = found = found_right = decoys = flagged = 0
    wrong = []
    for col, want in truth.items():
        have = got.get(col)
        ok = want == have if want is None or have is None else same(want, have)
        right += ok
        if want is None:
            decoys += 1
            flagged += have is not None
        else:
            found += have is not None
            found_right += ok
        if not ok:
            wrong.append(f"{col}: want {want}, got {have}")
    s = len(truth) - decoys
    return Accuracy(right, len(truth), s, found, found_right, decoys, flagged, tuple(wrong))


@dataclass(frozen=True)
class TextRecall:
    """Categories inside free-text columns, summed over those columns."""

    wanted: int
    found: int
    extra: int  # categories (or Presidio entities) reported that the column does not hold

    def line(self) -> str:
        return f"{self.found}/{self.wanted} categories found, {self.extra} extra"


def score_text(truth: dict[str, list[str]], got: dict[str, frozenset[str]]) -> TextRecall:
    wanted = found = extra = 0
    for col, cats in truth.items():
        want, have = set(cats), got.get(col, frozenset())
        wanted += len(want)
        found += len(want & have)
        extra += len(have - want)
    return TextRecall(wanted, found, extra)


def presidio_text_categories(entity: str | None, want: list[str]) -> frozenset[str]:
    """Presidio keeps one entity per column: it stands for the true categories it maps to,
    else for itself (an extra)."""
    if entity is None:
        return frozenset()
    hit = PRESIDIO_TO_VIGILE.get(entity, frozenset()) & set(want)
    return frozenset(hit) if hit else frozenset({entity})


def presidio_same(want: str, entity: str) -> bool:
    return want in PRESIDIO_TO_VIGILE.get(entity, ())


def coarse_same(want: str, have: str) -> bool:
    return COARSE.get(want, want) == COARSE.get(have, have)


# -- report --------------------------------------------------------------------------------


def versions() -> str:
    dists = ["vigile", "presidio-analyzer", "presidio-structured", "spacy", "fr-core-news-sm"]
    dists += ["pandas", "polars"]
    out = []
    for d in dists:
        try:
            out.append(f"{d} {metadata.version(d)}")
        except metadata.PackageNotFoundError:  # vigile run from src/ without an install
            if d == "vigile":
                import vigile

                out.append(f"vigile {vigile.__version__} (src)")
            else:
                out.append(f"{d} ?")
    return ", ".join(out)


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rows", type=int, default=491_840, help="rows of the synthetic export")
    ap.add_argument(
        "--presidio-rows",
        type=int,
        default=1_000,
        help="rows per column Presidio analyses (0: presidio-structured's default, all rows)",
    )
    ap.add_argument(
        "--presidio-batch-size",
        type=int,
        default=1,
        help="spaCy batch size of the builder (1: presidio-structured's default)",
    )
    ap.add_argument("--input", type=Path, help="an existing CSV with <file>.truth.json")
    ap.add_argument("--sep", default=";", help="separator of --input")
    ap.add_argument("--encoding", default="utf-8", help="encoding of --input")
    ap.add_argument("--show-misses", action="store_true", help="list misclassified columns")
    args = ap.parse_args()
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)  # offline: it falls back quietly

    if args.input:
        path = args.input
    else:
        path = synth_export(
            f"speed_{args.rows}_utf-8.csv",
            rows=args.rows,
            seed=2021,
            encoding="utf-8",
            separator=";",
            fields="standard",
        )
    truth_doc = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))
    # Free-text columns are None in "columns" (not decoys): scored apart, on their contents.
    text_truth: dict[str, list[str]] = truth_doc.get("text_columns", {})
    truth = {c: v for c, v in truth_doc["columns"].items() if c not in text_truth}
    warm_page_cache(path)

    vig = run_vigile(path)
    t = time.perf_counter()
    analyzer = build_presidio_analyzer()
    load_s = time.perf_counter() - t
    pre = run_presidio(
        path, analyzer, args.presidio_rows, args.sep, args.encoding, args.presidio_batch_size
    )

    vig_rate = vig.rows / vig.seconds
    pre_rate = pre.sample_rows / pre.analysis_s  # rows (all columns) per second
    full_rows = vig.rows
    pre_full_s = pre.read_s + full_rows / pre_rate
    extrapolated = pre.sample_rows < full_rows
    acc_vig = score(truth, vig.categories, lambda w, h: w == h)
    acc_vig_coarse = score(truth, vig.categories, coarse_same)
    acc_pre = score(truth, pre.entities, presidio_same)
    unexpressible = sorted(
        {c for c in truth.values() if c and not any(c in v for v in PRESIDIO_TO_VIGILE.values())}
    )
    n_unexpr = sum(1 for c in truth.values() if c in unexpressible)
    # A free-text column vigile classifies as a whole (e.g. health_condition) counts too.
    vig_text = {
        c: vig.text_categories.get(c, frozenset()) | {vig.categories.get(c)} - {None}
        for c in text_truth
    }
    text_vig = score_text(text_truth, vig_text)
    text_pre = score_text(
        text_truth,
        {c: presidio_text_categories(pre.entities.get(c), w) for c, w in text_truth.items()},
    )

    size_mb = path.stat().st_size / 1e6
    how = "extrapolated: read + rows / sample rate" if extrapolated else "measured"
    print(
        f"file      : {path.name}  {size_mb:.1f} MB  {full_rows:,} rows  "
        f"{len(truth) + len(text_truth)} columns ({len(text_truth)} free text)"
    )
    print(
        f"vigile    : {vig.seconds:.2f} s whole file (CPU {vig.cpu_s:.2f} s), "
        f"{vig_rate:,.0f} rows/s (read + detect)"
    )
    print(
        f"presidio  : analysis {pre.analysis_s:.1f} s (CPU {pre.analysis_cpu_s:.1f} s) on "
        f"{pre.sample_rows:,} sampled rows x every column = {pre_rate:,.1f} rows/s; "
        f"pandas read_csv {pre.read_s:.2f} s; engine load {load_s:.1f} s (not counted)"
    )
    print(f"presidio  : whole file {pre_full_s:,.0f} s ({how})")
    cpu_ratio = (vig.rows / vig.cpu_s) / (pre.sample_rows / pre.analysis_cpu_s)
    print(
        f"ratio     : {vig_rate / pre_rate:,.0f}x wall, {cpu_ratio:,.0f}x CPU "
        "(vigile rows/s over Presidio analysis rows/s)"
    )
    print(
        f"columns   : {acc_vig.total} structured ({acc_vig.sensitive} sensitive, "
        f"{acc_vig.decoys} decoys); Presidio on its {pre.sample_rows:,}-row sample"
    )
    print(f"  vigile   category-exact : {acc_vig.line()}")
    print(f"  vigile   mapped*        : {acc_vig_coarse.line()}")
    print(f"  presidio mapped*        : {acc_pre.line()}")
    print(f"free text : {len(text_truth)} column(s), categories inside their cells")
    print(f"  vigile                  : {text_vig.line()}")
    print(f"  presidio                : {text_pre.line()} (one entity per column)")
    mapping = ", ".join(f"{e}->{'/'.join(sorted(c))}" for e, c in PRESIDIO_TO_VIGILE.items())
    print(f"  * mapped: {mapping}; any other entity is a wrong category")
    print(
        f"  sensitive columns whose category no Presidio entity expresses: {n_unexpr}"
        f" ({', '.join(unexpressible)})"
    )
    print(f"  presidio recognizers ({LANGUAGE}): {', '.join(describe_recognizers(analyzer))}")
    print(
        "  presidio-structured: PandasAnalysisBuilder.generate_analysis, strategy most_common,"
        f" no score threshold (engine default 0), batch_size {args.presidio_batch_size},"
        " n_process 1"
    )
    print(f"  versions: {versions()}")
    if args.show_misses:
        for side, acc in (("vigile", acc_vig), ("presidio", acc_pre)):
            for w in acc.wrong:
                print(f"  miss {side:8}: {w}")
        for col, want in text_truth.items():
            have = sorted(vig_text[col])
            print(
                f"  text {col}: want {sorted(want)}, vigile {have}, presidio {pre.entities.get(col)}"
            )


if __name__ == "__main__":
    main()
