"""The OpenAPI 3.1 document, built from the declared operations and their pydantic models.

Served at ``/t/<tenant>/api/v1/openapi.json`` with that tenant's base URL as its server. Every
request and response body and the error body are ``components/schemas`` (JSON Schema 2020-12,
as pydantic writes it, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, url_for
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from web.api.routing import OPERATIONS, Operation
from web.api.schemas import Error

REF = "#/components/schemas/{model}"
RULE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_DESCRIPTIONS = {
    400: "Malformed request: the body is not valid JSON (invalid_json)",
    401: "No session or bearer token, or the token is not valid here (unauthenticated, "
    "invalid_token)",
    403: "Not allowed for this user, or a session request without its CSRF token "
    "(forbidden, csrf_failed)",
    404: "No such tenant or object, or one the caller may not see (not_found)",
    409: "The current state of the cycle (or the row) does not allow it (conflict)",
    413: "The body is too large (payload_too_large)",
    415: "The body is not application/json (unsupported_media_type)",
    422: "Invalid input, one message per field; nothing was saved (validation_failed)",
    429: "Too many requests (rate_limited)",
}

DESCRIPTION = """\
The JSON API of one municipality (tenant): the tenant is part of every URL, like every page.

**Authentication**: a personal access token (`Authorization: Bearer akt_…`, created on the
page *API-nøgler*; valid only in its own tenant) or the browser's session cookie. With the
cookie, POST/PUT/PATCH/DELETE need the session's CSRF token in the `X-CSRFToken` header
(`GET /me` returns it).

**Permissions** are the pages': each operation names the one it checks.

**Errors** are `{"error": {"code", "message", "fields"}}` with a stable `code`; `message` and
the per-field messages follow the request's language (`Accept-Language`: da, en).
"""


def rule_to_path(rule: str) -> str:
    return RULE_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)


def document() -> dict[str, Any]:
    """The whole document for the current tenant (call inside a tenant request)."""
    ops = sorted(OPERATIONS, key=lambda o: (o.rule, o.method))
    refs, components = _components(ops)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(rule_to_path(op.rule), {})[op.method.lower()] = _operation(
            op, refs, components
        )
    cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Aktørskab API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": url_for("t.api.openapi_json").rsplit("/", 1)[0]}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in ops)],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "akt_…",
                    "description": "A personal access token of this tenant",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie,
                    "description": "The signed-in browser session; writes "
                    "need the X-CSRFToken header",
                },
            },
        },
    }


def _components(ops: list[Operation]) -> tuple[dict, dict]:
    models: list[tuple[type[BaseModel], str]] = [(Error, "serialization")]
    for op in ops:
        models += [(m, "validation") for m in (op.body, op.query) if m is not None]
        if op.response is not None:
            models.append((op.response, "serialization"))
    unique = list(dict.fromkeys(models))
    refs, schema = models_json_schema(unique, ref_template=REF)
    return {model: ref for (model, _mode), ref in refs.items()}, schema.get("$defs", {})


def _operation(op: Operation, refs: dict, components: dict) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.endpoint, "tags": [op.tag], "summary": op.summary}
    description = op.description
    if op.permission:
        description = f"{description}\n\nPermission: `{op.permission}`.".strip()
        doc["x-permission"] = op.permission
    if description:
        doc["description"] = description
    parameters = [_path_parameter(name, kind) for kind, name in RULE_PARAM.findall(op.rule)]
    if op.query is not None:
        parameters += _query_parameters(components[op.query.__name__])
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[op.body]}},
        }
    if op.public:
        doc["security"] = []
    success: dict[str, Any] = {
        "description": {200: "OK", 201: "Created"}.get(op.status, "No content")
    }
    if op.response is not None:
        success["content"] = {"application/json": {"schema": refs[op.response]}}
    elif op.status != 204:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    doc["responses"] = {
        str(op.status): success,
        **{
            str(status): {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": refs[Error]}},
            }
            for status in _error_statuses(op)
        },
    }
    return doc


def _error_statuses(op: Operation) -> list[int]:
    statuses = {404, 429}
    if not op.public:
        statuses |= {401, 403}
    if op.body is not None:
        statuses |= {400, 413, 415, 422}
    if op.query is not None:
        statuses.add(422)
    if op.conflicts:
        statuses.add(409)
    return sorted(statuses)


def _path_parameter(name: str, converter: str) -> dict[str, Any]:
    schema = (
        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
        if converter == "int"
        else {"type": "string"}
    )
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model_schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(model_schema.get("required", []))
    params = []
    for name, schema in model_schema.get("properties", {}).items():
        schema = dict(schema)
        # A query parameter is absent rather than null.
        options = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
        if len(options) == 1:
            schema.update(options[0])
        elif options:
            schema["anyOf"] = options
        schema.pop("title", None)
        if schema.get("default", 0) is None:
            schema.pop("default")
        params.append({"name": name, "in": "query", "required": name in required, "schema": schema})
    return params
