"""The overview pages: employee home (at the tenant's front page), leader dashboard, HR overview."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template
from flask_babel import format_percent, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from web import cache
from web.cycles.models import PHASE_ORDER
from web.dashboards import chart, queries
from web.orgs.models import UnitKind
from web.permissions import Permission, require

bp = Blueprint("dashboards", __name__, template_folder="templates")

UNIT_KIND_LABELS = {
    UnitKind.ORGANISATION: _l("Organisation"),
    UnitKind.AREA: _l("Område"),
    UnitKind.DEPARTMENT: _l("Afdeling"),
    UnitKind.TEAM: _l("Team"),
}


def employee_home():
    """The signed-in user's front page; ``t.tenants.home`` renders it (no route of its own)."""
    return render_template("dashboards/home.html", home=queries.employee_home(g.user))


@bp.get("/units")
def leader():
    require(g.get("user"), Permission.LEAD_UNITS)
    return render_template("dashboards/leader.html", board=queries.leader_dashboard(g.user))


@bp.get("/overview")
def overview():
    require(g.get("user"), Permission.VIEW_ALL_UNITS)
    k = g.tenant.k_threshold
    # Tenant-wide and costly (aggregates over every cycle, member and participation, and a
    # table of every unit): rendered once per OVERVIEW_CACHE_SECONDS for all HR users of the
    # tenant in this language, never per request (web.cache).
    body = cache.remember(f"overview:{g.tenant.id}:{get_locale()}:{k}", overview_cache_seconds(),
                          lambda: overview_body(k))
    # The body was rendered (and escaped) by our own template above.
    return render_template("dashboards/overview.html", body=Markup(body))  # noqa: S704


def overview_cache_seconds() -> int:
    """60 s by default; 0 (no cache) in tests, so a test sees its own changes at once."""
    config = current_app.config
    return int(config.get("OVERVIEW_CACHE_SECONDS", 0 if config["ENV"] == "test" else 60))


def overview_body(k: int) -> str:
    data = queries.overview(k)
    rows = [*data.areas, *([data.merged] if data.merged else [])]
    return render_template(
        "dashboards/_overview_body.html", data=data, area_rows=rows,
        area_label=chart.area_label, chart_svg=chart.participation_svg(rows),
        chart_text=chart.text_alternative(rows), phases=PHASE_ORDER,
        kind_labels=UNIT_KIND_LABELS, percent=format_percent,
        campaign_names={row.campaign.id: row.campaign.name for row in data.campaigns})
