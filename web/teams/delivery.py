"""Delivering Teams posts: claim due rows, POST each card through the guarded client, record.

The same outbox, states and rules as e-mail (``web.reminders.delivery``): a claim marks rows
``sending`` with a lease and one more attempt; a temporary failure (a 5xx, 408 or 429 answer,
no connection) goes back to ``pending`` with the same back-off; a permanent one (another 4xx,
an address the guarded client refuses) or the last attempt ends ``failed``, on the failed
page. Exactly once: the row is committed as handed over (its key in ``message_id``) right
before the POST, so a worker that dies during it never posts it again (``release_expired``
counts it as sent, "in doubt"), and an answer that never came after the request went out
(a read time-out, a dropped connection) counts as sent in doubt too. A webhook has no
idempotency key, so "maybe twice" is not on offer: at most once, and once whenever the
receiver answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

import requests
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from web.auth.crypto import SecretUnreadable
from web.cycles.models import OPEN_ACTION_STATUSES, Action, Cycle, Phase
from web.extensions import db
from web.outbound import OutboundRefused, guarded_session
from web.reminders import mail
from web.reminders.cadence import local_day
from web.reminders.delivery import (
    Outcome,
    Settings,
    cancel,
    commit_fast,
    due_ids,
    failed_attempt,
    mark_sent,
    release,
    take_pending,
)
from web.reminders.models import (
    MEETING_KINDS,
    Channel,
    ReminderKind,
    ReminderMeeting,
    ReminderOutbox,
)
from web.teams.cards import post_for
from web.teams.models import TeamsWebhook
from web.teams.planning import UPCOMING_MEETING_PHASES, iso_week
from web.teams.services import url_of
from web.tenants.models import Tenant

log = logging.getLogger(__name__)
RETRY_STATUSES = {408, 425, 429}
_OUTBOX = ReminderOutbox.__table__


def claim(tenant_id: int, now: datetime, settings: Settings) -> list[int]:
    """Up to a chunk of due Teams rows, ``sending`` under a lease. Commits."""
    candidates = due_ids(tenant_id, now, Channel.TEAMS, settings)
    claimed = take_pending(candidates, now, settings) if candidates else []
    db.session.commit()
    return claimed


def deliver_posts(
    tenant_id: int,
    now: datetime,
    settings: Settings | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Claim and post one chunk of ``tenant_id``'s due Teams posts. Commits as it goes."""
    settings = settings or Settings.from_config()
    outcome = Outcome()
    ids = claim(tenant_id, now, settings)
    outcome.claimed = len(ids)
    if not ids:
        return outcome
    tenant = db.session.get(Tenant, tenant_id)
    rows = list(
        db.session.scalars(
            select(ReminderOutbox).where(ReminderOutbox.id.in_(ids)).order_by(ReminderOutbox.id)
        )
    )
    links = mail.Links()
    locale = mail.locale_for(None, tenant.default_locale)
    started = clock()
    with guarded_session() as session:
        for index, row in enumerate(rows):
            if clock() - started > settings.lease.total_seconds() / 2:
                outcome.released += release(rows[index:], now, "lease half over")
                break
            try:
                reason, body = _post_body(row, tenant, links, locale, now)
            except Exception as exc:  # a bug in the card: visible, retried, then failed
                log.exception("Teams post %s could not be built", row.id)
                failed_attempt(row, f"render: {exc!r}", now, settings, False, outcome)
                continue
            if reason is not None:
                cancel(row, reason, now)
                outcome.cancelled += 1
                continue
            hook = db.session.get(TeamsWebhook, row.webhook_id)
            try:
                url = url_of(hook)
            except SecretUnreadable:
                failed_attempt(
                    row,
                    "webhook: stored under another SECRET_KEY; set it again",
                    now,
                    settings,
                    True,
                    outcome,
                )
                continue
            key = (
                f"teams:{tenant_id}:{row.webhook_id}:{row.kind.value}:{row.target_id}:{row.due_key}"
            )
            commit_fast(
                update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(message_id=key, updated_at=now)
            )  # handed over
            set_committed_value(row, "message_id", key)  # so a refusal clears it again
            try:
                response = session.post(
                    url,
                    data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    headers={"Content-Type": "application/json"},
                )
            except OutboundRefused as exc:  # the guard: not a public address, too large…
                failed_attempt(row, f"refused: {exc.reason}", now, settings, True, outcome)
            except requests.RequestException as exc:
                outcome.errors.append(repr(exc))
                if _never_sent(exc):  # each post its own: the next may go to another channel
                    failed_attempt(row, f"connection: {exc!r}", now, settings, False, outcome)
                else:
                    mark_sent(row, key, now, in_doubt=f"no answer: {exc!r}")
                    outcome.sent += 1
            else:
                if 200 <= response.status_code < 300:
                    mark_sent(row, key, now)
                    outcome.sent += 1
                else:
                    permanent = (
                        400 <= response.status_code < 500
                        and response.status_code not in RETRY_STATUSES
                    )
                    failed_attempt(
                        row,
                        f"{response.status_code} {response.text[:300]!r}",
                        now,
                        settings,
                        permanent,
                        outcome,
                    )
    return outcome


def _never_sent(exc: requests.RequestException) -> bool:
    """The request cannot have reached the receiver: no connection was made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _post_body(
    row: ReminderOutbox, tenant: Tenant, links: mail.Links, locale: str, now: datetime
) -> tuple[str | None, dict | None]:
    """(why it should not go out, None) or (None, the envelope), from the rows as they are."""
    cycle = db.session.get(Cycle, row.cycle_id) if row.cycle_id else None
    if cycle is None:
        return "the cycle is gone", None
    common = {"unit": cycle.unit.name, "cycle_url": links.cycle(tenant.slug, cycle.id)}
    kind = row.kind
    if kind == ReminderKind.PREPARATION_OPENED:
        if (
            cycle.phase != Phase.PREPARATION
            or cycle.preparation_starts_on.isoformat() != row.due_key
        ):
            return "preparation is over or its start moved", None
        return None, post_for(
            kind,
            locale,
            opens_on=cycle.preparation_starts_on,
            closes_on=cycle.preparation_ends_on,
            **common,
        )
    if kind in MEETING_KINDS:
        meeting = db.session.get(ReminderMeeting, cycle.id)
        if (
            meeting is None
            or str(meeting.sequence) != row.due_key
            or cycle.meeting_at is None
            or cycle.meeting_at != meeting.meeting_at
        ):
            return "superseded by a later change of the meeting", None
        if cycle.phase not in UPCOMING_MEETING_PHASES or meeting.meeting_at <= now:
            return "the meeting is over", None
        return None, post_for(
            kind, locale, meeting_at=meeting.meeting_at, place=meeting.meeting_place, **common
        )
    if kind == ReminderKind.ACTION_OVERDUE:
        today = local_day(now)
        if iso_week(today) != row.due_key:
            return "a later week's overview replaces it", None
        overdue = db.session.execute(
            select(Action.text, Action.due_on)
            .where(
                Action.cycle_id == cycle.id,
                Action.status.in_(OPEN_ACTION_STATUSES),
                Action.due_on < today,
            )
            .order_by(Action.due_on, Action.id)
        ).all()
        if not overdue or cycle.phase == Phase.CLOSED:
            return "no agreed action is past its date any more", None
        return None, post_for(kind, locale, overdue=[tuple(o) for o in overdue], **common)
    return f"{kind.value} is not posted to a channel", None
