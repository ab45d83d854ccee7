"""Real OpenID providers on loopback for the SSO tests.

- ``oidc-provider-mock`` (PyPI) in a thread: the provider most tests log in through.
- ``ForgeProvider``: a tiny provider of our own (discovery, JWKS, authorize, token, userinfo over
  real HTTP) whose id_tokens a test shapes, for what the mock cannot produce: a foreign
  signature, alg "none", an unknown kid, a wrong audience...
- The Node package ``oidc-provider`` (OpenID-certified), started as a process by
  ``node_provider`` for the interoperability run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from werkzeug.serving import make_server

from tests.services import Process, child_env, free_port, serving

NODE_PROVIDER_DIR = Path(__file__).parent / "node_provider"


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def insecure_transport_allowed() -> Iterator[None]:
    """Authlib's provider side refuses plain http unless told this is a test setup."""
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


class MockProvider:
    """``oidc-provider-mock`` served on loopback; ``set_user`` defines a person's claims."""

    def __init__(self, url: str):
        self.url = url
        self.issuer = url

    def set_user(self, sub: str, **claims: Any) -> None:
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Submit the mock's login form as ``sub``; returns the callback URL it redirects to."""
        reply = requests.post(
            authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert reply.status_code == 302, reply.text[:500]
        return reply.headers["Location"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any]) -> str:
    """A JWT with alg "none" (joserfc rightly refuses to make one)."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
    )


class ForgeProvider:
    """A real, tiny OpenID provider whose id_token each test shapes through ``make_token``.

    ``make_token(claims, provider)`` gets the claims a correct provider would sign and
    returns the id_token string to send; the default signs them with the published key.
    """

    client_id = "forge-client"
    # Long enough to be an HMAC key: the HS256 test signs with it.
    client_secret = "forge-secret-forge-secret-forge-secret"

    def __init__(self, kid: str = "forge-1") -> None:
        self.key = rsa_key(kid)
        self.published: list[RSAKey] = [self.key]
        self.jwks_requests = 0
        self.token_requests = 0
        self.auth_methods_seen: list[str] = []
        self.codes: dict[str, dict[str, Any]] = {}
        self.issuer = ""
        self.metadata_extra: dict[str, Any] = {}
        self.callback_extra: dict[str, str] = {}
        self.claims: dict[str, Any] = {
            "sub": "forge.person",
            "name": "Forge Person",
            "email": "forge@example.org",
        }
        self.make_token: Callable[[dict[str, Any], ForgeProvider], str] = lambda claims, p: p.sign(
            claims
        )

    def sign(
        self,
        claims: dict[str, Any],
        key: RSAKey | None = None,
        kid: str | None = None,
        alg: str = "RS256",
    ) -> str:
        key = key or self.key
        header = {"alg": alg, "kid": kid or key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, key, algorithms=[alg])

    def sign_hs256(self, claims: dict[str, Any]) -> str:
        """Signed with the client secret, as a symmetric-key provider would."""
        key = OctKey.import_key(self.client_secret.encode())
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key, algorithms=["HS256"])

    def app(self) -> Flask:
        app = Flask(__name__)

        @app.get("/.well-known/openid-configuration")
        def metadata():
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
                    "code_challenge_methods_supported": ["S256"],
                    **self.metadata_extra,
                }
            )

        @app.get("/jwks")
        def jwks():
            self.jwks_requests += 1
            return jsonify({"keys": [k.as_dict(private=False) for k in self.published]})

        @app.get("/authorize")
        def authorize():
            args = request.args
            assert args["response_type"] == "code"
            assert args["code_challenge_method"] == "S256"
            code = b64url(os.urandom(16))
            self.codes[code] = {
                "nonce": args.get("nonce"),
                "client_id": args["client_id"],
                "challenge": args["code_challenge"],
                "redirect_uri": args["redirect_uri"],
            }
            query = {"code": code, "state": args["state"], **self.callback_extra}
            return redirect(f"{args['redirect_uri']}?{urlencode(query)}")

        @app.post("/token")
        def token():
            self.token_requests += 1
            form = request.form
            grant = self.codes.pop(form.get("code", ""), None)
            auth = request.authorization
            if grant is None or form.get("grant_type") != "authorization_code":
                return jsonify({"error": "invalid_grant"}), 400
            if auth is not None:
                credentials, method = (auth.username, auth.password), "client_secret_basic"
            else:
                credentials = (form.get("client_id"), form.get("client_secret"))
                method = "client_secret_post"
            self.auth_methods_seen.append(method)
            if credentials != (self.client_id, self.client_secret):
                return jsonify({"error": "invalid_client"}), 401
            verifier = form.get("code_verifier", "")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return jsonify({"error": "invalid_grant", "error_description": "PKCE"}), 400
            if form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify({"error": "invalid_grant"}), 400
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": grant["client_id"],
                "iat": now,
                "exp": now + 300,
                **self.claims,
            }
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            return jsonify(
                {
                    "access_token": b64url(os.urandom(16)),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": self.make_token(claims, self),
                }
            )

        return app


class FormDriver(HTMLParser):
    """Finds the forms of a page (action, method, inputs) to submit them like a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attr.get("action") or "",
                    "id": attr.get("id"),
                    "method": (attr.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        elif tag in ("input", "button") and attr.get("name"):
            target = self._form_for(attr.get("form"))
            if target is not None and (tag == "input" or attr.get("value") is not None):
                target["fields"].setdefault(attr["name"], attr.get("value") or "")

    def _form_for(self, form_id: str | None) -> dict[str, Any] | None:
        if form_id:
            return next((f for f in self.forms if f["id"] == form_id), None)
        return self.forms[-1] if self.forms else None

    @classmethod
    def forms_of(cls, html: str) -> list[dict[str, Any]]:
        parser = cls()
        parser.feed(html)
        return parser.forms


def follow_until(
    session: requests.Session,
    url: str,
    stop_prefix: str,
    fill: Callable[[dict[str, Any]], dict[str, str]],
    max_steps: int = 12,
) -> str:
    """Browse from ``url`` (following redirects and submitting forms via ``fill``) until a
    redirect points at ``stop_prefix``; returns that URL."""
    method, data = "get", None
    for _ in range(max_steps):
        reply = session.request(method, url, data=data, allow_redirects=False, timeout=10)
        if reply.is_redirect:
            url = urljoin(url, reply.headers["Location"])
            if url.startswith(stop_prefix):
                return url
            method, data = "get", None
            continue
        assert reply.status_code == 200, f"{reply.status_code} at {url}: {reply.text[:800]}"
        forms = FormDriver.forms_of(reply.text)
        assert forms, f"no form at {url}: {reply.text[:800]}"
        form = forms[0]
        data = fill(form)
        url, method = urljoin(url, form["action"]) if form["action"] else url, form["method"]
    raise AssertionError(f"never reached {stop_prefix}")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def ensure_npm_installed(folder: Path, package: str) -> None:
    """``npm ci`` in ``folder`` once, unless ``package`` is there (make test does it too; this
    covers plain pytest)."""
    if (folder / "node_modules" / package / "package.json").exists():
        return
    npm = shutil.which("npm")
    assert npm, f"npm is needed for the {package} interoperability test"
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        check=True,
        timeout=300,
    )


