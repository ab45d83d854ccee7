"""Planning: which reminders are due, as outbox rows under a unique key.

Each kind is one ``INSERT … SELECT … ON CONFLICT DO NOTHING``: the SELECT finds the due
(recipient, cycle or action) pairs from the cycles' and actions' dates and state, skipping those
already in the outbox (an index lookup), and the unique key settles races between two planners.
Only rows that are due *now* are planned, so moving a date in the future needs no clean-up; a row
that became irrelevant before it went out is cancelled at delivery (``delivery.py``).

Every function takes ``now`` (an aware datetime): tests pass a fixed moment, tasks the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from web.cycles.models import OPEN_ACTION_STATUSES, Action, Cycle, Participation, Phase
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.reminders.cadence import SendWindow, local_day, next_send_time
from web.reminders.models import (
    ESSENTIAL_KINDS,
    MEETING_KINDS,
    Channel,
    OutboxStatus,
    ReminderDaySlot,
    ReminderKind,
    ReminderMeeting,
    ReminderOutbox,
    ReminderUnsubscribe,
)
from web.users.models import User

# How far ahead a reminder comes (calendar days before the date it is about).
CLOSING_LEAD_DAYS = 2
FOLLOW_UP_LEAD_DAYS = 7
DUE_SOON_LEAD_DAYS = 3
# An action overdue for longer than this gets no (first) reminder: old news, not a nudge.
OVERDUE_WINDOW_DAYS = 14
UPCOMING_MEETING_PHASES = (Phase.PREPARATION, Phase.MEETING)
FOLLOW_UP_PHASES = (Phase.MEETING, Phase.AGREEMENTS, Phase.FOLLOW_UP)

OUTBOX_KEY = ["recipient_id", "kind", "target_id", "due_key"]
_INSERT_COLUMNS = [
    "tenant_id",
    "kind",
    "recipient_id",
    "target_id",
    "due_key",
    "cycle_id",
    "action_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
]


@dataclass(frozen=True)
class Candidate:
    """One kind's due (recipient, target) pairs, as SQL expressions over some FROM clause."""

    kind: ReminderKind | object  # a kind, or a SQL CASE choosing between meeting kinds
    recipient_id: object
    target_id: object
    due_key: object
    cycle_id: object
    action_id: object
    where: Sequence[object]


def send_window() -> SendWindow:
    return SendWindow.parse(current_app.config["REMINDER_SEND_WINDOW"])


def plan(tenant_id: int, now: datetime) -> dict[str, int]:
    """Insert every reminder of ``tenant_id`` that is due at ``now``; return counts per kind.

    Safe to run any number of times, concurrently too: a row exists once per key.
    """
    today = local_day(now)
    not_before = next_send_time(now, send_window())
    _sync_meetings(tenant_id, now)
    planned: dict[str, int] = {}
    for kind, candidate in _candidates(tenant_id, now, today):
        planned[kind] = _insert(tenant_id, candidate, now, not_before)
    from web.teams.planning import plan_posts  # the channel's posts (web.teams), if any

    planned.update(plan_posts(tenant_id, now, send_window()))
    db.session.flush()
    return planned


def _candidates(tenant_id: int, now: datetime, today: date):
    yield (
        "preparation_opened",
        _cycle_members(
            tenant_id,
            ReminderKind.PREPARATION_OPENED,
            Cycle.preparation_starts_on,
            Cycle.phase == Phase.PREPARATION,
            Cycle.preparation_starts_on <= today,
            Cycle.preparation_ends_on >= today,
        ),
    )
    closing = _cycle_members(
        tenant_id,
        ReminderKind.PREPARATION_CLOSING,
        Cycle.preparation_ends_on,
        Cycle.phase == Phase.PREPARATION,
        Cycle.preparation_starts_on <= today,
        Cycle.preparation_ends_on.between(today, today + timedelta(days=CLOSING_LEAD_DAYS)),
    )
    yield (
        "preparation_closing",
        _with(
            closing,
            ~exists().where(
                Participation.tenant_id == tenant_id,
                Participation.cycle_id == closing.target_id,
                Participation.user_id == closing.recipient_id,
            ),
        ),
    )
    yield "meetings", _meeting_members(tenant_id, now)
    yield (
        "follow_up_coming",
        _cycle_members(
            tenant_id,
            ReminderKind.FOLLOW_UP_COMING,
            Cycle.follow_up_on,
            Cycle.phase.in_(FOLLOW_UP_PHASES),
            Cycle.follow_up_on.between(today, today + timedelta(days=FOLLOW_UP_LEAD_DAYS)),
        ),
    )
    yield (
        "action_due_soon",
        _action_owners(
            tenant_id,
            ReminderKind.ACTION_DUE_SOON,
            Action.due_on.between(today, today + timedelta(days=DUE_SOON_LEAD_DAYS)),
        ),
    )
    yield (
        "action_overdue",
        _action_owners(
            tenant_id,
            ReminderKind.ACTION_OVERDUE,
            Action.due_on < today,
            Action.due_on >= today - timedelta(days=OVERDUE_WINDOW_DAYS),
        ),
    )
    yield "weekly_digest", _digest_leaders(tenant_id, today)


