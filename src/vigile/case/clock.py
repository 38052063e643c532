"""Time handling: stored in UTC, typed and shown in Europe/Paris with the zone named.

The GDPR art. 33 clock runs 72 h from awareness. A DPO types times in Paris time; a time
without a zone is read as Europe/Paris (never as the machine's zone, which on a server is
often UTC), and every time shown to a person carries its zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NOTIFICATION_DEADLINE = timedelta(hours=72)
PARIS = ZoneInfo("Europe/Paris")


class TimeFormatError(ValueError):
    """A time that cannot be read (the message shows the expected form)."""


def to_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as Europe/Paris time (what a DPO types)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def parse_time(text: str) -> datetime:
    """An ISO time as typed on the command line -> aware UTC.

    '2021-02-14T09:00' and '2021-02-14 09:00' are Paris time; '...+01:00' or '...Z' keep
    their zone. Raises TimeFormatError with the expected form.
    """
    value = (text or "").strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return to_utc(datetime.fromisoformat(value))
    except ValueError:
        raise TimeFormatError(
            "expected an ISO time such as 2021-02-14T09:00 (Paris time) or 2021-02-14T08:00Z"
        ) from None


def from_db(moment: datetime | None) -> datetime | None:
    """Databases hand back naive UTC (SQLite) or aware (PostgreSQL): normalise to aware UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def paris(moment: datetime) -> datetime:
    return to_utc(moment).astimezone(PARIS)


def show_time(moment: datetime | None, lang: str = "fr") -> str | None:
    """'14/02/2021 09:00 (heure de Paris, UTC+01:00)' / '2021-02-14 09:00 Europe/Paris (UTC+01:00)'."""
    if moment is None:
        return None
    local = paris(moment)
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    if lang == "en":
        return local.strftime("%Y-%m-%d %H:%M") + f" Europe/Paris ({zone})"
    return local.strftime("%d/%m/%Y %H:%M") + f" (heure de Paris, {zone})"


def deadline_clock(discovered: datetime, now: datetime) -> dict:
    """Deadline, hours left (>= 0) and hours late (>= 0) of the 72 h notification clock.

    `deadline` is ISO in Europe/Paris (with its offset), `deadline_utc` in UTC."""
    deadline = to_utc(discovered) + NOTIFICATION_DEADLINE
    remaining = (deadline - to_utc(now)).total_seconds() / 3600
    return {
        "deadline": paris(deadline).isoformat(),
        "deadline_utc": deadline.isoformat(),
        "hours_left": round(max(remaining, 0.0), 2),
        "hours_late": round(max(-remaining, 0.0), 2),
        "overdue": remaining < 0,
    }


def format_hours(hours: float, lang: str = "fr") -> str:
    """'2 j 05 h 30 min' (fr) / '2 d 05 h 30 min' (en), for people."""
    minutes = int(round(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    day = "j" if lang == "fr" else "d"
    return f"{days} {day} {h:02d} h {m:02d} min" if days else f"{h} h {m:02d} min"