def ensure_node_provider_installed() -> None:
    ensure_npm_installed(NODE_PROVIDER_DIR, "oidc-provider")


@contextmanager
def node_server(
    folder: Path, script: str, env: dict[str, str], log: Path, ready_url: str
) -> Iterator[Process]:
    """``node script`` in ``folder``, once ``ready_url`` answers; stopped afterwards."""
    node = shutil.which("node")
    assert node, f"node is needed for {folder.name}'s interoperability test"
    with serving(Process([node, script], env, log, cwd=folder), ready_url, script) as process:
        yield process


@contextmanager
def node_provider(
    log: Path,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    post_logout_redirect_uri: str,
    accounts: dict[str, dict[str, Any]],
    keys: list[dict[str, Any]] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """The provider as a process; ``keys``: its private JWKs (the first signs), ``port``:
    to start it again under the same issuer (with other keys)."""
    ensure_node_provider_installed()
    port = port or free_port()
    env = child_env(
        PORT=str(port),
        CLIENT_ID=client_id,
        CLIENT_SECRET=client_secret,
        REDIRECT_URI=redirect_uri,
        POST_LOGOUT_REDIRECT_URI=post_logout_redirect_uri,
        ACCOUNTS=json.dumps(accounts),
        NODE_ENV="test",
        **({"KEYS": json.dumps(keys)} if keys else {}),
    )
    issuer = f"http://127.0.0.1:{port}"
    with node_server(
        NODE_PROVIDER_DIR, "provider.mjs", env, log, f"{issuer}/.well-known/openid-configuration"
    ):
        yield issuer


def publish(issuer: str, **what: Any) -> None:
    """What the Node provider's /jwks and discovery answer from now on (see provider.mjs)."""
    requests.post(f"{issuer}/__test/publish", json=what, timeout=5).raise_for_status()


def jwks_requests(issuer: str) -> int:
    return requests.get(f"{issuer}/__test/stats", timeout=5).json()["jwks_requests"]
