"""The trace as one sentence for the CNIL draft's "origine de la violation" (French, or
English with `lang="en"`), and as a short report for the terminal. Names of exports,
recipients and purposes are what the controller registered; no personal value."""

from __future__ import annotations

from ..case import show_time
from .trace import Match, TraceResult

SURE = 0.95  # at or above: "provient" / "came from"


def _int(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "\u202f") if lang == "fr" else f"{n:,}"


def _pct(x: float, lang: str) -> str:
    v = x * 100
    text = f"{v:.1f}" if v < 99.95 or v == 100 else "99.9"
    text = text.removesuffix(".0")
    return (text.replace(".", ",") + "\u00a0%") if lang == "fr" else text + "%"


def _describe(m: Match, rows: int, lang: str) -> str:
    e = m.export
    when = show_time(e.registered_at, lang)
    if lang == "fr":
        s = (
            f"l'extraction « {e.name} » enregistrée le {when}, remise à {e.recipient} "
            f"(finalité : {e.purpose} ; logiciel : {e.software}) : {_int(m.rows_matched, lang)} "
            f"des {_int(rows, lang)} lignes identifiantes du fichier en proviennent "
            f"({_pct(m.share, lang)})"
        )
        if m.canaries:
            s += (
                f", dont {_int(m.canaries, lang)} enregistrement"
                f"{'s' if m.canaries > 1 else ''} témoin{'s' if m.canaries > 1 else ''} "
                "propre" + ("s" if m.canaries > 1 else "") + " à cette seule extraction"
            )
        return s + f" ; confiance {_pct(m.confidence, lang)}"
    s = (
        f"the extraction \u201c{e.name}\u201d registered on {when}, handed to {e.recipient} "
        f"(purpose: {e.purpose}; software: {e.software}): {_int(m.rows_matched, lang)} of the "
        f"file's {_int(rows, lang)} identifying rows come from it ({_pct(m.share, lang)})"
    )
    if m.canaries:
        s += f", including {m.canaries} canary record{'s' if m.canaries > 1 else ''} unique to it"
    return s + f"; confidence {_pct(m.confidence, lang)}"


def origin_sentence(result: TraceResult, lang: str = "fr") -> str:
    """One paragraph saying where the found file came from, how sure, on what basis."""
    fr = lang == "fr"
    rows = result.rows_with_identity
    if not result.matches:
        if fr:
            among = f"à aucune des {_int(result.registered, lang)} extractions enregistrées"
            if result.registered == 1:
                among = "pas à la seule extraction enregistrée"
            elif result.registered == 0:
                among = "à aucune extraction (le registre est vide)"
            return (
                f"Le fichier trouvé ({_int(result.rows, lang)} ligne"
                f"{'s' if result.rows > 1 else ''}, SHA-256 {result.sha256}) ne correspond "
                f"{among} dans le registre de provenance : son origine n'a pas pu être "
                "établie par ce moyen."
            )
        return (
            f"The file found ({result.rows:,} rows, SHA-256 {result.sha256}) matches none of "
            f"the {result.registered:,} extraction{'s' if result.registered != 1 else ''} in "
            "the provenance registry: its origin could not be established this way."
        )
    sources = [m for m in result.matches if m.source]
    best = result.matches[0]
    if len(sources) > 1:
        parts = "; ".join(_describe(m, rows, lang) for m in sources)
        if fr:
            return (
                f"Le fichier trouvé (SHA-256 {result.sha256}) réunit des lignes de "
                f"{len(sources)} extractions enregistrées : {parts}."
            )
        return (
            f"The file found (SHA-256 {result.sha256}) combines rows of {len(sources)} "
            f"registered extractions: {parts}."
        )
    close = [m for m in result.matches[1:] if m.confidence >= 1 - SURE]
    if best.confidence >= SURE or not close:
        verb = (
            ("provient" if best.confidence >= SURE else "provient vraisemblablement")
            if fr
            else ("came from" if best.confidence >= SURE else "probably came from")
        )
        if fr:
            return f"Le fichier trouvé (SHA-256 {result.sha256}) {verb} de {_describe(best, rows, lang)}."
        return f"The file found (SHA-256 {result.sha256}) {verb} {_describe(best, rows, lang)}."
    tied = [best, *close]
    parts = "; ".join(_describe(m, rows, lang) for m in tied)
    if fr:
        return (
            f"Le fichier trouvé (SHA-256 {result.sha256}) provient de l'une de "
            f"{len(tied)} extractions que ses lignes ne permettent pas de départager "
            f"(elles contiennent les mêmes personnes et aucun enregistrement témoin n'y "
            f"figure) : {parts}."
        )
    return (
        f"The file found (SHA-256 {result.sha256}) came from one of {len(tied)} extractions "
        f"its rows cannot tell apart (they hold the same persons and no canary record is in "
        f"it): {parts}."
    )


def text_report(result: TraceResult, lang: str = "fr") -> str:
    lines = [
        f"{result.path}: {result.rows:,} rows, {result.rows_with_identity:,} with an identity "
        f"({', '.join(result.views) or 'no identifying column'}); "
        f"{result.registered:,} exports registered",
    ]
    for m in result.matches:
        lines.append(
            f"  {m.export.name}: {m.rows_matched:,} rows ({m.share:.1%}), "
            f"{m.canaries} canaries, confidence {m.confidence:.3f} -> {m.export.recipient} "
            f"({m.export.purpose})"
        )
    if not result.matches:
        lines.append("  no registered export matches")
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    lines += ["", origin_sentence(result, lang)]
    return "\n".join(lines) + "\n"
