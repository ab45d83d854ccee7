"""A test sign-in with a pending version of the SSO settings, started from the admin page.

It runs the real flow with the pending version's settings — discovery or metadata, the
redirect, the callback or the ACS, token or assertion validation — and ends on a page that
shows what arrived and how it maps (name, e-mail, unit, roles, level of assurance), or the
cause in plain words. It never provisions anyone and never starts a session for the tenant:
the verified claims go to ``outcome`` and no further.

OpenID Connect: many providers answer an unknown client id at their authorization endpoint
with a page of their own instead of a redirect back (RFC 6749 4.1.2.1 forbids redirecting
then), where the admin would be stuck. So before the browser goes there, the server asks for
the same authorization URL itself and reads the provider's refusal, if there is one.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask_babel import gettext as _

from web import outbound
from web.auth import flow, provisioning, versions
from web.auth.models import SsoSettings, SsoVersion
from web.auth.saml import flow as saml_flow
from web.inputs import one_line

MAX_DETAIL = 300
UNKNOWN_CLIENT = ("invalid_client", "unauthorized_client", "AADSTS700016", "client_id")


def begin(version: SsoVersion, redirect_uri: str, ui_locales: str | None) -> str:
    """Where the admin's browser goes for a test sign-in with ``version`` (flushes the
    pending login); ``flow.LoginRefused`` when the provider refuses it up front."""
    if not version.is_pending:
        raise flow.LoginRefused("version_not_pending")
    settings = versions.as_settings(version)
    if settings.is_saml:
        return saml_flow.begin(settings, None, test_version_id=version.id)
    url = flow.begin(
        settings, redirect_uri, None, ui_locales=ui_locales, test_version_id=version.id
    )
    probe(url, redirect_uri)
    return url


def probe(url: str, redirect_uri: str) -> None:
    """Ask the provider for the authorization URL as the browser would, without following
    it; its refusal (an error page, or a redirect back with ``error``) as ``LoginRefused``."""
    try:
        with outbound.guarded_session() as session:
            reply = session.get(
                url,
                allow_redirects=False,
                timeout=10,
                headers={"Accept": "text/html, application/json"},
            )
            body = reply.text[:20_000] if reply.status_code >= 400 else ""
    except requests.RequestException as exc:
        raise flow.LoginRefused("authorize_unreachable", type(exc).__name__) from exc
    if reply.is_redirect:
        target = reply.headers.get("Location", "")
        if target.startswith(redirect_uri):
            args = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
            if args.get("error"):
                said = f"{args['error']}: {args.get('error_description', '')}"
                raise flow.LoginRefused(_client_or("provider_error", said), _clip(said))
        return
    if reply.status_code >= 400:
        said = _provider_words(body)
        raise flow.LoginRefused(_client_or("provider_refused_request", said), said)


def _client_or(reason: str, said: str) -> str:
    return "client_unknown" if any(word in said for word in UNKNOWN_CLIENT) else reason


def _provider_words(body: str) -> str:
    """What a provider's error answer says: its JSON error, or the text of its page."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and data.get("error"):
            return _clip(f"{data['error']}: {data.get('error_description') or ''}")
    except ValueError:
        pass
    parser = _Text()
    parser.feed(body)
    return _clip(" ".join(parser.parts))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _clip(text: str) -> str:
    return one_line(re.sub(r"\s+", " ", text)).strip(" :")[:MAX_DETAIL]


def outcome(settings: SsoSettings, claims: dict[str, Any]) -> dict[str, Any]:
    """How the verified claims map, without writing anything; ``flow.LoginRefused`` when the
    sign-in would be refused (a claim the mapping needs is missing)."""
    try:
        identity = provisioning.identity_from_claims(settings, claims)
    except provisioning.MissingClaims as exc:
        raise flow.LoginRefused("claims_missing", str(exc), missing=exc.names) from exc
    units, unknown, ambiguous = provisioning.resolve_units(
        identity.unit_refs, settings.unit_claim_kind
    )
    absent = [
        name
        for name in (settings.email_claim, settings.unit_claim, settings.roles_claim)
        if name and provisioning.claim(claims, name) is None
    ]
    loa = claims.get(saml_flow.LOA_KEY) if settings.is_saml else claims.get("acr")
    return {
        "passed": True,
        "name": identity.display_name,
        "email": identity.email,
        "units": [unit.name for unit in units],
        "unknown_units": unknown,
        "ambiguous_units": sorted(ambiguous),
        "leader": identity.is_leader,
        "roles": sorted(role.value for role in identity.roles),
        "loa": loa if isinstance(loa, str) else None,
        "absent": absent,
    }


