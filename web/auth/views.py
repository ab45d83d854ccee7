"""Login through the tenant's OpenID provider, logout, and the pages around them."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from web import errorpages
from web.audit.services import record
from web.auth import alerts, crypto, flow, oidc, provisioning, trial, versions
from web.auth import session as auth_session
from web.auth.saml import flow as saml_flow
from web.auth.saml import keys as saml_keys
from web.auth.saml import sp as saml_sp
from web.auth.services import current_settings
from web.extensions import csrf, db
from web.permissions import Permission, require
from web.redirects import safe_target

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")
log = logging.getLogger(__name__)

UNAVAILABLE = {
    "metadata_unreachable",
    "jwks_unreachable",
    "token_endpoint_unreachable",
    "userinfo_unreachable",
}


@bp.get("/login")
def login():
    next_url = _safe_next(request.args.get("next"))
    if g.user is not None:
        return redirect(next_url or url_for("t.tenants.home"))
    try:
        settings = flow.settings_for_login()
        if settings.is_saml:
            url = saml_flow.begin(settings, next_url)
        else:
            url = flow.begin(
                settings, _absolute("t.auth.callback"), next_url, ui_locales=str(get_locale())
            )
    except flow.LoginRefused as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    return redirect(url)


@bp.get("/callback")
def callback():
    args = request.args.to_dict()
    unconfigured = None
    try:
        settings = flow.settings_for_login()
    except flow.LoginRefused as exc:
        settings, unconfigured = None, exc
    try:
        pending = flow.consume(args)
    except flow.LoginRefused as exc:
        if unconfigured is None and exc.reason.startswith("state_") and g.user is not None:
            # A link to the callback with no or a stale state is no login attempt of the
            # signed-in person (a page elsewhere may send them here): their session stays,
            # and nothing goes into the audit log under their name.
            db.session.commit()  # the state, if there was one, is burnt all the same
            return _refusal_page(exc)
        # The state is burnt even when refused: commit that along with the audit entry.
        return _refused(unconfigured or exc)
    db.session.commit()  # the state is used up, whatever happens next
    if pending.test_version_id is not None:
        return _oidc_test(pending, args)
    if unconfigured is not None:
        return _refused(unconfigured)

    try:
        done = flow.finish(settings, pending, args, _absolute("t.auth.callback"))
    except flow.LoginRefused as exc:
        db.session.rollback()
        return _refused(exc)

    return _signed_in(done.result, done.next_url, id_token=done.id_token)


def _oidc_test(pending, args: dict[str, str]):
    """The callback of a test sign-in: the claims checked with the pending version, shown to
    the admin; nobody is provisioned, no session changes."""
    require(g.user, Permission.ADMINISTER)
    version = versions.get(pending.test_version_id)
    settings = versions.as_settings(version)
    claims = None
    try:
        _token, claims = flow.verified_claims(settings, pending, args, _absolute("t.auth.callback"))
        result = trial.outcome(settings, claims)
    except flow.LoginRefused as exc:
        result = trial.refusal(exc)
    return _test_result(version, settings, result, claims)


def _test_result(version, settings, result: dict, claims: dict | None):
    versions.record_test(version, passed=result["passed"], result=result, actor=g.user)
    db.session.commit()
    return render_template(
        "auth/test_result.html",
        version=version,
        result=result,
        arrived=trial.arrived(claims) if claims else [],
        cause=None if result["passed"] else trial.explain(result, settings),
    )


def _signed_in(
    result: provisioning.Provisioned,
    next_url: str | None,
    *,
    id_token: str | None = None,
    saml_name_id: str | None = None,
):
    """The end of every login, whichever protocol: audit entries, a fresh session."""
    user = result.user
    if result.created:
        record("auth.user_created", actor=user, target=user)
    record(
        "auth.login",
        actor=user,
        target=user,
        units=[u.external_id for u in result.units],
        unknown_units=result.unknown_unit_refs,
        ambiguous_units={
            ref: [u.external_id for u in units] for ref, units in result.ambiguous.items()
        },
        roles=sorted({r.role.value for r in user.roles}),
    )
    alerts.clear(alerts.LOGIN_FAILURES)
    auth_session.login(user, id_token=id_token)
    if saml_name_id:
        session[saml_flow.NAME_ID_KEY] = saml_name_id  # for the LogoutRequest
    db.session.commit()
    if not provisioning.has_unit(user):
        return redirect(url_for("t.auth.no_unit"))
    return redirect(next_url or url_for("t.tenants.home"))


@bp.get("/saml/metadata")
def saml_metadata():
    """The tenant's SP metadata (its URL is the SP's entityID), signed."""
    settings = current_settings()
    try:
        xml = saml_sp.metadata_xml(settings if settings and settings.is_saml else None)
    except saml_keys.NoSigningKey:
        return errorpages.error_response(
            errorpages.ExplainedError(
                404,
                _("SAML er ikke sat op"),
                _(
                    "Der er endnu ingen nøgle til SAML. En driftsansvarlig opretter den med flask "
                    "sso saml-keys."
                ),
                reason="saml_no_sp_key",
            )
        )
    return current_app.response_class(xml, mimetype="application/samlmetadata+xml")


@bp.post("/saml/acs")
@csrf.exempt
def saml_acs():
    """The IdP's POST (cross-site: no session cookie). Verified, then handed to a GET."""
    try:
        handoff = saml_flow.accept(_saml_settings_for, request.form.get("SAMLResponse"))
    except flow.LoginRefused as exc:
        if exc.pending is not None and exc.pending.test_version_id is not None:
            # A test sign-in: the cause goes to the admin's browser like the attributes would.
            handoff = saml_flow.hand_off(
                exc.pending, {saml_flow.TEST_REFUSAL_KEY: trial.refusal(exc)}
            )
            db.session.commit()
            return redirect(url_for("t.auth.saml_continue", h=handoff), code=303)
        # The pending login, if the response named one, stays burnt: commit with the entry.
        return _refused(exc, touch_session=False)
    db.session.commit()
    return redirect(url_for("t.auth.saml_continue", h=handoff), code=303)


