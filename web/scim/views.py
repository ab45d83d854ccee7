"""The SCIM 2.0 endpoint, ``/t/<slug>/scim/v2/…``: scim2-server's handler behind Flask.

Each request: the tenant blueprint resolves the slug and enters its scope; the bearer token
must be one of the tenant's active SCIM tokens (else 401, a SCIM error); the request is handed
to ``scim2_server.handler.ScimHandler`` over ``TenantStorage`` as a framework-free
``ScimRequest``; its ``ScimResponse`` becomes the Flask response. A write that succeeded is
committed with the day's record of the sync (``ProvisioningRun``, source ``scim``); a refused
one is rolled back and only its message is recorded. Rate limits: ``web.security`` (per token).
"""

from __future__ import annotations

import functools
import json
import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, g, request
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from sqlalchemy import select

from web.extensions import csrf, db
from web.models import today as local_today
from web.orgs.models import ProvisioningRun, ProvisioningSource
from web.scim import tokens
from web.scim.schema import provider
from web.scim.storage import TenantStorage

log = logging.getLogger(__name__)
bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)  # bearer tokens only: a browser never sends one by itself
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MAX_RECORDED_ERRORS = 20
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@functools.cache
def service() -> ScimService:
    return ScimService(provider())


def is_scim_request() -> bool:
    parts = request.path.split("/")
    return len(parts) > 4 and parts[1] == "t" and parts[3] == "scim"


def scim_error(status: int, detail: str | None = None) -> Response:
    """A SCIM error body (RFC 7644 §3.12) for answers made outside the handler (429, 404…)."""
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(status)}
    if detail:
        body["detail"] = detail
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/scim+json"
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


@bp.route("", defaults={"path": ""}, methods=METHODS, strict_slashes=False)
@bp.route("/<path:path>", methods=METHODS)
def endpoint(path: str):
    scim_request = ScimRequest(
        method=request.method,
        base_url=request.host_url.rstrip("/")
        + request.script_root
        + request.path[: len(request.path) - len(path)].rstrip("/"),
        path="/" + path.removesuffix(".scim"),
        query=dict(request.args.items()),
        headers=list(request.headers.items()),
        body=request.get_data(cache=False),
    )
    svc = service()
    try:
        if svc.match(scim_request).operation.name != "service_provider_config":
            token = tokens.authenticate(request.headers.get("Authorization"))
            if token is None:
                raise UnauthorizedException(detail="a valid SCIM token of this tenant is required")
            g.scim_token = token
        with provider():  # its policy (web.scim.schema.ENTRA_TOLERANT) for this request
            answer = ScimHandler(svc, TenantStorage()).handle(scim_request)
    except Exception as exc:  # every refusal becomes a SCIM error; a bug is logged
        db.session.rollback()
        if not isinstance(exc, SCIMException):
            log.exception("SCIM request failed")
        answer = svc.error_response(exc)
    if request.method in WRITES:
        _record(answer)
    elif g.get("scim_token") is not None:
        db.session.commit()  # the token's last use
    return _response(answer, scim_request)


def _response(answer: ScimResponse, scim_request: ScimRequest) -> Response:
    body = b"" if answer.body is None else json.dumps(answer.body).encode()
    response = Response(body, status=int(answer.status))
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def _record(answer: ScimResponse) -> None:
    """Commit a write with the day's record of the sync (counters and the last errors)."""
    ok = int(answer.status) < 400
    if not ok:
        db.session.rollback()
    today = local_today().isoformat()
    run = db.session.scalar(
        select(ProvisioningRun)
        .where(ProvisioningRun.source == ProvisioningSource.SCIM)
        .order_by(ProvisioningRun.id.desc())
        .limit(1)
        .with_for_update()
    )
    if run is None or run.summary.get("date") != today:
        run = ProvisioningRun(
            source=ProvisioningSource.SCIM, ok=True, summary={"date": today}, errors=[]
        )
        db.session.add(run)
    summary = dict(run.summary)
    kind = (
        {"POST": "created", "PUT": "replaced", "PATCH": "patched", "DELETE": "deleted"}[
            request.method
        ]
        if ok
        else "refused"
    )
    summary[kind] = summary.get(kind, 0) + 1
    summary["last_at"] = datetime.now(UTC).isoformat()
    run.summary = summary
    if not ok:
        detail = (answer.body or {}).get("detail") or (answer.body or {}).get("scimType") or ""
        line = f"{request.method} {request.path}: {answer.status} {detail}".strip()
        run.errors = ([*run.errors, line])[-MAX_RECORDED_ERRORS:]
        run.ok = False
    db.session.commit()