def _with(candidate: Candidate, *where: object) -> Candidate:
    return Candidate(
        candidate.kind,
        candidate.recipient_id,
        candidate.target_id,
        candidate.due_key,
        candidate.cycle_id,
        candidate.action_id,
        [*candidate.where, *where],
    )


# --- who ------------------------------------------------------------------------------------


def _member_pairs(tenant_id: int, *cycle_filter: object):
    """(cycle_id, user_id) of every active member with an e-mail address of the matching cycles.

    Members are the people of the cycle's unit, and of every unit below it when the cycle
    includes subunits (a recursive CTE), in any role, each once.
    """
    units = (
        select(
            Cycle.id.label("cycle_id"),
            Cycle.unit_id.label("unit_id"),
            Cycle.include_subunits.label("deep"),
        )
        .where(Cycle.tenant_id == tenant_id, *cycle_filter)
        .cte("cycle_units", recursive=True)
    )
    child = aliased(OrgUnit)
    units = units.union_all(
        select(units.c.cycle_id, child.id, units.c.deep).where(
            child.parent_id == units.c.unit_id, child.tenant_id == tenant_id, units.c.deep.is_(True)
        )
    )
    return (
        select(units.c.cycle_id, Membership.user_id)
        .join(Membership, Membership.unit_id == units.c.unit_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, *_reachable(User))
        .distinct()
        .subquery("members")
    )


def _reachable(user) -> list[object]:
    return [user.is_active.is_(True), user.email.is_not(None), user.email != ""]


def _cycle_members(tenant_id: int, kind: ReminderKind, date_column, *cycle_filter) -> Candidate:
    members = _member_pairs(tenant_id, *cycle_filter)
    # Joined here, so that every expression of the candidate is a plain column: subqueries
    # correlate one level up only.
    pairs = (
        select(members.c.user_id, members.c.cycle_id, _iso(date_column).label("due_key"))
        .select_from(members)
        .join(Cycle, Cycle.id == members.c.cycle_id)
        .subquery(f"{kind.value}_pairs")
    )
    return Candidate(
        kind, pairs.c.user_id, pairs.c.cycle_id, pairs.c.due_key, pairs.c.cycle_id, null(), [true()]
    )


def _meeting_members(tenant_id: int, now: datetime) -> Candidate:
    """Invitations and updates: the due key is the meeting's sequence number.

    A member who already had a meeting e-mail for another sequence of this cycle gets
    ``meeting_updated``; anyone else (new members too) gets ``meeting_invitation``.
    """
    members = _member_pairs(tenant_id, *_upcoming_meeting(now))
    pairs = (
        select(
            members.c.user_id,
            members.c.cycle_id,
            cast(ReminderMeeting.sequence, String).label("due_key"),
        )
        .select_from(members)
        .join(ReminderMeeting, ReminderMeeting.cycle_id == members.c.cycle_id)
        .subquery("meeting_pairs")
    )
    earlier = aliased(ReminderOutbox)
    had_one = exists().where(
        earlier.recipient_id == pairs.c.user_id,
        earlier.target_id == pairs.c.cycle_id,
        earlier.kind.in_(MEETING_KINDS),
        earlier.due_key != pairs.c.due_key,
        earlier.status != OutboxStatus.CANCELLED,
    )
    kind = case(
        (had_one, ReminderKind.MEETING_UPDATED.value), else_=ReminderKind.MEETING_INVITATION.value
    )
    # Either kind for this sequence counts as done (the unique key covers only one kind).
    same_sequence = aliased(ReminderOutbox)
    return Candidate(
        kind,
        pairs.c.user_id,
        pairs.c.cycle_id,
        pairs.c.due_key,
        pairs.c.cycle_id,
        null(),
        [
            ~exists().where(
                same_sequence.recipient_id == pairs.c.user_id,
                same_sequence.target_id == pairs.c.cycle_id,
                same_sequence.kind.in_(MEETING_KINDS),
                same_sequence.due_key == pairs.c.due_key,
            )
        ],
    )


def _upcoming_meeting(now: datetime) -> list[object]:
    return [
        Cycle.meeting_at.is_not(None),
        Cycle.meeting_at > now,
        Cycle.phase.in_(UPCOMING_MEETING_PHASES),
    ]


