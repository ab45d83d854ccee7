"""Per-tenant OpenID Connect clients (Authlib's Flask client) and id_token validation.

Each tenant has its own provider, so each gets its own registered client, named after the
tenant and rebuilt when the tenant's settings change (``SsoSettings.version``) or its cached
provider metadata grows old. On top of Authlib's defaults this module:

- sends every request to the provider through the guarded client (``web.outbound``);
- turns PKCE (S256) on for every client;
- refuses provider metadata whose ``issuer`` is not the tenant's configured issuer;
- validates the id_token itself: only asymmetric algorithms the provider advertises ("none"
  and HMAC are refused whatever the provider says), the signature against the provider's
  JWKS (an unknown ``kid`` or a signature that fails with a cached key refetches the JWKS
  once, then fails; an asymmetric algorithm missing from the cached discovery refetches
  discovery once), and the claims through
  Authlib's ``CodeIDToken`` with claims options that require ``iss`` (the tenant's issuer)
  and ``aud`` (the tenant's client id), plus ``sub``, ``exp`` and ``iat``; ``azp``, ``nonce``
  and ``at_hash`` are checked whenever present or expected.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from web import outbound
from web.auth import crypto
from web.auth.models import SsoSettings

# Public-key signature algorithms only: a symmetric key would be the client secret, which
# every tenant admin has seen, and "none" is no signature at all.
ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "Ed25519",
    }
)
CLOCK_LEEWAY = 60
HTTP_TIMEOUT = 10
METADATA_MAX_AGE = 3600


class OidcError(Exception):
    """Something about the provider or its answer is not acceptable; ``reason`` says what."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ProviderUnavailable(OidcError):
    """The provider could not be reached or did not answer sensibly."""


class ProviderMisconfigured(OidcError):
    """The provider answered, but its metadata does not fit the tenant's settings."""


class IdTokenInvalid(OidcError):
    """The id_token failed validation."""


def acceptable_algorithms(metadata: dict[str, Any]) -> list[str]:
    # Discovery 1.0: the list is required; RS256 is the default every provider must support.
    advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    return [alg for alg in advertised if alg in ASYMMETRIC_ALGORITHMS]


def check_metadata(metadata: object, issuer: str) -> dict[str, Any]:
    """The provider metadata, if it belongs to ``issuer`` and supports what we need."""
    if not isinstance(metadata, dict):
        raise ProviderMisconfigured("metadata_malformed", "not a JSON object")
    if metadata.get("issuer") != issuer:
        raise ProviderMisconfigured(
            "metadata_issuer_mismatch", f"metadata names issuer {metadata.get('issuer')!r}"
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str) or not metadata[key]:
            raise ProviderMisconfigured("metadata_incomplete", f"{key} is missing")
    if "code" not in metadata.get("response_types_supported", ["code"]):
        raise ProviderMisconfigured("metadata_no_code_flow", "response type code unsupported")
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise ProviderMisconfigured("metadata_no_pkce", "PKCE S256 unsupported")
    if not acceptable_algorithms(metadata):
        raise ProviderMisconfigured(
            "metadata_no_asymmetric_alg", "no public-key id_token signing algorithm"
        )
    return metadata


def fetch_metadata(url: str, issuer: str) -> dict[str, Any]:
    """Fetch and check a discovery document (used when an admin saves settings)."""
    try:
        metadata = outbound.get_json(url)
    except outbound.OutboundRefused as exc:
        raise ProviderUnavailable("metadata_unreachable", exc.reason) from exc
    return check_metadata(metadata, issuer)


