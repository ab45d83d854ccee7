"""The live dialogue meeting: the meeting itself, its cards, who is in the room, proposed actions.

Anonymity by design: ``live_cards`` has no column that names or points at a person except
``author_name`` on a *named* card, no timestamp, and its order is a random ``sort_key`` (the sealed,
shuffled order). Votes are stored only as each card's total (``live_cards.votes``); what a person
has is only how many of their votes they used (``live_attendees.votes_used``), never on what.
``tests/meetings/test_anonymity.py`` inspects every column of these tables.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import db
from web.models import TenantScoped, UtcDateTime, enum_column
from web.vocabulary import KKC, Expectation

MAX_CARD = 1000


class Voting(enum.StrEnum):
    NOT_STARTED = "not_started"
    OPEN = "open"
    CLOSED = "closed"


class LiveMeeting(TenantScoped, db.Model):
    __tablename__ = "live_meetings"
    __table_args__ = (UniqueConstraint("cycle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    current_prompt_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycle_prompts.id", ondelete="SET NULL")
    )
    timer_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    votes_per_member: Mapped[int] = mapped_column(default=3)
    voting: Mapped[Voting] = mapped_column(enum_column(Voting), default=Voting.NOT_STARTED)
    # Bumped by every change: what the open views poll for (one primary-key read).
    version: Mapped[int] = mapped_column(Integer, default=1)
    participant_count: Mapped[int] = mapped_column(default=0)


class LiveCard(TenantScoped, db.Model):
    """One thought on the board: a shared answer from preparation or one added at the meeting."""

    __tablename__ = "live_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("live_meetings.id", ondelete="CASCADE"), index=True
    )
    prompt_id: Mapped[int] = mapped_column(ForeignKey("cycle_prompts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(200))  # named cards only
    sort_key: Mapped[str] = mapped_column(String(32))  # random: the order says nothing
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("live_cards.id", ondelete="SET NULL")
    )
    votes: Mapped[int] = mapped_column(default=0)  # the total, and only the total


class LiveAttendee(TenantScoped, db.Model):
    """Who is in the meeting (for the count) and how many of their votes they used."""

    __tablename__ = "live_attendees"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("live_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    votes_used: Mapped[int] = mapped_column(default=0)


class LiveAction(TenantScoped, db.Model):
    """An action taken from a top card, edited in place; becomes an ``Action`` at the end."""

    __tablename__ = "live_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("live_meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    expectation: Mapped[Expectation | None] = mapped_column(enum_column(Expectation))
    kkc: Mapped[KKC | None] = mapped_column(enum_column(KKC))
