"""CaseStore.record_provenance: a traced found file recorded with the case, and the CNIL
form's origin.circumstances answered unless the DPO answered it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigile.case import IncidentNotFoundError, open_store

DISCOVERED = datetime(2021, 2, 14, 9, 0, tzinfo=UTC)
MATCH = {"export": "extraction-janvier", "recipient": "Éditeur X", "purpose": "migration",
         "rows_matched": 480, "share": 0.96, "canaries": 1, "confidence": 0.9999}  # fmt: skip
ORIGIN = "Le fichier trouvé provient de l'export « extraction-janvier »."


@pytest.fixture
def store(sqlite_url, key):
    with open_store(sqlite_url, key=key, actor="dpo") as s:
        yield s


def test_records_evidence_answer_and_audit(store):
    iid = store.new_incident("fuite", DISCOVERED)
    done = store.record_provenance(iid, path="found.csv", sha256="ab" * 32, size=10,
                                   origin=ORIGIN, matches=[MATCH], found_where="forum")  # fmt: skip
    assert done.evidence_added and done.origin_set and done.answer == ORIGIN
    ev = store.evidence(iid)
    assert [(e.path, e.sha256, e.found_where) for e in ev] == [("found.csv", "ab" * 32, "forum")]
    inc = store.incident_by_id(iid)
    assert inc.settings["cnil_answers"]["origin.circumstances"] == ORIGIN
    assert inc.settings["provenance"]["ab" * 32]["matches"] == [MATCH]
    assert store.verify_audit()
    # the same file again: evidence once, the answer unchanged
    again = store.record_provenance(iid, path="found.csv", sha256="AB" * 32, size=10,
                                    origin=ORIGIN, matches=[MATCH])  # fmt: skip
    assert not again.evidence_added and again.origin_set
    assert len(store.evidence(iid)) == 1


def test_a_later_trace_replaces_a_trace_answer_not_the_dpo_answer(store):
    iid = store.new_incident("fuite", DISCOVERED)
    store.record_provenance(iid, path="a.csv", sha256="aa" * 32, size=1, origin=ORIGIN,
                            matches=[MATCH])  # fmt: skip
    second = "Le fichier trouvé provient des exports « a » et « b »."
    done = store.record_provenance(iid, path="b.csv", sha256="bb" * 32, size=1, origin=second,
                                   matches=[])  # fmt: skip
    assert done.origin_set and done.answer == second  # an answer a trace wrote is replaced
    dpo = "Extraction faite lors de la migration du SIL, confiée à l'éditeur X."
    store.update_settings(iid, cnil_answers={"origin.circumstances": dpo, "other": "x"})
    done = store.record_provenance(iid, path="c.csv", sha256="cc" * 32, size=1, origin=ORIGIN,
                                   matches=[MATCH])  # fmt: skip
    assert not done.origin_set and done.answer == dpo
    settings = store.incident_by_id(iid).settings
    assert settings["cnil_answers"] == {"origin.circumstances": dpo, "other": "x"}
    assert set(settings["provenance"]) == {"aa" * 32, "bb" * 32, "cc" * 32}  # all recorded


def test_bad_input_changes_nothing(store):
    iid = store.new_incident("fuite", DISCOVERED)
    with pytest.raises(ValueError, match="sha256"):
        store.record_provenance(iid, path="a", sha256="xyz", size=1, origin=ORIGIN, matches=[])
    with pytest.raises(ValueError, match="origin"):
        store.record_provenance(iid, path="a", sha256="aa" * 32, size=1, origin="", matches=[])
    with pytest.raises(IncidentNotFoundError):
        store.record_provenance(iid + 7, path="a", sha256="aa" * 32, size=1, origin=ORIGIN,
                                matches=[])  # fmt: skip
    assert store.evidence(iid) == [] and store.incident_by_id(iid).settings == {}
