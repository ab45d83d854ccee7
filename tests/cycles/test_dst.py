"""Meeting times across the daylight-saving changes, through the page, the edit form, the
invitation e-mail and its .ics, on both backends (TEST_BACKEND).

The product's rule (README, "The cycle flow"): the leader types a wall-clock time in
Europe/Copenhagen. A time in the hour that does not exist (02:00–02:59 on the last Sunday of
March) is read as standard time, so it is stored, shown and sent as one hour later (02:30 →
03:30); a time in the hour that comes twice (02:00–02:59 on the last Sunday of October) means
the first one, summer time. Saving the edit form unchanged never moves the meeting.

The expectations are computed by the EU rule itself (summer time from 01:00 UTC on the last
Sunday of March to 01:00 UTC on the last Sunday of October), not by ``zoneinfo``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.reminders.helpers import body, by_recipient, ics, run
from web.cycles.models import Cycle
from web.extensions import db
from web.tenancy import tenant_scope

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday morning, before every meeting below


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def summer(moment: datetime) -> bool:
    """Is Copenhagen on summer time (UTC+2) at this UTC moment (the EU rule)?"""
    year = moment.year
    starts = datetime.combine(last_sunday(year, 3), time(1), UTC)
    ends = datetime.combine(last_sunday(year, 10), time(1), UTC)
    return starts <= moment < ends


def stored_for(day: date, clock: time) -> datetime:
    """The UTC moment the product must store for a wall-clock time typed on ``day``."""
    hours = 2 if summer(datetime.combine(day, clock, UTC) - timedelta(hours=2)) else 1
    if day == last_sunday(day.year, 3) and clock.hour == 2:
        hours = 1  # the skipped hour: read as standard time
    if day == last_sunday(day.year, 10) and clock.hour == 2:
        hours = 2  # the repeated hour: the first one
    return datetime.combine(day, clock, UTC) - timedelta(hours=hours)


def wall_clock(moment: datetime) -> datetime:
    """The Copenhagen wall clock (naive) at a UTC moment."""
    return (moment + timedelta(hours=2 if summer(moment) else 1)).replace(tzinfo=None)


class Inputs(HTMLParser):
    """The form's input values by name, as the browser would send them back."""

    def __init__(self, page: str):
        super().__init__()
        self.values: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name") and attributes.get("type") != "submit":
            self.values[attributes["name"]] = attributes.get("value") or ""


EDIT = {
    "preparation_starts_on": "2027-03-01",
    "preparation_ends_on": "2027-03-14",
    "meeting_place": "Personalerummet",
    "follow_up_on": "2029-01-01",
}

# (day, typed, stored in UTC, shown) around both changes of 2027.
CASES = [
    (date(2027, 3, 28), "01:30", datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "01.30"),
    (date(2027, 3, 28), "02:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "03.30"),
    (date(2027, 3, 28), "03:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "03.30"),
    (date(2027, 3, 29), "13:00", datetime(2027, 3, 29, 11, 0, tzinfo=UTC), "13.00"),
    (date(2027, 10, 31), "01:30", datetime(2027, 10, 30, 23, 30, tzinfo=UTC), "01.30"),
    (date(2027, 10, 31), "02:30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "02.30"),
    (date(2027, 10, 31), "03:30", datetime(2027, 10, 31, 2, 30, tzinfo=UTC), "03.30"),
    (date(2027, 11, 1), "13:00", datetime(2027, 11, 1, 12, 0, tzinfo=UTC), "13.00"),
]


@pytest.fixture
def cycle(world, make):
    return make.started_cycle(world.tenant, world.team, world.leader)


def stored(app, world, cycle) -> datetime:
    with app.app_context(), tenant_scope(world.tenant.id):
        value = db.session.scalar(select(Cycle.meeting_at).where(Cycle.id == cycle.id))
        db.session.remove()
    return value


def edit(client, world, cycle, day: date, typed: str):
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/edit"
    reply = client.post(url, data={**EDIT, "meeting_on": day.isoformat(), "meeting_time": typed})
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]


def save_unchanged(client, world, cycle) -> dict[str, str]:
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/edit"
    values = Inputs(client.get(url).get_data(as_text=True)).values
    values.pop("csrf_token", None)
    reply = client.post(url, data=values)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    return values


@pytest.mark.parametrize(
    ("day", "typed", "utc", "shown"), CASES, ids=[f"{d}-{t}" for d, t, _, _ in CASES]
)
def test_a_meeting_time_near_a_change_is_stored_shown_and_kept(
    app, client, login, world, cycle, day, typed, utc, shown
):
    assert stored_for(day, time.fromisoformat(typed)) == utc  # the table agrees with the rule
    login(world.leader)
    edit(client, world, cycle, day, typed)
    assert stored(app, world, cycle) == utc
    assert stored(app, world, cycle).tzinfo is not None

    page = client.get(f"/t/{world.tenant.slug}/cycles/{cycle.id}").get_data(as_text=True)
    assert f"kl. {shown}" in page

    for _ in range(3):  # each unchanged save once added an hour on SQLite
        values = save_unchanged(client, world, cycle)
        assert values["meeting_time"] == shown.replace(".", ":")
        assert values["meeting_on"] == wall_clock(utc).date().isoformat()
        assert stored(app, world, cycle) == utc


@pytest.mark.parametrize(
    ("day", "typed", "utc", "shown"), CASES, ids=[f"{d}-{t}" for d, t, _, _ in CASES]
)
def test_the_invitation_and_its_calendar_file_name_the_same_time(
    app, client, login, world, cycle, smtp_server, day, typed, utc, shown
):
    login(world.leader)
    edit(client, world, cycle, day, typed)
    run(app, world.tenant.id, smtp_server, now=NOW)
    invitations = [m for m in smtp_server.messages if m["X-Aktorskab-Kind"] == "meeting_invitation"]
    assert invitations
    danish = next(m for m in invitations if "dialogmøde" in m["Subject"])
    assert f"kl. {shown}" in danish["Subject"]
    assert f"kl. {shown}" in body(danish, "plain")
    for message in invitations:
        calendar, part = ics(message)
        raw = part.get_content()
        local = wall_clock(utc)
        assert f"DTSTART;TZID=Europe/Copenhagen:{local:%Y%m%dT%H%M%S}" in raw
        [event] = calendar.walk("VEVENT")
        assert event["DTSTART"].dt.astimezone(UTC) == utc
    assert by_recipient(invitations)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    day=st.sampled_from(
        [last_sunday(2027, 3), last_sunday(2027, 10), last_sunday(2028, 3), last_sunday(2028, 10)]
    )
    | st.dates(date(2027, 3, 15), date(2028, 12, 31)),
    clock=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_any_typed_meeting_time_survives_the_round_trip(
    app, client, login, world, cycle, day, clock
):
    login(world.leader)
    edit(client, world, cycle, day, clock.strftime("%H:%M"))
    expected = stored_for(day, clock)
    assert stored(app, world, cycle) == expected
    values = save_unchanged(client, world, cycle)
    assert values["meeting_time"] == wall_clock(expected).strftime("%H:%M")
    assert stored(app, world, cycle) == expected
    page = client.get(f"/t/{world.tenant.slug}/cycles/{cycle.id}").get_data(as_text=True)
    assert re.search(rf"kl\. {wall_clock(expected):%H\.%M}\b", page)
