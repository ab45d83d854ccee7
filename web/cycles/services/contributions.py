"""Members' answers to a cycle's prompts, written during preparation.

Each answer is private (only its author ever sees it), named to the team, or anonymous to the
team. ``author_id`` is kept only so the author can edit until the meeting; when the meeting
phase starts, ``seal_anonymous`` rewrites the anonymous answers without author, with one common
timestamp and in random order, so neither a link, a time nor an id order ties them to anyone.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select

from web.cycles.models import (
    MAX_ANSWER,
    Contribution,
    Cycle,
    Participation,
    Phase,
    PhaseChange,
    Visibility,
)
from web.errors import FORM, Conflict, InputError
from web.extensions import db
from web.inputs import check_text
from web.users.models import User


@dataclass(frozen=True)
class AnswerInput:
    """One prompt's answer as entered; empty text withdraws the answer."""

    prompt_id: int
    text: str
    visibility: Visibility | None


def my_answers(user: User, cycle: Cycle) -> dict[int, Contribution]:
    """The answers still linked to ``user`` in ``cycle``, by prompt id.

    Once the meeting has started, the user's anonymous answers are no longer among them.
    """
    return {
        c.prompt_id: c
        for c in db.session.scalars(
            _my_answers_statement(),
            {"tenant": user.tenant_id, "cycle": cycle.id, "author": user.id},
            execution_options={"skip_tenant_scope": True},
        )
    }


# The two statements of every save, built once and naming the tenant themselves (executed with
# ``skip_tenant_scope``: the scoping hook's criteria are rebuilt per execution; PostgreSQL's
# row-level security still applies), as the front page's.


@functools.cache
def _my_answers_statement():
    return select(Contribution).where(
        Contribution.tenant_id == bindparam("tenant"),
        Contribution.cycle_id == bindparam("cycle"),
        Contribution.author_id == bindparam("author"),
    )


@functools.cache
def _lock_person_statement():
    return (
        select(User.id)
        .where(User.tenant_id == bindparam("tenant"), User.id == bindparam("user"))
        .with_for_update()
    )


def has_sealed_answers(cycle: Cycle) -> bool:
    """Whether the cycle has been in the meeting phase (and its anonymous answers sealed)."""
    return (
        db.session.scalar(
            select(PhaseChange.id)
            .where(
                PhaseChange.cycle_id == cycle.id,
                PhaseChange.from_phase == Phase.PREPARATION,
                PhaseChange.to_phase == Phase.MEETING,
            )
            .limit(1)
        )
        is not None
    )


def save_answers(actor: User, cycle: Cycle, answers: list[AnswerInput]) -> list[Contribution]:
    """Create, change or withdraw ``actor``'s answers; only while the cycle is in preparation.

    Every answer is checked first (length, a visibility for each text, the prompt belongs to the
    cycle); errors are keyed ``answer-<prompt id>`` and ``visibility-<prompt id>``. The first
    saved answer records the actor's ``Participation``; withdrawing every answer before the
    meeting has ever started removes it again. The caller has checked
    ``Permission.CONTRIBUTE``. The visibility of the last answer given is remembered as the
    actor's ``answer_visibility`` (``remembered_visibility``). Returns the actor's answers.
    """
    errors: dict[str, str] = {}
    if cycle.phase != Phase.PREPARATION:
        raise Conflict(_("Dialogmødet er begyndt, så svarene kan ikke længere ændres."))
    prompt_ids = {p.id for p in cycle.prompts}
    cleaned = []
    for a in answers:
        a = AnswerInput(
            a.prompt_id,
            check_text(errors, f"answer-{a.prompt_id}", a.text, MAX_ANSWER),
            a.visibility,
        )
        cleaned.append(a)
        if a.prompt_id not in prompt_ids:
            errors.pop(f"answer-{a.prompt_id}", None)
            errors[FORM] = _("Et af spørgsmålene hører ikke til forløbet. Genindlæs siden.")
        elif a.text and a.visibility not in tuple(Visibility):
            errors[f"visibility-{a.prompt_id}"] = _("Vælg, hvem der må se svaret.")
    answers = cleaned
    # One save at a time per person (a double click, two tabs): the second waits for the first
    # to commit and then updates its answers instead of inserting them again.
    db.session.execute(
        _lock_person_statement(),
        {"tenant": actor.tenant_id, "user": actor.id},
        execution_options={"skip_tenant_scope": True},
    )
    existing = my_answers(actor, cycle)
    if not errors and not existing and not any(a.text for a in answers):
        errors[FORM] = _("Skriv mindst ét svar, før du gemmer.")
    if errors:
        raise InputError(errors)

    had_answers = bool(existing)
    for a in answers:
        row = existing.get(a.prompt_id)
        if not a.text:
            if row is not None:
                db.session.delete(row)
                del existing[a.prompt_id]
            continue
        if row is None:
            row = Contribution(cycle_id=cycle.id, prompt_id=a.prompt_id, author_id=actor.id)
            db.session.add(row)
            existing[a.prompt_id] = row
        row.text, row.visibility = a.text, a.visibility
    chosen = [a.visibility for a in answers if a.text]
    if chosen:
        # Remembered for the questions they have not answered yet, here and in later cycles.
        actor.answer_visibility = Visibility(chosen[-1]).value
    if not (had_answers and existing):
        # Changing answers one already had changes nothing about taking part.
        _record_participation(actor, cycle, contributed=bool(existing))
    db.session.flush()
    return sorted(existing.values(), key=lambda c: c.prompt_id)


def remembered_visibility(person: User) -> str | None:
    """Who may see an answer, as ``person`` last chose it (a ``Visibility`` value), or None."""
    choice = person.answer_visibility
    return choice if choice in {v.value for v in Visibility} else None


def seal_anonymous(cycle: Cycle, at: datetime) -> int:
    """Rewrite the cycle's anonymous answers without author, stamped ``at``, in random order.

    Called by ``cycles.move_phase`` when the meeting starts. Returns how many were sealed.
    """
    rows = db.session.execute(
        select(Contribution.prompt_id, Contribution.text).where(
            Contribution.cycle_id == cycle.id, Contribution.visibility == Visibility.ANONYMOUS
        )
    ).all()
    if not rows:
        return 0
    db.session.execute(
        delete(Contribution).where(
            Contribution.cycle_id == cycle.id, Contribution.visibility == Visibility.ANONYMOUS
        ),
        execution_options={"synchronize_session": "fetch"},
    )
    rows = list(rows)
    secrets.SystemRandom().shuffle(rows)
    for prompt_id, text in rows:
        db.session.add(
            Contribution(
                cycle_id=cycle.id,
                prompt_id=prompt_id,
                author_id=None,
                visibility=Visibility.ANONYMOUS,
                text=text,
                created_at=at,
                updated_at=at,
            )
        )
    db.session.flush()
    return len(rows)


def _record_participation(actor: User, cycle: Cycle, *, contributed: bool) -> None:
    row = db.session.scalar(
        select(Participation).where(
            Participation.cycle_id == cycle.id, Participation.user_id == actor.id
        )
    )
    if contributed and row is None:
        db.session.add(Participation(cycle_id=cycle.id, user_id=actor.id))
    elif not contributed and row is not None and not has_sealed_answers(cycle):
        # After a step back from the meeting the actor may have sealed anonymous answers that
        # no longer show as theirs: they did contribute, so the row stays.
        db.session.delete(row)
