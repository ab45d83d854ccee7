"""Input checked at the edge: request bodies and query strings through pydantic models.

The models (``web.api.schemas``) state the types and the documented limits (the constants of
``web.cycles.models`` and ``web.examples.models``); the same models give the OpenAPI schemas,
so what is documented is what is checked. Bodies are validated in strict mode (``"5"`` is not
a number, ``1`` is not a boolean), with no unknown fields. Every problem found here is reported
at once, one translated message per field (``conclusions.0.text``); the service then checks the
rules that depend on data, and nothing is written before it has accepted the whole input.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from web.api.errors import ApiError, validation_error

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)
MAX_ID = 2**31 - 1


class Body(BaseModel):
    """A request body: strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Query(BaseModel):
    """A query string: values arrive as text, so numbers are parsed; other parameters ignored."""

    model_config = ConfigDict(extra="ignore")


class Out(BaseModel):
    """A response body (documented in serialization mode)."""

    model_config = ConfigDict(extra="forbid")


def _no_control_chars(value: str) -> str:
    # PostgreSQL cannot store NUL; other C0 controls (but tab and line breaks) are never text.
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise PydanticCustomError("control_character", "control character")
    return value


def date_in_range(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DATE <= day <= LAST_DATE:
        raise PydanticCustomError("date_out_of_range", "date out of range")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "blank")
    return value


def text(limit: int, *, required: bool = False) -> Any:
    """A text field of at most ``limit`` characters (and not blank when ``required``)."""
    checks = [AfterValidator(_no_control_chars)]
    if required:
        checks.append(AfterValidator(_not_blank))
    return Annotated[str, Field(max_length=limit, min_length=1 if required else 0), *checks]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(date_in_range),
                Field(description="ISO 8601 date between 2000-01-01 and 2100-12-31")]


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
    errors = exc.errors(include_url=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return ApiError(400, "invalid_json")
    fields: dict[str, str] = {}
    for error in errors:
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, message_for(error))
    return validation_error(fields)


def message_for(error: dict[str, Any]) -> str:
    """A translated message for one pydantic error (by its stable ``type``)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_long":
        value = error.get("input")
        return _("Højst %(limit)s tegn (du har skrevet %(length)s).",
                 limit=ctx.get("max_length"), length=len(value) if isinstance(value, str) else 0)
    if kind in ("missing", "blank", "string_too_short"):
        return _("Skal udfyldes.")
    if kind == "too_long":
        return _("Højst %(limit)s elementer.", limit=ctx.get("max_length"))
    if kind == "date_out_of_range":
        return _("Datoen skal ligge mellem %(first)s og %(last)s.",
                 first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat())
    simple = {
        "string_type": _("Skal være tekst."),
        "control_character": _("Teksten indeholder tegn, der ikke er tilladt."),
        "int_type": _("Skal være et helt tal."),
        "int_parsing": _("Skal være et helt tal."),
        "int_from_float": _("Skal være et helt tal."),
        "greater_than_equal": _("Tallet er for lille."),
        "less_than_equal": _("Tallet er for stort."),
        "bool_type": _("Skal være true eller false."),
        "list_type": _("Skal være en liste."),
        "model_type": _("Skal være et JSON-objekt."),
        "dict_type": _("Skal være et JSON-objekt."),
        "model_attributes_type": _("Skal være et JSON-objekt."),
        "enum": _("Ugyldigt valg."),
        "literal_error": _("Ugyldigt valg."),
        "extra_forbidden": _("Ukendt felt."),
        "duplicate": _("Må kun forekomme én gang."),
        "at_least_one": _("Angiv mindst ét felt."),
        "timezone_aware": _("Angiv tidspunktet med tidszone, fx 2027-03-15T09:00:00+01:00."),
    }
    if kind in simple:
        return simple[kind]
    if kind.startswith("date"):
        return _("Skriv datoen som åååå-mm-dd.")
    if kind.startswith(("datetime", "timezone")):
        return _("Angiv tidspunktet med tidszone, fx 2027-03-15T09:00:00+01:00.")
    return _("Ugyldig værdi.")
