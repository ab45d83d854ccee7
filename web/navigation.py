"""The main navigation: each area adds its entries here; a link shows when its endpoint exists
and the signed-in user may use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from web.permissions import Permission, can
from web.users.models import User


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    allowed: Callable[[User], bool]


def _signed_in(user: User) -> bool:
    return True


def _may(permission: Permission) -> Callable[[User], bool]:
    return lambda user: can(user, permission)


# Order is the order shown. Endpoints under the tenant prefix start with "t.".
NAV_ITEMS: list[NavItem] = [
    NavItem("t.tenants.home", _l("Forside"), _signed_in),
    NavItem("t.actions.mine", _l("Mine handlinger"), _signed_in),
    NavItem("t.examples.index", _l("Eksempler"), _signed_in),
    NavItem("t.dashboards.leader", _l("Mine enheder"), _may(Permission.LEAD_UNITS)),
    NavItem("t.dashboards.overview", _l("Overblik"), _may(Permission.VIEW_ALL_UNITS)),
    NavItem("t.cycles.new", _l("Start forløb"), _may(Permission.LEAD_UNITS)),
    NavItem("t.cycles.campaign_list", _l("Kampagner"), _may(Permission.START_CAMPAIGN)),
    NavItem("t.cycles.templates", _l("Skabeloner"), _may(Permission.MANAGE_TEMPLATES)),
    NavItem("t.collections.index", _l("Inspiration"), _signed_in),
    NavItem("t.collections.review", _l("Godkend eksempler"), _may(Permission.CURATE_COLLECTIONS)),
    NavItem("t.reports.index", _l("Rapporter"), _may(Permission.READ_REPORTS)),
    NavItem("t.api_tokens.index", _l("API-nøgler"), _signed_in),
]


def items_for(user: User | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV_ITEMS
            if item.endpoint in current_app.view_functions and item.allowed(user)]
