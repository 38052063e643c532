"""Against the generator's ground truth: persons exact with a NIR, within 1 % without one."""

import datetime as dt

import pytest

from vigile.synth import ExportSpec, generate_lab_export
from vigile.triage import triage_path


@pytest.fixture(scope="module", params=["full", "none", "split"])
def export(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / f"export_{request.param}.csv"
    truth = generate_lab_export(
        ExportSpec(rows=4000, seed=11, fields="full", nir=request.param), path
    )
    result = triage_path(path, reference_date=dt.date.fromisoformat(truth.age_reference_date))
    return request.param, truth, result


def test_persons_and_ages(export):
    nir, truth, r = export
    assert r.rows == truth.rows
    if nir == "none":
        assert abs(r.persons - truth.persons) <= 0.01 * truth.persons
        assert r.person_key["key"] == "last_name+first_name+birth_date"
    else:
        assert r.persons == truth.persons
        assert r.person_key["key"].startswith("nir (with birth date) else")
    assert abs(r.minors - truth.minors) <= 0.01 * truth.persons
    assert abs(r.over_75 - truth.over_75) <= 0.01 * truth.persons


def test_departements_and_passwords(export):
    _, truth, r = export
    assert r.departements == {d: n for d, n in truth.persons_by_departement.items() if n}
    assert r.credentials["plain_text"] == truth.passwords["plain"]
    assert r.credentials["hashed_only"] == truth.passwords["hash"]


def test_health_kinds_and_severity(export):
    _, truth, r = export
    for kind in ("pregnancy", "hiv", "disability"):
        assert r.health_mentions[kind] == pytest.approx(truth.health_mentions[kind], rel=0.05)
    assert r.severity.level == "very_high" and r.severity.score == 5.0
    assert all(d.due for d in r.duties)
    assert len(r.establishments) > 1 and r.prescribers