class TenantOIDCApp(FlaskOAuth2App):
    """Authlib's Flask OAuth 2 app, bound to one tenant's issuer."""

    expected_issuer: str = ""
    # Discovery and JWKS come from the tenant's stored copy rather than the network.
    keeps_stored_copy: bool = False

    # Every request to the provider (discovery, JWKS, token, userinfo) goes through the
    # guarded client: the addresses come from a tenant admin (web/outbound.py).
    def _get_session(self):
        return outbound.guard(super()._get_session())

    def load_server_metadata(self) -> dict[str, Any]:
        try:
            metadata = super().load_server_metadata()
        except (requests.RequestException, ValueError) as exc:
            self.server_metadata.pop("_loaded_at", None)
            raise ProviderUnavailable("metadata_unreachable", type(exc).__name__) from exc
        return check_metadata(metadata, self.expected_issuer)

    def refresh_server_metadata(self) -> dict[str, Any]:
        """Discovery (and with it the JWKS) read again, whatever the cache holds."""
        self.server_metadata.pop("_loaded_at", None)
        if not self.keeps_stored_copy:
            self.server_metadata.pop("jwks", None)
        return self.load_server_metadata()

    def _get_oauth_client(self, **metadata):
        session = outbound.guard(super()._get_oauth_client(**metadata))
        # client_secret_basic unless the provider says it only takes the secret in the body.
        supported = metadata.get("token_endpoint_auth_methods_supported") or []
        if (
            self.client_secret
            and "client_secret_basic" not in supported
            and "client_secret_post" in supported
        ):
            session.token_endpoint_auth_method = "client_secret_post"  # noqa: S105
        return session

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]:
        try:
            return super().fetch_jwk_set(force=force)
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable("jwks_unreachable", type(exc).__name__) from exc

    def fetch_access_token(self, redirect_uri=None, **kwargs) -> dict[str, Any]:
        try:
            return super().fetch_access_token(redirect_uri, **kwargs)
        except OAuthError as exc:
            said = " ".join(f"{exc.error or ''}: {exc.description or ''}".split()).rstrip(":")
            raise OidcError("code_rejected", said[:300]) from exc
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable("token_endpoint_unreachable", type(exc).__name__) from exc

    def userinfo(self, **kwargs) -> dict[str, Any]:
        try:
            return dict(super().userinfo(**kwargs))
        except (requests.RequestException, ValueError, OAuthError) as exc:
            raise ProviderUnavailable("userinfo_unreachable", type(exc).__name__) from exc

    def _public_keys(self, force: bool) -> KeySet:
        kept = self.server_metadata.get("jwks") if self.keeps_stored_copy else None
        jwk_set = self.fetch_jwk_set(force=force)
        if force and kept:
            # Seeded from the tenant's last good copy (``web.auth.jwks``): the keys fetched now
            # join it (a new key under a kid replaces the stored one), and a JWKS that lost
            # keys never pushes the stored ones out of this client.
            live = [k for k in jwk_set.get("keys", []) if isinstance(k, dict)]
            kids = {k.get("kid") for k in live}
            jwk_set = {
                "keys": [*live, *(k for k in kept.get("keys", []) if k.get("kid") not in kids)]
            }
            self.server_metadata["jwks"] = jwk_set
        return public_keys(jwk_set)

    def parse_id_token(
        self, token, nonce, claims_options=None, claims_cls=None, leeway=CLOCK_LEEWAY
    ) -> dict[str, Any]:
        return self.verified_id_token(token, nonce, claims_options, claims_cls, leeway)[0]

    def verified_id_token(
        self, token, nonce, claims_options=None, claims_cls=None, leeway=CLOCK_LEEWAY
    ) -> tuple[dict[str, Any], str | None]:
        """The id_token's claims, validated, and the thumbprint of the key that signed it."""
        raw = token.get("id_token")
        if not raw or not isinstance(raw, str):
            raise IdTokenInvalid("id_token_missing", "the token response has no id_token")
        if not nonce:
            raise IdTokenInvalid("id_token_nonce", "no nonce was sent")
        allowed = acceptable_algorithms(self.load_server_metadata())
        try:
            header = jws.extract_compact(raw.encode()).protected
        except (JoseError, ValueError) as exc:
            raise IdTokenInvalid("id_token_malformed", "not a compact JWS") from exc
        if header.get("alg") not in allowed and header.get("alg") in ASYMMETRIC_ALGORITHMS:
            # The provider may have moved to another algorithm since discovery was cached:
            # read its discovery document again, once ("none" and HMAC never get this far).
            allowed = acceptable_algorithms(self.refresh_server_metadata())
        if header.get("alg") not in allowed:
            raise IdTokenInvalid("id_token_alg", f"alg {header.get('alg')!r} refused")

        registry = JWSRegistry(algorithms=allowed, strict_check_header=False)
        try:
            try:
                keys = self._public_keys(force=False)
                decoded = jwt.decode(raw, keys, registry=registry)
            except (InvalidKeyIdError, BadSignatureError):
                # The provider may have rotated its keys, as a new kid or a new key under the
                # same kid: fetch the JWKS again, once.
                keys = self._public_keys(force=True)
                decoded = jwt.decode(raw, keys, registry=registry)
        except InvalidKeyIdError as exc:
            raise IdTokenInvalid("id_token_unknown_kid", str(header.get("kid"))) from exc
        except BadSignatureError as exc:
            raise IdTokenInvalid("id_token_signature", "signature does not verify") from exc
        except (JoseError, ValueError) as exc:
            raise IdTokenInvalid("id_token_malformed", type(exc).__name__) from exc

        options = {
            "iss": {"essential": True, "value": self.expected_issuer},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            **(claims_options or {}),
        }
        params = {"nonce": nonce, "client_id": self.client_id}
        if token.get("access_token"):
            params["access_token"] = token["access_token"]
        claims = (claims_cls or CodeIDToken)(decoded.claims, decoded.header, options, params)
        try:
            claims.validate(leeway=leeway)
        except ExpiredTokenError as exc:
            raise IdTokenInvalid("id_token_expired", "exp is in the past") from exc
        except MissingClaimError as exc:
            reason = "id_token_nonce" if exc.claim == "nonce" else "id_token_claims_missing"
            raise IdTokenInvalid(reason, f"missing {exc.claim}") from exc
        except InvalidClaimError as exc:
            if exc.claim in ("iat", "nbf") and _in_the_future(decoded.claims.get(exc.claim)):
                # Issued "later" than now: the provider's clock runs ahead of ours.
                ahead = int(decoded.claims[exc.claim] - time.time())
                raise IdTokenInvalid(
                    "provider_clock_ahead", f"{exc.claim} is {ahead} s ahead of our clock"
                ) from exc
            reason = {
                "iss": "id_token_issuer",
                "aud": "id_token_audience",
                "azp": "id_token_audience",
                "nonce": "id_token_nonce",
                "iat": "id_token_not_yet_valid",
                "nbf": "id_token_not_yet_valid",
            }.get(exc.claim, "id_token_claim_invalid")
            raise IdTokenInvalid(reason, f"invalid {exc.claim}") from exc
        except JoseError as exc:
            raise IdTokenInvalid("id_token_claim_invalid", type(exc).__name__) from exc
        return dict(claims), _signer(keys, decoded.header)


