"""``operation``: one decorator that adds an API route and documents it.

Each view is declared once with its method, path, permission, body, query and response models;
the route is added to the API blueprint and the same declaration feeds the OpenAPI document
(``web.api.openapi``), so the two cannot drift apart (``tests/api/test_openapi.py`` also checks
the URL map against the document).

The wrapper does what every view would otherwise repeat, in the order of a request's lifecycle:
401 without a user (unless the operation is public), the body and query checked at the edge,
the view (which loads its rows with ``tenancy.get_or_404``, checks its permission with
``permissions.require`` and calls a service), then one commit, or a rollback on any error so
nothing is half-saved. A service's ``Conflict`` the view lets through becomes a 409, an
``InputError`` a 422 (``web.api.errors.from_input_error``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, g, jsonify
from pydantic import BaseModel

from web.api.errors import ApiError, from_input_error
from web.api.validation import parse_body, parse_query
from web.errors import Refusal
from web.extensions import db


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask rule, relative to the blueprint: /cycles/<int:cycle_id>
    endpoint: str
    tag: str
    summary: str
    description: str = ""
    permission: str | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    conflicts: bool = False  # may answer 409 (the cycle's phase does not allow it)
    public: bool = False
    rename: Mapping[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(bp: Blueprint, method: str, rule: str, *, tag: str, summary: str,
              description: str = "", permission: str | None = None,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200,
              conflicts: bool = False, public: bool = False,
              rename: Mapping[str, str] | None = None) -> Callable:
    """Route ``method rule`` to the decorated view and document it.

    The view is called as ``view(user, **path_values[, body=…][, query=…])`` and returns a
    response model (or None for 204 No Content).
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        op = Operation(method.upper(), rule, view.__name__, tag, summary, description,
                       permission, body, query, response, status, conflicts, public,
                       dict(rename or {}))
        OPERATIONS.append(op)

        @functools.wraps(view)
        def run(**values: Any) -> Response:
            user = g.get("user")
            if user is None and not op.public:
                raise ApiError(401, "unauthenticated")
            if op.body is not None:
                values["body"] = parse_body(op.body)
            if op.query is not None:
                values["query"] = parse_query(op.query)
            try:
                result = view(user, **values)
                db.session.commit()
            except Refusal as exc:
                db.session.rollback()
                raise from_input_error(exc, op.rename) from None
            except BaseException:
                db.session.rollback()
                raise
            return _respond(result, op.status)

        bp.add_url_rule(rule, view.__name__, run, methods=[op.method])
        return run

    return decorator


def _respond(result: BaseModel | dict | None, status: int) -> Response:
    if result is None:
        return Response(status=204)
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    response = jsonify(payload)
    response.status_code = status
    return response