def _saml_settings_for(pending):
    """The settings a response is checked with: the pending version a test sign-in tries, or
    the version in force."""
    if pending.test_version_id is not None:
        version = versions.get(pending.test_version_id)
        if version is None or not version.is_pending:
            raise flow.LoginRefused("version_not_pending")
        return versions.as_settings(version)
    settings = flow.settings_for_login()
    if not settings.is_saml:
        raise flow.LoginRefused("saml_not_configured")
    return settings


@bp.get("/saml/continue")
def saml_continue():
    try:
        pending, claims = saml_flow.take_handoff(request.args.get("h"))
        if pending.test_version_id is None:
            settings = flow.settings_for_login()
            result = flow.provision_from(settings, claims)
    except flow.LoginRefused as exc:
        db.session.commit()  # the hand-off is used up
        return _refused(exc)
    if pending.test_version_id is not None:
        return _saml_test(pending, claims)
    return _signed_in(result, pending.next_url, saml_name_id=claims[saml_flow.NAME_ID_KEY])


def _saml_test(pending, claims: dict):
    require(g.user, Permission.ADMINISTER)
    version = versions.get(pending.test_version_id)
    settings = versions.as_settings(version)
    if saml_flow.TEST_REFUSAL_KEY in claims:
        return _test_result(version, settings, claims[saml_flow.TEST_REFUSAL_KEY], None)
    try:
        result = trial.outcome(settings, claims)
    except flow.LoginRefused as exc:
        result = trial.refusal(exc)
    return _test_result(version, settings, result, claims)


