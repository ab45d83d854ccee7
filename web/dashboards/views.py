"""The overview pages: employee home (at the tenant's front page), leader dashboard, HR overview."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template
from flask_babel import get_locale, to_user_timezone
from markupsafe import Markup

from web.auth.session import require_user
from web.dashboards import queries, tasks
from web.permissions import Permission, require

bp = Blueprint("dashboards", __name__, template_folder="templates")


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
        "dashboards/overview.html", k=k,
        body=Markup(copy.value),  # noqa: S704 - rendered (and escaped) by our own template
        computed_at=computed_at, is_stale=copy.is_stale,
        computed_today=computed_at.date() == to_user_timezone(datetime.now(UTC)).date())
