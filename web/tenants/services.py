from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from web.cycles.services.templates import ensure_default_template
from web.errors import InputError
from web.extensions import db
from web.inputs import has_controls
from web.tenancy import tenant_scope
from web.tenants.models import Tenant

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantError(InputError):
    """A tenant that cannot be created: one translated message about the input as a whole."""

    def __init__(self, message: str):
        super().__init__({}, message)


def create_tenant(
    slug: str, name: str, default_locale: str = "da", settings: dict | None = None
) -> Tenant:
    slug, name = slug.strip().lower(), name.strip()
    if not SLUG_RE.match(slug):
        raise TenantError(_("Kortnavnet må kun indeholde a-z, 0-9 og bindestreg (højst 63 tegn)."))
    if not name or len(name) > 200 or has_controls(name):  # it reaches mail headers
        raise TenantError(_("Navnet skal være 1-200 tegn."))
    if default_locale not in ("da", "en"):
        raise TenantError(_("Sproget skal være da eller en."))
    if db.session.scalar(select(Tenant.id).filter_by(slug=slug)) is not None:
        raise TenantError(_("Kortnavnet '%(slug)s' er allerede i brug.", slug=slug))
    tenant = Tenant(slug=slug, name=name, default_locale=default_locale, settings=settings or {})
    db.session.add(tenant)
    db.session.flush()
    with tenant_scope(tenant.id):
        ensure_default_template()  # the memo's dialogue guide: every tenant starts with it
    return tenant


def get_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).filter_by(slug=slug))