@bp.get("/saml/slo")
def saml_slo():
    """Where the IdP sends the browser after single logout, or with its own LogoutRequest."""
    settings = current_settings()
    if "SAMLRequest" not in request.args or settings is None or not settings.is_saml:
        return redirect(url_for("t.auth.logged_out"))
    try:
        name_id = saml_flow.idp_logout_name_id(settings, request.query_string.decode())
    except flow.LoginRefused as exc:
        record("auth.logout_refused", reason=exc.reason, detail=exc.detail)
        db.session.commit()
        return _refusal_page(exc)
    user = g.user
    if user is not None and session.get(saml_flow.NAME_ID_KEY) == name_id:
        record("auth.logout", actor=user, target=user, initiated_by="idp")
        auth_session.revoke_current()
        auth_session.logout()
    db.session.commit()
    return redirect(
        saml_sp.logout_response_redirect(
            settings, request.args["SAMLRequest"], request.args.get("RelayState")
        )
        or url_for("t.auth.logged_out")
    )


@bp.post("/logout")
def logout():
    user = g.user
    id_token = session.get("id_token")
    name_id = session.get(saml_flow.NAME_ID_KEY)
    if user is not None:
        record("auth.logout", actor=user, target=user)
    auth_session.revoke_current()
    auth_session.logout()
    db.session.commit()
    return redirect(_provider_logout_url(id_token, name_id) or url_for("t.auth.logged_out"))


@bp.get("/logged-out")
def logged_out():
    return render_template("auth/logged_out.html")


@bp.get("/no-unit")
def no_unit():
    user = auth_session.require_user()
    return render_template("auth/no_unit.html", user=user, has_unit=provisioning.has_unit(user))


def _provider_logout_url(id_token: str | None, name_id: str | None = None) -> str | None:
    """RP-initiated logout at the provider, when it advertises an end_session_endpoint
    (OIDC) or a single logout service (SAML)."""
    settings = current_settings()
    if settings is None or not settings.is_enabled:
        return None
    if settings.is_saml:
        return saml_sp.logout_redirect(settings, name_id) if name_id else None
    try:
        client = oidc.client_for(settings)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=_absolute("t.auth.logged_out"),
            id_token_hint=id_token,
            client_id=settings.client_id,
        )["url"]
    except (oidc.OidcError, crypto.SecretUnreadable) as exc:
        log.warning("RP-initiated logout skipped: %s", exc)
        return None


def _refused(exc: flow.LoginRefused, *, touch_session: bool = True):
    if touch_session:
        auth_session.drop_login()
    configuration = is_configuration(exc)
    record(
        "auth.login_refused",
        actor=exc.user,
        subject=exc.subject,
        reason=exc.reason,
        detail=exc.detail,
        configuration=configuration or None,
    )
    if configuration:
        alerts.note(alerts.LOGIN_FAILURES, exc.reason, exc.detail)
    db.session.commit()
    log.warning("login refused: %s", exc)
    return _refusal_page(exc)


def _refusal_page(exc: flow.LoginRefused):
    """The person's page: what happened in plain words, the code and the request id to quote,
    through the one error handler (its headers, its fallbacks)."""
    title, message, status = _explain(exc)
    retry = None if status == 403 else url_for("t.auth.login")
    return errorpages.error_response(
        errorpages.ExplainedError(status, title, message, reason=exc.reason, retry_url=retry)
    )


# Refusals that say the tenant's configuration (or its provider's) does not fit: no person can
# sign in until an admin acts. They raise the admin banner when repeated (``web.auth.alerts``).
CONFIGURATION = {
    "client_secret_unreadable",
    "saml_no_metadata",
    "saml_no_sp_key",
    "saml_not_configured",
    "claims_missing",
    "id_token_audience",
    "id_token_issuer",
    "id_token_unknown_kid",
    "id_token_no_keys",
    "callback_issuer_mismatch",
    "callback_issuer_missing",
    "saml_signature",
    "saml_issuer",
    "saml_audience",
    "saml_weak_algorithm",
}
UNUSABLE_SETUP = {
    "client_secret_unreadable",
    "saml_no_metadata",
    "saml_no_sp_key",
    "saml_not_configured",
}
CLIENT_ERRORS = (
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "unsupported_response_type",
    "invalid_request",
)


