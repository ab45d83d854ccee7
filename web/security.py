"""Security headers on every response and rate limits on sign-in and the API.

Headers: a small ``after_request`` of our own rather than flask-talisman, because (1) a few
views serve self-contained documents and set their own, stricter Content-Security-Policy
(the stored report, ``reports.html``), which Talisman would overwrite; (2) TLS ends at the
load balancer and the session cookie's ``Secure`` flag is already set by ``create_app`` in
production, so Talisman's HTTPS redirect and cookie handling would only need switching off.
What remains is six fixed headers.

- ``Content-Security-Policy``: scripts, styles, images, fonts and fetches only from our own
  origin; no ``'unsafe-inline'``, no ``eval``; no plugins; ``frame-ancestors 'none'``.
  ``form-action`` is left open on purpose: the login and logout forms end in redirects to the
  municipality's identity provider, which browsers check against ``form-action``.
- ``Strict-Transport-Security`` when ``AKTOR_ENV=production`` (never in local development,
  where the app is plain HTTP).
- ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``), ``Referrer-Policy``,
  ``X-Content-Type-Options: nosniff``.

Rate limits (Flask-Limiter, stored in Redis when ``REDIS_URL`` is set, in memory otherwise):
the SSO login start and callback per client address; the JSON API per *identity* (the token
after parsing the header, else the signed-in user of the session cookie, else the address),
one counter shared by every operation; and failed authentications (401s) per address and
tenant, so guessing tokens is limited however many different ones are tried. A refused
request is 429 with ``Retry-After``: a translated page, or the API's JSON error
``rate_limited``. Limits are off in the test environment unless a test turns them on
(``RATELIMIT_ENABLED``), so the suite's many logins from 127.0.0.1 do not trip them.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"

SSO_LIMIT = "20 per minute; 200 per hour"  # one client address, one tenant
API_LIMIT = "300 per minute"  # one token (or user, or address), one tenant, all operations
# 401s from one address in one tenant: enough for a client with a mistyped token to notice,
# far too few to guess a 256-bit token (or to probe which of many stolen ones still work).
API_FAILED_AUTH_LIMIT = "20 per minute; 100 per hour"
SSO_ENDPOINTS = ("t.auth.login", "t.auth.callback", "t.auth.saml_acs", "t.auth.saml_continue")
# One SCIM token, one tenant: Entra ID's gallery asks an application to take at least 25
# requests a second per tenant; this is 40.
SCIM_LIMIT = "2400 per minute"


def init_app(app: Flask) -> None:
    """Call after the blueprints are registered (the limits wrap their views)."""
    app.after_request(_security_headers)
    _init_limiter(app)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # A view that serves a self-contained document sets its own (stricter) policy: keep it.
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if current_app.config["ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- rate limits ---------------------------------------------------------------------------------


def _tenant_part() -> str:
    tenant = g.get("tenant")
    return f"t{tenant.id}" if tenant is not None else "-"


def sso_key() -> str:
    return f"sso:{_tenant_part()}:{get_remote_address()}"


def api_key() -> str:
    """The caller's identity, never the header's bytes: ``Bearer  akt_x`` and ``bearer akt_x``
    are one token, and so one counter (the token's digest, never the token itself in Redis)."""
    from web.api import tokens

    header = request.headers.get("Authorization")
    if header is not None:
        secret = tokens.parse_authorization(header)
        if secret is not None:
            return f"api:{_tenant_part()}:tok:{tokens.hash_token(secret)[:32]}"
        return f"api:{_tenant_part()}:ip:{get_remote_address()}"
    # The session cookie is signed, so its user id cannot be made up; every session of one
    # user shares the counter. (The limit runs before the tenant blueprint loads ``g.user``.)
    user_id = session.get("user_id")
    if isinstance(user_id, int) and session.get("tenant_id") == getattr(
        g.get("tenant"), "id", None
    ):
        return f"api:{_tenant_part()}:user:{user_id}"
    return f"api:{_tenant_part()}:ip:{get_remote_address()}"


def scim_key() -> str:
    """The SCIM token's digest (never the token), else the address."""
    from web.api import tokens

    secret = tokens.parse_authorization(request.headers.get("Authorization") or "")
    if secret is not None:
        return f"scim:{_tenant_part()}:tok:{tokens.hash_token(secret)[:32]}"
    return f"scim:{_tenant_part()}:ip:{get_remote_address()}"


def failed_auth_key() -> str:
    return f"api-auth:{_tenant_part()}:{get_remote_address()}"


def _is_failed_auth(response: Response) -> bool:
    return response.status_code == 401


def _init_limiter(app: Flask) -> None:
    config = app.config
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")
    config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS",
        {"socket_connect_timeout": 1, "socket_timeout": 1} if config.get("REDIS_URL") else {},
    )
    config.setdefault("RATELIMIT_KEY_PREFIX", f"aktorskab-{config.get('CELERY_QUEUE') or 'rl'}")
    # Redis down: count in this process's memory rather than refuse or fail every request.
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SSO", SSO_LIMIT)
    config.setdefault("RATELIMIT_API", API_LIMIT)
    config.setdefault("RATELIMIT_API_FAILED_AUTH", API_FAILED_AUTH_LIMIT)
    config.setdefault("RATELIMIT_SCIM", SCIM_LIMIT)
    # One limiter per app (not a module global): its state must not leak between apps.
    limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
    limiter.init_app(app)
    # Limits hold their limiter weakly, and a disabled limiter registers nothing on the app:
    # keep it alive with the app.
    app.extensions["rate_limiter"] = limiter

    for endpoint in SSO_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(
                lambda: config["RATELIMIT_SSO"], key_func=sso_key
            )(view)
    api_bp = app.blueprints.get("t.api")
    if api_bp is not None:
        # Shared limits: one counter per key for the whole API, not one per operation.
        limiter.shared_limit(lambda: config["RATELIMIT_API"], scope="api", key_func=api_key)(api_bp)
        # Checked before the request is authenticated, counted when it answered 401.
        limiter.shared_limit(
            lambda: config["RATELIMIT_API_FAILED_AUTH"],
            scope="api-auth",
            key_func=failed_auth_key,
            deduct_when=_is_failed_auth,
        )(api_bp)

    scim_bp = app.blueprints.get("t.scim")
    if scim_bp is not None:
        limiter.shared_limit(lambda: config["RATELIMIT_SCIM"], scope="scim", key_func=scim_key)(
            scim_bp
        )
        limiter.shared_limit(
            lambda: config["RATELIMIT_API_FAILED_AUTH"],
            scope="scim-auth",
            key_func=failed_auth_key,
            deduct_when=_is_failed_auth,
        )(scim_bp)

    _check_only_limited(app, limiter)
    app.register_error_handler(429, _too_many_requests)


