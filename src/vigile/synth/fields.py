"""The columns of a synthetic LIS export: category truth and header names per style.

`category` uses the ids of categories.md (None for decoys and free text);
`text` lists the categories a free-text column may contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HeaderStyle = Literal["lis", "verbose", "english", "meaningless"]


@dataclass(frozen=True)
class Field:
    key: str  # internal name of the generated column
    category: str | None
    lis: str
    verbose: str
    english: str
    standard: bool  # part of the ~35-column "standard" export (all are in "full")
    text: tuple[str, ...] | None = None  # free-text column: categories its cells may hold


FIELDS: tuple[Field, ...] = (
    Field("record_number", None, "NUM_DOSSIER", "N° dossier", "record_number", True),
    Field("civility", "sex", "CIVILITE", "Civilité", "title", False),
    Field("usage_name", "last_name", "NOM", "Nom d'usage", "last_name", True),
    Field("birth_name", "last_name", "NOM_JF", "Nom de naissance", "birth_name", True),
    Field("first_name", "first_name", "PRENOM", "Prénom(s)", "first_name", True),
    Field("sex", "sex", "SEXE", "Sexe", "sex", True),
    Field("birth_date", "birth_date", "DT_NAIS", "Date de naissance", "birth_date", True),
    Field("nir", "nir", "NIR", "N° SS", "ssn", True),
    Field("nir13", "nir", "NIR13", "N° Sécurité sociale", "ssn_13", True),
    Field("nir_key", "nir", "CLE", "Clé", "ssn_key", True),
    Field("address1", "address", "ADR1", "Adresse", "address_line1", True),
    Field("address2", "address", "ADR2", "Complément d'adresse", "address_line2", True),
    Field("postcode", "postcode", "CP", "Code postal", "postcode", True),
    Field("city", "city", "VILLE", "Ville", "city", True),
    Field("country", None, "PAYS", "Pays", "country", True),  # constant decoy
    Field("phone_home", "phone", "TEL_DOM", "Téléphone domicile", "home_phone", True),
    Field("phone_mobile", "phone", "TEL_PORT", "Téléphone portable", "mobile_phone", True),
    Field("email", "email", "MAIL", "Adresse e-mail", "email", True),
    Field("insurer", "insurance", "MUT", "Mutuelle", "insurer", True),
    Field("member_number", "insurance", "NUM_ADH", "N° adhérent", "member_number", True),
    Field("regime", None, "CODE_REGIME", "Régime", "scheme_code", False),
    Field("prescriber", "last_name", "MED_PRESC", "Médecin prescripteur", "prescriber", True),
    Field("rpps", "rpps", "RPPS", "N° RPPS", "prescriber_rpps", True),
    Field("gp", "last_name", "MED_TRAITANT", "Médecin traitant", "gp", False),
    Field("lab", None, "LABO", "Laboratoire", "lab_name", True),
    Field("finess", "finess", "FINESS", "N° FINESS", "lab_finess", True),
    Field("site", None, "SITE_PRELEV", "Site de prélèvement", "sampling_site", False),
    Field("sample_date", "date", "DT_PRELEV", "Date de prélèvement", "sampled_at", True),
    Field("reception_date", "date", "DT_RECEP", "Date de réception", "received_at", False),
    Field("validation_date", "date", "DT_VALID", "Date de validation", "validated_at", True),
    Field("blood_group", "blood_group", "GRP_SANG", "Groupe sanguin", "blood_group", True),
    Field("pregnancy", "health_condition", "GROSSESSE", "Grossesse", "pregnant", True),
    Field("last_period", "date", "DDR", "Date des dernières règles", "last_period", False),
    Field("treatment", "medication", "TRAITEMENT", "Traitement en cours", "treatment", True),
    Field("analyses", "lab_test", "ANALYSES", "Analyses demandées", "tests", True),
    Field("act_codes", None, "CODES_ACTES", "Codes actes", "test_codes", True),
    Field("results", "lab_test", "RESULTATS", "Résultats", "results", True),
    Field(
        "comment", None, "COMMENTAIRE", "Commentaire", "comment", True,
        text=("health_condition", "medication", "lab_test", "phone", "last_name"),
    ),
    Field(
        "clinical", None, "RENS_CLIN", "Renseignements cliniques", "clinical_info", False,
        text=("health_condition", "medication"),
    ),
    Field("sample_note", None, "COMM_PRELEV", "Commentaire prélèvement", "sample_note", False,
          text=()),
    Field("login", "login", "LOGIN", "Identifiant serveur résultats", "portal_login", True),
    Field("password", "password", "MDP", "Mot de passe", "portal_password", True),
    Field("account_created", "date", "DT_CREA_CPT", "Date création compte", "account_created",
          False),
    Field("last_ip", "ip_address", "IP_CNX", "Adresse IP dernière connexion", "last_login_ip",
          False),
    Field("barcode", None, "CODE_BARRE", "Code-barres tube", "tube_barcode", True),
    Field("amount", None, "MONTANT", "Montant", "amount", True),
    Field("refund", None, "MT_REMB", "Montant remboursé", "refunded_amount", False),
    Field("third_party", None, "TIERS_PAYANT", "Tiers payant", "third_party_payment", False),
    Field("operator", None, "OPERATEUR", "Opérateur", "operator", True),
    Field("sampler", None, "PRELEVEUR", "Préleveur", "sampler_code", False),
    Field("status", None, "STATUT", "Statut", "status", False),
    Field("urgent", None, "URGENT", "Urgent", "urgent", False),
    Field("tubes", None, "NB_TUBES", "Nombre de tubes", "tube_count", False),
    Field("specimen", None, "TYPE_ECH", "Type d'échantillon", "specimen_type", False),
    Field("specimen_number", None, "NUM_ECH", "N° échantillon", "specimen_number", False),
    Field("updated", "date", "DT_MAJ", "Date de mise à jour", "updated_at", False),
)  # fmt: skip

NIR_KEYS = {"full": ("nir",), "split": ("nir13", "nir_key"), "both": ("nir", "nir13", "nir_key"),
            "none": ()}  # fmt: skip


def select_fields(fields: str, nir: str) -> list[Field]:
    """The fields of an export, in file order."""
    wanted_nir = set(NIR_KEYS[nir])
    out = []
    for f in FIELDS:
        if f.key in NIR_KEYS["both"]:
            if f.key in wanted_nir:
                out.append(f)
        elif fields == "full" or f.standard:
            out.append(f)
    return out


def header_names(selected: list[Field], style: HeaderStyle) -> list[str]:
    if style == "meaningless":
        return [f"C{i:02d}" for i in range(1, len(selected) + 1)]
    return [getattr(f, style) for f in selected]
