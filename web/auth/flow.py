"""The authorization code flow, one tenant at a time.

``begin`` asks Authlib's client for the authorization URL (state, nonce, PKCE S256), keeps the
request server-side (``PendingLogin``) and remembers its state in the browser's session.
``consume`` takes the state off the callback and marks it used; the caller commits that before
anything else happens, so a state can never be used twice. ``finish`` checks the callback,
exchanges the code, validates the id_token, merges userinfo and provisions the user.
Every refusal is a ``LoginRefused`` whose ``reason`` goes into the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import session
from sqlalchemy import delete, select

from web.auth import crypto, jwks, oidc, provisioning
from web.auth.models import PendingLogin, SsoSettings
from web.extensions import db

PENDING_TTL = timedelta(minutes=10)
MAX_PENDING_IN_SESSION = 5
SESSION_KEY = "sso_states"


class LoginRefused(Exception):
    """The login cannot go on; ``reason`` is a stable code for the audit log."""

    def __init__(
        self,
        reason: str,
        detail: str = "",
        *,
        subject: str | None = None,
        user=None,
        missing: list[str] | None = None,
    ):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.subject = subject
        self.user = user
        self.missing = missing or []
        self.pending: PendingLogin | None = None  # SAML: the attempt, once the ACS knows it


@dataclass
class Completed:
    result: provisioning.Provisioned
    id_token: str | None
    next_url: str | None
    claims: dict[str, Any]


def settings_for_login() -> SsoSettings:
    settings = db.session.scalar(select(SsoSettings))
    if settings is None or not settings.is_enabled:
        raise LoginRefused("sso_not_configured")
    return settings


def _client(settings: SsoSettings) -> oidc.TenantOIDCApp:
    try:
        return oidc.client_for(settings)
    except crypto.SecretUnreadable as exc:
        raise LoginRefused("client_secret_unreadable") from exc


def begin(
    settings: SsoSettings,
    redirect_uri: str,
    next_url: str | None,
    ui_locales: str | None = None,
    *,
    test_version_id: int | None = None,
) -> str:
    """The provider's authorization URL for a new login attempt (flushes a PendingLogin);
    ``test_version_id``: a test sign-in with that pending version."""
    client = _client(settings)
    extra = {"ui_locales": ui_locales} if ui_locales else {}
    try:
        request = client.create_authorization_url(redirect_uri, **extra)
    except oidc.OidcError as exc:
        raise LoginRefused(exc.reason, exc.detail) from exc
    remember_pending(
        request["state"],
        nonce=request["nonce"],
        code_verifier=request["code_verifier"],
        next_url=next_url,
        test_version_id=test_version_id,
    )
    return request["url"]


def remember_pending(
    state: str,
    *,
    nonce: str,
    code_verifier: str,
    next_url: str | None,
    test_version_id: int | None = None,
) -> PendingLogin:
    """A login attempt kept on the server and named in this browser's session (both
    protocols: the OIDC state, the SAML AuthnRequest ID). Flushes."""
    now = datetime.now(UTC)
    # Unused attempts older than a day are only clutter.
    db.session.execute(
        delete(PendingLogin).where(PendingLogin.created_at < now - timedelta(days=1))
    )
    pending = PendingLogin(
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
        next_url=next_url,
        test_version_id=test_version_id,
    )
    db.session.add(pending)
    states = [s for s in session.get(SESSION_KEY, []) if s != state]
    session[SESSION_KEY] = [*states, state][-MAX_PENDING_IN_SESSION:]
    db.session.flush()
    return pending


def issued_to_this_browser(state: str) -> bool:
    """Whether this browser started the attempt; the state leaves the session either way."""
    issued = state in session.get(SESSION_KEY, [])
    session[SESSION_KEY] = [s for s in session.get(SESSION_KEY, []) if s != state]
    return issued


def consume(args: dict[str, str]) -> PendingLogin:
    """The pending login named by the callback's state, marked used (the caller commits)."""
    state = args.get("state")
    if not state:
        raise LoginRefused("state_missing")
    pending = db.session.scalar(select(PendingLogin).filter_by(state=state).with_for_update())
    if pending is None:
        raise LoginRefused("state_mismatch", "unknown state")
    if pending.consumed_at is not None:
        raise LoginRefused("state_replayed")
    # Used up either way: a state that arrived in the wrong browser is burnt too.
    pending.consumed_at = datetime.now(UTC)
    if not issued_to_this_browser(state):
        raise LoginRefused("state_mismatch", "state was not issued to this browser")
    if is_expired(pending):
        raise LoginRefused("state_expired")
    return pending


