"""Requests the server makes to an address a tenant admin typed in (SSO discovery, JWKS, the
token and userinfo endpoints; later SAML metadata and webhooks): one guarded client.

Left unguarded, such a request lets an admin make the server fetch its own loopback, the
cloud's metadata service or the municipality's internal network, and tell from the answers
what is listening where. So every request through a ``guarded_session`` (or ``get_json``):

- is ``https`` in production (``http`` as well in development and tests);
- may reach only public addresses: the name is resolved and every address checked (no
  loopback, private, link-local, carrier-grade NAT, multicast, reserved or unspecified
  address, IPv4-mapped ones included), and the socket's actual peer is checked again after
  connecting, so a DNS answer that changes between check and connect (rebinding) is caught;
- has each redirect checked the same way (requests sends every hop through the adapter);
- has short timeouts (``CONNECT_TIMEOUT``, ``READ_TIMEOUT``) and a size cap on the body;
- fails with one exception, ``OutboundRefused``, whatever went wrong, so callers show one
  message and the server is no scanner. The reason is only for the log.

An operator can let named hosts through (``OUTBOUND_ALLOWED_HOSTS``: ``host`` or
``host:port``, comma-separated; for those neither scheme nor address is checked); in
development and tests, when unset, the loopback names are allowed so the local test
providers work.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
MAX_BODY_BYTES = 512 * 1024
MAX_REDIRECTS = 3
DEV_ALLOWED_HOSTS = "localhost,127.0.0.1,[::1]"


class OutboundRefused(requests.RequestException):
    """The request was not made, or its answer not taken; ``reason`` is for the log only.

    A ``requests.RequestException`` so that code already handling an unreachable provider
    treats a refused one the same way.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    https_only: bool
    allowed: frozenset[str]  # "host" or "host:port", lower case

    def allows_host(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return host in self.allowed or f"{host}:{port}" in self.allowed

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise OutboundRefused("scheme")
        if parts.username or parts.password:
            raise OutboundRefused("credentials_in_url")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self.allows_host(parts.hostname, port):
            return  # the operator named it: neither the scheme nor the address is checked
        if parts.scheme == "http" and self.https_only:
            raise OutboundRefused("plain_http")
        for address in _resolve(parts.hostname, port):
            if not is_public(address):
                raise OutboundRefused("address_not_public")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for loopback, private (RFC 1918, ULA), link-local (the cloud metadata
    # address 169.254.169.254 included), shared (100.64/10), documentation and reserved
    # ranges; multicast is refused on its own.
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused("dns") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise OutboundRefused("dns")
    return addresses


def current_policy() -> Policy:
    config = current_app.config if has_app_context() else {}
    production = config.get("ENV") == "production"
    raw = config.get("OUTBOUND_ALLOWED_HOSTS")
    if raw is None:
        raw = "" if production else DEV_ALLOWED_HOSTS
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    allowed = frozenset(
        n.strip().lower().replace("[", "").replace("]", "") for n in names if n.strip()
    )
    return Policy(https_only=production, allowed=allowed)


# --- the adapter ---------------------------------------------------------------------------------


def _checked_connection(base: type[HTTPConnection], policy: Policy) -> type[HTTPConnection]:
    def _new_conn(self):
        sock = base._new_conn(self)
        if not policy.allows_host(self.host, self.port):
            peer = sock.getpeername()[0]
            if not is_public(peer):
                sock.close()
                raise OutboundRefused("address_not_public")
        return sock

    return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})


class GuardedAdapter(HTTPAdapter):
    """Checks every request (each redirect hop is one) and caps timeouts and body size."""

    def __init__(self, policy: Policy):
        self.policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = _checked_connection(HTTPConnection, self.policy)
        https = _checked_connection(HTTPSConnection, self.policy)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.policy.check_url(request.url)
        response = super().send(
            request,
            stream=True,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            verify=verify,
            cert=cert,
            proxies=None,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            response.close()
            raise OutboundRefused("too_large")
        body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
        response.close()
        if len(body) > MAX_BODY_BYTES:
            raise OutboundRefused("too_large")
        response._content = body  # requests' own slot for a body read in full
        return response


def guard(session: requests.Session, policy: Policy | None = None) -> requests.Session:
    """Send everything of ``session`` through the guard (and ignore proxy variables, which
    would move the connection, and so the address check, elsewhere)."""
    adapter = GuardedAdapter(policy or current_policy())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.trust_env = False
    session.max_redirects = MAX_REDIRECTS
    return session


def guarded_session(policy: Policy | None = None) -> requests.Session:
    return guard(requests.Session(), policy)


def get_json(url: str, policy: Policy | None = None) -> Any:
    """GET ``url`` through the guard and parse its JSON; ``OutboundRefused`` for any failure."""
    try:
        with guarded_session(policy) as session:
            response = session.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
    except OutboundRefused:
        raise
    except (requests.RequestException, ValueError) as exc:
        raise OutboundRefused(type(exc).__name__) from exc


def get_bytes(url: str, accept: str = "*/*", policy: Policy | None = None) -> bytes:
    """GET ``url`` through the guard; the body (at most ``MAX_BODY_BYTES``)."""
    try:
        with guarded_session(policy) as session:
            response = session.get(url, headers={"Accept": accept})
            response.raise_for_status()
            return response.content
    except OutboundRefused:
        raise
    except requests.RequestException as exc:
        raise OutboundRefused(type(exc).__name__) from exc
