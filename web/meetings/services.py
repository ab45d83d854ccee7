"""The live meeting's rules, as plain functions the views (and the bench) call.

Every change bumps ``LiveMeeting.version`` in the same transaction; the open views poll that one
row (``web.meetings.views.state``) and fetch the board again when it moved, so any web node can
serve any request (no sticky sessions, no in-process state).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from web.cycles.models import Conclusion, Cycle, Phase, Visibility
from web.cycles.services import actions as cycle_actions
from web.cycles.services import meeting as cycle_meeting
from web.cycles.services.cycles import move_phase
from web.errors import FORM, Conflict, InputError
from web.extensions import db
from web.inputs import check_text
from web.meetings import polls
from web.meetings.models import (
    MAX_CARD,
    LiveAction,
    LiveAttendee,
    LiveCard,
    LiveMeeting,
    Voting,
)
from web.models import utcnow
from web.users.models import User

MAX_VOTES = 20
MAX_TIMER_MINUTES = 120


def meeting_for(cycle: Cycle) -> LiveMeeting | None:
    return db.session.scalar(select(LiveMeeting).where(LiveMeeting.cycle_id == cycle.id))


def current_version(meeting_id: int) -> int | None:
    """The one read every open view makes about each second."""
    return db.session.scalar(select(LiveMeeting.version).where(LiveMeeting.id == meeting_id))


def version_of_cycle(cycle_id: int) -> tuple[int, bool]:
    """The live meeting's version and whether it ended, by cycle: (0, False) before it starts."""
    row = db.session.execute(
        select(LiveMeeting.version, LiveMeeting.ended_at).where(LiveMeeting.cycle_id == cycle_id)
    ).first()
    return (0, False) if row is None else (row.version, row.ended_at is not None)


def _changed(meeting: LiveMeeting) -> None:
    # An UPDATE in the database, not a Python increment: two nodes changing the same meeting
    # at once both count. The new version goes to the open views' cheap poll after the commit.
    version = db.session.execute(
        update(LiveMeeting)
        .where(LiveMeeting.id == meeting.id)
        .values(version=LiveMeeting.version + 1)
        .returning(LiveMeeting.version)
    ).scalar_one()
    ended = meeting.ended_at is not None
    polls.remember_change(db.session(), meeting.id, version, ended=ended)
    db.session.flush()
    db.session.expire(meeting, ["version"])


def republish(meeting_id: int, version: int, *, ended: bool = False) -> None:
    """The full poll's repair: the database's version into the cheap poll's store."""
    polls.publish({meeting_id: version}, ended=frozenset({meeting_id} if ended else ()))


def _open(meeting: LiveMeeting) -> None:
    if meeting.ended_at is not None:
        raise Conflict(_("Mødet er afsluttet."))


def start_meeting(actor: User, cycle: Cycle) -> LiveMeeting:
    """Open the live meeting for a cycle in its meeting phase, the shared answers as cards.

    The cards come in a shuffled order (a random sort key), so neither the order nor anything
    stored says who wrote an anonymous answer. The caller has checked ``Permission.FACILITATE``.
    """
    if cycle.phase != Phase.MEETING:
        raise Conflict(_("Mødet kan kun startes, når forløbet er i mødefasen."))
    existing = meeting_for(cycle)
    if existing is not None:
        return existing
    first = cycle.prompts[0].id if cycle.prompts else None
    meeting = LiveMeeting(
        cycle_id=cycle.id,
        facilitator_id=actor.id,
        started_at=utcnow(),
        current_prompt_id=first,
        votes_per_member=3,
        voting=Voting.NOT_STARTED,
        version=1,
        participant_count=0,
    )
    db.session.add(meeting)
    db.session.flush()
    answers = cycle_meeting.shared_answers(cycle)
    cards = [
        LiveCard(
            meeting_id=meeting.id,
            prompt_id=prompt_id,
            text=a.text,
            author_name=a.author_name,
            sort_key=secrets.token_hex(8),
            votes=0,
        )
        for prompt_id, shared in answers.items()
        for a in shared
    ]
    random.SystemRandom().shuffle(cards)  # even the ids say nothing about the authors' order
    db.session.add_all(cards)
    db.session.flush()
    polls.remember_change(db.session(), meeting.id, 1, started=True)
    return meeting


