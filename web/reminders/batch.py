"""What one delivery chunk needs, loaded in a few queries, and what each row still means.

Between planning and sending things change (a member contributes, the meeting moves again, an
action is done, someone unsubscribes): ``irrelevance`` says why a row should no longer go out,
and ``letter_for`` gathers what its e-mail says, from the rows as they are now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import lazyload, selectinload

from web.cycles.models import OPEN_ACTION_STATUSES, Action, Cycle, Participation, Phase
from web.extensions import db
from web.reminders import mail
from web.reminders.cadence import local_day
from web.reminders.models import (
    ACTION_KINDS,
    ESSENTIAL_KINDS,
    MEETING_KINDS,
    SSO_KINDS,
    ReminderKind,
    ReminderMeeting,
    ReminderOutbox,
    ReminderUnsubscribe,
)
from web.reminders.services import FOLLOW_UP_PHASES, UPCOMING_MEETING_PHASES
from web.tenants.models import Tenant
from web.users.models import User


@dataclass
class Batch:
    tenant: Tenant
    rows: list[ReminderOutbox]
    users: dict[int, User]
    cycles: dict[int, Cycle]
    actions: dict[int, Action]
    meetings: dict[int, ReminderMeeting]
    participated: set[tuple[int, int]]
    unsubscribed: set[tuple[int, str]]


def load_batch(tenant_id: int, ids: list[int]) -> Batch:
    rows = list(
        db.session.scalars(
            select(ReminderOutbox).where(ReminderOutbox.id.in_(ids)).order_by(ReminderOutbox.id)
        )
    )
    user_ids = {r.recipient_id for r in rows}
    cycle_ids = {r.cycle_id for r in rows if r.cycle_id}
    action_ids = {r.action_id for r in rows if r.action_id}
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_(user_ids)).options(lazyload(User.roles))
        )
    }
    cycles = {
        c.id: c
        for c in db.session.scalars(
            select(Cycle)
            .where(Cycle.id.in_(cycle_ids))
            .options(selectinload(Cycle.unit), lazyload(Cycle.prompts))
        )
    }
    actions = {a.id: a for a in db.session.scalars(select(Action).where(Action.id.in_(action_ids)))}
    meetings = {
        m.cycle_id: m
        for m in db.session.scalars(
            select(ReminderMeeting).where(ReminderMeeting.cycle_id.in_(cycle_ids))
        )
    }
    closing = {r.cycle_id for r in rows if r.kind == ReminderKind.PREPARATION_CLOSING}
    participated = (
        set(
            db.session.execute(
                select(Participation.cycle_id, Participation.user_id).where(
                    Participation.cycle_id.in_(closing), Participation.user_id.in_(user_ids)
                )
            ).all()
        )
        if closing
        else set()
    )
    unsubscribed = {
        (u, str(k))
        for u, k in db.session.execute(
            select(ReminderUnsubscribe.user_id, ReminderUnsubscribe.kind).where(
                ReminderUnsubscribe.user_id.in_(user_ids)
            )
        )
    }
    return Batch(
        db.session.get(Tenant, tenant_id),
        rows,
        users,
        cycles,
        actions,
        meetings,
        {tuple(p) for p in participated},
        unsubscribed,
    )


def irrelevance(row: ReminderOutbox, batch: Batch, now: datetime) -> str | None:
    """Why this row should no longer go out, or None. Things change between plan and send."""
    user = batch.users.get(row.recipient_id)
    if user is None or not user.is_active or not user.email:
        return "recipient inactive or without e-mail"
    if row.kind not in ESSENTIAL_KINDS and (row.recipient_id, row.kind.value) in batch.unsubscribed:
        return "unsubscribed"
    cycle = batch.cycles.get(row.cycle_id) if row.cycle_id else None
    kind = row.kind
    if kind == ReminderKind.PREPARATION_OPENED:
        if cycle is None or cycle.phase != Phase.PREPARATION:
            return "preparation is over"
    elif kind == ReminderKind.PREPARATION_CLOSING:
        if (
            cycle is None
            or cycle.phase != Phase.PREPARATION
            or cycle.preparation_ends_on.isoformat() != row.due_key
        ):
            return "preparation is over or its end moved"
        if (cycle.id, row.recipient_id) in batch.participated:
            return "already contributed"
    elif kind in MEETING_KINDS:
        meeting = batch.meetings.get(row.cycle_id)
        if (
            cycle is None
            or meeting is None
            or str(meeting.sequence) != row.due_key
            or cycle.meeting_at is None
            or _aware(cycle.meeting_at) != _aware(meeting.meeting_at)
            or (cycle.meeting_place or "") != (meeting.meeting_place or "")
        ):
            return "superseded by a later change of the meeting"
        if cycle.phase not in UPCOMING_MEETING_PHASES or _aware(meeting.meeting_at) <= now:
            return "the meeting is over"
    elif kind == ReminderKind.FOLLOW_UP_COMING:
        if (
            cycle is None
            or cycle.phase not in FOLLOW_UP_PHASES
            or cycle.follow_up_on is None
            or cycle.follow_up_on.isoformat() != row.due_key
        ):
            return "follow-up moved or the cycle is closed"
    elif kind in SSO_KINDS:
        from web.auth import alerts, emails
        from web.auth.models import SsoAlert

        alert = db.session.get(SsoAlert, row.target_id)
        if alert is None or not alerts.is_raised(alert) or emails.due_key(alert) != row.due_key:
            return "the sign-in alert has cleared"
    elif kind in ACTION_KINDS:
        action = batch.actions.get(row.action_id)
        if (
            action is None
            or action.status not in OPEN_ACTION_STATUSES
            or action.owner_id != row.recipient_id
            or action.due_on.isoformat() != row.due_key
        ):
            return "the action is done, moved or has another owner"
    return None


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored as UTC by this app).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def letter_for(row: ReminderOutbox, batch: Batch, links: mail.Links, now: datetime) -> mail.Letter:
    user = batch.users[row.recipient_id]
    tenant = batch.tenant
    letter = mail.Letter(
        kind=row.kind,
        key=mail.outbox_key(
            tenant.id, row.recipient_id, row.kind.value, row.target_id, row.due_key
        ),
        to_name=user.display_name,
        to_email=user.email,
        locale=mail.locale_for(user.language, tenant.default_locale),
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        recipient_id=user.id,
    )
    cycle = batch.cycles.get(row.cycle_id) if row.cycle_id else None
    if cycle is not None:
        letter.values.update(
            unit=cycle.unit.name,
            cycle_url=links.cycle(tenant.slug, cycle.id),
            opens_on=cycle.preparation_starts_on,
            closes_on=cycle.preparation_ends_on,
            follow_up_on=cycle.follow_up_on,
        )
    if row.kind in MEETING_KINDS:
        meeting = batch.meetings[row.cycle_id]
        letter.meeting = mail.MeetingFacts(
            cycle.id,
            _aware(meeting.meeting_at),
            meeting.meeting_place,
            meeting.sequence,
            cycle.unit.name,
        )
    if row.kind in ACTION_KINDS:
        action = batch.actions[row.action_id]
        letter.values.update(action_text=action.text, due_on=action.due_on)
    if row.kind in SSO_KINDS:
        from web.auth.models import SsoAlert, SsoSettings

        alert = db.session.get(SsoAlert, row.target_id)
        settings = db.session.scalar(select(SsoSettings))
        saml = settings is not None and settings.is_saml
        letter.values.update(
            reason=alert.reason,
            count=alert.count,
            saml=saml,
            settings_url=links.build("t.admin.saml" if saml else "t.admin.sso", tenant=tenant.slug),
            audit_url=links.build("t.admin.audit", tenant=tenant.slug),
        )
    if row.kind == ReminderKind.WEEKLY_DIGEST:
        from web.reminders.digest import digest_lines

        letter.values.update(
            cycles=digest_lines(user.id, links, tenant.slug, local_day(now)),
            home_url=links.home(tenant.slug),
        )
    return letter
