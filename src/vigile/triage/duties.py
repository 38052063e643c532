"""Legal duties that follow from the severity: GDPR art. 33 and 34, health-sector report."""

from __future__ import annotations

from dataclasses import dataclass

from .enisa import Severity


@dataclass(frozen=True)
class Duty:
    id: str  # "cnil_notification" | "inform_persons" | "health_incident_report"
    title: str
    due: bool
    deadline: str | None
    reasons: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "due": self.due,
            "deadline": self.deadline,
            "reasons": list(self.reasons),
        }


def legal_duties(
    sev: Severity, *, persons: int, health_data: bool, health_establishment: bool
) -> tuple[Duty, ...]:
    risky = sev.level != "low"
    high = sev.level in ("high", "very_high")
    lvl = (
        f"severity {sev.level.replace('_', ' ')} (ENISA score {sev.score:g}, gravité {sev.gravite})"
    )
    cnil = Duty(
        id="cnil_notification",
        title="Notification to the CNIL (GDPR art. 33)",
        due=risky or health_data,
        deadline="72 hours from awareness of the breach",
        reasons=(
            (
                f"{lvl}: the breach is likely to result in a risk to the persons' rights and freedoms",
            )
            if risky
            else (f"{lvl}: a risk is unlikely on the method's score alone",)
        )
        + (
            ("health data (GDPR art. 9) is exposed: a risk cannot be ruled out",)
            if health_data and not risky
            else ()
        )
        + ("whatever the outcome, record the breach in the internal register (art. 33(5))",),
    )
    persons_duty = Duty(
        id="inform_persons",
        title="Information of the persons concerned (GDPR art. 34)",
        due=high,
        deadline="without undue delay",
        reasons=(
            (
                f"{lvl}: high risk to the {persons:,} persons concerned",
                "exceptions of art. 34(3) do not apply to a file readable in clear; a public "
                "communication is allowed only if contacting each person would need "
                "disproportionate effort",
            )
            if high
            else (f"{lvl}: no high risk, so art. 34 does not require informing the persons",)
        ),
    )
    health = Duty(
        id="health_incident_report",
        title="Report of a serious security incident to the ARS (CERT Santé), "
        "art. L.1111-8-2 and R.1111-21 of the Code de la santé publique",
        due=health_establishment,
        deadline="without delay, through the health-sector incident reporting portal",
        reasons=(
            (
                "the data comes from a health establishment or medical lab (FINESS / lab "
                "columns or health data of patients): a leak of patient data is a serious "
                "security incident of its information system",
            )
            if health_establishment
            else ("no health establishment or lab identified as the origin",)
        ),
    )
    return (cnil, persons_duty, health)