def join(user: User, meeting: LiveMeeting) -> LiveAttendee | None:
    """Count a member in (once): their explicit "join" on the participant view, or their first
    vote (which needs the row for the used votes). Not a thought: an anonymous card and its
    author's new row in one transaction would be one more thing linking them.

    Nothing on the board changes (the count is only shown at the end), so no view is told.
    The caller has checked ``Permission.CONTRIBUTE``.
    """
    attendee = db.session.get(LiveAttendee, (meeting.id, user.id))
    if attendee is None and meeting.ended_at is None:
        attendee = LiveAttendee(meeting_id=meeting.id, user_id=user.id, votes_used=0)
        db.session.add(attendee)
        db.session.flush()
    return attendee


def attends(user: User, meeting: LiveMeeting) -> bool:
    return db.session.get(LiveAttendee, (meeting.id, user.id)) is not None


def viewer_state(user: User, meeting: LiveMeeting) -> tuple[bool, int]:
    """Whether the member said they are in the meeting, and how many votes they used (all
    of them, at most: the facilitator may reopen the vote with fewer)."""
    used = db.session.scalar(
        select(LiveAttendee.votes_used).where(
            LiveAttendee.meeting_id == meeting.id, LiveAttendee.user_id == user.id
        )
    )
    return used is not None, min(used or 0, meeting.votes_per_member)


def step(actor: User, meeting: LiveMeeting, cycle: Cycle, prompt_id: object) -> None:
    _open(meeting)
    ids = [p.id for p in cycle.prompts]
    try:
        wanted = int(str(prompt_id))
    except ValueError:
        wanted = None
    if wanted not in ids:
        raise InputError({"prompt_id": _("Vælg et af forløbets spørgsmål.")})
    meeting.current_prompt_id = wanted
    _changed(meeting)


