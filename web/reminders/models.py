"""The reminder outbox and the little state it needs.

An e-mail is a row in ``reminder_outbox`` before it is anything else: planning inserts rows
under a unique key, delivery claims them, sends them and records the outcome. The broker only
carries "go and look"; the database decides what is sent, so a retried task, a dead worker or
two beat processes never send a reminder twice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column, utcnow


class ReminderKind(enum.StrEnum):
    PREPARATION_OPENED = "preparation_opened"
    PREPARATION_CLOSING = "preparation_closing"
    MEETING_INVITATION = "meeting_invitation"
    MEETING_UPDATED = "meeting_updated"
    FOLLOW_UP_COMING = "follow_up_coming"
    ACTION_DUE_SOON = "action_due_soon"
    ACTION_OVERDUE = "action_overdue"
    WEEKLY_DIGEST = "weekly_digest"
    # To the tenant's admins when something threatens sign-in (web.auth.alerts), once per alert.
    SSO_REFRESH_KEPT = "sso_refresh_kept"
    SSO_LOGIN_FAILURES = "sso_login_failures"


# Essential reminders carry no unsubscribe link: a meeting invitation or its move, and an
# overdue agreement, are part of the work itself rather than a nudge about it.
ESSENTIAL_KINDS = frozenset(
    {
        ReminderKind.MEETING_INVITATION,
        ReminderKind.MEETING_UPDATED,
        ReminderKind.ACTION_OVERDUE,
        ReminderKind.SSO_REFRESH_KEPT,
        ReminderKind.SSO_LOGIN_FAILURES,
    }
)
SSO_KINDS = (ReminderKind.SSO_REFRESH_KEPT, ReminderKind.SSO_LOGIN_FAILURES)
MEETING_KINDS = (ReminderKind.MEETING_INVITATION, ReminderKind.MEETING_UPDATED)
ACTION_KINDS = (ReminderKind.ACTION_DUE_SOON, ReminderKind.ACTION_OVERDUE)


class Channel(enum.StrEnum):
    EMAIL = "email"  # to one person (recipient_id)
    TEAMS = "teams"  # to a Microsoft Teams channel (webhook_id): web.teams


# What may go to a channel that a whole team reads: nothing about one person's answers.
TEAMS_KINDS = (
    ReminderKind.PREPARATION_OPENED,
    ReminderKind.MEETING_INVITATION,
    ReminderKind.MEETING_UPDATED,
    ReminderKind.ACTION_OVERDUE,
)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    SENDING = "sending"  # claimed by a delivery task until claimed_until
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # gave up after the last attempt, or the server refused it for good
    CANCELLED = "cancelled"  # no longer relevant (unsubscribed, superseded, …): last_error says why


class ReminderOutbox(TenantScoped, Timestamped, Updated, db.Model):
    """One e-mail per (recipient, kind, cycle or action, due key), whatever plans it how often;
    one Teams post per (webhook, kind, cycle, due key) the same way (``channel``).

    ``target_id`` is the cycle's id, the action's id, or (weekly digest) the recipient's own id:
    a NOT NULL stand-in for "cycle or action", because NULLs never collide in a UNIQUE constraint.
    ``due_key`` is what makes a repeat a new reminder: the date it is about (preparation end,
    follow-up date, action due date), the meeting's sequence number, or the ISO week.
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "target_id", "due_key"),
        # Teams rows have no recipient (NULLs never collide): their own key.
        UniqueConstraint("webhook_id", "kind", "target_id", "due_key"),
        CheckConstraint(
            "(channel = 'email' AND recipient_id IS NOT NULL) "
            "OR (channel = 'teams' AND webhook_id IS NOT NULL)",
            name="addressed",
        ),
        Index(
            "ix_reminder_outbox_tenant_id_status_next_attempt_at",
            "tenant_id",
            "status",
            "next_attempt_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    channel: Mapped[Channel] = mapped_column(
        enum_column(Channel), default=Channel.EMAIL, server_default=Channel.EMAIL.value
    )
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams_webhooks.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(Integer)
    due_key: Mapped[str] = mapped_column(String(32))
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))


class ReminderMeeting(TenantScoped, db.Model):
    """The meeting as last announced: a move bumps ``sequence`` (the .ics SEQUENCE)."""

    __tablename__ = "reminder_meetings"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    meeting_at: Mapped[datetime] = mapped_column(UtcDateTime)
    meeting_place: Mapped[str | None] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(default=0)


class ReminderDaySlot(TenantScoped, db.Model):
    """ "At most one reminder of a kind per person per cycle per day", as a unique key.

    Delivery takes the slot in the same transaction that claims the row; a second row for the
    same slot waits until the next day. ``cycle_id`` is 0 for reminders about no cycle.
    """

    __tablename__ = "reminder_day_slots"
    __table_args__ = (UniqueConstraint("recipient_id", "kind", "cycle_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))
    cycle_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_outbox.id", ondelete="CASCADE"), index=True
    )


class ReminderUnsubscribe(TenantScoped, Timestamped, db.Model):
    """A person does not want reminders of this (non-essential) kind any more."""

    __tablename__ = "reminder_unsubscribes"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind))


class ReminderDispatch(TenantScoped, db.Model):
    """A tenant's delivery chunks of one channel that are queued and not yet started.

    Planning enqueues only the chunks its due rows lack beyond those (``web.reminders.dispatch``),
    so a pass over a backlog still in the queue adds nothing to it. The count only steers how
    many "go and look" messages are sent; the outbox rows alone decide what is sent.
    """

    __tablename__ = "reminder_dispatch"
    __table_args__ = (UniqueConstraint("tenant_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    queued: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
