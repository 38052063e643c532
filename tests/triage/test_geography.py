import json
from importlib import resources

from vigile.triage.geography import DEPARTEMENTS, REGIONS, departement_name, region_of


def test_every_departement_has_a_region_and_a_shape():
    assert len(DEPARTEMENTS) == 101
    outlines = json.loads(
        resources.files("vigile.triage").joinpath("mapdata/departements.json").read_text("utf-8")
    )
    overseas = {"971", "972", "973", "974", "976"}  # drawn as squares beside the map
    assert set(outlines["paths"]) == set(DEPARTEMENTS) - overseas
    assert "CC BY 4.0" in outlines["source"]
    assert all(region in REGIONS for _, region in DEPARTEMENTS.values())
    assert len(REGIONS) == 18


def test_lookups():
    assert region_of("29") == "53" and REGIONS[region_of("2A")] == "Corse"
    assert departement_name("974") == "La Réunion"
    assert departement_name("99") == "abroad"
    assert region_of("20") is None
