"""``flask reminders run SLUG``: plan and send a tenant's due reminders now, with a progress bar."""

from __future__ import annotations

import math
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from web.commands import tenant_named
from web.extensions import db
from web.models import utcnow
from web.reminders import delivery
from web.reminders.tasks import plan_due
from web.tenancy import tenant_scope

reminders_cli = AppGroup("reminders", help="Plan and send reminders.")


@reminders_cli.command("run")
@click.argument("slug")
@click.option("--now", "now_text", help="ISO timestamp to plan for (default: the clock)")
def run_command(slug: str, now_text: str | None) -> None:
    """Plan the tenant's reminders and deliver every due one in this process."""
    tenant = tenant_named(slug)
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    with tenant_scope(tenant.id):
        result = plan_due(tenant.id, now)  # what the beat's planning task does
        db.session.commit()
        due = result["due"]
        click.echo(f"planned: {sum(result['planned'].values())}, due now: {due}")
        totals = delivery.Outcome()
        chunk = current_app.config["REMINDER_CHUNK_SIZE"]
        with click.progressbar(length=due, label="sending") as bar:
            for _ in range(math.ceil(due / chunk)):
                outcome = delivery.deliver_chunk(tenant.id, now)
                bar.update(outcome.claimed + outcome.postponed)
                for name in ("sent", "retried", "failed", "cancelled", "postponed", "released"):
                    setattr(totals, name, getattr(totals, name) + getattr(outcome, name))
                if not outcome.claimed and not outcome.postponed:
                    break
        if result["teams_due"]:
            from web.teams.delivery import deliver_posts

            for _ in range(math.ceil(result["teams_due"] / chunk)):
                posted = deliver_posts(tenant.id, now)
                for name in ("sent", "retried", "failed", "cancelled", "released"):
                    setattr(totals, name, getattr(totals, name) + getattr(posted, name))
    click.echo(
        f"sent: {totals.sent}, retried: {totals.retried}, failed: {totals.failed}, "
        f"cancelled: {totals.cancelled}, waiting for tomorrow: {totals.postponed}"
    )