def _signer(keys: KeySet, header: dict[str, Any]) -> str | None:
    """The RFC 7638 thumbprint of the key that verified a token with this header."""
    kid = header.get("kid")
    found = [k for k in keys.keys if k.kid == kid] if kid else list(keys.keys)
    return found[0].thumbprint() if len(found) == 1 else None


def public_keys(jwk_set: object) -> KeySet:
    """The public signing keys of a JWKS (joserfc, Authlib's JOSE library);
    ``IdTokenInvalid`` when there are none."""
    entries = jwk_set.get("keys") if isinstance(jwk_set, dict) else None
    keys = [
        k
        for k in entries or []
        if isinstance(k, dict)
        and k.get("kty") in ("RSA", "EC", "OKP")
        and k.get("use", "sig") == "sig"
    ]
    if not keys:
        raise IdTokenInvalid("id_token_no_keys", "the JWKS holds no public keys")
    try:
        return KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise IdTokenInvalid("id_token_no_keys", "the JWKS is malformed") from exc


def _in_the_future(value: object) -> bool:
    return isinstance(value, int | float) and value > time.time() + CLOCK_LEEWAY


class TenantOAuth(OAuth):
    oauth2_client_cls = TenantOIDCApp


# Clients a process keeps (each holds its provider's metadata and keys, a few kB); the least
# recently used is dropped first, so memory stays bounded however many tenants sign in.
SSO_CLIENTS = 128


class ClientRegistry:
    """One Authlib client per tenant, rebuilt when its settings change or grow old; at most
    ``SSO_CLIENTS`` of them."""

    def __init__(self, app: Flask):
        self.oauth = TenantOAuth(app)
        self._built: OrderedDict[str, tuple[tuple, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._built)

    def client_for(self, settings: SsoSettings) -> TenantOIDCApp:
        # A test sign-in with a pending version has a client of its own: the one in force
        # keeps serving every other sign-in meanwhile.
        name = f"tenant_{settings.tenant_id}" + ("_draft" if settings.draft_number else "")
        with self._lock:
            built = self._built.get(name)
            # What the client is built from, not only the version: a tenant id can come back
            # (SQLite reuses the highest id after an offboarding) with version 1 again.
            copy = None if settings.draft_number else settings.provider_copy
            fingerprint = (
                settings.version,
                settings.issuer,
                settings.discovery_document_url,
                settings.client_id,
                settings.client_secret_encrypted,
                settings.scopes,
                json.dumps([copy["metadata"], copy["jwks"]], sort_keys=True) if copy else None,
            )
            stale = (
                built is None
                or built[0] != fingerprint
                or time.monotonic() - built[1] > METADATA_MAX_AGE
            )
            if stale:
                self.oauth._clients.pop(name, None)
                client = self.oauth.register(name, **_client_config(settings))
                if copy is not None:
                    # The last good copy, not whatever the provider publishes at this moment.
                    client.server_metadata.update(
                        {**copy["metadata"], "jwks": copy["jwks"], "_loaded_at": time.time()}
                    )
                    client.keeps_stored_copy = True
                self._built[name] = (fingerprint, time.monotonic())
            self._built.move_to_end(name)
            while len(self._built) > SSO_CLIENTS:
                self._drop(next(iter(self._built)))
            client = self.oauth.create_client(name)
        client.expected_issuer = settings.issuer
        return client

    def forget(self, tenant_id: int) -> None:
        with self._lock:
            self._built.pop(f"tenant_{tenant_id}", None)

    def _drop(self, name: str) -> None:
        """Forget a client entirely (under the lock): Authlib's registration and instance."""
        self._built.pop(name, None)
        self.oauth._clients.pop(name, None)
        self.oauth._registry.pop(name, None)


def _client_config(settings: SsoSettings) -> dict[str, Any]:
    secret = (
        crypto.decrypt(settings.client_secret_encrypted)
        if settings.client_secret_encrypted
        else None
    )
    return {
        "client_id": settings.client_id,
        "client_secret": secret,
        "server_metadata_url": settings.discovery_document_url,
        "client_kwargs": {
            "scope": settings.scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": HTTP_TIMEOUT,
        },
    }


def init_app(app: Flask) -> None:
    app.extensions["aktor_sso_clients"] = ClientRegistry(app)


def client_for(settings: SsoSettings) -> TenantOIDCApp:
    return current_app.extensions["aktor_sso_clients"].client_for(settings)
