"""The signed attestation PDF: "your data were part of this incident", for a complaint.

The signed statement is a canonical JSON object; its Ed25519 signature and the
SHA-256 fingerprint of the public key are printed on the page and stored in the
PDF metadata (subject = statement, keywords = signature), so anyone holding the
public key (served at /attestation/cle-publique.pem) can verify it. What was and was not
exposed is said in the letter's own words (`vigile.wording.describe`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fpdf import FPDF

from ..case import PARIS, show_time

SIGNATURE_PREFIX = "ed25519:"
# The PDF core fonts are Latin-1: typographic characters outside it are spelt plainly.
_LATIN1 = str.maketrans(
    {"…": "...", "’": "'", "œ": "oe", "Œ": "OE", "–": "-", "—": "-", "\u202f": "\u00a0"}
)


def load_signing_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def canonical(statement: dict) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify(statement_json: str, signature: str, public: Ed25519PublicKey) -> bool:
    """True if `signature` (as stored in the PDF keywords) signs `statement_json`."""
    if not signature.startswith(SIGNATURE_PREFIX):
        return False
    try:
        statement = json.loads(statement_json)
        public.verify(base64.b64decode(signature[len(SIGNATURE_PREFIX) :]), canonical(statement))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class AttestationFacts:
    controller: str
    incident: str
    discovered: datetime
    dpo_contact: str
    full_name: str
    birth_date: str
    exposed: list[str]  # what was exposed, in the letter's words (describe().exposed)
    issued: datetime
    not_exposed: list[str] = field(default_factory=list)  # describe().not_exposed


def build_pdf(facts: AttestationFacts, key: Ed25519PrivateKey) -> bytes:
    statement = {
        "type": "vigile.attestation/v1",
        "id": str(uuid.uuid4()),
        "controller": facts.controller,
        "incident": facts.incident,
        "discovered": facts.discovered.astimezone(PARIS).date().isoformat(),
        "person": {"name": facts.full_name, "birth_date": facts.birth_date},
        "exposed": list(facts.exposed),
        "not_exposed": list(facts.not_exposed),
        "issued": facts.issued.isoformat(timespec="seconds"),
    }
    body = canonical(statement)
    signature = SIGNATURE_PREFIX + base64.b64encode(key.sign(body)).decode()
    fp = fingerprint(key.public_key())

    pdf = FPDF(format="A4")
    pdf.set_title("Attestation - violation de données")
    pdf.set_author(_l1(facts.controller))
    pdf.set_subject(body.decode())
    pdf.set_keywords(signature)
    pdf.set_lang("fr-FR")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _para(pdf, 0, 9, _l1("Attestation\u00a0: vos données faisaient partie d'une violation"))
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    text = (
        f"{facts.controller}, responsable du traitement, atteste que les données personnelles "
        f"de {facts.full_name}, né(e) le {facts.birth_date}, figuraient dans les données "
        f"concernées par la violation de données constatée le "
        f"{facts.discovered.astimezone(PARIS).strftime('%d/%m/%Y')} "
        f"(référence\u00a0: {facts.incident})."
    )
    _para(pdf, 0, 6, _l1(text))
    pdf.ln(3)
    _para(pdf, 0, 6, _l1("Données concernées\u00a0:"))
    for item in facts.exposed:
        _para(pdf, 0, 6, _l1(f"  - {item}"))
    if facts.not_exposed:
        pdf.ln(2)
        _para(pdf, 0, 6, _l1("Ces données ne contenaient pas\u00a0:"))
        for item in facts.not_exposed:
            _para(pdf, 0, 6, _l1(f"  - {item}"))
    pdf.ln(3)
    _para(
        pdf,
        0,
        6,
        _l1(
            "Cette attestation peut être jointe à une plainte (commissariat, gendarmerie, "
            "17Cyber) ou à une demande auprès de votre banque. Délégué à la protection des "
            f"données\u00a0: {facts.dpo_contact}."
        ),
    )
    pdf.ln(3)
    _para(pdf, 0, 6, _l1(f"Délivrée le {show_time(facts.issued)}."))
    pdf.ln(6)
    pdf.set_font("Courier", "", 7)
    _para(pdf, 0, 3.5, _l1(f"Identifiant\u00a0: {statement['id']}"))
    _para(pdf, 0, 3.5, _l1(f"Signature Ed25519\u00a0: {signature}"))
    _para(pdf, 0, 3.5, _l1(f"Empreinte de la clé publique\u00a0: {fp}"))
    _para(
        pdf, 0, 3.5, _l1("Données signées\u00a0: métadonnées «\u00a0Sujet\u00a0» de ce document.")
    )
    return bytes(pdf.output())


def _para(pdf: FPDF, width: float, height: float, text: str) -> None:
    pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")


def _l1(text: str) -> str:
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
