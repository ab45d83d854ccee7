"""Error answers that cannot fail: every HTTP error, translated, with the headers.

One handler answers every HTTP error of the pages (and hands those under ``/t/<tenant>/api/``
to the API's JSON errors): a translated page in the request's language, the security headers
(``web.security``) and the request id (``web.logs``). The path is built in three steps, each
the fallback of the one before, so that an error while answering an error never reaches the
server as a bare 500:

1. A 4xx page is the normal page (header, menu, the signed-in person's name).
2. A 500 — or a 4xx page that failed — first rolls the session back (a failed flush leaves it
   unusable), then renders without the database: the ORM objects on ``g`` are set aside for
   the render and the municipality is shown from the plain strings ``g.tenant_name`` and
   ``g.tenant_slug``. The language is chosen before the rollback, from values already loaded.
3. If that fails too, a small page built here from the translated title and message.

A value the database refused (``sqlalchemy.exc.DataError``: a NUL byte, a number or date out of
the column's range) is input, not our failure: it is answered 400 by the same path, so a value
that slipped past every check (an identity provider's claim, a file's cell) is a refusal.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, ServiceUnavailable

log = logging.getLogger(__name__)

# i18n: titles and messages of the error pages.
TEXTS = {
    400: (_l("Ugyldig forespørgsel"), _l("Forespørgslen kunne ikke forstås.")),
    401: (_l("Log ind"), _l("Du skal logge ind for at se denne side.")),
    403: (_l("Ingen adgang"), _l("Du har ikke adgang til denne side.")),
    404: (_l("Siden findes ikke"), _l("Vi kunne ikke finde den side, du ledte efter.")),
    405: (
        _l("Handlingen er ikke mulig"),
        _l("Siden kan ikke bruges på den måde. Gå tilbage, og prøv igen."),
    ),
    413: (_l("For meget indhold"), _l("Det, du sendte, er for stort. Send mindre ad gangen.")),
    415: (_l("Ukendt indhold"), _l("Siden kan ikke læse den slags indhold, du sendte.")),
    429: (
        _l("For mange forsøg"),
        _l("Du har prøvet for mange gange på kort tid. Vent et minut, og prøv så igen."),
    ),
    500: (_l("Der opstod en fejl"), _l("Noget gik galt hos os. Prøv igen om lidt.")),
    503: (
        _l("Det tog for lang tid"),
        _l(
            "Svaret tog for lang tid og blev afbrudt. Prøv igen om lidt, eller bed om "
            "mindre ad gangen."
        ),
    ),
}
# The untranslated originals, for the last fallback when even gettext fails.
_SOURCE = {code: (title._args[0], message._args[0]) for code, (title, message) in TEXTS.items()}


# i18n: input refused at the edge (a character no text may hold), or by the database.
REFUSED_TITLE = _l("Der er ikke gemt noget")
REFUSED_FIELDS = _l(
    "Et eller flere felter indeholder tegn, der ikke er tilladt (for eksempel "
    "et nul-tegn eller et styretegn). Ret dem, og prøv igen."
)
REFUSED_BY_DATABASE = _l(
    "Det, du sendte, indeholder en værdi, der ikke kan gemmes. Ret den, og prøv igen."
)


class RefusedInput(BadRequest):
    """Input refused before anything was written: a 400 page with a message per field."""

    def __init__(self, fields: Mapping[str, str], message: object = REFUSED_FIELDS):
        super().__init__()
        self.fields = dict(fields)
        self.title = REFUSED_TITLE
        self.message = message


class ExplainedError(HTTPException):
    """An error that says what happened in its own words (a refused sign-in): the same page,
    headers and fallbacks as every other error, with the refusal's code and the request id to
    quote, and a link to try again (``retry_url``, a string: a 5xx page is drawn without the
    tenant's objects, so no ``url_for`` of the tenant's pages is possible there)."""

    def __init__(
        self,
        code: int,
        title: object,
        message: object,
        *,
        reason: str | None = None,
        retry_url: str | None = None,
    ):
        super().__init__()
        self.code = code
        self.title = title
        self.message = message
        self.reason = reason
        self.retry_url = retry_url


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(DataError, _refused_by_database)
    app.register_error_handler(OperationalError, _database_failed)


def error_response(exc: HTTPException) -> Response:
    """The answer to ``exc``; never raises."""
    code = exc.code or 500
    locale = _locale_before_rollback()
    with force_locale(locale):
        try:
            response = _answer(exc, code)
        except Exception:  # the next step is the fallback
            log.exception("the error page for %s failed; answering without the database", code)
            response = _without_database(exc, code)
    _finish(response, exc)
    return response


def _refused_by_database(exc: DataError) -> Response:
    log.warning("the database refused a value: %s", exc.orig)
    _rollback()
    return error_response(RefusedInput({}, REFUSED_BY_DATABASE))


def _database_failed(exc: OperationalError) -> Response:
    """A statement past its timeout (``web.timeouts``) is 503; anything else stays a 500."""
    from web.timeouts import is_statement_timeout

    _rollback()
    if is_statement_timeout(exc):
        log.warning("a statement ran past its timeout: %s", exc.orig)
        return error_response(ServiceUnavailable())
    log.error("database error", exc_info=exc)
    return error_response(InternalServerError())


def _answer(exc: HTTPException, code: int) -> Response:
    from web.api import errors as api_errors
    from web.scim import views as scim_views

    if api_errors.is_api_request():  # /t/<tenant>/api/…: the API's JSON errors
        return api_errors.http_error_response(exc)
    if scim_views.is_scim_request():  # /t/<tenant>/scim/…: SCIM's error shape
        return scim_views.scim_error(
            code, " ".join([_texts(code, exc)[1], *(f"{k}: {v}" for k, v in _fields(exc).items())])
        )
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = Response(status=code)
        response.set_data(_json_error(code))
        response.mimetype = "application/json"
        return response
    if code >= 500:
        return _without_database(exc, code)
    title, message = _texts(code, exc)
    return Response(
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=message,
            fields=_fields(exc),
            **_explained(exc),
        ),
        status=code,
    )


def _json_error(code: int) -> str:
    import json

    return json.dumps({"error": {"code": f"http_{code}", "message": _texts(code)[1]}})


def _without_database(exc: HTTPException, code: int) -> Response:
    _rollback()
    title, message = _texts(code, exc)
    try:
        with _orm_set_aside():
            body = render_template(
                "errors/error.html",
                code=code,
                title=title,
                message=message,
                fields=_fields(exc),
                current_tenant=_tenant_strings(),
                **_explained(exc),
            )
    except Exception:  # the last step cannot fail
        log.exception("the error page for %s failed without the database too", code)
        body = _minimal_page(code)
    return Response(body, status=code, mimetype="text/html")


def _minimal_page(code: int) -> str:
    try:
        title, message = _texts(code)
        lang = str(_current_locale())
    except Exception:
        title, message = _SOURCE[_known(code)]
        lang = "da"
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · Aktørskab</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></main></body></html>"
    )


def _finish(response: Response, exc: HTTPException) -> None:
    """The headers every answer carries, set here too: an ``after_request`` hook that fails
    while an error is answered stops the hooks after it."""
    from web import logs, security

    if (exc.code or 500) == 405 and "Allow" not in response.headers:
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    try:
        security._security_headers(response)
        response.headers["X-Request-ID"] = logs.request_id()
    except Exception:
        log.exception("could not set the headers of an error answer")


# --- pieces ------------------------------------------------------------------------------------


def _known(code: int) -> int:
    if code in TEXTS:
        return code
    return 500 if code >= 500 else 400


def _explained(exc: HTTPException) -> dict[str, object]:
    if not isinstance(exc, ExplainedError):
        return {}
    from web import logs

    return {"reason": exc.reason, "retry_url": exc.retry_url, "request_id": logs.request_id()}


def _texts(code: int, exc: HTTPException | None = None) -> tuple[str, str]:
    if isinstance(exc, RefusedInput | ExplainedError):
        return str(exc.title), str(exc.message)
    title, message = TEXTS[_known(code)]
    return str(title), str(message)


def _fields(exc: HTTPException) -> dict[str, str]:
    return getattr(exc, "fields", {})


def _rollback() -> None:
    from web.extensions import db

    try:
        db.session.rollback()
    except Exception:  # a connection that is gone cannot be rolled back
        log.exception("rollback failed while answering an error")


@dataclass(frozen=True)
class _TenantStrings:
    """What base.html reads of the tenant; no settings (the links take their defaults)."""

    name: str
    slug: str
    settings: dict = field(default_factory=dict)


def _tenant_strings() -> _TenantStrings | None:
    slug, name = g.get("tenant_slug"), g.get("tenant_name")
    return _TenantStrings(name=name, slug=slug) if slug and name else None


@contextmanager
def _orm_set_aside() -> Iterator[None]:
    """``g.user`` and ``g.tenant`` out of the templates' reach (their attributes may need the
    database after the rollback); the context processors then see a signed-out page."""
    saved = {key: g.pop(key) for key in ("user", "tenant") if key in g}
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(g, key, value)


def _locale_before_rollback() -> str:
    """The request's language, from what is already loaded: ``select_locale`` reads the
    session cookie, the user's and the tenant's loaded attributes and the browser's wish; if it
    fails (an attribute that needs a broken session), the browser's wish or the default."""
    from web.i18n import select_locale

    config = current_app.config
    try:
        return select_locale()
    except Exception:
        try:
            return (
                request.accept_languages.best_match(config["LANGUAGES"])
                or config["BABEL_DEFAULT_LOCALE"]
            )
        except Exception:
            return config.get("BABEL_DEFAULT_LOCALE", "da")


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "da")
