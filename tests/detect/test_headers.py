import pytest

from vigile.detect.headers import best_header_hit, header_hits, header_tokens


def test_tokens_split_camel_case_digits_and_accents():
    assert header_tokens("DateNaissance") == ("date", "naissance")
    assert header_tokens("Date de naissance") == ("date", "naissance")
    assert header_tokens("ADR1") == ("adr", "1")
    assert header_tokens("N° SS") == ("n", "ss")
    assert header_tokens("Téléphone portable") == ("telephone", "portable")


@pytest.mark.parametrize(
    ("header", "category"),
    [
        ("NSS", "nir"), ("N° SS", "nir"), ("NIR", "nir"), ("INS", "nir"), ("NUM_SECU", "nir"),
        ("DDN", "birth_date"), ("DT_NAIS", "birth_date"), ("Date de naissance", "birth_date"),
        ("DateNaissance", "birth_date"), ("DATENAISSANCE", "birth_date"), ("date_of_birth", "birth_date"),
        ("NOM", "last_name"), ("NOM_NAIS", "last_name"), ("NOM_JF", "last_name"),
        ("NOM_USAGE", "last_name"), ("MED_PRESC", "last_name"), ("PRENOM", "first_name"),
        ("Prénoms", "first_name"), ("SEXE", "sex"), ("ADR1", "address"), ("ADRESSE", "address"),
        ("CP", "postcode"), ("CODE_POSTAL", "postcode"), ("VILLE", "city"), ("COMMUNE", "city"),
        ("TEL", "phone"), ("TEL_PORT", "phone"), ("PORTABLE", "phone"), ("MAIL", "email"),
        ("COURRIEL", "email"), ("MUT", "insurance"), ("MUTUELLE", "insurance"), ("AMC", "insurance"),
        ("NUM_ADH", "insurance"), ("NOM_MUTUELLE", "insurance"), ("IBAN", "iban"), ("RIB", "iban"),
        ("GRP_SANG", "blood_group"), ("GROUPE_SANGUIN", "blood_group"), ("RHESUS", "blood_group"),
        ("GROSSESSE", "health_condition"), ("ALD", "health_condition"), ("TRAITEMENT", "medication"),
        ("ANALYSES", "lab_test"), ("EXAMENS", "lab_test"), ("RPPS", "rpps"), ("ADELI", "rpps"),
        ("FINESS", "finess"), ("LOGIN", "login"), ("IDENTIFIANT", "login"), ("MDP", "password"),
        ("PASSWORD", "password"), ("Mot de passe", "password"), ("IP", "ip_address"),
        ("DT_PRELEV", "date"), ("DATE_RECEPTION", "date"), ("CLE", "nir"),
    ],
)  # fmt: skip
def test_header_hints(header, category):
    hit = best_header_hit(header)
    assert hit is not None and hit.category == category


@pytest.mark.parametrize(
    "header", ["C01", "C12", "col_3", "field7", "N_ECH", "MONTANT", "OPERATEUR"]
)
def test_meaningless_or_decoy_headers_have_no_hint(header):
    assert best_header_hit(header) is None


@pytest.mark.parametrize(
    ("header", "category"),
    [
        # Regression: dots that only separate words (bench_mutations' style 5) were read as a
        # table qualifier, leaving `date` of a birth date and `naissance` of a birth name.
        ("birth.date", "birth_date"), ("nom.naissance", "last_name"),
        ("date.prelevement", "date"), ("PAT_birth.date", "birth_date"),
        ("tbl_nom.naissance_2", "last_name"), ("Patient.NomPatronymique", "last_name"),
        # A table qualifier still goes: the part after the dot names the column.
        ("T_EXAM.NOM", "last_name"), ("Patient.ddn", "birth_date"), ("LIS.PRENOM", "first_name"),
        # Regression: an identifier word qualified by an insurer is the member number, not
        # an account's login.
        ("IDENTIFIANT_AMC", "insurance"), ("identifiantAmc", "insurance"),
        ("Identifiant AMC", "insurance"), ("PAT_IDENTIFIANT_AMC", "insurance"),
        ("IDENTIFIANT", "login"), ("ID_WEB", "login"), ("PAT_IDENTIFIANT", "login"),
    ],
)  # fmt: skip
def test_dotted_words_and_qualified_identifiers(header, category):
    hit = best_header_hit(header)
    assert hit is not None and hit.category == category


@pytest.mark.parametrize(
    ("dotted", "underscored"),
    [("codes.actes", "CODES_ACTES"), ("login.resultats", "LOGIN_RESULTATS"),
     ("PAT_codes.actes", "PAT_CODES_ACTES"), ("T_EXAM.codes.actes", "T_EXAM_CODES_ACTES"),
     ("pat_login.resultats", "PAT_LOGIN_RESULTATS"), ("PAT_codes.actes2", "PAT_CODES_ACTES2"),
     ("codes.actes_01", "CODES_ACTES_01")],
)  # fmt: skip
def test_lowercase_dotted_words_read_as_one_name(dotted, underscored):
    # Regression (bench_mutations tune3): `codes.actes` was read as `actes` alone, a whole
    # lab-test header, so NABM act codes were typed lab_test and `login.resultats` logins
    # lab_test; written with dots, a name reads as it does with underscores.
    assert header_hits(dotted) == header_hits(underscored)
    assert best_header_hit(dotted).strength < 1.0


def test_act_codes_and_logins_under_dotted_headers_keep_their_content():
    import random

    import polars as pl

    from vigile.detect import classify

    r = random.Random(7)
    codes = [f"{r.randrange(10_000):04d}" for _ in range(40)]
    acts = [" ".join(r.sample(codes, r.randint(1, 3))) for _ in range(400)]
    firsts = ["jean", "marie", "paul", "anne", "luc", "julie", "pierre", "sophie"]
    lasts = ["martin", "bernard", "dupont", "durand", "petit", "moreau", "simon", "roux"]
    logins = [f"{r.choice(firsts)}.{r.choice(lasts)}{r.randrange(100)}" for _ in range(400)]
    secrets = ["".join(r.choices("abcdefghjkmnpqrstuvwxyzABCDEFGH23456789!?", k=r.randint(8, 14)))
               for _ in range(400)]  # fmt: skip
    df = pl.DataFrame({"codes.actes": acts, "login.resultats": logins, "mot.de.passe": secrets})
    got = {f.name: f.category for f in classify(df)}
    assert got == {"codes.actes": None, "login.resultats": "login", "mot.de.passe": "password"}
