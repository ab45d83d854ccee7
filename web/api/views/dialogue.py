"""The dialogue: the caller's own answers (preparation), the team's shared answers and the
conclusions (meeting).

A member's own answers are reachable only by their author: another person's answer id is 404,
whatever their role. The team's shared answers carry the author's name only for answers given
with the name; an anonymous answer is its text alone.
"""

from __future__ import annotations

from flask_babel import gettext as _

from web.api import bp, present
from web.api import schemas as s
from web.api.errors import ApiError, from_input_error, validation_error
from web.api.routing import Loaded, operation
from web.cycles.models import Contribution, Cycle
from web.cycles.services import contributions, meeting
from web.cycles.services.contributions import AnswerInput
from web.errors import Refusal
from web.permissions import Permission
from web.tenancy import get_or_404
from web.users.models import User

PREPARATION_ONLY = (
    "Answers can be written and changed only while the cycle is in preparation (409 afterwards)."
)


def _own_answer(user: User, contribution_id: int, **_checked: object) -> Loaded:
    """The caller's own answer and its cycle (the permission is the cycle's)."""
    answer = get_or_404(Contribution, contribution_id)
    if answer.author_id != user.id:
        # Someone else's answer (or a sealed anonymous one) does not exist for the caller.
        raise ApiError(404, "not_found")
    cycle = get_or_404(Cycle, answer.cycle_id)
    return Loaded((answer, cycle), cycle)


@operation(
    bp,
    "GET",
    "/cycles/<int:cycle_id>/contributions",
    tag="contributions",
    summary="The caller's own answers in a cycle",
    description="Once the meeting has begun, the caller's anonymous answers are sealed "
    "and no longer listed as theirs.",
    permission=Permission.CONTRIBUTE,
    load=Cycle,
    response=s.ContributionList,
)
def my_contributions(user: User, cycle: Cycle) -> s.ContributionList:
    answers = sorted(contributions.my_answers(user, cycle).values(), key=lambda c: c.prompt_id)
    return s.ContributionList(items=[present.contribution(c) for c in answers])


@operation(
    bp,
    "POST",
    "/cycles/<int:cycle_id>/contributions",
    tag="contributions",
    summary="Answer one of the cycle's prompts",
    description="Private (only the author), named to the team, or anonymous to the "
    "team. One answer per prompt: change it with PATCH. " + PREPARATION_ONLY,
    permission=Permission.CONTRIBUTE,
    load=Cycle,
    body=s.ContributionCreate,
    response=s.ContributionOut,
    status=201,
    conflicts=True,
)
def create_contribution(user: User, cycle: Cycle, body: s.ContributionCreate) -> s.ContributionOut:
    if body.prompt_id not in {p.id for p in cycle.prompts}:
        raise validation_error({"prompt_id": _("Spørgsmålet hører ikke til forløbet.")})
    if body.prompt_id in contributions.my_answers(user, cycle):
        raise ApiError(
            409, "conflict", _("Du har allerede svaret på spørgsmålet. Ret svaret i stedet.")
        )
    saved = _save(user, cycle, AnswerInput(body.prompt_id, body.text, body.visibility))
    return present.contribution(saved)


@operation(
    bp,
    "PATCH",
    "/contributions/<int:contribution_id>",
    tag="contributions",
    summary="Change one of the caller's answers",
    description="Its text, its visibility or both. " + PREPARATION_ONLY,
    permission=Permission.CONTRIBUTE,
    load=_own_answer,
    body=s.ContributionUpdate,
    response=s.ContributionOut,
    conflicts=True,
)
def update_contribution(
    user: User, own: tuple[Contribution, Cycle], body: s.ContributionUpdate
) -> s.ContributionOut:
    answer, cycle = own
    saved = _save(
        user,
        cycle,
        AnswerInput(
            answer.prompt_id,
            body.text if body.text is not None else answer.text,
            body.visibility or answer.visibility,
        ),
    )
    return present.contribution(saved)


