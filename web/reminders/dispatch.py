"""How many delivery chunks to enqueue: those the due rows lack beyond the chunks still queued.

Planning runs every REMINDER_PLAN_SECONDS and counts the due rows that no chunk has claimed
yet. Rows whose chunks are still waiting in the queue count again, so a backlog longer than
one period was enqueued again at every pass (at national scale tens of thousands of chunks
that found nothing to claim). ``reminder_dispatch`` keeps, per tenant and channel, the chunks
enqueued and not yet started: planning adds only the difference, and each chunk takes itself
off when it starts (``started``: its own short transaction, before its claim).

The count never decides what is sent (the outbox rows do, claimed under a lease), only how many
"go and look" messages are in the queue, so a wrong count costs time, never a reminder twice:
- too low (a chunk redelivered after its worker died takes itself off twice): one more chunk;
- too high (chunks lost with the broker): when neither an enqueue nor a start has happened
  for one lease (REMINDER_LEASE_SECONDS), the chunks are presumed lost and enqueued again.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from web.extensions import db
from web.reminders.models import Channel, ReminderDispatch


def chunks_to_enqueue(tenant_id: int, channel: Channel, due: int, now: datetime) -> int:
    """The chunks to enqueue for ``due`` rows now, recorded as queued in this transaction."""
    needed = math.ceil(due / current_app.config["REMINDER_CHUNK_SIZE"])
    row = _row(tenant_id, channel)
    if row is None:
        if not needed:
            return 0
        row = ReminderDispatch(tenant_id=tenant_id, channel=channel, queued=0)
        try:
            with db.session.begin_nested():  # another planner may have made it a moment ago
                db.session.add(row)
        except IntegrityError:
            row = _row(tenant_id, channel)
    lost = timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])
    last = max((t for t in (row.queued_at, row.started_at) if t is not None), default=None)
    if row.queued and (last is None or last < now - lost):
        row.queued = 0
    missing = max(needed - row.queued, 0)
    if missing:
        row.queued += missing
        row.queued_at = now
    return missing


def queued_one_more(tenant_id: int, channel: Channel, now: datetime) -> None:
    """A chunk enqueued by another chunk (one that stopped at half its lease)."""
    db.session.execute(
        update(ReminderDispatch)
        .where(ReminderDispatch.tenant_id == tenant_id, ReminderDispatch.channel == channel)
        .values(queued=ReminderDispatch.queued + 1, queued_at=now)
    )


def started(tenant_id: int, channel: Channel, now: datetime) -> None:
    """A chunk of ``channel`` starts: one fewer queued (committed at once)."""
    db.session.execute(
        update(ReminderDispatch)
        .where(ReminderDispatch.tenant_id == tenant_id, ReminderDispatch.channel == channel)
        .values(
            queued=case((ReminderDispatch.queued > 0, ReminderDispatch.queued - 1), else_=0),
            started_at=now,
        )
    )
    db.session.commit()


def _row(tenant_id: int, channel: Channel) -> ReminderDispatch | None:
    return db.session.scalar(
        select(ReminderDispatch).filter_by(tenant_id=tenant_id, channel=channel).with_for_update()
    )
