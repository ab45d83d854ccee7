"""Planning Teams posts: outbox rows (``channel`` teams) under their own unique key.

What suits a channel the whole team reads, and nothing about one person's answers:

- a cycle's preparation has opened (due key: the day it opened);
- its meeting is set, or moved (due key: the meeting's sequence, as the e-mails' .ics; the
  first post for a cycle is an invitation, a later one an update);
- the team's agreed actions past their due date, once a week while there are any (due key:
  the ISO week).

A cycle's posts go to its unit's webhook, else the tenant's. The rows are few (one per cycle,
not one per member), so they are found in Python and inserted with ``ON CONFLICT DO NOTHING``:
two planners racing insert each row once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from web.cycles.models import OPEN_ACTION_STATUSES, Action, Cycle, Phase
from web.extensions import db
from web.reminders.cadence import local_day, next_send_time
from web.reminders.models import (
    MEETING_KINDS,
    Channel,
    OutboxStatus,
    ReminderKind,
    ReminderMeeting,
    ReminderOutbox,
)
from web.teams.services import webhook_by_unit, webhook_for

TEAMS_KEY = ["webhook_id", "kind", "target_id", "due_key"]
UPCOMING_MEETING_PHASES = (Phase.PREPARATION, Phase.MEETING)


def iso_week(day: date) -> str:
    week = day.isocalendar()
    return f"{week.year}-W{week.week:02d}"


def plan_posts(tenant_id: int, now: datetime, window) -> dict[str, int]:
    """Insert the tenant's due Teams posts; counts per kind ({} without a webhook)."""
    hooks = webhook_by_unit(tenant_id)
    if not hooks:
        return {}
    today = local_day(now)
    query = select(Cycle).where(Cycle.tenant_id == tenant_id, Cycle.phase != Phase.CLOSED)
    if None not in hooks:
        query = query.where(Cycle.unit_id.in_([u for u in hooks if u is not None]))
    cycles = list(db.session.scalars(query))
    if not cycles:
        return {}
    ids = [c.id for c in cycles]
    meetings = {
        m.cycle_id: m
        for m in db.session.scalars(
            select(ReminderMeeting).where(ReminderMeeting.cycle_id.in_(ids))
        )
    }
    earlier = db.session.execute(
        select(
            ReminderOutbox.webhook_id,
            ReminderOutbox.target_id,
            ReminderOutbox.due_key,
            ReminderOutbox.status,
        ).where(
            ReminderOutbox.tenant_id == tenant_id,
            ReminderOutbox.channel == Channel.TEAMS,
            ReminderOutbox.kind.in_(MEETING_KINDS),
            ReminderOutbox.target_id.in_(ids),
        )
    ).all()
    overdue = set(
        db.session.scalars(
            select(Action.cycle_id)
            .where(
                Action.tenant_id == tenant_id,
                Action.cycle_id.in_(ids),
                Action.status.in_(OPEN_ACTION_STATUSES),
                Action.due_on < today,
            )
            .distinct()
        )
    )
    wanted: list[tuple[int, ReminderKind, int, str]] = []
    for cycle in cycles:
        hook = webhook_for(cycle.unit_id, hooks)
        if hook is None:
            continue
        if (
            cycle.phase == Phase.PREPARATION
            and cycle.preparation_starts_on <= today <= cycle.preparation_ends_on
        ):
            wanted.append(
                (
                    hook,
                    ReminderKind.PREPARATION_OPENED,
                    cycle.id,
                    cycle.preparation_starts_on.isoformat(),
                )
            )
        meeting = meetings.get(cycle.id)
        if (
            meeting is not None
            and cycle.meeting_at is not None
            and cycle.meeting_at > now
            and cycle.phase in UPCOMING_MEETING_PHASES
        ):
            sequence = str(meeting.sequence)
            posted = [
                (key, status)
                for h, target, key, status in earlier
                if h == hook and target == cycle.id
            ]
            if all(key != sequence for key, _ in posted):
                announced = any(status != OutboxStatus.CANCELLED for _, status in posted)
                wanted.append(
                    (
                        hook,
                        ReminderKind.MEETING_UPDATED
                        if announced
                        else ReminderKind.MEETING_INVITATION,
                        cycle.id,
                        sequence,
                    )
                )
        if cycle.id in overdue:
            wanted.append((hook, ReminderKind.ACTION_OVERDUE, cycle.id, iso_week(today)))
    return _insert(tenant_id, wanted, now, next_send_time(now, window))


def _insert(tenant_id: int, wanted, now: datetime, not_before: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not wanted:
        return counts
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for hook, kind, cycle_id, due_key in wanted:
        result = db.session.execute(
            insert(ReminderOutbox.__table__)
            .values(
                tenant_id=tenant_id,
                channel=Channel.TEAMS,
                webhook_id=hook,
                kind=kind,
                target_id=cycle_id,
                due_key=due_key,
                cycle_id=cycle_id,
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=not_before,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=TEAMS_KEY),
            execution_options={"preserve_rowcount": True},
        )
        if result.rowcount > 0:
            name = f"teams_{kind.value}"
            counts[name] = counts.get(name, 0) + result.rowcount
    return counts