def set_timer(actor: User, meeting: LiveMeeting, minutes: object) -> None:
    _open(meeting)
    try:
        value = int(str(minutes).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_TIMER_MINUTES:
        raise InputError(
            {"minutes": _("Skriv et antal minutter fra 0 til %(max)d.", max=MAX_TIMER_MINUTES)}
        )
    meeting.timer_ends_at = utcnow() + timedelta(minutes=value) if value else None
    _changed(meeting)


def add_card(
    user: User,
    meeting: LiveMeeting,
    cycle: Cycle,
    *,
    prompt_id: object,
    text: str | None,
    visibility: object,
) -> LiveCard:
    """A thought added at the meeting, named (with the author's name) or anonymous (nothing)."""
    _open(meeting)
    errors: dict[str, str] = {}
    text = check_text(errors, "text", text, MAX_CARD, required=True)
    if visibility not in (Visibility.NAMED.value, Visibility.ANONYMOUS.value):
        errors["visibility"] = _("Vælg, om tanken deles med navn eller anonymt.")
    if str(prompt_id) not in {str(p.id) for p in cycle.prompts}:
        errors[FORM] = _("Et af spørgsmålene hører ikke til forløbet. Genindlæs siden.")
    if errors:
        raise InputError(errors)
    card = LiveCard(
        meeting_id=meeting.id,
        prompt_id=int(str(prompt_id)),
        text=text,
        author_name=user.display_name if visibility == Visibility.NAMED.value else None,
        sort_key=secrets.token_hex(8),
        votes=0,
    )
    if card.author_name is None:
        # An anonymous card is written in a transaction of its own, with nothing else (not the
        # meeting's row, which names the facilitator): no row of the author's shares its
        # transaction id (PostgreSQL's ``xmin``). Everything before it is committed first.
        db.session.commit()
        db.session.add(card)
        db.session.commit()
    else:
        db.session.add(card)
        db.session.flush()
    _changed(meeting)
    return card


def _card(meeting: LiveMeeting, card_id: object) -> LiveCard:
    try:
        card = db.session.get(LiveCard, int(str(card_id)))
    except ValueError:
        card = None
    if card is None or card.meeting_id != meeting.id:
        raise InputError({FORM: _("Kortet findes ikke længere. Genindlæs siden.")})
    return card


def merge(actor: User, meeting: LiveMeeting, card_id: object, into_id: object) -> LiveCard:
    """Group a card into another (its votes go along); a group of groups points at the top."""
    _open(meeting)
    card, into = _card(meeting, card_id), _card(meeting, into_id)
    while into.merged_into_id is not None:
        into = _card(meeting, into.merged_into_id)
    if card.id == into.id:
        raise InputError({FORM: _("Et kort kan ikke grupperes med sig selv.")})
    db.session.execute(
        update(LiveCard).where(LiveCard.merged_into_id == card.id).values(merged_into_id=into.id)
    )
    card.merged_into_id = into.id
    into.votes += card.votes
    card.votes = 0
    db.session.flush()
    _changed(meeting)
    return into


def open_voting(actor: User, meeting: LiveMeeting, votes_per_member: object) -> None:
    _open(meeting)
    try:
        votes = int(str(votes_per_member).strip())
    except ValueError:
        votes = 0
    if not 1 <= votes <= MAX_VOTES:
        raise InputError({"votes": _("Skriv et antal stemmer fra 1 til %(max)d.", max=MAX_VOTES)})
    meeting.votes_per_member = votes
    meeting.voting = Voting.OPEN
    _changed(meeting)


def close_voting(actor: User, meeting: LiveMeeting) -> None:
    _open(meeting)
    meeting.voting = Voting.CLOSED
    _changed(meeting)


def vote(user: User, meeting: LiveMeeting, card_id: object) -> int:
    """Place one of the member's votes on a card; returns the votes they have left.

    No row records which member voted for which card, and no transaction writes both sides:
    the member's used votes (a row naming them) are counted and committed first, then the
    card's total moves in a transaction of its own that writes nothing else, so on PostgreSQL
    the two rows never share a transaction id (``xmin``) either. A request that dies between
    the two loses that vote (the member has one fewer); it never gives one more. The totals
    are shown when the facilitator closes the vote, not while it runs (a total that ticks up
    as a colleague taps would tell the room what they chose), so a vote tells no other view.
    """
    _open(meeting)
    if meeting.voting != Voting.OPEN:
        raise Conflict(_("Afstemningen er ikke åben."))
    card = _card(meeting, card_id)
    if card.merged_into_id is not None:
        card = _card(meeting, card.merged_into_id)
    card_id, meeting_id, votes_per_member = card.id, meeting.id, meeting.votes_per_member
    join(user, meeting)
    used = db.session.execute(
        update(LiveAttendee)
        .where(
            LiveAttendee.meeting_id == meeting_id,
            LiveAttendee.user_id == user.id,
            LiveAttendee.votes_used < votes_per_member,
        )
        .values(votes_used=LiveAttendee.votes_used + 1)
    )
    if used.rowcount != 1:
        raise Conflict(_("Du har brugt alle dine stemmer."))
    left = votes_left(user, meeting)
    db.session.commit()  # the person's side ends here (anonymity: see above)
    db.session.execute(
        update(LiveCard).where(LiveCard.id == card_id).values(votes=LiveCard.votes + 1)
    )
    db.session.commit()  # the card's side: a transaction that names nobody
    return left


def votes_left(user: User, meeting: LiveMeeting) -> int:
    used = (
        db.session.scalar(
            select(LiveAttendee.votes_used).where(
                LiveAttendee.meeting_id == meeting.id, LiveAttendee.user_id == user.id
            )
        )
        or 0
    )
    return meeting.votes_per_member - used


def record_conclusion(
    actor: User, meeting: LiveMeeting, cycle: Cycle, prompt_id: object, text: str | None
) -> None:
    """The team's conclusion for one prompt, straight into the existing conclusions."""
    _open(meeting)
    try:
        pid = int(str(prompt_id))
    except ValueError:
        pid = -1
    cycle_meeting.record_conclusions(actor, cycle, {pid: text or ""})
    _changed(meeting)


def action_from_card(actor: User, meeting: LiveMeeting, card_id: object) -> LiveAction:
    _open(meeting)
    card = _card(meeting, card_id)
    action = LiveAction(meeting_id=meeting.id, text=card.text)
    db.session.add(action)
    db.session.flush()
    _changed(meeting)
    return action


def edit_action(
    actor: User,
    meeting: LiveMeeting,
    cycle: Cycle,
    action_id: object,
    *,
    text: str | None,
    owner_id: object,
    due_on: object,
    expectation: object,
    kkc: object,
) -> LiveAction:
    """Check an action as the actions page would (owner, future due date, choices) and keep it."""
    _open(meeting)
    try:
        action = db.session.get(LiveAction, int(str(action_id)))
    except ValueError:
        action = None
    if action is None or action.meeting_id != meeting.id:
        raise InputError({FORM: _("Handlingen findes ikke længere. Genindlæs siden.")})
    errors: dict[str, str] = {}
    values = cycle_actions.validated_action(
        errors,
        cycle,
        text=text,
        owner_id=owner_id,
        due_on=due_on,
        expectation=expectation,
        kkc=kkc,
        earliest=cycle_actions.today(),
    )
    if errors:
        raise InputError(errors)
    for key, value in values.items():
        setattr(action, key, value)
    db.session.flush()
    _changed(meeting)
    return action


@dataclass(frozen=True)
class Ended:
    participants: int
    actions: int


def end_meeting(actor: User, meeting: LiveMeeting, cycle: Cycle, *, confirmed: bool) -> Ended:
    """Close the meeting: the phase moves on to the agreements (a confirmed step), the edited
    actions become the cycle's actions, and only the number of participants is kept."""
    _open(meeting)
    if not confirmed:
        raise InputError(
            {"confirm": _("Bekræft, at mødet skal afsluttes og forløbet gå videre til aftalerne.")}
        )
    pending = list(
        db.session.scalars(
            select(LiveAction).where(LiveAction.meeting_id == meeting.id).order_by(LiveAction.id)
        )
    )
    unfinished = [a for a in pending if a.owner_id is None or a.due_on is None]
    if unfinished:
        raise InputError(
            {FORM: _("Giv hver handling en ansvarlig og en dato, før mødet afsluttes.")}
        )
    move_phase(actor, cycle, Phase.AGREEMENTS, expected_from=Phase.MEETING)
    for item in pending:
        cycle_actions.create_action(
            actor,
            cycle,
            text=item.text,
            owner_id=item.owner_id,
            due_on=item.due_on.isoformat(),
            expectation=item.expectation.value if item.expectation else None,
            kkc=item.kkc.value if item.kkc else None,
        )
    count = (
        db.session.scalar(
            select(func.count())
            .select_from(LiveAttendee)
            .where(LiveAttendee.meeting_id == meeting.id)
        )
        or 0
    )
    db.session.execute(delete(LiveAttendee).where(LiveAttendee.meeting_id == meeting.id))
    db.session.execute(delete(LiveAction).where(LiveAction.meeting_id == meeting.id))
    meeting.participant_count = count
    meeting.ended_at = utcnow()
    _changed(meeting)
    return Ended(participants=count, actions=len(pending))


@dataclass(frozen=True)
class Board:
    cards: list[LiveCard]  # top-level cards of the current prompt, sealed order
    grouped: dict[int, list[LiveCard]]  # card id -> the cards merged into it
    top: list[LiveCard]  # by votes, after voting closed
    actions: list[LiveAction]
    conclusion: str


def board(meeting: LiveMeeting) -> Board:
    """What every view shows: two queries for cards and actions, one for the conclusion."""
    all_cards = list(
        db.session.scalars(
            select(LiveCard).where(LiveCard.meeting_id == meeting.id).order_by(LiveCard.sort_key)
        )
    )
    grouped: dict[int, list[LiveCard]] = {}
    for card in all_cards:
        if card.merged_into_id is not None:
            grouped.setdefault(card.merged_into_id, []).append(card)
    current = [
        c
        for c in all_cards
        if c.merged_into_id is None and c.prompt_id == meeting.current_prompt_id
    ]
    top = sorted(
        (c for c in all_cards if c.merged_into_id is None and c.votes > 0),
        key=lambda c: (-c.votes, c.sort_key),
    )
    actions = list(
        db.session.scalars(
            select(LiveAction).where(LiveAction.meeting_id == meeting.id).order_by(LiveAction.id)
        )
    )
    conclusion = (
        db.session.scalar(
            select(Conclusion.text).where(
                Conclusion.cycle_id == meeting.cycle_id,
                Conclusion.prompt_id == meeting.current_prompt_id,
            )
        )
        or ""
    )
    return Board(current, grouped, top, actions, conclusion)
