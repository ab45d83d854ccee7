"""The OpenID provider's discovery document and JWKS, kept per tenant: the last good copy.

Sign-ins verify id_tokens with the stored copy (``SsoSettings.oidc_copy``), not with whatever
the provider publishes at that moment. A scheduled refresh (``web.auth.tasks``) reads both
again through the guarded client and stores them only when they are good:

- discovery passes the same checks as when an admin saves the settings (``oidc.check_metadata``);
- the JWKS holds public keys that import (Authlib's JOSE library, joserfc);
- the JWKS still holds the key currently signing: the key that verified the last sign-in
  (its RFC 7638 thumbprint), or, before any sign-in, at least one key of the copy in force.

A refresh that fails or would drop the signing key keeps the last good copy, so sign-ins go
on, and raises the admins' alert (``web.auth.alerts``: banner and e-mail). An announced
rollover (old and new key side by side) passes, so both keys are accepted from then on; the
old one may leave once a sign-in was verified with the new one.

A copy belongs to one discovery URL: after the settings point elsewhere it is ignored (and
replaced by the next refresh, or by the first sign-in through the new provider).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from web import outbound
from web.audit.services import record
from web.auth import alerts, oidc
from web.auth.models import SsoSettings
from web.extensions import db

log = logging.getLogger(__name__)


public_keys = oidc.public_keys


def thumbprints(jwk_set: dict[str, Any]) -> set[str]:
    return {key.thumbprint() for key in public_keys(jwk_set).keys}


def normalised(jwk_set: dict[str, Any]) -> dict[str, Any]:
    """Only the public parts of the public keys, as stored."""
    return {"keys": [key.as_dict(private=False) for key in public_keys(jwk_set).keys]}


class KeptBack(oidc.OidcError):
    """A refreshed copy that would break sign-in."""


def check_keeps_signing_key(copy: dict[str, Any] | None, jwk_set: dict[str, Any]) -> None:
    """``KeptBack`` when ``jwk_set`` lacks the key currently signing (see the module)."""
    if copy is None:
        return
    new = thumbprints(jwk_set)
    signing = copy.get("signing_key")
    if signing and signing not in new:
        raise KeptBack(
            "jwks_signing_key_dropped",
            "the key that signed the last sign-in is not in the new JWKS",
        )
    if not signing and not new & thumbprints(copy["jwks"]):
        raise KeptBack("jwks_signing_key_dropped", "no key of the copy in force is in the new JWKS")


def fetch(settings: SsoSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Discovery and JWKS read again, checked: (metadata, jwks)."""
    metadata = oidc.fetch_metadata(settings.discovery_document_url, settings.issuer)
    try:
        jwk_set = outbound.get_json(metadata["jwks_uri"])
    except outbound.OutboundRefused as exc:
        raise oidc.ProviderUnavailable("jwks_unreachable", exc.reason) from exc
    return metadata, normalised(jwk_set)


def refresh(settings: SsoSettings) -> bool:
    """Read the provider's discovery and JWKS again; True when the stored copy changed.
    A copy that fails or would drop the signing key is kept back (flushes)."""
    if settings.is_saml or not settings.is_enabled:
        return False
    copy = settings.provider_copy
    try:
        metadata, jwk_set = fetch(settings)
        check_keeps_signing_key(copy, jwk_set)
    except oidc.OidcError as exc:
        log.warning("JWKS refresh for tenant %s kept back: %s", settings.tenant_id, exc)
        alerts.note(alerts.REFRESH_KEPT, exc.reason, exc.detail)
        record(
            "sso.oidc_keys_kept",
            target=settings,
            reason=exc.reason,
            detail=exc.detail,
            kept=sorted(thumbprints(copy["jwks"])) if copy else [],
        )
        db.session.flush()
        return False
    alerts.clear(alerts.REFRESH_KEPT)
    changed = copy is None or copy["metadata"] != metadata or copy["jwks"] != jwk_set
    keep_copy(settings, metadata, jwk_set, copy.get("signing_key") if copy else None)
    if changed:
        record("sso.oidc_keys_refreshed", target=settings, keys=sorted(thumbprints(jwk_set)))
    return changed


def keep_copy(
    settings: SsoSettings,
    metadata: dict[str, Any],
    jwk_set: dict[str, Any],
    signing_key: str | None,
) -> None:
    settings.oidc_copy = {
        "discovery_url": settings.discovery_document_url,
        "metadata": {k: v for k, v in metadata.items() if k not in ("jwks", "_loaded_at")},
        "jwks": jwk_set,
        "signing_key": signing_key,
    }
    settings.oidc_copy_fetched_at = datetime.now(UTC)
    db.session.flush()


def note_sign_in(settings: SsoSettings, client: oidc.TenantOIDCApp, signed_by: str | None) -> None:
    """After an id_token verified for the settings in force: remember the key that signed it,
    and store the client's copy when there is none yet (the first good copy). Flushes only
    when something changed. Never for a test sign-in (a draft's settings)."""
    if settings.draft_number or settings.id is None or not signed_by:
        return
    copy = settings.provider_copy
    if copy is not None and copy.get("signing_key") == signed_by:
        return
    if copy is not None and signed_by in thumbprints(copy["jwks"]):
        settings.oidc_copy = {**copy, "signing_key": signed_by}
        db.session.flush()
        return
    # No copy yet, or the token was signed by a key fetched just now (a rollover that was not
    # announced before it happened): what the client verified with is good, a sign-in proved it.
    jwk_set = client.server_metadata.get("jwks")
    if jwk_set:
        keep_copy(settings, client.server_metadata, normalised(jwk_set), signed_by)
