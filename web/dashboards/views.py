"""The overview pages: employee home (at the tenant's front page), leader dashboard, HR overview."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template, request
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from web.auth.session import require_user
from web.cycles.labels import ACTION_STATUS_LABELS, PHASE_LABELS
from web.cycles.models import PHASE_ORDER, ActionStatus, Campaign
from web.dashboards import actions, queries, tasks
from web.extensions import db
from web.forms import invalid
from web.inputs import Day, Id, read, text
from web.orgs.models import UnitKind
from web.permissions import Permission, require
from web.tablefilters import EXPORT_MAX, OneOf, export, read_filters

bp = Blueprint("dashboards", __name__, template_folder="templates")
UNITS_PAGE = 100
ACTIONS_PAGE = 100

UNIT_FILTERS = {
    "name": text(200),
    "phase": OneOf(lambda: [*(p.value for p in PHASE_ORDER), queries.NO_CYCLE]),
    "campaign": Id,
    "kind": OneOf(lambda: [k.value for k in UnitKind]),
}


def employee_home():
    """The signed-in user's front page; ``t.tenants.home`` renders it (no route of its own)."""
    return render_template("dashboards/home.html", home=queries.employee_home(g.user))


@bp.get("/units")
def leader():
    user = require_user()
    require(user, Permission.LEAD_UNITS)
    return render_template("dashboards/leader.html", board=queries.leader_dashboard(user))


@bp.get("/overview")
def overview():
    user = require_user()
    require(user, Permission.VIEW_ALL_UNITS)
    k = g.tenant.k_threshold
    # Tenant-wide and costly (aggregates over every cycle, member and participation, and a
    # table of every unit): kept rendered in Redis for all HR users of the tenant in this
    # language and refreshed by the worker, never computed per request (web.dashboards.tasks).
    copy = tasks.cached_overview(g.tenant.id, str(get_locale()), k)
    computed_at = to_user_timezone(copy.computed_at)
    return render_template(
        "dashboards/overview.html",
        k=k,
        body=Markup(copy.value),  # noqa: S704 - rendered (and escaped) by our own template
        computed_at=computed_at,
        is_stale=copy.is_stale,
        computed_today=computed_at.date() == to_user_timezone(datetime.now(UTC)).date(),
    )


@bp.get("/overview/units")
def unit_status():
    """Every unit's latest cycle, filtered by name, phase, campaign and kind; paged; CSV/XLSX.

    Live (two statements and a filter in Python: 2,000 units are a few milliseconds), as each
    HR user asks for other filters."""
    require(g.get("user"), Permission.VIEW_ALL_UNITS)
    flt = read_filters(request.args, UNIT_FILTERS)
    campaigns = list(
        db.session.scalars(
            select(Campaign).order_by(Campaign.preparation_starts_on.desc(), Campaign.id.desc())
        )
    )
    context = {
        "args": request.args,
        "phase_labels": PHASE_LABELS,
        "phase_options": [(p.value, PHASE_LABELS[p]) for p in PHASE_ORDER]
        + [(queries.NO_CYCLE, _("Intet forløb endnu"))],
        "kind_options": [(k.value, tasks.UNIT_KIND_LABELS[k]) for k in UnitKind],
        "kind_labels": tasks.UNIT_KIND_LABELS,
        "campaign_names": {c.id: c.name for c in campaigns},
    }
    if flt.errors:
        return invalid(
            "dashboards/units.html",
            flt.errors,
            rows=[],
            total=0,
            page=1,
            pages=1,
            link_args={},
            **context,
        )
    everything = queries.unit_statuses()
    rows = queries.filter_statuses(
        everything,
        name=flt["name"],
        phase=flt["phase"],
        campaign_id=flt["campaign"],
        kind=flt["kind"],
    )
    if flt.fmt:
        return _export_units(flt, rows, context["campaign_names"])
    pages = max(1, -(-len(rows) // UNITS_PAGE))
    page = min(read({}, "page", request.args.get("page", ""), Id) or 1, pages)
    shown = rows[(page - 1) * UNITS_PAGE : page * UNITS_PAGE]
    return render_template(
        "dashboards/units.html",
        errors={},
        rows=shown,
        total=len(rows),
        all_units=len(everything),
        page=page,
        pages=pages,
        is_filtered=bool(flt.link_args()),
        link_args=flt.link_args(),
        **context,
    )


def _export_units(flt, rows, campaign_names):
    header = [
        _("Enhed"),
        _("Type"),
        _("Fase"),
        _("Forberedelsen slutter"),
        _("Dialogmøde"),
        _("Opfølgning"),
        _("Kampagne"),
    ]

    def line(status):
        cycle = status.cycle
        kind = str(tasks.UNIT_KIND_LABELS[status.unit.kind])
        if cycle is None:
            return (status.unit.name, kind, _("Intet forløb endnu"), None, None, None, None)
        return (
            status.unit.name,
            kind,
            str(PHASE_LABELS[cycle.phase]),
            cycle.preparation_ends_on,
            cycle.meeting_at,
            cycle.follow_up_on,
            campaign_names.get(cycle.campaign_id),
        )

    return export(flt, "enheder", header, [line(s) for s in rows], sheet=_("Status pr. enhed"))


@bp.get("/units/actions")
def leader_actions():
    """The actions of the units the user leads: by unit, status, person and due dates."""
    require(g.get("user"), Permission.LEAD_UNITS)
    units, people = actions.units_with_actions(g.user), actions.owners(g.user)
    flt = read_filters(
        request.args,
        {
            "unit": OneOf(lambda: [str(i) for i, _name in units]),
            "status": OneOf(lambda: [*(s.value for s in ActionStatus), actions.OVERDUE]),
            "person": OneOf(lambda: [str(i) for i, _name in people]),
            "since": Day,
            "until": Day,
        },
    )
    context = {
        "args": request.args,
        "units": units,
        "people": people,
        "status_options": [(s.value, ACTION_STATUS_LABELS[s]) for s in ActionStatus]
        + [(actions.OVERDUE, _("Over fristen"))],
        "status_names": ACTION_STATUS_LABELS,
        "today": actions.today(),
    }
    if flt.errors:
        return invalid(
            "dashboards/actions.html",
            flt.errors,
            rows=[],
            total=0,
            page=1,
            pages=1,
            link_args={},
            **context,
        )
    query = actions.ActionQuery(
        unit_id=int(flt["unit"]) if flt["unit"] else None,
        status=flt["status"],
        owner_id=int(flt["person"]) if flt["person"] else None,
        since=flt["since"],
        until=flt["until"],
    )
    if flt.fmt:
        _total, rows = actions.search(g.user, query, limit=EXPORT_MAX)
        header = [_("Enhed"), _("Handling"), _("Ansvarlig"), _("Frist"), _("Status")]
        return export(
            flt,
            "handlinger",
            header,
            [
                (r.unit_name, r.text, r.owner_name, r.due_on, str(ACTION_STATUS_LABELS[r.status]))
                for r in rows
            ],
            sheet=_("Handlinger"),
        )
    requested = read({}, "page", request.args.get("page", ""), Id) or 1
    total, rows = actions.search(
        g.user, query, limit=ACTIONS_PAGE, offset=(requested - 1) * ACTIONS_PAGE
    )
    pages = max(1, -(-total // ACTIONS_PAGE))
    return render_template(
        "dashboards/actions.html",
        errors={},
        rows=rows,
        total=total,
        page=requested,
        pages=pages,
        link_args=flt.link_args(),
        is_filtered=bool(flt.link_args()),
        **context,
    )
