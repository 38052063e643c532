"""Notify's view of the case's notification log (through the case store's public API)."""

from __future__ import annotations

from collections.abc import Iterable

from ..case import EMAIL, LETTER

__all__ = ["EMAIL", "LETTER", "affected_pages", "entries", "latest_states", "log_many"]


def log_many(
    store,
    incident_id: int,
    channel: str,
    state: str,
    rows: Iterable[tuple[str, dict | None]],
    audit: dict | None = None,
) -> int:
    return store.log_notifications(incident_id, channel, state, rows, audit)


def entries(store, incident_id: int, channel: str) -> list[tuple[str, str, dict]]:
    return store.notification_entries(incident_id, channel)


def latest_states(store, incident_id: int, channel: str) -> dict[str, str]:
    return store.notification_states(incident_id, channel)


def affected_pages(store, incident_id: int, page_size: int):
    return store.affected_pages(incident_id, page_size, purpose="affected.read")
