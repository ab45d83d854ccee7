"""The kinds of value a user can send, each defined once for both edges.

A kind is an ``Annotated`` pydantic type: the JSON API's bodies (``web.api.schemas``) are built
from them, so the OpenAPI document states each constraint (``maxLength``, a ``pattern`` for
the character ban and the date range, ``uniqueItems``, ``minimum``/``maximum``), and the HTML
form readers validate the posted strings with the same types (``read``), so a form and the API
give the same verdict with the same translated message (``message_for``, the one catalogue of
input messages).

The kinds:

- free text (``text``): no NUL and no control character but newline and tab; a carriage
  return is normalised away (browsers send CRLF, and a lone CR becomes a newline); no lone
  surrogate; at most ``limit`` characters, counted after that normalisation; with
  ``required``, not blank.
- ``Day``: an ISO 8601 date between ``FIRST_DATE`` and ``LAST_DATE`` (2000-01-01..2100-12-31).
  The range keeps every date far from the ends of Python's calendar, so no time-zone shift
  or ``timedelta`` on the way to an e-mail or an .ics can overflow.
- ``Moment``: a date and time with a time zone whose date part is in the same range.
- ``Clock``: a time of day (forms: the meeting's start).
- ``Id``: a row id, 1..2^31-1 (PostgreSQL's integer).
- ``unique(item)``: a list whose items occur once.
- choices: the enum types themselves (``Phase``, ``Visibility``…), read with ``read`` too.

``one_line`` is different: it does not refuse, it cleans. Names that come from an identity
provider or a CSV file end up in mail headers, so every control and line-break character
becomes a space there.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated, Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from web.textrules import forbidden_character

T = TypeVar("T")

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)
MAX_ID = 2**31 - 1

# Every C0 control but tab and newline (CR is normalised before this applies), DEL and the C1
# controls: the JSON Schema pattern (ECMA 262 and Python's re read it the same way). Lone
# surrogates are refused too, but cannot be in the pattern (validators built on Rust's regex
# reject such a pattern outright); a JSON body cannot carry one anyway (its parser refuses it
# as invalid JSON), so only text from other sources meets that check.
_CONTROLS = "\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f"
TEXT_PATTERN = f"^[^{_CONTROLS}]*$"
# The year 2000..2100 at the start of a date or a date-time (the rest is the format's).
DATE_PATTERN = "^(20[0-9][0-9]|2100)-"
DATE_RANGE = f"between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}"


def normalise_newlines(value: Any) -> Any:
    """CRLF and a lone CR become LF (only for text; anything else is left to the type)."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _allowed_characters(value: str) -> str:
    if forbidden_character(value):  # the request guard's rule (web.textrules), per field
        raise PydanticCustomError("control_character", "control character")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "blank")
    return value


@functools.cache
def text(limit: int, *, required: bool = False) -> Any:
    """Free text of at most ``limit`` characters (and not blank when ``required``)."""
    checks = [BeforeValidator(normalise_newlines), AfterValidator(_allowed_characters)]
    if required:
        checks.append(AfterValidator(_not_blank))
    return Annotated[
        str,
        Field(
            max_length=limit,
            min_length=1 if required else 0,
            json_schema_extra={"pattern": TEXT_PATTERN},
        ),
        *checks,
    ]


def date_in_range(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DATE <= day <= LAST_DATE:
        raise PydanticCustomError("date_out_of_range", "date out of range")
    return value


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer is a number with no fraction: 5.0 is the integer 5.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]
Day = Annotated[
    date,
    AfterValidator(date_in_range),
    Field(description=f"ISO 8601 date {DATE_RANGE}", json_schema_extra={"pattern": DATE_PATTERN}),
]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(date_in_range),
    Field(
        description=f"ISO 8601 date and time with a time zone, its date {DATE_RANGE}",
        json_schema_extra={"pattern": DATE_PATTERN},
    ),
]
Clock = Annotated[time, Field(description="A time of day, hh:mm")]


def _unique(values: list) -> list:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicate", "duplicate")
    return values


def unique(item: Any, *, max_length: int) -> Any:
    """A list of ``item`` where each occurs at most once."""
    return Annotated[
        list[item],
        Field(max_length=max_length, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_unique),
    ]


