"""Themes, similar examples and search by meaning, beside the inspirationskatalog.

The same permissions as the catalogue: every signed-in employee of the tenant reads (only
published entries are ever shown); HR (CURATE_COLLECTIONS) recomputes, renames, hides, merges
and splits.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _

from web.audit.services import record
from web.auth.session import require_user
from web.collections import services as collections
from web.collections.models import CollectionEntry
from web.errors import InputError, Refusal
from web.forms import form_page, saved
from web.inputs import Id, read
from web.permissions import Permission, can, require
from web.tenancy import get_or_404
from web.themes import search, services
from web.themes.models import Theme

bp = Blueprint("themes", __name__, url_prefix="/inspiration", template_folder="templates")


def _published(entry_ids: list[int]) -> list[collections.PublishedEntry]:
    """The published entries among ``entry_ids``, in that order (never an unpublished one)."""
    if not entry_ids:
        return []
    by_id = {p.entry.id: p for p in collections.published_entries(ids=entry_ids)}
    return [by_id[i] for i in entry_ids if i in by_id]


@bp.get("/temaer")
def themes():
    require_user()
    return _themes_page()


def _themes_page(errors: dict[str, str] | None = None):
    periods = services.periods()
    period = _period(periods)
    is_hr = can(g.user, Permission.CURATE_COLLECTIONS)
    shown = services.shown_themes(*period, hidden=is_hr) if period else []
    return form_page(
        "themes/index.html",
        errors,
        periods=periods,
        period=period,
        is_hr=is_hr,
        values=request.form,
        themes=[(s, _published(s.entry_ids[:3]), len(s.entry_ids)) for s in shown],
    )


def _period(periods: list[tuple[date, date]]) -> tuple[date, date] | None:
    raw = request.args.get("period", "")
    for start, end in periods:
        if raw == f"{start}_{end}":
            return start, end
    return periods[0] if periods else None


@bp.route("/temaer/<int:theme_id>", methods=["GET", "POST"])
def theme(theme_id: int):
    user = require_user()
    item = get_or_404(Theme, theme_id)
    is_hr = can(user, Permission.CURATE_COLLECTIONS)
    if item.is_hidden and not is_hr:
        abort(404)
    if request.method == "POST":
        require(user, Permission.CURATE_COLLECTIONS)
        decision = read({}, "decision", request.form.get("decision"), Decision)
        if decision is None:
            abort(400)  # a button's value: nobody types it
        try:
            part = _decide(item, decision, request.form)
        except Refusal as exc:
            return _theme_page(item, is_hr, exc.errors)
        if part is not None:
            record("themes.split", actor=user, target=item, part=part.id)
            return saved(_("Temaet er delt i to."), url_for(".theme", theme_id=item.id))
        record("themes.changed", actor=user, target=item, decision=decision)
        return saved(_("Temaet er gemt."), url_for(".theme", theme_id=item.id))
    return _theme_page(item, is_hr)


Decision = Literal["rename", "hide", "show", "merge", "split"]


def _decide(item: Theme, decision: str, form) -> Theme | None:
    """Carry out HR's decision; a split returns the new part."""
    if decision == "rename":
        services.rename(g.user, item, form.get("name"))
    elif decision in {"hide", "show"}:
        services.set_hidden(g.user, item, decision == "hide")
    elif decision == "merge":
        errors: dict[str, str] = {}
        into_id = read(errors, "into", form.get("into", ""), Id)
        if errors:
            raise InputError({"into": _("Vælg et andet tema fra samme periode.")})
        services.merge(g.user, item, get_or_404(Theme, into_id) if into_id else None)
    else:
        return services.split(g.user, item)
    return None


def _theme_page(item: Theme, is_hr: bool, errors: dict[str, str] | None = None):
    shown = next(
        (
            s
            for s in services.shown_themes(item.period_start, item.period_end, hidden=True)
            if s.theme.id == item.id
        ),
        None,
    )
    entry_ids = shown.entry_ids if shown else list(item.entry_ids)
    others = [
        s
        for s in services.shown_themes(item.period_start, item.period_end, hidden=True)
        if s.theme.id != item.id
    ]
    return form_page(
        "themes/theme.html",
        errors,
        theme=item,
        label=services.label(item),
        entries=_published(entry_ids),
        is_hr=is_hr,
        others=others,
    )


@bp.post("/temaer/beregn")
def compute():
    user = require_user()
    require(user, Permission.CURATE_COLLECTIONS)
    errors: dict[str, str] = {}
    start, end = _date(errors, "start"), _date(errors, "end")
    if not errors and start > end:
        errors["end"] = _("Slutdatoen skal ligge efter startdatoen.")
    if errors:
        return _themes_page(errors)
    result = services.compute(start, end)
    record("themes.computed", actor=user, themes=len(result))
    return saved(_("Temaerne er beregnet igen."), url_for(".themes", period=f"{start}_{end}"))


def _date(errors: dict[str, str], field: str) -> date:
    try:
        return date.fromisoformat(request.form.get(field, ""))
    except ValueError:
        errors[field] = _("Skriv en dato som ÅÅÅÅ-MM-DD.")
        return date.min


@bp.get("/betydning")
def by_meaning():
    require_user()
    query = request.args.get("q", "").strip()[: search.MAX_QUERY]
    hits = search.by_meaning(query) if query else []
    return render_template(
        "themes/meaning.html",
        query=query,
        entries=_published([entry_id for entry_id, _score in hits]),
    )


@bp.get("/eksempel/<int:entry_id>")
def entry(entry_id: int):
    require_user()
    get_or_404(CollectionEntry, entry_id)
    item = _published([entry_id])
    if not item:
        abort(404)  # not published: nobody but HR's review sees it
    similar = _published([i for i, _score in search.similar(entry_id)])
    return render_template("themes/entry.html", item=item[0], similar=similar)
