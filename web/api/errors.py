"""Errors of the JSON API: one shape, a stable machine code, a translated message.

    {"error": {"code": "validation_failed", "message": "…", "fields": {"text": "…"}}}

``code`` never changes meaning (clients branch on it); ``message`` and the per-field messages
are in the request's language. Every error the API answers goes through ``error_response``:
``ApiError`` raised by a view, an ``InputError`` or ``Conflict`` of a service
(``from_input_error``), a werkzeug ``HTTPException`` (``abort(404)`` from
``tenancy.get_or_404``, ``abort(403)`` from ``permissions.require``), and the routing errors
(an unknown path, a method the path does not have), which the app's error handlers hand over
for paths under ``/t/<tenant>/api/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from web.errors import FORM, Conflict, Refusal

API_PATH = re.compile(r"^/t/[^/]+/api/")


class ApiError(Exception):
    """An error answered as JSON with ``status``, a stable ``code`` and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def default_message(code: str) -> str:
    """The translated message of a code, when the raiser gave none."""
    messages = {
        "bad_request": _("Forespørgslen kunne ikke forstås."),
        "invalid_json": _("Forespørgslens indhold er ikke gyldig JSON."),
        "unauthenticated": _("Log ind, eller send en API-nøgle i Authorization-headeren."),
        "invalid_token": _("API-nøglen er ugyldig, udløbet eller tilbagekaldt."),
        "forbidden": _("Du har ikke adgang til at gøre dette."),
        "csrf_failed": _(
            "CSRF-tokenet mangler eller er ugyldigt. Send det i X-CSRFToken-headeren."
        ),
        "not_found": _("Det, du ledte efter, findes ikke."),
        "method_not_allowed": _("Metoden er ikke tilladt for denne adresse."),
        "conflict": _("Det kan ikke lade sig gøre i forløbets nuværende tilstand."),
        "payload_too_large": _("Forespørgslen er for stor."),
        "unsupported_media_type": _("Send indholdet som application/json."),
        "validation_failed": _("Der er ikke gemt noget. Ret de markerede felter."),
        "rate_limited": _("For mange forespørgsler. Prøv igen om lidt."),
        "internal_error": _("Noget gik galt hos os. Prøv igen om lidt."),
    }
    return messages.get(code, messages["bad_request"])


# The codes of werkzeug's HTTP errors; anything else 4xx is "bad_request", 5xx "internal_error".
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def is_api_request() -> bool:
    return bool(API_PATH.match(request.path))


def error_response(error: ApiError) -> Response:
    body: dict[str, object] = {
        "code": error.code,
        "message": error.message or default_message(error.code),
    }
    if error.fields:
        body["fields"] = error.fields
    response = jsonify(error=body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if error.code == "invalid_token" else "Bearer"
        )
    response.headers.update(error.headers)
    return response


def http_error_response(exc: HTTPException | int) -> Response:
    """A werkzeug HTTP error (or just its status) as the API's JSON error."""
    status = exc if isinstance(exc, int) else (exc.code or 500)
    code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    headers = {}
    if status == 405 and isinstance(exc, HTTPException):
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    if status >= 500:
        current_app.logger.error("API request failed with %s", status)
    return error_response(ApiError(status, code, headers=headers))


def from_input_error(exc: Refusal, rename: Mapping[str, str] | None = None) -> ApiError:
    """A service's refusal as the API's error, by its type (``web.errors``).

    A ``Conflict`` (the object's state does not allow it) is 409 ``conflict``; an
    ``InputError`` is 422 ``validation_failed`` with its messages at the fields, the
    service's field names translated to the API's by ``rename``, and a message about the
    input as a whole (``FORM``) as the error's message.
    """
    errors = dict(exc.errors)
    form_message = errors.pop(FORM, None)
    if isinstance(exc, Conflict):
        return ApiError(409, "conflict", form_message)
    rename = rename or {}
    fields = {rename.get(name, name): message for name, message in errors.items()}
    return ApiError(422, "validation_failed", form_message, fields)


def validation_error(fields: Mapping[str, str], message: str | None = None) -> ApiError:
    return ApiError(422, "validation_failed", message, fields)


def register(bp) -> None:
    """JSON errors for everything raised inside the API's views and request hooks."""
    bp.register_error_handler(ApiError, error_response)
    # Per status code: the app's own handlers for 400/401/403/404/500 are looked up by code
    # before any handler by class, so a blueprint handler for HTTPException alone would lose.
    for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500):
        bp.register_error_handler(status, http_error_response)
    bp.register_error_handler(HTTPException, http_error_response)
