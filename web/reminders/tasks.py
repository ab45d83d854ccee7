"""Reminder tasks: beat → one planning task per tenant → delivery tasks, one per chunk.

Task bodies only parse arguments and call the services; every decision is in the database
(``services.plan`` and ``delivery.deliver_chunk``), so any task may run twice, late, or on two
workers at once without sending anything twice.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from celery import shared_task

from web.models import utcnow
from web.reminders import delivery, dispatch, services
from web.reminders.models import Channel
from web.tasking import enqueue_after_commit, fan_out, tenant_task


def _moment(now: str | None) -> datetime:
    """Tasks run on the clock; tests and the CLI may pass an ISO timestamp instead."""
    return datetime.fromisoformat(now) if now else utcnow()


@shared_task(name="web.reminders.tasks.plan_all_tenants")
def plan_all_tenants() -> int:
    """The beat's entry: fan out one planning task per tenant (tenants are not tenant-scoped)."""
    return fan_out(plan_tenant)


@shared_task(name="web.reminders.tasks.plan_tenant")
@tenant_task
def plan_tenant(tenant_id: int, now: str | None = None) -> dict:
    """Recover abandoned claims, plan what is due, then enqueue the delivery chunks it lacks
    (those still queued from an earlier pass count: ``dispatch``)."""
    moment = _moment(now)
    result = plan_due(tenant_id, moment)
    result["chunks"] = dispatch.chunks_to_enqueue(tenant_id, Channel.EMAIL, result["due"], moment)
    result["teams_chunks"] = dispatch.chunks_to_enqueue(
        tenant_id, Channel.TEAMS, result["teams_due"], moment
    )
    for _ in range(result["chunks"]):
        enqueue_after_commit(deliver_reminders, tenant_id, now)
    for _ in range(result["teams_chunks"]):
        enqueue_after_commit(deliver_teams_posts, tenant_id, now)
    return result


def plan_due(tenant_id: int, moment: datetime) -> dict:
    """The planning task's body (``flask reminders run`` runs it too): abandoned claims back
    to pending, old day slots forgotten, what is due planned and counted."""
    released = services.release_expired(tenant_id, moment)
    services.forget_old_day_slots(tenant_id, moment)
    planned = services.plan(tenant_id, moment)
    return {
        "planned": planned,
        "released": released,
        "due": services.due_count(tenant_id, moment),
        "teams_due": services.due_count(tenant_id, moment, Channel.TEAMS),
    }


@shared_task(name="web.reminders.tasks.deliver_reminders")
@tenant_task
def deliver_reminders(tenant_id: int, now: str | None = None) -> dict:
    """Claim and send one chunk (REMINDER_CHUNK_SIZE rows over one SMTP connection)."""
    moment = _moment(now)
    dispatch.started(tenant_id, Channel.EMAIL, moment)
    outcome = delivery.deliver_chunk(tenant_id, moment)
    if outcome.released and not outcome.errors:
        # The chunk stopped at half its lease (a slow server): carry on in a fresh task.
        # After a connection error the released rows wait for their back-off instead.
        dispatch.queued_one_more(tenant_id, Channel.EMAIL, moment)
        enqueue_after_commit(deliver_reminders, tenant_id, now)
    return asdict(outcome)


@shared_task(name="web.reminders.tasks.deliver_teams_posts")
@tenant_task
def deliver_teams_posts(tenant_id: int, now: str | None = None) -> dict:
    """Claim and post one chunk of Teams posts (web.teams.delivery), like e-mails."""
    from web.teams.delivery import deliver_posts

    moment = _moment(now)
    dispatch.started(tenant_id, Channel.TEAMS, moment)
    outcome = deliver_posts(tenant_id, moment)
    if outcome.released:
        dispatch.queued_one_more(tenant_id, Channel.TEAMS, moment)
        enqueue_after_commit(deliver_teams_posts, tenant_id, now)
    return asdict(outcome)
