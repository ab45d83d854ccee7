"""The request edge's net: no input reaches a view with a character text may not hold.

Every request's URL arguments, query string, form fields (names and values), uploaded file
names and JSON body (keys and string values, at any depth) are checked against the one rule of
``web.textrules.forbidden_character``: NUL, the other control characters but tab and line
breaks, and lone surrogates. Bytes that are not UTF-8 (``%ED%A0%80``, the encoding of a lone
surrogate) count as such characters: URL-encoded bodies and query strings are decoded here with
``errors="surrogateescape"``, where Werkzeug's own parsing would quietly turn them into U+FFFD.

A refused request changes nothing: a page answers 400 naming the fields (``RefusedInput``), the
JSON API 422 ``validation_failed`` with the fields by the API's names (``conclusions.0.text``)
and the message its models give for the same rule. The per-field messages of forms and API
models use the same rule; this is the net under them, so that a field without its own check
(a new form, a hidden field, a query parameter) still cannot carry such a character to the
database.

The check runs as the first URL value preprocessor of the app: before the tenant is resolved
from the URL (its slug is a URL argument) and before any ``before_request`` hook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl

from flask import Flask, request
from flask_babel import gettext as _

from web.textrules import forbidden_character

FORM_ENCODED = "application/x-www-form-urlencoded"
SHOWN_NAME_LENGTH = 80


def init_app(app: Flask) -> None:
    # Ahead of any other app-level preprocessor; blueprints' preprocessors run after the app's.
    app.url_value_preprocessors.setdefault(None, []).insert(0, check_request)


def check_request(endpoint: str | None, values: dict | None) -> None:
    names = sorted(set(refused_fields(values)))
    if not names:
        return
    from web.api import errors as api_errors
    from web.errorpages import RefusedInput

    # i18n: the same message as the API's models give for this rule.
    message = _("Teksten indeholder tegn, der ikke er tilladt.")
    fields = {shown_name(name): message for name in names}
    if api_errors.is_api_request():
        raise api_errors.validation_error(fields)
    raise RefusedInput(fields)


def refused_fields(values: dict | None) -> Iterator[str]:
    """The names of the inputs of this request that hold a forbidden character."""
    for name, value in (values or {}).items():
        if isinstance(value, str) and forbidden_character(value):
            yield name
    yield from _encoded_pairs(request.query_string)
    mimetype = request.mimetype
    if mimetype == FORM_ENCODED:
        yield from _encoded_pairs(request.get_data(cache=True))
    elif mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):
            if forbidden_character(name) or forbidden_character(value):
                yield name
        for name, upload in request.files.items(multi=True):
            if forbidden_character(name) or forbidden_character(upload.filename or ""):
                yield name
    elif request.is_json:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            return  # not JSON (or absurdly deep): the API's own parsing answers it
        yield from _json_paths(body)


def _encoded_pairs(raw: bytes) -> Iterator[str]:
    text = raw.decode("latin-1")  # bytes as they came; the percent-decoding does the UTF-8
    for name, value in parse_qsl(
        text, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"
    ):
        if forbidden_character(name) or forbidden_character(value):
            yield name


def _json_paths(body: object) -> Iterator[str]:
    """The paths (``conclusions.0.text``) of the strings and keys that break the rule; a loop,
    not recursion, so that no depth of nesting can exhaust the stack."""
    pending: list[tuple[str, object]] = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if forbidden_character(value):
                yield path or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if forbidden_character(str(key)):
                    yield where
                else:
                    pending.append((where, item))
        elif isinstance(value, list):
            pending.extend(
                (f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value)
            )


def shown_name(name: str) -> str:
    """A field's name fit to show: its own forbidden characters replaced, and not too long."""
    cleaned = "".join("\ufffd" if forbidden_character(c) else c for c in name)
    return cleaned[:SHOWN_NAME_LENGTH]
