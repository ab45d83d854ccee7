"""Follow-up cycles: starting one, its phases, its details, who takes part, and the next one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from web.cycles.labels import PHASE_LABELS
from web.cycles.models import (
    MAX_REASON,
    PHASE_ORDER,
    Action,
    Cycle,
    CyclePrompt,
    DialogueTemplate,
    Phase,
    PhaseChange,
)
from web.cycles.services import contributions
from web.cycles.services.actions import actions_for_cycle, team_members
from web.cycles.services.common import CycleDates, check_dates, clean_text
from web.errors import Conflict, InputError
from web.extensions import db
from web.inputs import check_text
from web.models import utcnow
from web.orgs.models import OrgUnit
from web.permissions import has_role, led_unit_ids, member_unit_ids
from web.users.models import TenantRoleName, User


@dataclass(frozen=True)
class PhaseMoves:
    """Where a cycle may go from its phase: one step forward, or one step back (with a reason)."""

    forward: Phase | None
    back: Phase | None


def start_cycle(
    actor: User,
    unit: OrgUnit,
    template: DialogueTemplate | None,
    dates: CycleDates,
    *,
    include_subunits: bool = False,
) -> Cycle:
    """Start a cycle for ``unit`` led by ``actor``, in the preparation phase.

    The template's prompts are copied into the cycle (``CyclePrompt``), so editing the template
    later never changes this cycle. Refused when the unit already has a cycle that is not
    closed. The caller has checked ``Permission.START_CYCLE`` for the unit.
    """
    errors = _check_new_cycle(unit.id, template, dates)
    if errors:
        raise InputError(errors)
    cycle = build_cycle(unit, actor.id, template, dates, include_subunits=include_subunits)
    db.session.flush()
    return cycle


def update_cycle(actor: User, cycle: Cycle, dates: CycleDates, facilitator_id: int | None) -> Cycle:
    """Change the dates, the meeting place and the facilitator of a cycle that is not closed.

    The facilitator (who may run the meeting in the leader's place) must take part in the
    cycle; ``None`` removes the facilitator.
    """
    if cycle.phase == Phase.CLOSED:
        raise Conflict(_("Forløbet er afsluttet og kan ikke længere ændres."))
    errors: dict[str, str] = {}
    check_dates(errors, dates)
    dates = _clean_dates(dates)
    if (
        facilitator_id is not None
        and facilitator_id != cycle.facilitator_id
        and facilitator_id not in {u.id for u in team_members(cycle)}
    ):
        errors["facilitator_id"] = _("Ordstyreren skal være med i forløbet.")
    if errors:
        raise InputError(errors)
    _apply_dates(cycle, dates)
    cycle.facilitator_id = facilitator_id
    db.session.flush()
    return cycle


def allowed_moves(cycle: Cycle) -> PhaseMoves:
    i = PHASE_ORDER.index(cycle.phase)
    return PhaseMoves(
        forward=PHASE_ORDER[i + 1] if i + 1 < len(PHASE_ORDER) else None,
        back=PHASE_ORDER[i - 1] if i > 0 else None,
    )


@dataclass(frozen=True)
class MoveNotice:
    """What a person must know before a phase move (the page asks them to confirm it)."""

    seals: bool  # the move seals the answers: anonymous ones lose their author for good
    preparation_until: date | None  # set when preparation is planned to run past ``today``

    @property
    def needs_confirmation(self) -> bool:
        return self.seals or self.preparation_until is not None


def move_notice(cycle: Cycle, to_phase: Phase, today: date) -> MoveNotice:
    starts_meeting = cycle.phase == Phase.PREPARATION and to_phase == Phase.MEETING
    early = starts_meeting and today < cycle.preparation_ends_on
    return MoveNotice(
        seals=starts_meeting, preparation_until=cycle.preparation_ends_on if early else None
    )


def move_phase(
    actor: User,
    cycle: Cycle,
    to_phase: Phase,
    reason: str | None = None,
    *,
    expected_from: Phase | None = None,
    today: date | None = None,
    shorten_preparation: bool = False,
) -> PhaseChange:
    """Move ``cycle`` one step forward, or one step back with a reason; records a PhaseChange.

    ``expected_from`` is the phase the actor saw: when the cycle has moved since (a second
    leader, a double submit), the move is refused instead of going two steps.

    Entering the meeting seals the anonymous answers (``contributions.seal_anonymous``): from
    then on nothing links them to their authors. Closing stamps ``closed_at``. A closed cycle
    that already has a next cycle cannot be reopened.

    With ``today`` given, starting the meeting while preparation is planned to run past today
    is refused unless ``shorten_preparation``: then preparation ends today (the team was told a
    date; the change is visible on the cycle page) and the meeting starts.
    """
    moves = allowed_moves(cycle)
    errors: dict[str, str] = {}
    reason = check_text(errors, "reason", reason, MAX_REASON)
    if expected_from is not None and expected_from != cycle.phase:
        raise Conflict(
            _(
                "Forløbet er allerede flyttet til %(phase)s. Se siden igen.",
                phase=PHASE_LABELS[cycle.phase],
            )
        )
    if to_phase not in (moves.forward, moves.back):
        raise Conflict(
            _(
                "Forløbet kan ikke gå fra %(from)s til %(to)s.",
                **{"from": PHASE_LABELS[cycle.phase], "to": PHASE_LABELS[to_phase]},
            )
        )
    if cycle.phase == Phase.CLOSED and to_phase == moves.back and next_cycle_id(cycle) is not None:
        raise Conflict(_("Det næste forløb er allerede startet, så dette kan ikke genåbnes."))
    if to_phase == moves.back and not reason:
        errors["reason"] = _("Skriv, hvorfor forløbet går et skridt tilbage.")
    notice = move_notice(cycle, to_phase, today) if today is not None else None
    if notice is not None and notice.preparation_until is not None and not shorten_preparation:
        errors["shorten_preparation"] = _(
            "Forberedelsen løber til %(date)s. Forkort forberedelsen til i dag, før dialogmødet "
            "starter, eller vent.",
            date=format_date(notice.preparation_until, "long"),
        )
    if errors:
        raise InputError(errors)

    if notice is not None and notice.preparation_until is not None:
        cycle.preparation_ends_on = today
        cycle.preparation_starts_on = min(cycle.preparation_starts_on, today)
    now = utcnow()
    change = PhaseChange(
        cycle_id=cycle.id,
        from_phase=cycle.phase,
        to_phase=to_phase,
        reason=reason or None,
        changed_by_id=actor.id,
        changed_at=now,
    )
    db.session.add(change)
    if cycle.phase == Phase.PREPARATION and to_phase == Phase.MEETING:
        contributions.seal_anonymous(cycle, now)
    cycle.phase = to_phase
    cycle.closed_at = now if to_phase == Phase.CLOSED else None
    db.session.flush()
    return change


def next_cycle_id(cycle: Cycle) -> int | None:
    return db.session.scalar(select(Cycle.id).where(Cycle.previous_cycle_id == cycle.id).limit(1))


def start_next_cycle(
    actor: User, cycle: Cycle, template: DialogueTemplate | None, dates: CycleDates
) -> Cycle:
    """Start the cycle after a closed one for the same unit(s), led by ``actor``.

    The open actions (planned or in progress) are carried over as new actions pointing back
    with ``carried_from_id``; the old ones stay as they were, part of the closed cycle.
    """
    if cycle.phase != Phase.CLOSED:
        raise Conflict(_("Et nyt forløb kan først startes, når dette er afsluttet."))
    if next_cycle_id(cycle) is not None:
        raise Conflict(_("Det næste forløb er allerede startet."))
    errors = _check_new_cycle(cycle.unit_id, template, dates)
    if errors:
        raise InputError(errors)
    new = build_cycle(
        cycle.unit, actor.id, template, dates, include_subunits=cycle.include_subunits
    )
    new.previous_cycle_id = cycle.id
    for action in actions_for_cycle(cycle, open_only=True):
        db.session.add(
            Action(
                cycle=new,
                text=action.text,
                owner_id=action.owner_id,
                due_on=action.due_on,
                status=action.status,
                expectation=action.expectation,
                kkc=action.kkc,
                carried_from_id=action.id,
            )
        )
    db.session.flush()
    return new


def member_count(cycle: Cycle) -> int:
    """The people the cycle asks (fixed when preparation opened; see ``web.cycles.tally``)."""
    return cycle.member_count


def participation_count(cycle: Cycle) -> int:
    """How many members have contributed (for the team; never shown outside it below k)."""
    return cycle.contributor_count


def phase_history(cycle: Cycle) -> list[tuple[PhaseChange, str | None]]:
    """Every phase move with the name of who made it, oldest first (one query)."""
    return [
        (change, name)
        for change, name in db.session.execute(
            select(PhaseChange, User.display_name)
            .outerjoin(User, User.id == PhaseChange.changed_by_id)
            .where(PhaseChange.cycle_id == cycle.id)
            .order_by(PhaseChange.changed_at, PhaseChange.id)
        )
    ]


def open_cycle_unit_ids(unit_ids: Iterable[int]) -> set[int]:
    """Of ``unit_ids``, those with a cycle that is not closed."""
    ids = list(unit_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Cycle.unit_id).where(Cycle.unit_id.in_(ids), Cycle.phase != Phase.CLOSED)
        )
    )


def _check_new_cycle(
    unit_id: int, template: DialogueTemplate | None, dates: CycleDates
) -> dict[str, str]:
    if open_cycle_unit_ids([unit_id]):
        raise Conflict(_("Enheden har allerede et forløb, der ikke er afsluttet."))
    errors: dict[str, str] = {}
    if template is None:
        errors["template_id"] = _("Vælg en skabelon.")
    elif not template.prompts:
        errors["template_id"] = _("Skabelonen har ingen spørgsmål.")
    check_dates(errors, dates)
    return errors


def build_cycle(
    unit: OrgUnit,
    leader_id: int | None,
    template: DialogueTemplate,
    dates: CycleDates,
    *,
    include_subunits: bool,
    campaign_id: int | None = None,
) -> Cycle:
    """A new cycle in preparation with the template's prompts copied in; added, not flushed."""
    cycle = Cycle(
        unit_id=unit.id,
        unit=unit,
        leader_id=leader_id,
        campaign_id=campaign_id,
        template_id=template.id,
        template_version=template.version,
        include_subunits=include_subunits,
        phase=Phase.PREPARATION,
    )
    _apply_dates(cycle, _clean_dates(dates))
    cycle.prompts = snapshot_prompts(template)
    db.session.add(cycle)
    return cycle


def snapshot_prompts(template: DialogueTemplate) -> list[CyclePrompt]:
    """The template's prompts as a cycle keeps them."""
    return [
        CyclePrompt(
            position=i,
            kind=p.kind,
            text_da=p.text_da,
            text_en=p.text_en,
            help_da=p.help_da,
            help_en=p.help_en,
        )
        for i, p in enumerate(template.prompts, start=1)
    ]


def _clean_dates(dates: CycleDates) -> CycleDates:
    place = clean_text(dates.meeting_place) or None
    return CycleDates(
        dates.preparation_starts_on,
        dates.preparation_ends_on,
        dates.meeting_at,
        place,
        dates.follow_up_on,
    )


def _apply_dates(cycle: Cycle, dates: CycleDates) -> None:
    cycle.preparation_starts_on = dates.preparation_starts_on
    cycle.preparation_ends_on = dates.preparation_ends_on
    cycle.meeting_at = dates.meeting_at
    cycle.meeting_place = dates.meeting_place
    cycle.follow_up_on = dates.follow_up_on


# --- the cycles a user may see (for the JSON API's list; added with web/api) -----------------


def visible_cycles(
    user: User, *, phase: Phase | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[Cycle], bool]:
    """The cycles ``user`` may see (``Permission.VIEW_CYCLE``), newest first; and whether
    there is a next page.

    The rule of ``permissions._view_cycle`` as one query: HR and admins see every cycle;
    others the cycles they lead, those of the units they lead and below, and those they take
    part in (of their units, or of a unit above one of them that includes its sub-units).
    Unit, leader and facilitator come along; the prompts do not.
    """
    query = select(Cycle)
    if not has_role(user, TenantRoleName.HR, TenantRoleName.ADMIN):
        members, led = member_unit_ids(user), led_unit_ids(user)
        seen = [Cycle.leader_id == user.id]
        if led:
            seen.append(Cycle.unit_id.in_(led))
        if members:
            above = (
                select(OrgUnit.id, OrgUnit.parent_id)
                .where(OrgUnit.id.in_(members))
                .cte("units_above", recursive=True)
            )
            parent = aliased(OrgUnit)
            above = above.union_all(
                select(parent.id, parent.parent_id).join(above, parent.id == above.c.parent_id)
            )
            seen += [
                Cycle.unit_id.in_(members),
                and_(Cycle.include_subunits, Cycle.unit_id.in_(select(above.c.id))),
            ]
        query = query.where(or_(*seen))
    if phase is not None:
        query = query.where(Cycle.phase == phase)
    page = max(1, page)
    rows = list(
        db.session.scalars(
            query.options(
                joinedload(Cycle.unit),
                joinedload(Cycle.leader).lazyload(User.roles),
                joinedload(Cycle.facilitator).lazyload(User.roles),
                lazyload(Cycle.prompts),
            )
            .order_by(Cycle.created_at.desc(), Cycle.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page
