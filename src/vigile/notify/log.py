"""Deprecated shim: notify's view of the notification log, for cnil.py only (use the case
store's `notification_entries` / `notification_states` and `vigile.case.EMAIL/LETTER`)."""

from __future__ import annotations

from ..case import EMAIL, LETTER

__all__ = ["EMAIL", "LETTER", "latest_states"]


def latest_states(store, incident_id: int, channel: str) -> dict[str, str]:
    return store.notification_states(incident_id, channel)
