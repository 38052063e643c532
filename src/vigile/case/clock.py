"""Time handling: everything stored in UTC; the GDPR art. 33 clock runs 72 h from awareness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOTIFICATION_DEADLINE = timedelta(hours=72)


def to_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as local time (what a user types on the CLI)."""
    return moment.astimezone(UTC)


def from_db(moment: datetime | None) -> datetime | None:
    """Databases hand back naive UTC (SQLite) or aware (PostgreSQL): normalise to aware UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def deadline_clock(discovered: datetime, now: datetime) -> dict:
    """Deadline, hours left (>= 0) and hours late (>= 0) of the 72 h notification clock."""
    deadline = to_utc(discovered) + NOTIFICATION_DEADLINE
    remaining = (deadline - to_utc(now)).total_seconds() / 3600
    return {
        "deadline": deadline.isoformat(),
        "hours_left": round(max(remaining, 0.0), 2),
        "hours_late": round(max(-remaining, 0.0), 2),
        "overdue": remaining < 0,
    }


def format_hours(hours: float) -> str:
    """'2 d 05 h 30 min' style, for people."""
    minutes = int(round(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    return f"{days} d {h:02d} h {m:02d} min" if days else f"{h} h {m:02d} min"
