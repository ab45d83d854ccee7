"""Setting and removing a channel's webhook; which webhook a cycle's posts go to.

The URL is checked before anything is written (one ``InputError`` per field): a full https
address of a Teams Workflows trigger ("When a Teams webhook request is received": a host of
Azure Logic Apps or the Power Platform, a ``/triggers/`` path), no user name or fragment, at
most ``MAX_URL`` characters. A retired Office 365 connector (``*.webhook.office.com``) gets
its own message. A host the operator let through (``OUTBOUND_ALLOWED_HOSTS``; loopback in
development and tests) is accepted as it is, which is how the tests' receiver is reached.
Whether the address is public is checked again on every post by the guarded client.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from web.audit.services import record
from web.auth import crypto
from web.errors import InputError
from web.extensions import db
from web.inputs import has_controls
from web.orgs.models import OrgUnit
from web.outbound import current_policy
from web.teams.models import TeamsWebhook
from web.users.models import User

MAX_URL = 2000
WORKFLOW_HOSTS = (
    ".logic.azure.com",
    ".logic.azure.us",
    ".api.powerplatform.com",
    ".powerplatform.com",
    ".api.powerautomate.com",
)
RETIRED_HOSTS = (".webhook.office.com", "outlook.office.com", "outlook.office365.com")


def checked_url(raw: str | None) -> tuple[str, str]:
    """The webhook URL and its host, or ``InputError`` on ``url``."""
    url = (raw or "").strip()
    problem = _url_problem(url)
    if problem:
        raise InputError({"url": problem})
    return url, urlsplit(url).hostname or ""


def _url_problem(url: str) -> str | None:
    if not url:
        return _("Indsæt adressen fra Teams-workflowet.")
    if len(url) > MAX_URL or has_controls(url) or " " in url:
        return _("Adressen er for lang eller indeholder mellemrum eller styretegn.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        parts, host, port = None, "", 0
    if (
        parts is None
        or parts.scheme not in ("https", "http")
        or not host
        or parts.username
        or parts.password
        or parts.fragment
    ):
        return _("Skriv den fulde adresse, der begynder med https://, præcis som Teams viser den.")
    if current_policy().allows_host(host, port):
        return None  # the operator's named host (loopback in development and tests)
    if host.endswith(RETIRED_HOSTS):
        return _(
            "Det er en adresse til en Office 365-connector, som Microsoft har udfaset. "
            "Opret i stedet et workflow i Teams med „Når der modtages en "
            "Teams-webhookanmodning“, og indsæt dens adresse."
        )
    if parts.scheme != "https":
        return _("Adressen skal begynde med https://.")
    if not host.endswith(WORKFLOW_HOSTS) or "/triggers/" not in parts.path:
        return _(
            "Det er ikke adressen på et Teams-workflow. Brug skabelonen „Når der "
            "modtages en Teams-webhookanmodning“, og kopiér adressen fra dens første "
            "trin."
        )
    return None


def webhooks() -> list[tuple[TeamsWebhook, OrgUnit | None]]:
    """The tenant's webhooks: the tenant's own first, then the units' by name."""
    rows = db.session.execute(
        select(TeamsWebhook, OrgUnit)
        .outerjoin(OrgUnit, OrgUnit.id == TeamsWebhook.unit_id)
        .order_by(TeamsWebhook.unit_id.is_not(None), OrgUnit.name, TeamsWebhook.id)
    ).all()
    return [(hook, unit) for hook, unit in rows]


def set_webhook(unit: OrgUnit | None, raw_url: str | None, actor: User) -> TeamsWebhook:
    """The tenant's (``unit`` None) or the unit's webhook, new or replaced. Flushes."""
    url, host = checked_url(raw_url)
    hook = db.session.scalar(
        select(TeamsWebhook).where(
            TeamsWebhook.unit_id.is_(None) if unit is None else TeamsWebhook.unit_id == unit.id
        )
    )
    if hook is None:
        hook = TeamsWebhook(unit_id=unit.id if unit is not None else None)
        db.session.add(hook)
    hook.url_encrypted, hook.host = crypto.encrypt(url), host
    db.session.flush()
    record(
        "teams.webhook_set",
        actor=actor,
        target=hook,
        host=host,
        unit=unit.name if unit is not None else None,
    )
    return hook


def remove_webhook(hook: TeamsWebhook, actor: User) -> None:
    """Gone with its posts still waiting (and its history of sent and failed ones)."""
    unit = db.session.get(OrgUnit, hook.unit_id) if hook.unit_id else None
    record(
        "teams.webhook_removed",
        actor=actor,
        target=hook,
        host=hook.host,
        unit=unit.name if unit is not None else None,
    )
    db.session.delete(hook)
    db.session.flush()


def url_of(hook: TeamsWebhook) -> str:
    return crypto.decrypt(hook.url_encrypted)


def webhook_by_unit(tenant_id: int) -> dict[int | None, int]:
    """unit id (None: the tenant's) → webhook id."""
    return dict(
        db.session.execute(
            select(TeamsWebhook.unit_id, TeamsWebhook.id).where(TeamsWebhook.tenant_id == tenant_id)
        ).all()
    )


def webhook_for(unit_id: int, hooks: dict[int | None, int]) -> int | None:
    """A unit's own webhook, else the tenant's."""
    return hooks.get(unit_id) or hooks.get(None)
