"""The 72 h clock of GDPR art. 33, from awareness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from vigile.case import open_store
from vigile.case.clock import (
    TimeFormatError,
    deadline_clock,
    format_hours,
    parse_time,
    show_time,
    to_utc,
)

AWARE = datetime(2021, 2, 14, 9, 0, tzinfo=UTC)


def test_before_the_deadline():
    c = deadline_clock(AWARE, AWARE + timedelta(hours=30, minutes=30))
    assert c == {
        "deadline": "2021-02-17T10:00:00+01:00",  # shown in Paris time, zone included
        "deadline_utc": "2021-02-17T09:00:00+00:00",
        "hours_left": 41.5,
        "hours_late": 0.0,
        "overdue": False,
    }


def test_after_the_deadline():
    c = deadline_clock(AWARE, AWARE + timedelta(hours=80))
    assert (c["hours_left"], c["hours_late"], c["overdue"]) == (0.0, 8.0, True)


def test_exactly_at_the_deadline_is_not_late():
    assert deadline_clock(AWARE, AWARE + timedelta(hours=72))["overdue"] is False


def test_timezones_are_honoured():
    paris = timezone(timedelta(hours=1))
    c = deadline_clock(datetime(2021, 2, 14, 10, 0, tzinfo=paris), AWARE + timedelta(hours=71))
    assert c["hours_left"] == 1.0


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_left_and_late_are_complementary(minutes):
    c = deadline_clock(AWARE, AWARE + timedelta(minutes=minutes))
    assert min(c["hours_left"], c["hours_late"]) == 0.0
    assert abs((c["hours_left"] - c["hours_late"]) - (72 - minutes / 60)) < 0.01


def test_format_hours():
    assert format_hours(1.5) == "1 h 30 min"
    assert format_hours(49.25) == "2 j 01 h 15 min"
    assert format_hours(49.25, "en") == "2 d 01 h 15 min"


def test_a_time_without_zone_is_paris_time_whatever_the_machine_zone(monkeypatch):
    # Regression (issue 12): a naive time was read in the machine's zone.
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_time("2021-02-14T09:00") == datetime(2021, 2, 14, 8, 0, tzinfo=UTC)
        assert parse_time("2021-07-14 09:00") == datetime(2021, 7, 14, 7, 0, tzinfo=UTC)  # CEST
        assert to_utc(datetime(2021, 2, 14, 9, 0)) == datetime(2021, 2, 14, 8, 0, tzinfo=UTC)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert parse_time("2021-02-14T08:00Z") == datetime(2021, 2, 14, 8, 0, tzinfo=UTC)
    assert parse_time("2021-02-14T09:00+01:00") == datetime(2021, 2, 14, 8, 0, tzinfo=UTC)


def test_times_are_shown_in_paris_with_the_zone():
    assert show_time(AWARE) == "14/02/2021 10:00 (heure de Paris, UTC+01:00)"
    assert show_time(datetime(2021, 7, 1, 7, 0, tzinfo=UTC)) == (
        "01/07/2021 09:00 (heure de Paris, UTC+02:00)"
    )
    assert show_time(AWARE, "en") == "2021-02-14 10:00 Europe/Paris (UTC+01:00)"


@given(st.text(max_size=40))
def test_parse_time_raises_only_its_own_error(text):
    try:
        parse_time(text)
    except TimeFormatError as e:
        assert str(e).startswith("expected an ISO time")  # never echoes what was typed


def test_status_uses_the_clock_and_cnil_lateness(sqlite_url, key):
    with open_store(sqlite_url, key=key) as s:
        iid = s.new_incident("x", AWARE)
        early = s.status(iid, now=AWARE + timedelta(hours=2))
        assert early["clock"]["hours_left"] == 70.0 and "cnil_notified" in early["due"]
        late = s.status(iid, now=AWARE + timedelta(hours=100))
        assert late["clock"]["overdue"] and late["clock"]["hours_late"] == 28.0
        s.log_notification(iid, "cnil", "cnil", "sent")  # logged now: years after 2021
        st_ = s.status(iid)
        assert st_["steps"]["cnil_notified"]["done"]
        assert st_["clock"]["cnil_notified_late_hours"] > 24 * 365
