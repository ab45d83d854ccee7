"""SAML IdP metadata re-read on a schedule, so an IdP's key rotation reaches every tenant."""

from __future__ import annotations

import logging

from celery import shared_task

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
