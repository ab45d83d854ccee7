"""When a reminder may go out: pure functions of a moment, with no database and no clock.

- only on Danish working days: never on a Saturday, a Sunday, a public holiday, nor on the days
  most workplaces treat as holidays (Grundlovsdag, juleaftensdag, nytårsaftensdag, 1. maj) —
  the ``holidays`` package's DK calendar, categories ``public`` and ``optional``;
- only inside the working window in Europe/Copenhagen (08:00–16:00 by default); a reminder that
  comes due outside it waits for the start of the next window;
- failures back off exponentially, and the retry, too, lands in a window.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays

from web.models import COPENHAGEN


@dataclass(frozen=True)
class SendWindow:
    """Working hours; ``always`` lifts every rule (tests and development, see the README)."""

    start: time = time(8, 0)
    end: time = time(16, 0)
    always: bool = False

    @classmethod
    def parse(cls, value: str) -> SendWindow:
        """``"08:00-16:00"`` or ``"always"``; raises ValueError otherwise."""
        value = value.strip().lower()
        if value == "always":
            return cls(always=True)
        match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", value)
        if not match:
            raise ValueError("expected HH:MM-HH:MM or always")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
            raise ValueError("expected HH:MM-HH:MM or always")
        start, end = time(h1, m1), time(h2, m2)
        if start >= end:
            raise ValueError("the window must start before it ends")
        return cls(start, end)


@functools.lru_cache(maxsize=64)
def _danish_holidays(year: int) -> frozenset[date]:
    days = holidays.country_holidays("DK", years=year, categories=("public", "optional"))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _danish_holidays(day.year)


def local_day(moment: datetime) -> date:
    """The calendar day in Copenhagen of an aware moment."""
    return moment.astimezone(COPENHAGEN).date()


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _window_start(day: date, window: SendWindow) -> datetime:
    return datetime.combine(day, window.start, COPENHAGEN).astimezone(UTC)


def next_send_time(moment: datetime, window: SendWindow) -> datetime:
    """``moment`` if a reminder may go out then, else the start of the next working window."""
    if window.always:
        return moment
    local = moment.astimezone(COPENHAGEN)
    day = local.date()
    if is_working_day(day):
        if local.time() < window.start:
            return _window_start(day, window)
        if local.time() < window.end:
            return moment
    return _window_start(next_working_day(day), window)


def next_day_send_time(moment: datetime, window: SendWindow) -> datetime:
    """The first moment on a later day (Copenhagen) when a reminder may go out.

    Used when today's slot for a (person, kind, cycle) is taken. With the ``always`` window
    that is local midnight tomorrow.
    """
    tomorrow = local_day(moment) + timedelta(days=1)
    if window.always:
        return datetime.combine(tomorrow, time(0), COPENHAGEN).astimezone(UTC)
    first = tomorrow if is_working_day(tomorrow) else next_working_day(tomorrow)
    return _window_start(first, window)


def backoff(attempts: int, base_seconds: int, cap_seconds: int = 6 * 3600) -> timedelta:
    """Wait before attempt ``attempts + 1``: base, 2×base, 4×base, … never more than the cap."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(base_seconds * 2 ** min(exponent, 30), cap_seconds))


def retry_time(now: datetime, attempts: int, base_seconds: int, window: SendWindow) -> datetime:
    """When a failed reminder is tried again: after the back-off, inside a window."""
    return next_send_time(now + backoff(attempts, base_seconds), window)
