"""Helpers of the whole-incident tests: read back what each channel told each person.

Every reader returns describe()'s first-person phrases (a letter or e-mail to a legal
representative says them in the third person; they are turned back), so the letter,
the e-mail, the portal page and the attestation can be compared with each other and
with `describe(truth)` phrase for phrase, in order.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from vigile.notify.texts import THIRD_PERSON

FIRST_PERSON = {third: first for first, third in THIRD_PERSON.items()}
BULLET = "•"
_WS = re.compile(r"\s+")
REF_RE = re.compile(r"Référence\s*:\s*(\d+-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})")
CODE_RE = re.compile(r"code personnel[^:\n]*:\s*([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})")
REPRESENTATIVES = "AUX REPRESENTANTS LEGAUX DE"


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def first_person(phrases) -> tuple[str, ...]:
    return tuple(FIRST_PERSON.get(p, p) for p in phrases)


@dataclass(frozen=True)
class Told:
    """What one channel said to (or about) one person."""

    exposed: tuple[str, ...]
    not_exposed: tuple[str, ...]
    code: str | None = None
    representatives: bool = False


# -- letters: pdftotext -layout (poppler-utils), one page per letter ----------------------
def pdftotext() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        raise AssertionError("pdftotext missing: apt-get install -y poppler-utils")
    return path


def _columns(lines: list[str]) -> list[list[str]]:
    """A list Typst set in two columns (more than five items), as pdftotext -layout keeps
    it side by side: cut every line where the right column's bullets start."""
    seconds = [ln.find(BULLET, ln.find(BULLET) + 1) for ln in lines if ln.count(BULLET) >= 2]
    if not seconds:
        return [lines]
    cut = min(seconds)
    return [[ln[:cut] for ln in lines], [ln[cut:] for ln in lines]]


def _items(lines: list[str]) -> list[str]:
    items: list[str] = []
    for col in _columns(lines):
        for ln in col:
            text = ln.strip()
            if not text:
                continue
            if text.startswith(BULLET):
                items.append(text[1:].strip())
            elif items:
                items[-1] += " " + text
            else:
                raise AssertionError(f"list text before any bullet: {text[:30]!r}")
    return [_norm(i) for i in items]


def _not_exposed(lines: list[str], start: int) -> tuple[str, ...]:
    if start >= len(lines) or not lines[start].startswith("Il ne contenait pas"):
        return ()
    text = lines[start]
    for ln in lines[start + 1 :]:
        if ln.startswith("Ce que nous avons fait"):
            break
        text += " " + ln
    said = _norm(text.split(":", 1)[1]).rstrip(".")
    return tuple(p.strip() for p in said.split(", "))


def parse_letter(page: str) -> Told:
    lines = page.split("\n")
    head = next(i for i, ln in enumerate(lines) if "ce fichier contenait" in ln)
    end = head + 1
    while end < len(lines) and (not lines[end] or lines[end][:1].isspace()):
        end += 1
    code = CODE_RE.search(page)
    return Told(
        exposed=first_person(_items(lines[head + 1 : end])),
        not_exposed=first_person(_not_exposed(lines, end)),
        code=code.group(1) if code else None,
        representatives=REPRESENTATIVES in page,
    )


def _pdf_text(pdf: Path, layout: bool = True) -> str:
    mode = ["-layout"] if layout else []
    return subprocess.run(
        [pdftotext(), *mode, "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdf_texts(pdfs: list[Path], layout: bool = True) -> list[str]:
    """pdftotext of each file, one process per core (about 5 ms a letter page)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(lambda p: _pdf_text(p, layout), pdfs))


def read_letters(folder: Path) -> dict[str, Told]:
    """Letter reference -> what its page says, for every letters-*.pdf in `folder`
    (a reference printed twice, a reprint, must say the same)."""
    out: dict[str, Told] = {}
    pdfs = sorted(folder.glob("letters-*.pdf"))
    for pdf, text in zip(pdfs, pdf_texts(pdfs), strict=True):
        for page in text.split("\f"):
            if not page.strip():
                continue
            ref = REF_RE.search(page)
            assert ref, f"a page of {pdf.name} has no reference"
            told = parse_letter(page)
            assert out.setdefault(ref.group(1), told) == told, "a reprint says something else"
    return out


# -- e-mails: the letter's words in plain text -------------------------------------------
def parse_email(body: str) -> Told:
    lines = body.replace("\r\n", "\n").split("\n")
    head = next(i for i, ln in enumerate(lines) if "ce fichier contenait" in ln)
    exposed = []
    for ln in lines[head + 1 :]:
        if not ln.startswith("  - "):
            break
        exposed.append(_norm(ln[4:]))
    rest = [ln for ln in lines[head + 1 + len(exposed) :] if ln.strip()]
    code = CODE_RE.search(body)
    return Told(
        exposed=first_person(exposed),
        not_exposed=first_person(_not_exposed(rest, 0)),
        code=code.group(1) if code else None,
        representatives="adressé aux représentants légaux de" in body,
    )


# -- the portal page and the attestation ---------------------------------------------------
def _ul(page: str, css: str) -> tuple[str, ...]:
    m = re.search(rf'<ul class="{css}">(.*?)</ul>', page, re.S)
    if not m:
        return ()
    return tuple(_norm(html.unescape(i)) for i in re.findall(r"<li>(.*?)</li>", m.group(1), re.S))


def parse_page(page: str) -> Told:
    return Told(exposed=_ul(page, "exposed"), not_exposed=_ul(page, "not-exposed"))


def parse_attestation(pdf: bytes, public_key) -> Told:
    """The signed statement of an attestation (PDF subject), its signature checked."""
    from pypdf import PdfReader

    from vigile.portal.attestation import verify

    meta = PdfReader(BytesIO(pdf)).metadata
    assert verify(meta.subject, meta.keywords, public_key), "attestation signature invalid"
    statement = json.loads(meta.subject)
    return Told(exposed=tuple(statement["exposed"]), not_exposed=tuple(statement["not_exposed"]))


# -- the real command line, in a child process ---------------------------------------------
def vigile_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "vigile", *args]


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment (VIGILE_KEY_DIR, PYTHONPATH) for a child vigile process."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIGILE_DEBUG", "COLUMNS")}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"  # one line stays one line
    return {**env, **extra}
