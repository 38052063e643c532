"""The same leak triaged on this machine and on Spark (local[2]): identical figures."""

from __future__ import annotations

import dataclasses

import pytest

from vigile.triage import triage_path

FIGURES = (
    "rows", "persons", "minors", "over_75", "categories", "health_mentions", "credentials",
    "departements", "departement_sources", "regions", "top_towns", "establishments",
    "prescribers", "time_span",
)  # fmt: skip


@pytest.fixture(scope="module")
def local(incident):
    return triage_path([incident.leak_csv])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_figures(spark, incident, local, fmt):
    from vigile.triage.spark import figures_spark

    source = incident.leak_csv if fmt == "csv" else incident.leak_parquet
    fig, *_, ref = figures_spark(spark, str(source))
    assert ref.isoformat() == local.age_reference_date
    assert local.persons > 100 and local.categories  # a real incident
    got = dataclasses.asdict(fig)
    for name in FIGURES:
        want = getattr(local, name)
        have = got[name]
        if isinstance(want, tuple):
            have = tuple(tuple(x) for x in have)
        assert have == want, name
    assert got["persons_by_key"] == local.person_key["persons_by_key"]


def test_same_report(spark, incident, local):
    from vigile.triage.spark import triage_spark

    result = triage_spark(spark, str(incident.leak_parquet))
    assert result.severity == local.severity
    assert result.duties == local.duties
    assert result.person_key["key"] == local.person_key["key"]
    assert result.not_found == local.not_found


def test_missing_source_is_one_line(spark, tmp_path):
    from vigile.triage.spark import SparkTriageError, triage_spark

    with pytest.raises(SparkTriageError) as err:
        triage_spark(spark, str(tmp_path / "absent.parquet"))
    assert "\n" not in str(err.value)
