"""The reminder tests' moments and their one team with a cycle (the fixture: conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from web.extensions import db
from web.reminders.models import ReminderOutbox
from web.tenancy import tenant_scope

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)
MEETING = datetime(2026, 12, 15, 9, 30, tzinfo=UTC)  # 10:30 in Copenhagen


@dataclass
class Team:
    tenant: object
    unit: object
    leader: object
    dane: object
    brit: object
    cycle: object

    @property
    def members(self):
        return [self.leader, self.dane, self.brit]


def make_team(make, *, slug: str | None = None, **cycle_kw) -> Team:
    tenant = make.tenant(slug, default_locale="da")
    unit = make.unit(tenant, "Team Nord")
    leader = make.user(tenant, "Lene Leder", leader_of=unit)
    dane = make.user(tenant, "Dorte Dansk", unit=unit, locale="da")
    brit = make.user(tenant, "Bob British", unit=unit, locale="en")
    cycle_kw.setdefault("preparation_starts_on", TODAY - timedelta(days=3))
    cycle_kw.setdefault("preparation_ends_on", TODAY + timedelta(days=10))
    cycle_kw.setdefault("follow_up_on", TODAY + timedelta(days=60))
    cycle = make.cycle(tenant, unit, leader=leader, **cycle_kw)
    return Team(tenant, unit, leader, dane, brit, cycle)


def outbox(tenant_id: int) -> list[ReminderOutbox]:
    with tenant_scope(tenant_id):
        return list(
            db.session.scalars(
                db.select(ReminderOutbox).order_by(ReminderOutbox.kind, ReminderOutbox.recipient_id)
            )
        )
