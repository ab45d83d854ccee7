"""The identity provider's keys re-read on a schedule, so a key rotation reaches every tenant:
SAML IdP metadata, and OpenID Connect discovery and JWKS (``web.auth.jwks``). A refresh that
would break sign-in keeps the last good copy and tells the tenant's admins."""

from __future__ import annotations

import logging

from celery import shared_task

from web.auth import jwks
from web.auth.saml import checks
from web.auth.saml.services import refresh_metadata
from web.auth.services import current_settings
from web.tasking import fan_out, tenant_task

log = logging.getLogger(__name__)


@shared_task(name="web.auth.tasks.refresh_all_saml_metadata")
def refresh_all_saml_metadata() -> int:
    return fan_out(refresh_saml_metadata)


@shared_task(name="web.auth.tasks.refresh_saml_metadata")
@tenant_task
def refresh_saml_metadata(tenant_id: int) -> bool:
    """True when the IdP's metadata changed. A failed fetch keeps the metadata we have."""
    settings = current_settings()
    if settings is None:
        return False
    try:
        return refresh_metadata(settings)
    except checks.Refused as exc:
        log.warning("SAML metadata refresh for tenant %s failed: %s", tenant_id, exc)
        return False


@shared_task(name="web.auth.tasks.refresh_all_oidc_keys")
def refresh_all_oidc_keys() -> int:
    return fan_out(refresh_oidc_keys)


@shared_task(name="web.auth.tasks.refresh_oidc_keys")
@tenant_task
def refresh_oidc_keys(tenant_id: int) -> bool:
    """True when the provider's discovery or JWKS changed and the new copy is kept."""
    settings = current_settings()
    if settings is None:
        return False
    return jwks.refresh(settings)
