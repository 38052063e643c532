"""Detectors as data: one frozen record per way of recognising a category.

A detector names its category, full-cell patterns (anchored, over stripped
cells), an optional validator (by name, see `validators.py` and the engine),
header hints (folded token phrases, see `headers.py`), context words for free
text, and a cheap gate (cell shape and byte-length range) that lets the engine
skip it on columns whose cells cannot match.

`method` tells the engine how content is matched:
  regex      the patterns (plus the validator when given)
  date       `extract.parse_date`, then birth dates vs other dates by age span
  lexicon    a lexicon of `vigile.detect.lexicons` (`lexicon` field)
  names      first-name lexicon / surname shape (engine logic)
  header     no content rule: only a header hint decides (member numbers, ADELI, flags)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vigile.detect.extract import HASH_REGEX
from vigile.detect.ids import email, finess, ip, nir, phone, rpps
from vigile.detect.ids.iban import PATTERN as IBAN_SHAPE
from vigile.detect.ids.login import LOGIN_REGEX
from vigile.detect.lexicons.loading import load_terms

Gate = Literal["digits", "alpha", "at", "any"]
Method = Literal["regex", "date", "lexicon", "names", "header"]


@dataclass(frozen=True)
class Detector:
    name: str
    category: str
    method: Method = "regex"
    patterns: tuple[str, ...] = ()
    validator: str | None = None
    header_hints: tuple[str, ...] = ()
    context_words: tuple[str, ...] = ()
    lexicon: str | None = None
    gate: Gate = "any"
    min_len: int = 1
    max_len: int = 10_000
    min_share: float = (
        0.6  # share of non-empty cells that must match (and validate) from content alone
    )


# Identifiers: each one's knowledge is in its module under `ids/` (names kept for callers).
NIR_PATTERN = nir.PATTERN
NIR_BODY_PATTERN = nir.BODY_PATTERN
NIR_KEY_PATTERN = nir.KEY_PATTERN
INTL_PHONE_PATTERN = phone.INTL_PATTERN
IBAN_PATTERN = IBAN_SHAPE  # ids.iban.PATTERN
IPV4_PATTERN = ip.IPV4_PATTERN
IPV6_PATTERN = ip.IPV6_PATTERN
SEX_PATTERN = r"^(?i:m|f|h|1|2|homme|femme|masculin|f[ée]minin|male|female|mr|mrs|ms|miss|mme|mlle|monsieur|madame)\.?$"
BLOOD_GROUP_PATTERN = (
    r"^(?i:(?:groupe\s*)?(?:a|b|ab|o|0)\s*(?:[+-]|rh\s*[+-]?\s*1?|rh\s*(?:pos|neg)\w*"
    r"|(?:rh[ée]sus\s*)?(?:pos|n[ée]g)\w*|\s)?\s*[+-]?)$"
)
PHENOTYPE_PATTERN = r"^(?:[CcEeK]\s*[+-]\s*,?\s*){3,}$"
POSTCODE_PATTERN = r"^\d{5}$"
RPPS_PATTERN = rpps.PATTERN
FINESS_PATTERN = finess.PATTERN
SIRET_PATTERN = r"^\d{3}\s?\d{3}\s?\d{3}\s?\d{5}$"


def _merged(hints: tuple[str, ...], lexicon: str) -> tuple[str, ...]:
    """Hints plus the header words of a lexicon file (apostrophes read as spaces, as
    headers are tokenised), without repeats."""
    words = (w.replace("'", " ") for w in load_terms(lexicon))
    return tuple(dict.fromkeys((*hints, *words)))


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "nir", "nir", patterns=(NIR_PATTERN,), validator="nir_key", min_len=nir.MIN_LEN,
        max_len=nir.MAX_LEN,
        header_hints=(
            "nir", "nss", "n ss", "no ss", "num ss", "numero ss", "num secu", "numero secu",
            "secu", "n secu", "numero securite sociale", "securite sociale", "ins", "ins nir",
            "matricule", "immatriculation", "social security number", "ssn", "insee",
        ),
        context_words=("secu", "securite sociale", "nir", "nss"),
    ),
    Detector(
        "nir_key", "nir", method="header", gate="digits", max_len=3,
        header_hints=("cle", "cle nir", "cle ss", "cle secu", "cle nss", "nir cle", "nss cle", "key"),
    ),
    Detector(
        "last_name", "last_name", method="names",
        header_hints=(
            "nom", "noms", "nom patient", "nom naissance", "nom nais", "nom jf", "nom jeune fille",
            "nom usage", "nom marital", "nom epouse", "patronyme", "last name", "lastname",
            "surname", "family name", "birth name", "maiden name", "medecin", "prescripteur",
            "med presc", "med traitant", "medecin traitant", "traitant", "medecin prescripteur", "nom medecin", "docteur", "praticien",
        ),
        context_words=("mme", "m", "mr", "dr", "docteur", "appeler", "rappeler"),
    ),
    Detector(
        "first_name", "first_name", method="names",
        header_hints=("prenom", "prenoms", "prenom patient", "first name", "firstname",
                      "given name", "given names", "forename", "prenom usuel"),
    ),
    Detector(
        "birth_date", "birth_date", method="date", gate="digits", min_len=6, max_len=30,
        header_hints=("ddn", "date naissance", "date nais", "dt nais", "dt naiss", "dt naissance",
                      "datenaissance", "dtnais", "naissance", "ne le", "nee le", "birth date",
                      "birthdate", "date of birth", "dob", "date naiss"),
    ),
    Detector(
        "date", "date", method="date", gate="digits", min_len=6, max_len=30,
        header_hints=("date", "dt", "dt prelev", "date prelevement", "date prelev", "dt prel",
                      "date reception", "dt recep", "dt reception", "date validation", "dt valid",
                      "date examen", "date visite", "date rdv", "date edition", "sample date",
                      "visit date", "horodatage", "date saisie", "date creation", "date heure"),
    ),
    Detector(
        "sex", "sex", patterns=(SEX_PATTERN,), max_len=12, min_share=0.9,
        header_hints=("sexe", "sex", "genre", "gender", "civilite", "sx", "title"),
    ),
    Detector(
        "address", "address", method="lexicon", lexicon="street_types", gate="alpha", min_len=5,
        header_hints=("adresse", "adr", "adr 1", "adr 2", "adr 3", "adresse 1", "adresse 2",
                      "address", "address line", "voie", "rue", "ligne adresse", "lieu dit",
                      "complement adresse", "cplt adr", "street"),
    ),
    Detector(
        "postcode", "postcode", patterns=(POSTCODE_PATTERN,), validator="postcode", gate="digits",
        min_len=4, max_len=7,
        header_hints=("cp", "code postal", "codepostal", "postcode", "postal code", "zip",
                      "zip code", "zipcode", "cp ville", "cp naissance"),
    ),
    Detector(
        "city", "city", method="names", gate="alpha",
        header_hints=("ville", "commune", "city", "town", "localite", "ville naissance",
                      "lieu naissance", "bureau distributeur"),
    ),
    Detector(
        "phone", "phone", patterns=(phone.FR_PATTERN,), gate="digits", min_len=phone.FR_MIN_LEN,
        max_len=phone.FR_MAX_LEN, header_hints=phone.HEADER_HINTS,
    ),
    Detector(
        "phone_intl", "phone", patterns=(INTL_PHONE_PATTERN,), validator="phonenumbers",
        gate="digits", min_len=phone.INTL_MIN_LEN, max_len=phone.INTL_MAX_LEN,
    ),
    Detector(
        "email", "email", patterns=(email.PATTERN,), gate="at", min_len=email.MIN_LEN,
        header_hints=email.HEADER_HINTS,
    ),
    Detector(
        "iban", "iban", patterns=(IBAN_PATTERN,), validator="iban", gate="alpha", min_len=15,
        max_len=45, header_hints=("iban", "rib", "compte bancaire", "bank account", "coord bancaires"),
    ),
    Detector(
        "insurer", "insurance", method="lexicon", lexicon="insurers", gate="alpha", min_len=2,
        header_hints=("mut", "mutuelle", "amc", "complementaire", "organisme complementaire",
                      "nom mutuelle", "assurance complementaire", "insurer", "insurance",
                      "org complementaire", "oc"),
    ),
    Detector(
        "insurance_member", "insurance", method="header",
        header_hints=("num adh", "n adh", "no adh", "numero adherent", "adherent", "n adherent",
                      "num adherent", "contrat mutuelle", "num mut", "numero mutuelle",
                      "num amc", "n amc", "member number", "policy number", "adh"),
    ),
    Detector(
        "blood_group", "blood_group", patterns=(BLOOD_GROUP_PATTERN, PHENOTYPE_PATTERN),
        max_len=40, header_hints=("grp sang", "groupe sanguin", "gs", "groupe", "rhesus", "rh",
                                  "phenotype", "blood group", "blood type", "abo", "gr sang"),
    ),
    Detector(
        "health_condition", "health_condition", method="lexicon", lexicon="health_terms",
        gate="alpha", min_share=0.5,
        header_hints=("grossesse", "enceinte", "ald", "pathologie", "pathologies", "diagnostic",
                      "antecedents", "atcd", "handicap", "pregnant", "pregnancy", "diagnosis",
                      "condition", "maladie", "affection longue duree", "terme", "ddr"),
    ),
    Detector(
        "medication", "medication", method="lexicon", lexicon="medications", gate="alpha",
        min_share=0.5,
        header_hints=("traitement", "traitements", "ttt", "medicament", "medicaments",
                      "traitement en cours", "medication", "medications", "treatment",
                      "posologie", "therapeutique"),
    ),
    Detector(
        "lab_test", "lab_test", method="lexicon", lexicon="lab_tests", gate="alpha",
        min_share=0.5,
        header_hints=("analyses", "analyse", "examens", "examen", "bilan", "resultat",
                      "resultats", "actes", "lab test", "lab tests", "tests", "prescription",
                      "analyses demandees", "examens demandes", "compte rendu"),
    ),
    Detector(
        "rpps", "rpps", patterns=(RPPS_PATTERN,), validator="rpps", gate="digits",
        min_len=rpps.LENGTH, max_len=rpps.LENGTH, min_share=rpps.CONTENT_SHARE,
        header_hints=rpps.HEADER_HINTS,
    ),
    Detector(
        "finess", "finess", patterns=(FINESS_PATTERN,), validator="finess", gate="digits",
        min_len=finess.LENGTH, max_len=finess.LENGTH, min_share=finess.CONTENT_SHARE,
        header_hints=finess.HEADER_HINTS,
    ),
    Detector(
        "login", "login", method="regex", patterns=(LOGIN_REGEX,), gate="alpha",
        max_len=80, min_share=0.9,
        header_hints=_merged(("login", "identifiant", "user", "utilisateur", "username",
                              "user name", "compte", "id web", "identifiant web",
                              "id connexion", "id serveur", "user id", "userid", "account"),
                             "credential_login"),
    ),
    Detector(
        "password_hash", "password", patterns=(HASH_REGEX,), min_len=13, max_len=200,
        min_share=0.8,
        header_hints=_merged(("mdp", "mot de passe", "password", "pwd", "pass", "passwd", "pin",
                              "hash", "code secret", "secret", "mot passe"),
                             "credential_password"),
    ),
    Detector(
        "ip_address", "ip_address", patterns=(IPV4_PATTERN, IPV6_PATTERN), min_len=ip.MIN_LEN,
        max_len=ip.MAX_LEN, header_hints=ip.HEADER_HINTS,
    ),
)  # fmt: skip

DETECTORS_BY_NAME: dict[str, Detector] = {d.name: d for d in DETECTORS}