# --- cleaning what is not typed by a user ----------------------------------------------------


_NOT_ON_ONE_LINE = ("Cc", "Zl", "Zp", "Cs")  # controls (CR, LF, tab…), separators, surrogates


def one_line(value: str | None) -> str:
    """``value`` on one line: controls, line and paragraph separators become a space, lone
    surrogates go, runs of spaces become one; trimmed. For names that reach mail headers."""
    if not value:
        return ""
    chars = (
        ""
        if unicodedata.category(c) == "Cs"
        else " "
        if unicodedata.category(c) in _NOT_ON_ONE_LINE
        else c
        for c in value
    )
    return " ".join("".join(chars).split())


def has_controls(value: str) -> bool:
    """Whether ``value`` holds anything ``one_line`` would remove (a line break, a tab, NUL…)."""
    return any(unicodedata.category(c) in _NOT_ON_ONE_LINE for c in value)


# --- reading a form --------------------------------------------------------------------------


@functools.cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def check(kind: Any, value: Any) -> Any:
    """``value`` validated as ``kind`` (raises pydantic's ``ValidationError``)."""
    return _adapter(kind).validate_python(value, strict=True)


def read(
    errors: dict[str, str], field: str, raw: object, kind: Any, *, required: bool = False
) -> Any:
    """A value as ``kind``, or ``None`` with a translated message at ``field`` in ``errors``.

    A posted string (or a list of them) is read as the API reads a JSON body's strings
    (pydantic's strict string mode), so both edges accept and refuse the same values; a
    value that is already typed (a ``date``, an enum member, an ``int`` from the API or a
    command) is validated as it is, so the range and the limits still apply. An empty value
    that is not text (an empty date field, no choice made) is absent, as a field left out of
    a JSON body: ``None``, or the message "Skal udfyldes." when ``required``.
    """
    if raw is None or (raw == "" and not _is_text(kind)):
        if required:
            errors[field] = message_for({"type": "missing"})
        return None
    adapter = _adapter(kind)
    try:
        if isinstance(raw, str) and _is_number(kind):
            # A number as the API receives it: a JSON number (so the same checks run).
            if not _INTEGER.fullmatch(raw):
                errors[field] = message_for({"type": "int_parsing"})
                return None
            return adapter.validate_json(raw, strict=True)
        if isinstance(raw, str):
            # As sent (nothing trimmed), as the API reads a JSON string.
            return adapter.validate_strings(raw, strict=True)
        if isinstance(raw, list | tuple) and all(isinstance(v, str) for v in raw):
            # Posted strings as a JSON list: its items are read as from a query string.
            return adapter.validate_json(json.dumps(list(raw)), strict=False)
        return adapter.validate_python(list(raw) if isinstance(raw, tuple) else raw, strict=True)
    except ValidationError as exc:
        errors[field] = message_for(exc.errors(include_url=False)[0])
        return None


def read_ids(values: list[str]) -> list[int]:
    """The valid ids (``Id``) among posted values (checkboxes, multiple selects); others go."""
    return [n for n in (read({}, "id", v, Id) for v in values) if n is not None]


def check_text(
    errors: dict[str, str], field: str, value: str | None, limit: int, *, required: bool = False
) -> str:
    """``value`` checked as free text (``text(limit)``, a message at ``field`` when refused)
    and returned as it is stored: newlines normalised, trimmed.

    The check sees the value as sent, before trimming, as the API's schema does, so a form
    and the API give the same verdict on the same text.
    """
    read(errors, field, value or "", text(limit, required=required))
    return normalise_newlines(value or "").strip()


# Any whole number a JSON body may carry (Python's own limit on digits), so that a form and the
# API both answer "too big" to 10**18 rather than the form "not a whole number".
_INTEGER = re.compile(r"-?[0-9]{1,4300}")


@functools.cache
def _is_number(kind: Any) -> bool:
    """Whether the API receives ``kind`` as a JSON number (an id, a count, a choice of days)."""
    return _adapter(kind).json_schema().get("type") == "integer"


def _origin(kind: Any) -> Any:
    return getattr(kind, "__origin__", kind)


