"""The live meeting's pages (``t.live.*``): the presenter view for the shared screen, the
participant view on each member's device, the one-row state every open view polls, and the
facilitator's and members' changes, each a POST to one URL.

Every POST works without JavaScript (Post/Redirect/Get back to the page it came from); with it,
``static/live.js`` posts with ``fetch`` and the polled state brings the change to every view.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from web.auth.session import require_user
from web.cycles.models import Cycle, Phase
from web.cycles.reference import reference_for
from web.cycles.services.actions import team_members
from web.cycles.views import localized
from web.errors import Refusal
from web.extensions import db
from web.forms import invalid, saved
from web.meetings import boards, polls
from web.meetings import services as live
from web.meetings.models import LiveMeeting, Voting
from web.models import utcnow
from web.permissions import Permission, can, require
from web.tenancy import get_or_404
from web.vocabulary import EXPECTATION_LABELS, KKC_LABELS

bp = Blueprint("live", "web.meetings", template_folder="templates")

PRESENT, JOIN = "present", "join"


def _load(cycle_id: int) -> tuple[object, Cycle, LiveMeeting | None, bool]:
    user = require_user()
    cycle = get_or_404(Cycle, cycle_id)
    facilitates = can(user, Permission.FACILITATE, cycle)
    if not facilitates:
        require(user, Permission.CONTRIBUTE, cycle)
    return user, cycle, live.meeting_for(cycle), facilitates


def _viewer(user, meeting: LiveMeeting, facilitates: bool) -> boards.Viewer:
    attends, votes_used = live.viewer_state(user, meeting)
    started = int(meeting.started_at.timestamp() * 1_000_000)
    return boards.Viewer(facilitates, str(get_locale()), attends, votes_used, started)


def _shared_board(cycle: Cycle, meeting: LiveMeeting, facilitates: bool, view: str, viewer) -> str:
    """The board as every viewer of this kind sees it at this version (``web.meetings.boards``):
    taken from the shared store, or rendered here and kept there (only by a GET: a POST's
    transaction may hold what it has not committed)."""
    version = meeting.version
    key = viewer.key(meeting.id, version, view)
    html = boards.cached(current_app, key)
    if html is not None:
        return html
    html = render_template(
        "meetings/_board.html",
        cycle=cycle,
        meeting=meeting,
        facilitates=facilitates,
        view=view,
        localized=localized,
        Voting=Voting,
        EXPECTATION_LABELS=EXPECTATION_LABELS,
        KKC_LABELS=KKC_LABELS,
        board=live.board(meeting),
        prompt=_prompt(cycle, meeting),
        members=team_members(cycle) if facilitates else [],
        csrf_mark=boards.CSRF_MARK,
    )
    if request.method == "GET":
        boards.keep(current_app, key, version, html)
    return html


def _prompt(cycle: Cycle, meeting: LiveMeeting):
    return next((p for p in cycle.prompts if p.id == meeting.current_prompt_id), None)


def _ticket(cycle: Cycle, meeting_id: int, version: int, viewer: boards.Viewer) -> str:
    # The session as this response leaves it (its cookie is rewritten when a value changed,
    # e.g. the last-seen time): the ticket fits the cookie the browser will send next.
    cookie = current_app.session_interface.get_signing_serializer(current_app).dumps(dict(session))
    return polls.make_ticket(
        polls.current_secret(),
        cycle_id=cycle.id,
        meeting_id=meeting_id,
        version=version,
        cookie=cookie,
        personal=viewer.tag,
    )


def _context(user, cycle: Cycle, meeting: LiveMeeting | None, facilitates: bool, view: str) -> dict:
    context = {
        "cycle": cycle,
        "meeting": meeting,
        "facilitates": facilitates,
        "view": view,
        "localized": localized,
        "reference": reference_for(g.tenant),
        "Voting": Voting,
        "Phase": Phase,
        "now": utcnow(),
        "board_html": "",
    }
    if meeting is not None:
        viewer = _viewer(user, meeting, facilitates)
        shared = _shared_board(cycle, meeting, facilitates, view, viewer)
        # The rendered template (escaped by Jinja), with a token of URL-safe characters put in.
        filled = boards.fill(shared, viewer, generate_csrf())
        context["board_html"] = Markup(filled)  # noqa: S704
        context["prompt"] = _prompt(cycle, meeting)
    return context


def _page(cycle_id: int, view: str):
    user, cycle, meeting, facilitates = _load(cycle_id)
    if view == PRESENT and not facilitates:
        abort(403)
    if not request.args.get("fragment"):
        context = _context(user, cycle, meeting, facilitates, view)
        return render_template("meetings/live.html", errors={}, **context)
    if meeting is None:
        return Response("", mimetype="text/html")
    # What live.js fetches after a change: the shared rendering, filled in, and a ticket that
    # lets the next fetch be answered before Flask (``polls.LivePolls``).
    viewer = _viewer(user, meeting, facilitates)
    shared = _shared_board(cycle, meeting, facilitates, view, viewer)
    reply = Response(boards.fill(shared, viewer, generate_csrf()), mimetype="text/html")
    reply.headers["ETag"] = f'"{_ticket(cycle, meeting.id, meeting.version, viewer)}"'
    reply.headers["Cache-Control"] = "no-store"
    return reply


@bp.get("/cycles/<int:cycle_id>/live", endpoint="join")
def join_page(cycle_id: int):
    return _page(cycle_id, JOIN)


@bp.get("/cycles/<int:cycle_id>/live/present", endpoint="present")
def present_page(cycle_id: int):
    return _page(cycle_id, PRESENT)


@bp.get("/cycles/<int:cycle_id>/live/state", endpoint="state")
def state(cycle_id: int):
    """What the views poll about each second: the meeting's version and whether it ended.

    Checked like the pages (a member of the cycle or its facilitator); the answer carries a
    poll ticket as its ``ETag``. With it as ``If-None-Match``, an unchanged meeting is answered
    ``304`` before the application (``web.meetings.polls``); here, the full path, it is
    answered 304 too when the version is the ticket's, with a fresh ticket.
    """
    user, cycle, meeting, facilitates = _load(cycle_id)
    if meeting is None:
        return jsonify(version=0, ended=False)
    version, ended = live.current_version(meeting.id), meeting.ended_at is not None
    live.republish(meeting.id, version, ended=ended)
    secret = polls.current_secret()
    ticket = _ticket(cycle, meeting.id, version, _viewer(user, meeting, facilitates))
    cookie = current_app.session_interface.get_signing_serializer(current_app).dumps(dict(session))
    known = polls.read_ticket(
        secret, request.headers.get("If-None-Match", ""), cycle_id=cycle.id, cookie=cookie, now=0
    )
    if known == (meeting.id, version):
        reply = Response(status=304)
    else:
        reply = jsonify(version=version, ended=ended)
    reply.headers["ETag"] = f'"{ticket}"'
    reply.headers["Cache-Control"] = "no-store"
    return reply


# op -> (facilitator only, the change made from the posted form).
OPERATIONS: dict[str, tuple[bool, Callable]] = {
    "step": (True, lambda u, c, m, f: live.step(u, m, c, f.get("prompt_id"))),
    "timer": (True, lambda u, c, m, f: live.set_timer(u, m, f.get("minutes"))),
    "merge": (True, lambda u, c, m, f: live.merge(u, m, f.get("card_id"), f.get("into_id"))),
    "open-voting": (True, lambda u, c, m, f: live.open_voting(u, m, f.get("votes"))),
    "close-voting": (True, lambda u, c, m, f: live.close_voting(u, m)),
    "conclusion": (
        True,
        lambda u, c, m, f: live.record_conclusion(u, m, c, f.get("prompt_id"), f.get("conclusion")),
    ),
    "action": (True, lambda u, c, m, f: live.action_from_card(u, m, f.get("card_id"))),
    "edit-action": (
        True,
        lambda u, c, m, f: live.edit_action(
            u,
            m,
            c,
            f.get("action_id"),
            text=f.get("text"),
            owner_id=f.get("owner_id"),
            due_on=f.get("due_on"),
            expectation=f.get("expectation"),
            kkc=f.get("kkc"),
        ),
    ),
    "end": (
        True,
        lambda u, c, m, f: live.end_meeting(u, m, c, confirmed=f.get("confirm") == "yes"),
    ),
    "join": (False, lambda u, c, m, f: live.join(u, m)),
    "card": (
        False,
        lambda u, c, m, f: live.add_card(
            u,
            m,
            c,
            prompt_id=f.get("prompt_id"),
            text=f.get("text"),
            visibility=f.get("visibility"),
        ),
    ),
    "vote": (False, lambda u, c, m, f: live.vote(u, m, f.get("card_id"))),
}


def change(cycle_id: int, op: str) -> Response | tuple[str, int]:
    user, cycle, meeting, facilitates = _load(cycle_id)
    view = PRESENT if request.form.get("view") == PRESENT and facilitates else JOIN
    back = url_for(".present" if view == PRESENT else ".join", cycle_id=cycle.id)
    try:
        if op == "start":
            if not facilitates:
                abort(403)
            live.start_meeting(user, cycle)
            return saved(_("Mødet er startet."), url_for(".present", cycle_id=cycle.id))
        if meeting is None:
            abort(404)
        facilitator_only, apply = OPERATIONS[op]
        if facilitator_only and not facilitates:
            abort(403)
        apply(user, cycle, meeting, request.form)
    except Refusal as exc:
        if request.headers.get("X-Live") == "1":
            db.session.rollback()
            return jsonify(errors=exc.errors), 422
        return invalid(
            "meetings/live.html", exc.errors, **_context(user, cycle, meeting, facilitates, view)
        )
    if request.headers.get("X-Live") == "1":
        db.session.commit()
        return jsonify(version=live.current_version(meeting.id)), 200
    if op == "join":
        return saved(_("Du er med i mødet."), back)
    if op == "end":
        return saved(
            _("Mødet er afsluttet, og aftalerne er gemt."),
            url_for("t.cycles.detail", cycle_id=cycle.id),
        )
    return saved(_("Gemt."), back)


__all__ = ["bp"]


# One URL per change, all one endpoint (``url_for(".change", cycle_id=…, op=…)``): no free
# string argument in any URL.
for _op in ("start", *OPERATIONS):
    bp.add_url_rule(
        f"/cycles/<int:cycle_id>/live/{_op}",
        endpoint="change",
        view_func=change,
        methods=["POST"],
        defaults={"op": _op},
    )
