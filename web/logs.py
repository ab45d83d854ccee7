"""Log lines carry the request id (or task id) and the tenant slug."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, has_app_context, has_request_context, request

FORMAT = "%(asctime)s %(levelname)s [%(request_id)s %(tenant)s] %(name)s: %(message)s"


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = "-"
        record.tenant = "-"
        if has_app_context():
            record.request_id = g.get("request_id", "-")
            tenant = g.get("tenant")
            record.tenant = tenant.slug if tenant is not None else g.get("tenant_slug", "-")
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

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        if has_request_context() and "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
