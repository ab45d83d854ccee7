"""Server-side requests to addresses a tenant admin typed in go only to public addresses
(issue 15, point 2). Real servers on loopback stand in for what must not be reached: each
counts the requests it got, so "refused" means no request was made."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from tests import apps
from tests.auth.test_admin_settings import form
from web import outbound
from web.auth.session import session_payload
from web.outbound import OutboundRefused, Policy
from web.users.models import TenantRoleName

ONE_MESSAGE = "Vi kunne ikke hente login-tjenestens oplysninger fra"


class Server:
    """A loopback HTTP server answering every GET with ``answer(path)``."""

    def __init__(self, answer):
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def metadata_for(issuer: str) -> bytes:
    return json.dumps(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/auth",
            "token_endpoint": issuer + "/token",
            "jwks_uri": issuer + "/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    ).encode()


@pytest.fixture
def internal() -> Iterator[Server]:
    """A service that must stay unreachable: it would even answer as an OpenID provider."""
    box: dict[str, Server] = {}

    def answer(path):
        return 200, {"Content-Type": "application/json"}, metadata_for(box["s"].url("")[:-1])

    box["s"] = server = Server(answer)
    yield server
    server.close()


NO_ONE = Policy(https_only=False, allowed=frozenset())


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "127.1",
        "2130706433",
        "0.0.0.0",
        "0x7f000001",
    ],
)
def test_loopback_is_refused_under_every_name(internal, host):
    with pytest.raises(OutboundRefused):
        outbound.get_json(internal.url("/x", host=host), NO_ONE)
    assert internal.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "ftp://example.org/",
        "http://user:pw@example.org/",
        "file:///etc/passwd",
    ],
)
def test_private_link_local_and_metadata_addresses_are_refused(url):
    with pytest.raises(OutboundRefused):
        outbound.get_json(url, NO_ONE)


def test_production_takes_https_only():
    with pytest.raises(OutboundRefused, match="plain_http"):
        outbound.get_json("http://example.org/", Policy(https_only=True, allowed=frozenset()))


def test_a_redirect_to_an_internal_address_is_refused(internal):
    front = Server(lambda path: (302, {"Location": internal.url("/secret")}, b""))
    try:
        allowed = Policy(https_only=False, allowed=frozenset({f"127.0.0.1:{front.port}"}))
        with pytest.raises(OutboundRefused):
            outbound.get_json(front.url("/start"), allowed)
        assert front.hits == ["/start"] and internal.hits == []
    finally:
        front.close()


def test_a_named_host_is_let_through_and_answers_are_capped(internal):
    allowed = Policy(https_only=True, allowed=frozenset({f"127.0.0.1:{internal.port}"}))
    assert outbound.get_json(internal.url("/ok"), allowed)["issuer"]
    big = Server(
        lambda path: (
            200,
            {"Content-Type": "application/json"},
            b"[" + b"0," * outbound.MAX_BODY_BYTES + b"0]",
        )
    )
    try:
        named = Policy(https_only=False, allowed=frozenset({"127.0.0.1"}))
        with pytest.raises(OutboundRefused, match="too_large"):
            outbound.get_json(big.url("/big"), named)
    finally:
        big.close()


def test_a_slow_answer_times_out(monkeypatch):
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.3)

    def slow(path):
        time.sleep(1.5)
        return 200, {}, b"{}"

    server = Server(slow)
    try:
        started = time.monotonic()
        with pytest.raises(OutboundRefused):
            outbound.get_json(server.url("/slow"), Policy(False, frozenset({"127.0.0.1"})))
        assert time.monotonic() - started < 1.4
    finally:
        server.close()


# --- through the admin's settings page -----------------------------------------------------------


@pytest.fixture
def guarded_app(app: Flask, db_session) -> Flask:
    """The app as in production as far as outbound requests go: nothing allowed by name."""
    return apps.extra_app(
        app, OUTBOUND_ALLOWED_HOSTS="", RATELIMIT_KEY_PREFIX=f"rl-test-{uuid.uuid4().hex}"
    )


def test_the_sso_settings_are_no_port_scanner(guarded_app, make, internal):
    tenant = make.tenant("scanby")
    admin = make.user(tenant, "Sanne Scanner", roles=(TenantRoleName.ADMIN,))
    client = guarded_app.test_client()
    with client.session_transaction() as session:
        session.update(session_payload(admin))
    closed = Server(lambda path: (200, {}, b""))
    closed_port = closed.port
    closed.close()
    pages = []
    for url in (
        internal.url(""),
        f"http://127.0.0.1:{closed_port}",
        "https://169.254.169.254",
        f"http://localhost:{internal.port}",
    ):
        reply = client.post("/t/scanby/admin/sso", data=form(url.rstrip("/"), discovery_url=""))
        assert reply.status_code == 422, url
        page = reply.get_data(as_text=True)
        assert ONE_MESSAGE in page
        pages.append(page.replace(url.rstrip("/"), "URL"))
    assert internal.hits == []  # the listening service was never asked
    # Whether something listens or not, the answer is the same.
    assert len({_message(p) for p in pages}) == 1


def _message(page: str) -> str:
    start = page.index(ONE_MESSAGE)
    return page[start : start + 200]


def test_a_name_that_rebinds_to_loopback_is_caught_at_connect(internal, monkeypatch):
    # The check's DNS answer says public, the connection's lands on loopback (DNS rebinding):
    # the socket's actual peer is checked, and nothing is sent.
    monkeypatch.setattr(outbound, "_resolve", lambda host, port: ["93.184.215.14"])
    with pytest.raises(OutboundRefused):
        outbound.get_json(internal.url("/x"), NO_ONE)
    assert internal.hits == []
