"""The data categories of ../shared/spec/categories.md: a public contract.

Ids are never renamed or repurposed; new ones may be added. Each belongs to
one GDPR class, which drives severity in triage.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    gdpr_class: str


CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        Category("nir", "French social security number (NIR / INS)", "identifier"),
        Category("last_name", "family, birth or usage name", "identity"),
        Category("first_name", "given names", "identity"),
        Category("birth_date", "date of birth", "identity"),
        Category("sex", "sex / gender code", "identity"),
        Category("address", "street address lines", "contact"),
        Category("postcode", "French postal code", "contact"),
        Category("city", "town / commune", "contact"),
        Category("phone", "phone number", "contact"),
        Category("email", "e-mail address", "contact"),
        Category("iban", "bank account number (IBAN, RIB)", "financial"),
        Category("insurance", "complementary insurer name or member number", "financial"),
        Category("blood_group", "ABO / Rhesus blood group", "health"),
        Category(
            "health_condition", "diagnoses, pathologies, pregnancy, disability, HIV", "health"
        ),
        Category("medication", "treatments, drug names, dosages", "health"),
        Category("lab_test", "lab analyses requested or their results", "health"),
        Category("rpps", "health professional identifier (RPPS, ADELI)", "professional"),
        Category("finess", "health establishment identifier (FINESS)", "professional"),
        Category("login", "user name / account id", "credential"),
        Category("password", "password, PIN or password hash", "credential"),
        Category("ip_address", "IPv4 / IPv6 address", "technical"),
        Category("date", "other date tied to a person", "quasi-identifier"),
    )
}

CATEGORY_IDS: tuple[str, ...] = tuple(CATEGORIES)
