"""``operation``: one decorator that adds an API route and documents it.

Each view is declared once with its method, path, permission, body, query and response models;
the route is added to the API blueprint and the same declaration feeds the OpenAPI document
(``web.api.openapi``), so the two cannot drift apart (``tests/api/test_openapi.py`` also checks
the URL map against the document).

The wrapper does what every view would otherwise repeat, in the order of a request's lifecycle:
401 without a user (unless the operation is public), the body and query checked at the edge,
the object the operation is about loaded (``load``) and the permission it documents enforced on
it (``permissions.require``: 404 for what the caller may not see, else 403), the view (which
calls a service), then one commit, or a rollback on any error so nothing is half-saved. A
service's ``Conflict`` the view lets through becomes a 409, an ``InputError`` a 422
(``web.api.errors.from_input_error``).

``load`` is a model (the rule's one path value is its id, loaded with ``tenancy.get_or_404``) or
a function called as ``load(user, **values)`` with the path values and the checked body/query;
it returns the object, or ``Loaded(object, subject)`` when the permission is decided on another
object than the one the view works on (an answer's cycle). The view then gets the object in
place of the path values. An operation over many rows (``rows=True``) documents the permission
that filters them; its service applies it row by row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import Blueprint, Response, g, jsonify
from pydantic import BaseModel

from web.api.errors import ApiError, from_input_error
from web.api.validation import parse_body, parse_query
from web.errors import Refusal
from web.extensions import db
from web.permissions import require
from web.tenancy import get_or_404


class Loaded(NamedTuple):
    """What a loader found: the object the view works on, and the one the permission is
    decided on."""

    value: Any
    subject: Any


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
    load: type | Callable[..., Any] | None = None
    rows: bool = False  # the permission filters the rows listed (the service applies it)


OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    tag: str,
    summary: str,
    description: str = "",
    permission: str | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    conflicts: bool = False,
    public: bool = False,
    rename: Mapping[str, str] | None = None,
    load: type | Callable[..., Any] | None = None,
    rows: bool = False,
) -> Callable:
    """Route ``method rule`` to the decorated view and document it.

    The view is called as ``view(user, **path_values[, body=…][, query=…])``, or with ``load``
    as ``view(user, loaded[, body=…][, query=…])``, and returns a response model (or None for
    204 No Content).
    """
    if permission is not None and (load is None) != rows:
        raise TypeError(
            f"{rule}: a permission needs either load (the object it is decided "
            "on) or rows=True (it filters the rows listed)"
        )

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        op = Operation(
            method.upper(),
            rule,
            view.__name__,
            tag,
            summary,
            description,
            permission,
            body,
            query,
            response,
            status,
            conflicts,
            public,
            dict(rename or {}),
            load,
            rows,
        )
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
                if op.load is None:
                    result = view(user, **values)
                else:
                    loaded = _load(op, user, values)
                    if op.permission is not None:
                        require(user, op.permission, loaded.subject)
                    checked = {k: v for k, v in values.items() if k in ("body", "query")}
                    result = view(user, loaded.value, **checked)
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


def _load(op: Operation, user: Any, values: dict[str, Any]) -> Loaded:
    if isinstance(op.load, type):
        (ident,) = (v for k, v in values.items() if k not in ("body", "query"))
        found = get_or_404(op.load, ident)
    else:
        found = op.load(user, **values)
    return found if isinstance(found, Loaded) else Loaded(found, found)


def _respond(result: BaseModel | dict | None, status: int) -> Response:
    if result is None:
        return Response(status=204)
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    response = jsonify(payload)
    response.status_code = status
    return response
