"""Input checked at the edge: request bodies and query strings through pydantic models.

The models (``web.api.schemas``) are built from the kinds of value in ``web.inputs`` (the same
kinds the HTML forms are read with) and the documented limits (the constants of
``web.cycles.models`` and ``web.examples.models``); the same models give the OpenAPI schemas,
so what is documented is what is checked. Bodies are validated in strict mode (``"5"`` is not
a number, ``1`` is not a boolean), with no unknown fields. Every problem found here is reported
at once, one translated message per field (``conclusions.0.text``, from ``web.inputs``'
catalogue); the service then checks the rules that depend on data, and nothing is written
before it has accepted the whole input.
"""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from web.api.errors import ApiError, validation_error
from web.inputs import messages

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024


class Body(BaseModel):
    """A request body: strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """A query string: values arrive as text, so numbers are parsed; other parameters ignored."""

    model_config = ConfigDict(extra="ignore")


class Out(BaseModel):
    """A response body (documented in serialization mode)."""

    model_config = ConfigDict(extra="forbid")


def parse_body(model: type[M]) -> M:
    """The request's JSON body as ``model``, or an ``ApiError`` (400, 413, 415 or 422)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large")
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type")
    data = request.get_data(cache=False)
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large")
    try:
        return model.model_validate_json(data or b"")
    except ValidationError as exc:
        raise _as_api_error(exc) from None


def parse_query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise _as_api_error(exc) from None


def _as_api_error(exc: ValidationError) -> ApiError:
    if any(e["type"] == "json_invalid" for e in exc.errors(include_url=False)):
        return ApiError(400, "invalid_json")
    return validation_error(messages(exc))
