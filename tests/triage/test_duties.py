from vigile.triage.duties import legal_duties
from vigile.triage.enisa import Circumstances, assess


def _duties(sev, **kw):
    return {d.id: d for d in legal_duties(sev, persons=1000, **kw)}


def test_very_high_health_leak_triggers_every_duty():
    sev = assess({"nir", "health_condition"}, health_conditions=True, health_context=True)
    d = _duties(sev, health_data=True, health_establishment=True)
    assert d["cnil_notification"].due and "72 hours" in d["cnil_notification"].deadline
    assert d["inform_persons"].due
    assert d["health_incident_report"].due
    assert all(x.reasons for x in d.values())


def test_low_risk_without_health_data_needs_only_the_register():
    sev = assess({"phone"}, Circumstances(unknown_recipients=False, malicious=False))
    assert sev.level == "low"
    d = _duties(sev, health_data=False, health_establishment=False)
    assert not d["cnil_notification"].due
    assert any("register" in r for r in d["cnil_notification"].reasons)
    assert not d["inform_persons"].due
    assert not d["health_incident_report"].due


def test_medium_risk_notifies_cnil_but_not_persons():
    sev = assess({"last_name", "first_name", "phone"}, Circumstances(malicious=True))
    assert sev.level == "medium"
    d = _duties(sev, health_data=False, health_establishment=False)
    assert d["cnil_notification"].due and not d["inform_persons"].due