def is_configuration(exc: flow.LoginRefused) -> bool:
    if exc.reason in CONFIGURATION or exc.reason.startswith("metadata_"):
        return True
    return (
        exc.reason in ("provider_error", "code_rejected")
        and exc.detail.split(":")[0].strip() in CLIENT_ERRORS
    )


def _explain(exc: flow.LoginRefused) -> tuple[str, str, int]:
    reason = exc.reason
    if reason.startswith("state_"):
        return (
            _("Login-forsøget kunne ikke bruges"),
            _(
                "Login-forsøget er udløbet, allerede brugt eller startet i en anden browser. "
                "Start forfra."
            ),
            400,
        )
    if reason == "sso_not_configured":
        return (
            _("Login er ikke sat op"),
            _(
                "%(name)s har ikke sat fælles login op i Aktørskab endnu. Kontakt jeres "
                "administrator.",
                name=g.tenant.name,
            ),
            503,
        )
    if reason in UNAVAILABLE:
        return (
            _("Login-tjenesten svarer ikke"),
            _("Vi kunne ikke kontakte jeres login-tjeneste. Prøv igen om lidt."),
            502,
        )
    if reason == "saml_loa_too_low":
        return (
            _("Sikringsniveauet er for lavt"),
            _(
                "Aktørskab kræver, at du logger ind med NSIS-sikringsniveau %(level)s eller "
                "højere. Log ind igen, fx med MitID.",
                level=_loa_name(current_settings().saml_required_loa),
            ),
            403,
        )
    if reason == "user_disabled":
        return (
            _("Ingen adgang"),
            _(
                "Din adgang til Aktørskab er lukket. Kontakt din leder eller HR, hvis det er "
                "en fejl."
            ),
            403,
        )
    if is_configuration(exc):
        missing = (
            _(" Login-tjenesten sendte ikke: %(claims)s.", claims=", ".join(exc.missing))
            if exc.missing
            else ""
        )
        # 503: nothing in the request is wrong, the setup is (no sign-in can work); 400: the
        # answer the browser brought does not fit the setup (it may also be forged).
        status = 503 if reason in UNUSABLE_SETUP or reason.startswith("metadata_") else 400
        return (
            _("Log-in er ikke sat korrekt op"),
            _(
                "Log-in er ikke sat korrekt op hos jeres kommune — kontakt jeres "
                "administrator, og oplys henvendelsesnummeret nedenfor."
            )
            + missing,
            status,
        )
    if reason == "provider_error":
        return (
            _("Login blev afbrudt"),
            _("Login-tjenesten gennemførte ikke login. Prøv igen."),
            400,
        )
    if reason == "provider_clock_ahead":
        return (
            _("Login-tjenestens ur går forkert"),
            _(
                "Login-tjenestens ur går foran vores, så dens svar ser ud til at komme fra "
                "fremtiden og kan ikke godkendes. Bed jeres it-afdeling om at rette uret på "
                "login-tjenesten."
            ),
            400,
        )
    return (
        _("Login blev afvist"),
        _(
            "Svaret fra login-tjenesten kunne ikke godkendes, så du er ikke logget ind. "
            "Prøv igen, og kontakt jeres it-afdeling, hvis det sker igen."
        ),
        400,
    )


def _loa_name(level: str) -> str:
    return {"Low": _("Lav"), "Substantial": _("Betydelig"), "High": _("Høj")}.get(level, level)


def _absolute(endpoint: str) -> str:
    """Where the provider sends the browser back: BASE_URL in production, else this host."""
    if current_app.config["ENV"] == "production":
        return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def _safe_next(target: str | None) -> str | None:
    """Only a page of this tenant; anything else (another site, another tenant) is dropped."""
    return safe_target(target, within=f"/t/{g.tenant.slug}/")
