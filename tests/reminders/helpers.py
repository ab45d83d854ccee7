"""Driving delivery in the test process against the loopback SMTP server."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.reminders.teams import NOW
from web.extensions import db
from web.reminders import delivery, services
from web.reminders.cadence import SendWindow
from web.tenancy import tenant_scope


def settings_for(sink, **overrides) -> delivery.Settings:
    base = delivery.Settings(
        chunk_size=200,
        lease=timedelta(minutes=10),
        max_attempts=8,
        retry_seconds=60,
        window=SendWindow(),
        smtp_host="127.0.0.1",
        smtp_port=sink.port if sink else 9,
        smtp_tls=False,
        smtp_username=None,
        smtp_password=None,
    )
    return replace(base, **overrides)


def plan(app, tenant_id, now=NOW):
    with app.app_context(), tenant_scope(tenant_id):
        planned = services.plan(tenant_id, now)
        db.session.commit()
    return planned


def deliver(app, tenant_id, settings, now=NOW, **kw) -> delivery.Outcome:
    with app.app_context(), tenant_scope(tenant_id):
        return delivery.deliver_chunk(tenant_id, now, settings, **kw)


def run(app, tenant_id, sink, now=NOW, **overrides) -> delivery.Outcome:
    plan(app, tenant_id, now)
    return deliver(app, tenant_id, settings_for(sink, **overrides), now)


def by_recipient(messages) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in messages:
        found.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
    return found


def body(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def ics(message):
    from icalendar import Calendar

    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_content()), part
    raise AssertionError("no calendar attachment")
