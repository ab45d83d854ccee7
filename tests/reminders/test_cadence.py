"""The cadence rules are pure functions of a moment: working days, working hours, back-off."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from web.reminders.cadence import (
    COPENHAGEN,
    SendWindow,
    backoff,
    is_working_day,
    local_day,
    next_day_send_time,
    next_send_time,
    next_working_day,
    retry_time,
)

WINDOW = SendWindow()  # 08:00-16:00


def cph(*args) -> datetime:
    return datetime(*args, tzinfo=COPENHAGEN)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 7), True),  # Monday
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 4, 2), False),  # Skærtorsdag
        (date(2026, 4, 3), False),  # Langfredag
        (date(2026, 4, 6), False),  # 2. påskedag
        (date(2026, 5, 14), False),  # Kristi himmelfartsdag
        (date(2026, 5, 25), False),  # 2. pinsedag
        (date(2026, 6, 5), False),  # Grundlovsdag
        (date(2026, 12, 24), False),  # Juleaftensdag
        (date(2026, 12, 25), False),
        (date(2026, 12, 31), False),  # Nytårsaftensdag
        (date(2027, 1, 1), False),
        (date(2026, 5, 1), False),  # 1. maj
        (date(2026, 5, 8), True),  # Store bededag, abolished from 2024
        (date(2023, 5, 5), False),  # … but a holiday before
    ],
)
def test_working_days_skip_weekends_and_danish_holidays(day, working):
    assert is_working_day(day) is working


def test_next_working_day_jumps_over_christmas_and_a_weekend():
    assert next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 12, 30)) == date(2027, 1, 4)


def test_inside_the_window_a_reminder_goes_at_once():
    moment = cph(2026, 12, 7, 10, 0)
    assert next_send_time(moment, WINDOW) == moment


def test_before_the_window_it_waits_for_eight_oclock_the_same_day():
    assert next_send_time(cph(2026, 12, 7, 6, 30), WINDOW) == cph(2026, 12, 7, 8, 0)


def test_after_the_window_it_waits_for_the_next_working_morning():
    assert next_send_time(cph(2026, 12, 7, 16, 0), WINDOW) == cph(2026, 12, 8, 8, 0)
    # Friday evening → Monday morning
    assert next_send_time(cph(2026, 12, 4, 17, 0), WINDOW) == cph(2026, 12, 7, 8, 0)
    # Maundy Thursday morning → the Tuesday after Easter
    assert next_send_time(cph(2026, 4, 2, 9, 0), WINDOW) == cph(2026, 4, 7, 8, 0)


def test_the_window_is_copenhagen_time_across_daylight_saving():
    # 06:30 UTC is 07:30 in winter (wait until 07:00 UTC) and 08:30 in summer (go now).
    winter = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 8, 6, 30, tzinfo=UTC)
    assert next_send_time(winter, WINDOW) == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    assert next_send_time(summer, WINDOW) == summer
    # The day of the spring change (Sunday 29 March 2026) → Monday 08:00 CEST = 06:00 UTC.
    assert next_send_time(datetime(2026, 3, 29, 12, tzinfo=UTC), WINDOW) == datetime(
        2026, 3, 30, 6, 0, tzinfo=UTC
    )


def test_local_day_is_the_copenhagen_calendar_day():
    assert local_day(datetime(2026, 12, 6, 23, 30, tzinfo=UTC)) == date(2026, 12, 7)


def test_always_lifts_every_rule():
    saturday_night = cph(2026, 12, 5, 23, 0)
    assert next_send_time(saturday_night, SendWindow.parse("always")) == saturday_night


def test_next_day_send_time_is_the_next_working_window():
    assert next_day_send_time(cph(2026, 12, 4, 9, 0), WINDOW) == cph(2026, 12, 7, 8, 0)
    assert next_day_send_time(cph(2026, 12, 4, 9, 0), SendWindow.parse("always")) == cph(
        2026, 12, 5, 0, 0
    )


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, 60).total_seconds() for n in range(1, 6)] == [60, 120, 240, 480, 960]
    assert backoff(40, 60) == timedelta(hours=6)


def test_a_retry_lands_inside_a_window():
    late = cph(2026, 12, 7, 15, 59)
    assert retry_time(late, 3, 60, WINDOW) == cph(2026, 12, 8, 8, 0)
    assert retry_time(cph(2026, 12, 7, 10, 0), 1, 60, WINDOW) == cph(2026, 12, 7, 10, 1)


@pytest.mark.parametrize("text", ["8-16", "16:00-08:00", "25:00-26:00", "", "sometimes"])
def test_bad_windows_are_refused(text):
    with pytest.raises(ValueError, match=r"window|HH:MM"):
        SendWindow.parse(text)


def test_a_window_parses():
    assert SendWindow.parse("07:30-15:00") == SendWindow(time(7, 30), time(15, 0))
