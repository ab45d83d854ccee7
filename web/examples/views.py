"""The team's examples: the list, recording one, reading and editing it."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from web.auth.session import require_user
from web.errors import Refusal
from web.examples import services
from web.examples.models import MAX_TEXT, MAX_TITLE, Example
from web.forms import form_page, saved
from web.permissions import Permission, require
from web.tenancy import get_or_404
from web.vocabulary import KKC, OLFA, Expectation

bp = Blueprint("examples", __name__, url_prefix="/examples", template_folder="templates")


@bp.get("/")
def index():
    user = require_user()
    page = request.args.get("page", 1, type=int)
    items, has_next = services.team_examples(user, page=page)
    return render_template(
        "examples/index.html",
        items=items,
        page=max(1, page),
        has_next=has_next,
        may_record=bool(services.recording_units(user)),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require_user()
    units = services.recording_units(user)
    if request.method == "GET":
        return _render_form(
            None,
            units,
            {
                "unit_id": units[0].id if len(units) == 1 else "",
                "cycle_id": request.args.get("cycle_id", type=int) or "",
                "kind": request.args.get("kind", "good"),
                "expectations": [],
            },
        )
    try:
        example = services.record_example(
            user,
            unit_id=request.form.get("unit_id"),
            cycle_id=request.form.get("cycle_id"),
            **_form_values(),
        )
    except Refusal as exc:
        return _render_form(None, units, _posted(), exc.errors)
    return saved(_("Eksemplet er gemt."), url_for(".detail", example_id=example.id))


@bp.get("/<int:example_id>")
def detail(example_id: int):
    user = require_user()
    example = get_or_404(Example, example_id)
    require(user, Permission.VIEW_EXAMPLE, example)
    return render_template(
        "examples/detail.html",
        item=services.team_example(example),
        kind_labels=services.KIND_LABELS,
    )


@bp.route("/<int:example_id>/edit", methods=["GET", "POST"])
def edit(example_id: int):
    user = require_user()
    example = get_or_404(Example, example_id)
    require(user, Permission.EDIT_EXAMPLE, example)
    if request.method == "GET":
        return _render_form(
            example,
            [],
            {
                "kind": example.kind.value,
                "title": example.title,
                "text": example.text,
                "lesson": example.lesson or "",
                "kkc": example.kkc or "",
                "olfa": example.olfa or "",
                "offer": example.is_offered,
                "expectations": [e.value for e in example.expectations],
            },
        )
    try:
        services.update_example(user, example, **_form_values())
    except Refusal as exc:
        return _render_form(example, [], _posted(), exc.errors)
    return saved(_("Eksemplet er gemt."), url_for(".detail", example_id=example.id))


@bp.post("/<int:example_id>/delete")
def delete(example_id: int):
    user = require_user()
    example = get_or_404(Example, example_id)
    require(user, Permission.EDIT_EXAMPLE, example)
    services.delete_example(user, example)
    return saved(_("Eksemplet er slettet."), url_for(".index"))


def _form_values() -> dict[str, object]:
    form = request.form
    return {
        "kind": form.get("kind"),
        "title": form.get("title"),
        "text": form.get("text"),
        "lesson": form.get("lesson"),
        "expectations": form.getlist("expectations"),
        "kkc": form.get("kkc"),
        "olfa": form.get("olfa"),
        "offer": bool(form.get("offer")),
    }


def _posted() -> dict[str, object]:
    values: dict[str, object] = dict(request.form.items())
    values["expectations"] = request.form.getlist("expectations")
    values["offer"] = bool(request.form.get("offer"))
    return values


def _render_form(example: Example | None, units, values, errors: dict[str, str] | None = None):
    return form_page(
        "examples/form.html",
        errors,
        example=example,
        values=values,
        unit_options=[(u.id, u.name) for u in units],
        kind_options=[(k.value, str(label)) for k, label in services.KIND_LABELS.items()],
        expectation_options=[(e.value, e.label) for e in Expectation],
        kkc_options=[(k.value, k.label) for k in KKC],
        olfa_options=[(o.value, f"{o.label}: {o.question}") for o in OLFA],
        max_title=MAX_TITLE,
        max_text=MAX_TEXT,
    )
