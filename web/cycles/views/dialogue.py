"""The preparation form (each member's answers) and the meeting view (the team's)."""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from web.auth.session import require_user
from web.cycles import forms
from web.cycles.models import Cycle
from web.cycles.reference import reference_for
from web.cycles.services import contributions, meeting
from web.cycles.views import bp, invalid
from web.errors import Refusal
from web.forms import saved
from web.permissions import Permission, can, require
from web.tenancy import get_or_404


@bp.route("/cycles/<int:cycle_id>/prepare", methods=["GET", "POST"])
def prepare(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id, joinedload(Cycle.prompts))  # one round trip, not two
    require(user, Permission.CONTRIBUTE, cycle)
    if request.method == "GET":
        mine = contributions.my_answers(user, cycle)
        remembered = contributions.remembered_visibility(user)
        form = {f"visibility-{p.id}": remembered for p in cycle.prompts if remembered}
        for prompt_id, answer in mine.items():
            form[f"answer-{prompt_id}"] = answer.text
            form[f"visibility-{prompt_id}"] = answer.visibility.value
        return render_template(
            "cycles/prepare.html", form=form, errors={}, **_prepare_context(user, cycle, mine)
        )
    try:
        contributions.save_answers(
            user, cycle, forms.parse_answers(request.form, [p.id for p in cycle.prompts])
        )
    except Refusal as exc:
        # The page's other parts only when it is shown again (a saved form just redirects).
        return invalid(
            "cycles/prepare.html",
            exc.errors,
            form=request.form,
            **_prepare_context(user, cycle, contributions.my_answers(user, cycle)),
        )
    return saved(
        _("Dine svar er gemt. Du kan rette dem, indtil dialogmødet begynder."),
        url_for(".prepare", cycle_id=cycle.id),
    )


def _prepare_context(user, cycle: Cycle, mine: dict) -> dict:
    return {
        "cycle": cycle,
        "mine": mine,
        "reference": reference_for(g.tenant),
        "sealed": contributions.has_sealed_answers(cycle),
    }


@bp.route("/cycles/<int:cycle_id>/meeting", methods=["GET", "POST"], endpoint="meeting")
def meeting_page(cycle_id: int):
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    require(user, Permission.VIEW_TEAM_ANSWERS, cycle)
    may_record = (
        can(user, Permission.FACILITATE, cycle) and cycle.phase in meeting.CONCLUSION_PHASES
    )
    context = {
        "cycle": cycle,
        "reference": reference_for(g.tenant),
        "answers": meeting.shared_answers(cycle),
        "may_record": may_record,
    }
    if request.method == "GET":
        form = {f"conclusion-{pid}": c.text for pid, c in meeting.conclusions(cycle).items()}
        return render_template("cycles/meeting.html", form=form, errors={}, **context)

    require(user, Permission.FACILITATE, cycle)
    texts = {
        p.id: request.form[f"conclusion-{p.id}"]
        for p in cycle.prompts
        if f"conclusion-{p.id}" in request.form
    }
    try:
        meeting.record_conclusions(user, cycle, texts)
    except Refusal as exc:
        return invalid("cycles/meeting.html", exc.errors, form=request.form, **context)
    return saved(_("Teamets konklusioner er gemt."), url_for(".meeting", cycle_id=cycle.id))
