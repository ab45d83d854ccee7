"""``web.models.UtcDateTime``, the one column type of every moment in time: any aware datetime
comes back as the same instant, tz-aware in UTC, on the backend of the run (TEST_BACKEND); a
naive one is refused before it reaches the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, inspect, select
from sqlalchemy.exc import StatementError

from web.cycles.models import Cycle
from web.extensions import db
from web.models import UtcDateTime
from web.tenancy import tenant_scope

zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# hypothesis takes naive bounds and draws the zone itself
moments = st.datetimes(
    min_value=datetime(2000, 1, 2),  # noqa: DTZ001
    max_value=datetime(2099, 12, 30),  # noqa: DTZ001
    timezones=zones,
)


def test_every_datetime_column_of_every_model_is_utc_datetime(app):
    plain = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime) and not isinstance(column.type, UtcDateTime)
    ]
    assert plain == []
    assert any(isinstance(c.type, UtcDateTime) for c in inspect(Cycle).columns)


@pytest.fixture
def cycle(make):
    tenant = make.tenant("utc")
    unit = make.unit(tenant)
    return tenant, make.cycle(tenant, unit)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=moments)
def test_any_aware_moment_comes_back_as_the_same_instant_in_utc(app, cycle, moment):
    tenant, row = cycle
    with app.app_context(), tenant_scope(tenant.id):
        db.session.get(Cycle, row.id).meeting_at = moment
        db.session.commit()
        db.session.expunge_all()
        back = db.session.scalar(select(Cycle.meeting_at).where(Cycle.id == row.id))
        # Compared in the database too: the stored values order as the instants do.
        later = db.session.scalar(
            select(Cycle.id).where(
                Cycle.id == row.id,
                Cycle.meeting_at < moment + timedelta(microseconds=1),
                Cycle.meeting_at > moment - timedelta(microseconds=1),
            )
        )
        db.session.remove()
    assert back == moment
    assert back.utcoffset() == timedelta(0) and back.tzinfo is UTC
    assert (back.year, back.hour, back.minute) == (
        (moment - moment.utcoffset()).replace(tzinfo=None).year,
        (moment - moment.utcoffset()).replace(tzinfo=None).hour,
        (moment - moment.utcoffset()).replace(tzinfo=None).minute,
    )
    assert later == row.id


def test_a_naive_datetime_is_refused(app, cycle):
    tenant, row = cycle
    with app.app_context(), tenant_scope(tenant.id):
        db.session.get(Cycle, row.id).meeting_at = datetime(2027, 3, 28, 2, 30)  # noqa: DTZ001 - a naive value is refused
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.flush()
        db.session.rollback()