# The blueprints whose shared limits the limiter checks before each of their requests.
LIMITED_PREFIXES = ("t.api.", "t.scim.")


def _check_only_limited(app: Flask, limiter: Limiter) -> None:
    """Run the limiter's per-request check only where a limit applies: the SSO endpoints and
    the API's and SCIM's blueprints. Elsewhere it found none and did nothing, at ~0.1 ms of
    every page's floor. Kept as it is when the configuration adds default or application-wide
    limits (every request is limited then)."""
    if any(app.config.get(name) for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")):
        return
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.get(None, [])
    if check not in hooks:
        return  # disabled: the limiter registered no check
    endpoints = frozenset(SSO_ENDPOINTS)

    def _check_request_limit() -> None:
        endpoint = request.endpoint
        if endpoint is not None and (
            endpoint in endpoints or endpoint.startswith(LIMITED_PREFIXES)
        ):
            limiter._check_request_limit()

    hooks[hooks.index(check)] = _check_request_limit
    # Its after_request adds the X-RateLimit headers of a check made: none was, elsewhere.
    after = app.after_request_funcs.get(None, [])
    inject = next((f for f in after if getattr(f, "args", None) == (limiter,)), None)
    if inject is not None:

        def _inject_headers(response: Response) -> Response:
            endpoint = request.endpoint
            if endpoint is not None and (
                endpoint in endpoints or endpoint.startswith(LIMITED_PREFIXES)
            ):
                return inject(response)
            return response

        after[after.index(inject)] = _inject_headers


def _too_many_requests(exc) -> Response:
    from web.errorpages import error_response

    response = error_response(exc)  # the API's JSON error under /t/<tenant>/api/, else a page
    retry_after = getattr(exc, "retry_after", None) or 60
    response.headers.setdefault("Retry-After", str(int(retry_after)))
    return response