def is_expired(pending: PendingLogin) -> bool:
    return aware(pending.created_at) < datetime.now(UTC) - PENDING_TTL


def finish(
    settings: SsoSettings, pending: PendingLogin, args: dict[str, str], redirect_uri: str
) -> Completed:
    token, claims = verified_claims(settings, pending, args, redirect_uri)
    return Completed(
        result=provision_from(settings, claims),
        id_token=token["id_token"],
        next_url=pending.next_url,
        claims=claims,
    )


def verified_claims(
    settings: SsoSettings, pending: PendingLogin, args: dict[str, str], redirect_uri: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The callback checked, the code exchanged, the id_token validated: (token, claims)."""
    client = _client(settings)
    try:
        metadata = client.load_server_metadata()
        _check_callback(args, metadata)
        token = client.fetch_access_token(
            redirect_uri=redirect_uri, code=args["code"], code_verifier=pending.code_verifier
        )
        claims, signed_by = client.verified_id_token(token, nonce=pending.nonce)
        claims = _with_userinfo(client, metadata, token, claims)
    except oidc.OidcError as exc:
        raise LoginRefused(exc.reason, exc.detail) from exc
    jwks.note_sign_in(settings, client, signed_by)
    return token, claims


def provision_from(settings: SsoSettings, claims: dict[str, Any]) -> provisioning.Provisioned:
    """The one path from verified claims (OIDC) or attributes (SAML) to a provisioned user."""
    try:
        identity = provisioning.identity_from_claims(settings, claims)
    except provisioning.MissingClaims as exc:
        raise LoginRefused(
            "claims_missing", str(exc), subject=_subject(claims), missing=exc.names
        ) from exc
    try:
        return provisioning.provision(identity, settings)
    except provisioning.UserDisabled as exc:
        raise LoginRefused("user_disabled", subject=identity.subject, user=exc.user) from exc


def _check_callback(args: dict[str, str], metadata: dict[str, Any]) -> None:
    # RFC 9207: the authorization response names its issuer; with one provider per tenant a
    # response from the wrong one (a mix-up attack) is refused before the code is sent anywhere.
    iss = args.get("iss")
    if iss is not None and iss != metadata["issuer"]:
        raise LoginRefused("callback_issuer_mismatch", f"iss {iss!r}")
    if iss is None and metadata.get("authorization_response_iss_parameter_supported"):
        raise LoginRefused("callback_issuer_missing")
    if args.get("error"):
        # The provider's own words (RFC 6749 4.1.2.1), for the audit log and the admin's test.
        said = " ".join(f"{args.get('error', '')}: {args.get('error_description', '')}".split())
        raise LoginRefused("provider_error", said.rstrip(":")[:300])
    if not args.get("code"):
        raise LoginRefused("code_missing")


def _with_userinfo(
    client: oidc.TenantOIDCApp,
    metadata: dict[str, Any],
    token: dict[str, Any],
    claims: dict[str, Any],
) -> dict[str, Any]:
    """Claims from the id_token, completed from the userinfo endpoint when there is one."""
    if not metadata.get("userinfo_endpoint") or not token.get("access_token"):
        return claims
    info = client.userinfo(token=token)
    if info.get("sub") != claims["sub"]:
        # OIDC Core 5.3.2: userinfo about someone else must not be used.
        raise LoginRefused("userinfo_subject_mismatch")
    return {**info, **claims}


def _subject(claims: dict[str, Any]) -> str | None:
    sub = claims.get("sub")
    return sub[:255] if isinstance(sub, str) else None


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
