"""Where every page is reached from, in one place.

Three lists, each filtered by the signed-in user's permissions and by which endpoints exist
(an area that is not registered simply has no link):

- ``NAV_ITEMS``: the main menu. Short for an employee; roles add their own work.
- ``USER_ITEMS``: the menu under the user's name (personal settings, API keys, my data).
- ``ADMIN_ITEMS``: the sections of the administration page (``/t/<slug>/admin/``), which the
  main menu links to for an admin. An area that adds an admin page appends one ``AdminItem``
  here (``register_admin_item``) and it appears there — nothing else to edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, has_request_context, url_for
from flask.globals import request_ctx

from web.i18n import lazy_gettext as _l
from web.permissions import Permission, can
from web.users.models import User


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    allowed: Callable[[User], bool]
    # Other endpoints whose pages count as "in" this entry (the menu marks it current).
    section: str = ""


@dataclass(frozen=True)
class AdminItem:
    endpoint: str
    label: object  # a lazy string
    description: object  # a lazy string: what the page is for, one sentence


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
    NavItem("t.admin.index", _l("Administration"), _may(Permission.ADMINISTER), section="t.admin."),
]

# Under the user's name in the header.
USER_ITEMS: list[NavItem] = [
    NavItem("t.users.settings", _l("Personlige indstillinger"), _signed_in),
    NavItem("t.gdpr.my_data", _l("Mine data"), _signed_in),
    NavItem("t.api_tokens.index", _l("API-nøgler"), _signed_in, section="t.api_tokens."),
]

# The administration page's sections (every page there requires Permission.ADMINISTER).
ADMIN_ITEMS: list[AdminItem] = [
    AdminItem(
        "t.admin.sso",
        _l("Fælles login (SSO)"),
        _l("Hvordan medarbejderne logger ind: udsteder, klient og roller."),
    ),
    AdminItem(
        "t.admin.unplaced",
        _l("Brugere der skal placeres"),
        _l("Brugere der er logget ind, men endnu ikke hører til en enhed."),
    ),
    AdminItem(
        "t.gdpr.people",
        _l("Slet en persons oplysninger"),
        _l("Find en person, se hvad der er gemt om vedkommende, og slet det."),
    ),
    AdminItem(
        "t.gdpr.settings",
        _l("Databeskyttelse"),
        _l("Hvor længe svar og log gemmes, og hvem der er dataansvarlig."),
    ),
    AdminItem(
        "t.reminders.failed",
        _l("Påmindelser der ikke kunne sendes"),
        _l("Mails der fejlede, og mulighed for at sende dem igen."),
    ),
    AdminItem(
        "t.teams.index",
        _l("Microsoft Teams"),
        _l(
            "Kanaler i Teams, der får besked, når forberedelsen åbner, om møder og om "
            "handlinger over fristen."
        ),
    ),
    AdminItem(
        "t.provisioning.index",
        _l("Brugere og organisation"),
        _l("Seneste import og SCIM-synkronisering, SCIM-nøgler og grupper."),
    ),
    AdminItem(
        "t.admin.audit",
        _l("Revisionslog"),
        _l("Hvem gjorde hvad og hvornår: login, afviste login, ændringer af opsætningen."),
    ),
]


def register_admin_item(item: AdminItem, *, before: str | None = None) -> None:
    """Add an administration section (an area's admin page), once, optionally before another."""
    if any(existing.endpoint == item.endpoint for existing in ADMIN_ITEMS):
        return
    at = next(
        (i for i, existing in enumerate(ADMIN_ITEMS) if existing.endpoint == before),
        len(ADMIN_ITEMS),
    )
    ADMIN_ITEMS.insert(at, item)


def _visible(items: list[NavItem], user: User | None) -> list[NavItem]:
    if user is None:
        return []
    return [
        item for item in items if item.endpoint in current_app.view_functions and item.allowed(user)
    ]


def items_for(user: User | None) -> list[NavItem]:
    return _visible(NAV_ITEMS, user)


def user_items_for(user: User | None) -> list[NavItem]:
    return _visible(USER_ITEMS, user)


def admin_items() -> list[AdminItem]:
    """The administration sections whose pages exist (the caller has checked ADMINISTER)."""
    return [item for item in ADMIN_ITEMS if item.endpoint in current_app.view_functions]


def is_current(item: NavItem, endpoint: str | None) -> bool:
    """True on the item's page and, for a section, on every page under it."""
    if not endpoint:
        return False
    return endpoint == item.endpoint or bool(item.section and endpoint.startswith(item.section))


# --- the layout's fixed links ------------------------------------------------------------------
# Every page's layout builds the same ~18 links (the menu, the footer, the static files): one
# ``url_for`` each is ~10 µs of rules, defaults and quoting. The URL depends only on the
# endpoint, its values, the tenant (the URL's slug) and the request's URL adapter (script
# root, host, scheme); the URL map is fixed once the app serves requests. So each app keeps
# the URLs it built, keyed by all of those; a renamed tenant is simply another key. Bounded:
# emptied when it reaches FIXED_URLS entries (a deployment's tenants × ~20 links fit).
FIXED_URLS = 4096


def fixed_url(endpoint: str, **values: object) -> str:
    """``url_for(endpoint, **values)`` for the layout's links, remembered (see above).
    Absolute endpoints only (no ``.name``), in a request."""
    adapter = request_ctx.url_adapter if has_request_context() else None
    if adapter is None:
        return url_for(endpoint, **values)
    tenant = g.get("tenant")
    key = (
        endpoint,
        tuple(sorted(values.items())) if values else (),
        g.get("tenant_slug") or getattr(tenant, "slug", None),
        adapter.server_name,
        adapter.script_name,
        adapter.subdomain,
        adapter.url_scheme,
    )
    memo = current_app.extensions.setdefault("fixed_urls", {})
    url = memo.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(memo) >= FIXED_URLS:
            memo.clear()
        memo[key] = url
    return url
