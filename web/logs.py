"""Log lines carry the request id (or task id) and the tenant slug.

The filter runs inside Flask's error logging, often while the request's session is broken (a
failed flush): it reads only plain strings from ``g`` (``g.tenant_slug``, set where the tenant
is resolved), never an ORM attribute, and never raises.

The request id is assigned by a ``before_request`` hook and, failing that, on first use
(``request_id()``): a request refused while its URL is resolved (an unknown tenant, refused
input) never reaches the hooks, and its answer and log lines carry the id all the same.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, has_app_context, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s %(tenant)s] %(name)s: %(message)s"


def request_id() -> str:
    """This request's id: the caller's ``X-Request-ID`` when it is short and printable."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
    return g.request_id


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = "-"
        record.tenant = "-"
        try:
            if has_request_context():
                record.request_id = request_id()
            if has_app_context():
                record.tenant = str(g.get("tenant_slug", "-"))
        except Exception:  # noqa: S110 (a log line must never fail: keep the dashes)
            pass
        return True


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    # Replace rather than stack handlers when several apps are created in one process (tests).
    root.handlers = [h for h in root.handlers if not getattr(h, "_aktor", False)]
    handler._aktor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])

    # Every request that reaches the hooks has its id from the start (the audit log reads it).
    @app.before_request
    def _assign_request_id() -> None:
        request_id()  # (a hook that returned the id would answer the request with it)

    @app.after_request
    def _echo_request_id(response):
        if has_request_context():
            response.headers["X-Request-ID"] = request_id()
        return response