@operation(
    bp,
    "DELETE",
    "/contributions/<int:contribution_id>",
    tag="contributions",
    summary="Withdraw one of the caller's answers",
    description=PREPARATION_ONLY,
    permission=Permission.CONTRIBUTE,
    load=_own_answer,
    status=204,
    conflicts=True,
)
def delete_contribution(user: User, own: tuple[Contribution, Cycle]) -> None:
    answer, cycle = own
    _save(user, cycle, AnswerInput(answer.prompt_id, "", None))


def _save(user: User, cycle: Cycle, answer: AnswerInput) -> Contribution | None:
    try:
        saved = contributions.save_answers(user, cycle, [answer])
    except Refusal as exc:
        raise from_input_error(
            exc,
            {f"answer-{answer.prompt_id}": "text", f"visibility-{answer.prompt_id}": "visibility"},
        ) from None
    return next((c for c in saved if c.prompt_id == answer.prompt_id), None)


@operation(
    bp,
    "GET",
    "/cycles/<int:cycle_id>/answers",
    tag="meeting",
    summary="The team's shared answers, prompt by prompt",
    description="From the meeting on (empty lists in preparation). Private answers "
    "are never included; an anonymous answer is only its text, in an order "
    "that says nothing about who wrote it or when.",
    permission=Permission.VIEW_TEAM_ANSWERS,
    load=Cycle,
    response=s.SharedAnswersOut,
)
def shared_answers(user: User, cycle: Cycle) -> s.SharedAnswersOut:
    grouped = meeting.shared_answers(cycle)
    return s.SharedAnswersOut(
        prompts=[
            s.PromptAnswersOut(
                prompt_id=p.id, answers=[present.shared_answer(a) for a in grouped.get(p.id, [])]
            )
            for p in cycle.prompts
        ]
    )


@operation(
    bp,
    "GET",
    "/cycles/<int:cycle_id>/conclusions",
    tag="meeting",
    summary="The team's conclusions per prompt",
    permission=Permission.VIEW_TEAM_ANSWERS,
    load=Cycle,
    response=s.ConclusionList,
)
def list_conclusions(user: User, cycle: Cycle) -> s.ConclusionList:
    return _conclusions(cycle)


@operation(
    bp,
    "PUT",
    "/cycles/<int:cycle_id>/conclusions",
    tag="meeting",
    summary="Record the team's conclusions",
    description="Sets the conclusion of each given prompt; empty text removes it; "
    "prompts not given are left as they are. During the meeting and the "
    "agreements (409 otherwise).",
    permission=Permission.FACILITATE,
    load=Cycle,
    body=s.ConclusionsPut,
    response=s.ConclusionList,
    conflicts=True,
)
def put_conclusions(user: User, cycle: Cycle, body: s.ConclusionsPut) -> s.ConclusionList:
    prompt_ids = {p.id for p in cycle.prompts}
    errors, seen = {}, set()
    for n, item in enumerate(body.conclusions):
        if item.prompt_id not in prompt_ids:
            errors[f"conclusions.{n}.prompt_id"] = _("Spørgsmålet hører ikke til forløbet.")
        elif item.prompt_id in seen:
            errors[f"conclusions.{n}.prompt_id"] = _("Må kun forekomme én gang.")
        seen.add(item.prompt_id)
    if errors:
        raise validation_error(errors)
    try:
        meeting.record_conclusions(user, cycle, {c.prompt_id: c.text for c in body.conclusions})
    except Refusal as exc:
        raise from_input_error(
            exc,
            {
                f"conclusion-{c.prompt_id}": f"conclusions.{n}.text"
                for n, c in enumerate(body.conclusions)
            },
        ) from None
    return _conclusions(cycle)


def _conclusions(cycle: Cycle) -> s.ConclusionList:
    positions = {p.id: p.position for p in cycle.prompts}
    rows = sorted(meeting.conclusions(cycle).values(), key=lambda c: positions.get(c.prompt_id, 0))
    return s.ConclusionList(items=[present.conclusion(c) for c in rows])