def _action_owners(tenant_id: int, kind: ReminderKind, *action_filter) -> Candidate:
    owner = aliased(User)
    return Candidate(
        kind,
        Action.owner_id,
        Action.id,
        _iso(Action.due_on),
        Action.cycle_id,
        Action.id,
        [
            Action.tenant_id == tenant_id,
            Action.status.in_(OPEN_ACTION_STATUSES),
            Action.owner_id.is_not(None),
            *action_filter,
            exists().where(owner.id == Action.owner_id, *_reachable(owner)),
        ],
    )


def _digest_leaders(tenant_id: int, today: date) -> Candidate:
    """Leaders of a unit with a cycle that is not closed, and the cycles' named leaders."""
    leads_unit = (
        select(Membership.user_id.label("user_id"))
        .join(Cycle, Cycle.unit_id == Membership.unit_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.role == MembershipRole.LEADER,
            Cycle.tenant_id == tenant_id,
            Cycle.phase != Phase.CLOSED,
        )
    )
    named = select(Cycle.leader_id.label("user_id")).where(
        Cycle.tenant_id == tenant_id, Cycle.phase != Phase.CLOSED, Cycle.leader_id.is_not(None)
    )
    leaders = leads_unit.union(named).subquery("leaders")
    user = aliased(User)
    week = today.isocalendar()
    return Candidate(
        ReminderKind.WEEKLY_DIGEST,
        leaders.c.user_id,
        leaders.c.user_id,
        literal(f"{week.year}-W{week.week:02d}"),
        null(),
        null(),
        [
            exists().where(
                user.id == leaders.c.user_id, user.tenant_id == tenant_id, *_reachable(user)
            )
        ],
    )


# --- the insert -------------------------------------------------------------------------------


def _iso(column) -> object:
    """A date as YYYY-MM-DD, independent of the server's DateStyle."""
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return cast(column, String)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(tenant_id: int, c: Candidate, now: datetime, not_before: datetime) -> int:
    where = list(c.where)
    if isinstance(c.kind, ReminderKind):
        kind_expr = literal(c.kind.value)
        existing = aliased(ReminderOutbox)
        where.append(
            ~exists().where(
                existing.recipient_id == c.recipient_id,
                existing.kind == c.kind,
                existing.target_id == c.target_id,
                existing.due_key == c.due_key,
            )
        )
        if c.kind not in ESSENTIAL_KINDS:
            where.append(
                ~exists().where(
                    ReminderUnsubscribe.user_id == c.recipient_id,
                    ReminderUnsubscribe.kind == c.kind,
                )
            )
    else:
        kind_expr = c.kind  # the meetings' CASE; the candidate brings its own NOT EXISTS
    # Ordered by cycle (or action): ids follow it, so a delivery chunk (claimed in id order)
    # holds whole teams, whose e-mails share one rendering (``mail.Composer``).
    rows = (
        select(
            literal(tenant_id),
            kind_expr,
            c.recipient_id,
            c.target_id,
            c.due_key,
            c.cycle_id,
            c.action_id,
            literal(OutboxStatus.PENDING.value),
            literal(0),
            literal(not_before, ReminderOutbox.next_attempt_at.type),
            literal(now, ReminderOutbox.created_at.type),
            literal(now, ReminderOutbox.updated_at.type),
        )
        .where(*where)
        .order_by(c.target_id, c.recipient_id)
    )
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
    statement = (
        insert(ReminderOutbox.__table__)
        .from_select(_INSERT_COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=OUTBOX_KEY)
    )
    result = db.session.execute(statement, execution_options={"preserve_rowcount": True})
    if result.rowcount < 0 and _dialect() == "sqlite":
        # pysqlite counts no rows for a statement that starts with WITH (the candidates' CTE);
        # SQLite itself knows what the last statement on this connection inserted.
        return int(db.session.execute(text("SELECT changes()")).scalar_one())
    return max(result.rowcount, 0)


# --- meetings ---------------------------------------------------------------------------------


