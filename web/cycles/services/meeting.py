"""The dialogue meeting: the team's shared answers per prompt, and the team's conclusions."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, select

from web.cycles.models import MAX_CONCLUSION, Conclusion, Contribution, Cycle, Phase, Visibility
from web.errors import FORM, Conflict, InputError
from web.extensions import db
from web.inputs import check_text
from web.users.models import User

CONCLUSION_PHASES = (Phase.MEETING, Phase.AGREEMENTS)


@dataclass(frozen=True)
class SharedAnswer:
    text: str
    author_name: str | None  # None for an anonymous answer, always


def shared_answers(cycle: Cycle) -> dict[int, list[SharedAnswer]]:
    """The team's named and anonymous answers by prompt id, from the meeting phase on.

    Private answers are never included. An anonymous answer's author is not even joined (its
    ``author_id`` is gone by then anyway). Named answers come first by name, then the anonymous
    ones ordered by their text, so the order says nothing about who wrote them or when. One
    query, whatever the number of answers. The caller has checked
    ``Permission.VIEW_TEAM_ANSWERS``.
    """
    if cycle.phase == Phase.PREPARATION:
        return {}
    rows = db.session.execute(
        select(Contribution.prompt_id, Contribution.text, User.display_name)
        .outerjoin(
            User,
            and_(User.id == Contribution.author_id, Contribution.visibility == Visibility.NAMED),
        )
        .where(
            Contribution.cycle_id == cycle.id,
            Contribution.visibility.in_((Visibility.NAMED, Visibility.ANONYMOUS)),
        )
    )
    grouped: dict[int, list[SharedAnswer]] = {}
    for prompt_id, text, name in rows:
        grouped.setdefault(prompt_id, []).append(SharedAnswer(text, name))
    for answers in grouped.values():
        answers.sort(
            key=lambda a: (a.author_name is None, (a.author_name or a.text).casefold(), a.text)
        )
    return grouped


def conclusions(cycle: Cycle) -> dict[int, Conclusion]:
    """The team's conclusions by prompt id."""
    return {
        c.prompt_id: c
        for c in db.session.scalars(select(Conclusion).where(Conclusion.cycle_id == cycle.id))
    }


def record_conclusions(actor: User, cycle: Cycle, texts: dict[int, str]) -> dict[int, Conclusion]:
    """Set the conclusion of each given prompt (empty text removes it).

    Allowed at the meeting and while agreeing on actions. Errors are keyed
    ``conclusion-<prompt id>``. The caller has checked ``Permission.FACILITATE``.
    """
    if cycle.phase not in CONCLUSION_PHASES:
        raise Conflict(_("Konklusioner skrives under dialogmødet og aftalerne."))
    errors: dict[str, str] = {}
    prompt_ids = {p.id for p in cycle.prompts}
    for prompt_id, text in list(texts.items()):
        if prompt_id not in prompt_ids:
            errors[FORM] = _("Et af spørgsmålene hører ikke til forløbet. Genindlæs siden.")
        texts[prompt_id] = check_text(errors, f"conclusion-{prompt_id}", text, MAX_CONCLUSION)
    if errors:
        raise InputError(errors)

    current = conclusions(cycle)
    for prompt_id, text in texts.items():
        row = current.get(prompt_id)
        if not text:
            if row is not None:
                db.session.delete(row)
                del current[prompt_id]
        elif row is None:
            current[prompt_id] = Conclusion(
                cycle_id=cycle.id, prompt_id=prompt_id, text=text, recorded_by_id=actor.id
            )
            db.session.add(current[prompt_id])
        elif row.text != text:
            row.text, row.recorded_by_id = text, actor.id
    db.session.flush()
    return current
