"""Dialogue templates, follow-up cycles, contributions, conclusions and agreed actions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import TenantScoped, Timestamped, Updated, UtcDateTime, enum_column
from web.orgs.models import OrgUnit
from web.users.models import User
from web.vocabulary import KKC, Expectation

# Documented limits (README): longer input is refused with a message on the form.
MAX_PROMPT = 500
MAX_HELP = 2000
MAX_ANSWER = 4000
MAX_ACTION = 1000
MAX_NAME = 200
MAX_PLACE = 200
MAX_REASON = 1000
MAX_CONCLUSION = 4000


class PromptKind(enum.StrEnum):
    SENTENCE = "sentence"  # færdiggør sætningerne
    NEXT_STEP = "next_step"  # hvad bør være vores næste skridt


class Phase(enum.StrEnum):
    PREPARATION = "preparation"
    MEETING = "meeting"
    AGREEMENTS = "agreements"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


PHASE_ORDER = list(Phase)


class Visibility(enum.StrEnum):
    PRIVATE = "private"  # only the author
    NAMED = "named"  # the team, with the author's name
    ANONYMOUS = "anonymous"  # the team, never the name


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class PromptText:
    """A prompt's place and words: the template's prompt and a cycle's snapshot of it alike."""

    position: Mapped[int]
    kind: Mapped[PromptKind] = mapped_column(enum_column(PromptKind))
    text_da: Mapped[str] = mapped_column(String(MAX_PROMPT))
    text_en: Mapped[str | None] = mapped_column(String(MAX_PROMPT))
    help_da: Mapped[str | None] = mapped_column(Text)
    help_en: Mapped[str | None] = mapped_column(Text)


class DialogueTemplate(TenantScoped, Timestamped, Updated, db.Model):
    """A dialogue guide: the memo's by default, copied and edited by HR or admins."""

    __tablename__ = "dialogue_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    is_default: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    prompts: Mapped[list[TemplatePrompt]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="TemplatePrompt.position",
        lazy="selectin",
    )


class TemplatePrompt(PromptText, TenantScoped, db.Model):
    __tablename__ = "template_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("dialogue_templates.id", ondelete="CASCADE"), index=True
    )

    template: Mapped[DialogueTemplate] = relationship(back_populates="prompts")


class Campaign(TenantScoped, Timestamped, db.Model):
    """HR's campaign: one cycle per chosen unit, with common dates."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("dialogue_templates.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    preparation_starts_on: Mapped[date] = mapped_column(Date)
    preparation_ends_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date | None] = mapped_column(Date)

    cycles: Mapped[list[Cycle]] = relationship(back_populates="campaign")


class Cycle(TenantScoped, Timestamped, Updated, db.Model):
    """Opfølgningsforløb: one team's dialogue from preparation to follow-up."""

    __tablename__ = "cycles"
    __table_args__ = (
        Index("ix_cycles_tenant_id_unit_id", "tenant_id", "unit_id"),
        Index("ix_cycles_tenant_id_phase", "tenant_id", "phase"),
        Index("ix_cycles_tenant_id_campaign_id", "tenant_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("dialogue_templates.id", ondelete="SET NULL")
    )
    template_version: Mapped[int] = mapped_column(default=1)
    include_subunits: Mapped[bool] = mapped_column(default=False)
    phase: Mapped[Phase] = mapped_column(enum_column(Phase), default=Phase.PREPARATION)
    preparation_starts_on: Mapped[date] = mapped_column(Date)
    preparation_ends_on: Mapped[date] = mapped_column(Date)
    meeting_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    meeting_place: Mapped[str | None] = mapped_column(String(MAX_PLACE))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    previous_cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="SET NULL")
    )
    # Participation kept by web.cycles.tally in the transactions that change it, so no page
    # counts members at read time: the members fixed when preparation opened (plus anyone who
    # contributed after joining), and the members who contributed.
    member_count: Mapped[int] = mapped_column(default=0, server_default="0")
    contributor_count: Mapped[int] = mapped_column(default=0, server_default="0")

    unit: Mapped[OrgUnit] = relationship()
    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    facilitator: Mapped[User | None] = relationship(foreign_keys=[facilitator_id])
    campaign: Mapped[Campaign | None] = relationship(back_populates="cycles")
    prompts: Mapped[list[CyclePrompt]] = relationship(
        back_populates="cycle",
        cascade="all, delete-orphan",
        order_by="CyclePrompt.position",
        lazy="selectin",
    )


class CyclePrompt(PromptText, TenantScoped, db.Model):
    """The template's prompts as they were when the cycle started (editing never changes it)."""

    __tablename__ = "cycle_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)

    cycle: Mapped[Cycle] = relationship(back_populates="prompts")


class PhaseChange(TenantScoped, db.Model):
    """Every phase move, forward or back (a step back carries its reason)."""

    __tablename__ = "cycle_phase_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    from_phase: Mapped[Phase] = mapped_column(enum_column(Phase, name="from_phase"))
    to_phase: Mapped[Phase] = mapped_column(enum_column(Phase, name="to_phase"))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Contribution(TenantScoped, Timestamped, Updated, db.Model):
    """One member's answer to one prompt.

    ``author_id`` exists only so the author can edit until the meeting starts; for anonymous
    answers it is cleared when the meeting phase begins, and it is never shown to anyone else.
    """

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("prompt_id", "author_id"),
        Index("ix_contributions_tenant_id_cycle_id", "tenant_id", "cycle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("cycle_prompts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility))
    text: Mapped[str] = mapped_column(Text)

    prompt: Mapped[CyclePrompt] = relationship()


class Participation(TenantScoped, db.Model):
    """That a member contributed to a cycle (for participation shares), never to which answer."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("cycle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class CycleMember(TenantScoped, db.Model):
    """Who a cycle asks to take part: fixed when its preparation opens (web.cycles.tally)."""

    __tablename__ = "cycle_members"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Conclusion(TenantScoped, Timestamped, Updated, db.Model):
    """The team's conclusion per prompt, recorded at the meeting."""

    __tablename__ = "conclusions"
    __table_args__ = (UniqueConstraint("cycle_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("cycle_prompts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Action(TenantScoped, Timestamped, Updated, db.Model):
    """An agreed next step with an owner and a due date, followed up later."""

    __tablename__ = "actions"
    __table_args__ = (
        # Lookups by cycle, and the open or overdue actions of a few cycles (counted and the
        # oldest listed on the leader dashboard) read only those actions' index entries.
        Index(
            "ix_actions_tenant_id_cycle_id_status_due_on",
            "tenant_id",
            "cycle_id",
            "status",
            "due_on",
        ),
        Index("ix_actions_tenant_id_owner_id_status", "tenant_id", "owner_id", "status"),
        Index("ix_actions_tenant_id_due_on", "tenant_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.PLANNED
    )
    expectation: Mapped[Expectation | None] = mapped_column(enum_column(Expectation))
    kkc: Mapped[KKC | None] = mapped_column(enum_column(KKC))
    outcome: Mapped[str | None] = mapped_column(Text)  # what happened
    learning: Mapped[str | None] = mapped_column(Text)  # what we learned
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="SET NULL")
    )

    cycle: Mapped[Cycle] = relationship()
    owner: Mapped[User | None] = relationship()


# The counters' listeners need the models above.
from web.cycles import tally as _tally  # noqa: E402,F401