def _sync_meetings(tenant_id: int, now: datetime) -> None:
    """Remember each upcoming meeting; a changed time or place bumps its sequence once.

    The UPDATE's condition is re-checked on the locked row, so of two planners racing over one
    move only one bumps the sequence.
    """
    fresh = select(
        Cycle.tenant_id, Cycle.id, Cycle.meeting_at, Cycle.meeting_place, literal(0)
    ).where(
        Cycle.tenant_id == tenant_id,
        *_upcoming_meeting(now),
        ~exists().where(ReminderMeeting.cycle_id == Cycle.id),
    )
    insert = postgresql.insert if _dialect() == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReminderMeeting.__table__)
        .from_select(["tenant_id", "cycle_id", "meeting_at", "meeting_place", "sequence"], fresh)
        .on_conflict_do_nothing(index_elements=["cycle_id"])
    )

    meeting = ReminderMeeting.__table__
    cycle = Cycle.__table__

    def current(column):
        return select(column).where(cycle.c.id == meeting.c.cycle_id).scalar_subquery()

    moved = exists().where(
        cycle.c.id == meeting.c.cycle_id,
        cycle.c.meeting_at.is_not(None),
        cycle.c.meeting_at > now,
        cycle.c.phase.in_([p.value for p in UPCOMING_MEETING_PHASES]),
        or_(
            cycle.c.meeting_at != meeting.c.meeting_at,
            func.coalesce(cycle.c.meeting_place, "") != func.coalesce(meeting.c.meeting_place, ""),
        ),
    )
    db.session.execute(
        update(meeting)
        .where(meeting.c.tenant_id == tenant_id, moved)
        .values(
            sequence=meeting.c.sequence + 1,
            meeting_at=current(cycle.c.meeting_at),
            meeting_place=current(cycle.c.meeting_place),
        )
    )


# --- what delivery and the pages need ---------------------------------------------------------


def due_count(tenant_id: int, now: datetime, channel: Channel = Channel.EMAIL) -> int:
    """Pending rows of ``channel`` that may go out now (how many delivery chunks to enqueue)."""
    return (
        db.session.scalar(
            select(func.count(ReminderOutbox.id)).where(
                ReminderOutbox.tenant_id == tenant_id,
                ReminderOutbox.status == OutboxStatus.PENDING,
                ReminderOutbox.next_attempt_at <= now,
                ReminderOutbox.channel == channel,
            )
        )
        or 0
    )


def release_expired(tenant_id: int, now: datetime, max_attempts: int | None = None) -> int:
    """Rows left in 'sending' past their lease (a worker died): back to pending, or failed.

    A row whose Message-ID was committed as handed over (right before the final "." of DATA,
    see ``delivery.send``) may be at the server already, or was accepted and its "sent" (which
    rides along with the next commit, ``delivery.Marks``) never came: it counts as sent,
    "in doubt", and is never sent again. Every other row was not the server's yet and goes
    again.
    """
    max_attempts = max_attempts or current_app.config["REMINDER_MAX_ATTEMPTS"]
    expired = and_(
        ReminderOutbox.tenant_id == tenant_id,
        ReminderOutbox.status == OutboxStatus.SENDING,
        ReminderOutbox.claimed_until < now,
    )
    handed_over = ReminderOutbox.message_id.is_not(None)
    result = db.session.execute(
        update(ReminderOutbox)
        .where(expired)
        .values(
            status=case(
                (handed_over, OutboxStatus.SENT.value),
                (ReminderOutbox.attempts >= max_attempts, OutboxStatus.FAILED.value),
                else_=OutboxStatus.PENDING.value,
            ),
            sent_at=case((handed_over, ReminderOutbox.updated_at), else_=None),
            claimed_until=None,
            next_attempt_at=now,
            last_error=case(
                (
                    handed_over,
                    "in doubt: the worker stopped after handing it to the server; "
                    "counted as sent, not sent again",
                ),
                else_="lease expired: the delivering worker stopped before finishing",
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def forget_old_day_slots(tenant_id: int, now: datetime) -> int:
    """Day slots matter for their day only; yesterday's can go."""
    result = db.session.execute(
        ReminderDaySlot.__table__.delete().where(
            ReminderDaySlot.tenant_id == tenant_id, ReminderDaySlot.day < local_day(now)
        )
    )
    return max(result.rowcount, 0)


def status_counts(tenant_id: int, since: datetime | None = None) -> dict[OutboxStatus, int]:
    query = (
        select(ReminderOutbox.status, func.count(ReminderOutbox.id))
        .where(ReminderOutbox.tenant_id == tenant_id)
        .group_by(ReminderOutbox.status)
    )
    if since is not None:
        query = query.where(ReminderOutbox.created_at >= since)
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({OutboxStatus(s): n for s, n in db.session.execute(query)})
    return counts


def retry_failed(tenant_id: int, outbox_ids: Sequence[int], now: datetime) -> int:
    """Give failed reminders a fresh set of attempts (an admin's decision after a fix)."""
    result = db.session.execute(
        update(ReminderOutbox)
        .where(
            ReminderOutbox.tenant_id == tenant_id,
            ReminderOutbox.id.in_(outbox_ids),
            ReminderOutbox.status == OutboxStatus.FAILED,
        )
        .values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=next_send_time(now, send_window()),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
