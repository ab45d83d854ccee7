"""Rows as response bodies, field by field (nothing is exposed by accident)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from web.api import schemas as s
from web.cycles.models import Action, Conclusion, Contribution, Cycle, CyclePrompt
from web.cycles.services.actions import is_overdue
from web.cycles.services.cycles import allowed_moves
from web.cycles.services.meeting import SharedAnswer
from web.examples.services import TeamExample
from web.orgs.models import OrgUnit
from web.permissions import Permission, can
from web.users.models import User


def aware(moment: datetime | None) -> datetime | None:
    """Timestamps in UTC (SQLite hands them back naive, already in UTC)."""
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def person(user: User | None) -> s.PersonRef | None:
    return s.PersonRef(id=user.id, display_name=user.display_name) if user else None


def unit(row: OrgUnit) -> s.UnitRef:
    return s.UnitRef(id=row.id, name=row.name)


def _cycle_fields(cycle: Cycle) -> dict:
    return {
        "id": cycle.id,
        "unit": unit(cycle.unit),
        "leader": person(cycle.leader),
        "facilitator": person(cycle.facilitator),
        "campaign_id": cycle.campaign_id,
        "phase": cycle.phase,
        "include_subunits": cycle.include_subunits,
        "preparation_starts_on": cycle.preparation_starts_on,
        "preparation_ends_on": cycle.preparation_ends_on,
        "meeting_at": aware(cycle.meeting_at),
        "meeting_place": cycle.meeting_place,
        "follow_up_on": cycle.follow_up_on,
        "closed_at": aware(cycle.closed_at),
        "previous_cycle_id": cycle.previous_cycle_id,
        "created_at": aware(cycle.created_at),
        "updated_at": aware(cycle.updated_at),
    }


def cycle(row: Cycle) -> s.CycleOut:
    return s.CycleOut(**_cycle_fields(row))


def prompt(row: CyclePrompt) -> s.PromptOut:
    return s.PromptOut(
        id=row.id,
        position=row.position,
        kind=row.kind,
        text_da=row.text_da,
        text_en=row.text_en,
        help_da=row.help_da,
        help_en=row.help_en,
    )


def cycle_detail(row: Cycle, user: User) -> s.CycleDetailOut:
    moves = allowed_moves(row)
    return s.CycleDetailOut(
        **_cycle_fields(row),
        prompts=[prompt(p) for p in row.prompts],
        moves=s.PhaseMovesOut(forward=moves.forward, back=moves.back),
        permissions=s.CyclePermissionsOut(
            manage=can(user, Permission.MANAGE_CYCLE, row),
            facilitate=can(user, Permission.FACILITATE, row),
            contribute=can(user, Permission.CONTRIBUTE, row),
            view_team_answers=can(user, Permission.VIEW_TEAM_ANSWERS, row),
        ),
    )


def contribution(row: Contribution) -> s.ContributionOut:
    return s.ContributionOut(
        id=row.id,
        cycle_id=row.cycle_id,
        prompt_id=row.prompt_id,
        text=row.text,
        visibility=row.visibility,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


def shared_answer(answer: SharedAnswer) -> s.NamedAnswerOut | s.AnonymousAnswerOut:
    if answer.author_name is None:
        return s.AnonymousAnswerOut(text=answer.text)
    return s.NamedAnswerOut(text=answer.text, author_name=answer.author_name)


def conclusion(row: Conclusion) -> s.ConclusionOut:
    return s.ConclusionOut(prompt_id=row.prompt_id, text=row.text, updated_at=aware(row.updated_at))


def action(row: Action, today: date) -> s.ActionOut:
    return s.ActionOut(
        id=row.id,
        cycle_id=row.cycle_id,
        text=row.text,
        owner=person(row.owner),
        due_on=row.due_on,
        status=row.status,
        expectation=row.expectation,
        kkc=row.kkc,
        outcome=row.outcome,
        learning=row.learning,
        carried_from_id=row.carried_from_id,
        is_overdue=is_overdue(row, today),
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )


def example(item: TeamExample, user: User) -> s.ExampleOut:
    row = item.example
    return s.ExampleOut(
        id=row.id,
        unit=s.UnitRef(id=row.unit_id, name=item.unit_name),
        cycle_id=row.cycle_id,
        kind=row.kind,
        title=row.title,
        text=row.text,
        lesson=row.lesson,
        expectations=row.expectations,
        kkc=row.kkc,
        olfa=row.olfa,
        is_offered=row.is_offered,
        offered_at=aware(row.offered_at),
        author_name=item.author_name,
        is_mine=row.author_id == user.id,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
    )