def _is_text(kind: Any) -> bool:
    return _origin(kind) is str


def messages(exc: ValidationError) -> dict[str, str]:
    """Field (dotted location) → translated message, the first per field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, message_for(error))
    return fields


# The messages of the error types that need no parameters (pydantic's ``type`` → message).
SIMPLE_MESSAGES = {
    "missing": _l("Skal udfyldes."),
    "blank": _l("Skal udfyldes."),
    "string_too_short": _l("Skal udfyldes."),
    "string_type": _l("Skal være tekst."),
    "control_character": _l("Teksten indeholder tegn, der ikke er tilladt."),
    "string_unicode": _l("Teksten indeholder tegn, der ikke er tilladt."),  # a lone surrogate
    "int_type": _l("Skal være et helt tal."),
    "int_parsing": _l("Skal være et helt tal."),
    "int_from_float": _l("Skal være et helt tal."),
    "greater_than_equal": _l("Tallet er for lille."),
    "less_than_equal": _l("Tallet er for stort."),
    "bool_type": _l("Skal være true eller false."),
    "list_type": _l("Skal være en liste."),
    "model_type": _l("Skal være et JSON-objekt."),
    "dict_type": _l("Skal være et JSON-objekt."),
    "model_attributes_type": _l("Skal være et JSON-objekt."),
    "enum": _l("Ugyldigt valg."),
    "literal_error": _l("Ugyldigt valg."),
    "extra_forbidden": _l("Ukendt felt."),
    "duplicate": _l("Må kun forekomme én gang."),
    "at_least_one": _l("Angiv mindst ét felt."),
    "timezone_aware": _l("Angiv tidspunktet med tidszone, fx 2027-03-15T09:00:00+01:00."),
    # By prefix (``date_parsing``, ``time_type``, ``datetime_from_date_parsing``…):
    "date": _l("Skriv datoen som åååå-mm-dd."),
    "time_": _l("Skriv klokkeslættet som tt:mm."),
    "datetime": _l("Angiv tidspunktet med tidszone, fx 2027-03-15T09:00:00+01:00."),
    "other": _l("Ugyldig værdi."),
}


def message_for(error: Mapping[str, Any]) -> str:
    """The translated message for one pydantic error (by its stable ``type``)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_long":
        value = normalise_newlines(error.get("input"))
        return _(
            "Højst %(limit)s tegn (du har skrevet %(length)s).",
            limit=ctx.get("max_length"),
            length=len(value) if isinstance(value, str) else 0,
        )
    if kind == "too_long":
        return _("Højst %(limit)s elementer.", limit=ctx.get("max_length"))
    if kind == "date_out_of_range":
        return _(
            "Datoen skal ligge mellem %(first)s og %(last)s.",
            first=FIRST_DATE.isoformat(),
            last=LAST_DATE.isoformat(),
        )
    if kind in SIMPLE_MESSAGES:
        return str(SIMPLE_MESSAGES[kind])
    for prefix in ("datetime", "timezone", "date", "time_"):
        if kind.startswith(prefix):
            return str(SIMPLE_MESSAGES["datetime" if prefix == "timezone" else prefix])
    return str(SIMPLE_MESSAGES["other"])


# --- e-mail addresses ------------------------------------------------------------------------

MAX_EMAIL = 320


def email_address(value: str | None) -> str | None:
    """``value`` as a stored e-mail address, or None when it is not one.

    The syntax is email-validator's (RFC 5321/5322, no DNS lookup: an import of 700 people
    must not make 700 network calls, and a test network has none). The product's own rule for
    Danish internationalised domains stays: a domain such as ``ærø.dk`` is accepted and kept
    as written (reminders send its IDNA form, ``web.reminders.mail.ascii_address``), while a
    local part that is not ASCII is refused, since reminders do not use SMTPUTF8. The domain
    is lower-cased (email-validator's normalisation), so a re-import of ``A@X.DK`` is no change.
    """
    from email_validator import EmailNotValidError, validate_email

    if not value or len(value) > MAX_EMAIL or has_controls(value):
        return None
    try:
        return validate_email(
            value,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        ).normalized
    except EmailNotValidError:
        return None