def refusal(exc: flow.LoginRefused) -> dict[str, Any]:
    return {
        "passed": False,
        "reason": exc.reason,
        "detail": _clip(exc.detail or ""),
        "missing": exc.missing,
    }


def arrived(claims: dict[str, Any]) -> list[tuple[str, str]]:
    """What arrived, for the page (never stored): each claim or attribute with its value."""
    hidden = {saml_flow.NAME_ID_KEY, saml_flow.LOA_KEY, "nonce", "at_hash", "c_hash"}
    rows = []
    for name in sorted(claims):
        if name in hidden:
            continue
        value = claims[name]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append((name, _clip(text)))
    return rows


def explain(result: dict[str, Any], settings: SsoSettings | None) -> str:
    """The cause of a failed test in plain words (the admin's language)."""
    reason, detail = result.get("reason") or "", result.get("detail") or ""
    client_id = settings.client_id if settings is not None else ""
    if reason == "client_unknown" or (
        reason in ("code_rejected", "provider_error") and any(w in detail for w in UNKNOWN_CLIENT)
    ):
        return _(
            "Login-tjenesten kender ikke klient-id'et %(client)s. Tjek, at det står "
            "præcis som hos login-tjenesten, uden mellemrum. Login-tjenesten svarede: "
            "%(said)s",
            client=client_id,
            said=detail or "-",
        )
    if reason in ("provider_error", "provider_refused_request", "saml_status"):
        return _("Login-tjenesten afviste login og svarede: %(said)s", said=detail or "-")
    if reason == "code_rejected":
        return _(
            "Login-tjenesten ville ikke udstede et token (tjek klienthemmeligheden). "
            "Den svarede: %(said)s",
            said=detail or "-",
        )
    if reason == "claims_missing":
        return _(
            "Login-tjenesten sendte ikke %(names)s, som opsætningen læser navnet eller "
            "brugeren fra. Ret navnet på claimet eller attributten, eller bed "
            "login-tjenesten om at sende det.",
            names=", ".join(result.get("missing") or [detail]),
        )
    if reason in (
        "id_token_unknown_kid",
        "id_token_signature",
        "id_token_no_keys",
        "saml_signature",
    ):
        return _(
            "Svaret er signeret med en nøgle, som login-tjenestens offentliggjorte "
            "nøgler (JWKS eller metadata) ikke indeholder. Hent metadata igen, eller "
            "tjek, at opsætningen peger på den rigtige login-tjeneste."
        )
    if reason in (
        "provider_clock_ahead",
        "id_token_expired",
        "id_token_not_yet_valid",
        "saml_expired",
        "saml_not_yet_valid",
    ):
        return _(
            "Login-tjenestens ur og vores går for langt fra hinanden, så svaret ser "
            "udløbet eller fremtidigt ud. Bed jeres it-afdeling om at rette uret på "
            "login-tjenesten."
        )
    if reason == "id_token_audience" or reason == "saml_audience":
        return _(
            "Svaret er udstedt til en anden klient end %(client)s. Tjek klient-id'et.",
            client=client_id or "-",
        )
    if (
        reason in ("id_token_issuer", "callback_issuer_mismatch", "saml_issuer")
        or reason == "metadata_issuer_mismatch"
    ):
        return _("Svaret kommer fra en anden udsteder end den, opsætningen angiver.")
    if reason in (
        "metadata_unreachable",
        "jwks_unreachable",
        "token_endpoint_unreachable",
        "userinfo_unreachable",
        "authorize_unreachable",
    ):
        return _("Vi kunne ikke kontakte login-tjenesten. Tjek adressen, og at den kan nås herfra.")
    if reason.startswith("metadata_"):
        return _(
            "Login-tjenestens oplysninger (discovery eller metadata) passer ikke til "
            "opsætningen (%(detail)s).",
            detail=detail or reason,
        )
    if reason == "saml_loa_too_low":
        return _(
            "Login skete på et lavere sikringsniveau, end opsætningen kræver (%(detail)s).",
            detail=detail,
        )
    if reason.startswith("state_") or reason == "version_not_pending":
        return _(
            "Afprøvningen blev ikke gennemført i denne browser eller er udløbet. Start "
            "den forfra fra siden om fælles login."
        )
    return _("Svaret fra login-tjenesten kunne ikke godkendes (%(reason)s).", reason=reason)
