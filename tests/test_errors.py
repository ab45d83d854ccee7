"""Every error answer, through the real app: translated (Danish and English, by the session's
language), with the security headers and the request id; JSON under the API; and the error path
itself cannot fail (a broken session after a failed flush, an error page that fails to render).

Statuses the app has no page to provoke (415 on a page, a bug's 500) come from the app without
its input nets (tests/security/netless.py), which also lets the audit's NUL byte reach the
database, as it did before the request guard existed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from tests.apps import extra_app, limited_app
from tests.security.netless import strip_nets
from tests.world import build_world
from web import errorpages
from web.examples.models import Example
from web.extensions import db
from web.logs import ContextFilter
from web.tenancy import tenant_scope

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)
# The message of each page, in both languages (the catalogue's translations, typed out: a
# missing translation would show the Danish text on the English page and fail).
MESSAGES = {
    400: (
        "Et eller flere felter indeholder tegn, der ikke er tilladt",
        "One or more fields contain characters that are not allowed",
    ),
    401: ("Du skal logge ind for at se denne side.", "You need to log in to see this page."),
    403: ("Du har ikke adgang til denne side.", "You do not have access to this page."),
    404: (
        "Vi kunne ikke finde den side, du ledte efter.",
        "We could not find the page you were looking for.",
    ),
    405: ("Siden kan ikke bruges på den måde.", "The page cannot be used that way."),
    413: ("Det, du sendte, er for stort.", "What you sent is too large."),
    415: (
        "Siden kan ikke læse den slags indhold, du sendte.",
        "The page cannot read the kind of content you sent.",
    ),
    429: ("Du har prøvet for mange gange på kort tid.", "You have tried too many times"),
    500: (
        "Noget gik galt hos os. Prøv igen om lidt.",
        "Something went wrong on our side. Please try again shortly.",
    ),
}
EXAMPLE = {
    "kind": "good",
    "title": "Vi byttede vagter selv",
    "text": "Vi fandt selv en løsning.",
    "expectations": ["responsibility"],
    "kkc": "commitment",
    "olfa": "community",
}
TOO_BIG = 3 * 1024 * 1024  # above MAX_CONTENT_LENGTH (2 MiB)


@pytest.fixture(scope="module")
def netless(app: Flask) -> Flask:
    # PROPAGATE_EXCEPTIONS off, as in production: the test client then sees the 500 answer.
    return strip_nets(extra_app(app, PROPAGATE_EXCEPTIONS=False))


@pytest.fixture(scope="module")
def guardless(app: Flask) -> Flask:
    return strip_nets(extra_app(app, PROPAGATE_EXCEPTIONS=False), keep_database_refusal=True)


@pytest.fixture(scope="module")
def limited(app: Flask) -> Flask:
    return limited_app(app, RATELIMIT_SSO="1 per minute", RATELIMIT_API="1 per minute")


@pytest.fixture(scope="module")  # built once (module_db); each test in a savepoint
def world(module_make):
    return build_world(module_make)


def client_for(app: Flask, user, locale: str):
    from web.auth.session import session_payload

    client = app.test_client()
    with client.session_transaction() as session:
        if user is not None:
            session.update(session_payload(user))
        session["lang"] = locale
    return client


def examples(app: Flask, tenant) -> int:
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(func.count()).select_from(Example))


def assert_error_answer(response, status: int, locale: str, *, page: bool = True) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:800]
    for header in SECURITY_HEADERS:
        assert response.headers.get(header), f"{status}: no {header}"
    assert len(response.headers.get("X-Request-ID", "")) >= 8
    if page:
        assert response.mimetype == "text/html"
        assert f'<html lang="{locale}">' in body
        assert MESSAGES[status][("da", "en").index(locale)] in body, body[:3000]
    return body


# --- pages -----------------------------------------------------------------------------------


@dataclass
class Case:
    status: int
    who: str | None  # a person of the world, or signed out
    method: str
    path: str
    app: str = "app"  # or "netless", "limited"
    data: object = None
    repeat: int = 1  # the last answer counts (the rate limit)


PAGE_CASES = [
    Case(400, "anna", "GET", "/t/solby/?q=a%00b"),
    Case(401, None, "GET", "/t/solby/examples/"),
    Case(403, "anna", "GET", "/t/solby/admin/"),
    Case(404, "anna", "GET", "/t/solby/findes-ikke"),
    Case(405, "anna", "DELETE", "/t/solby/examples/"),
    Case(413, "anna", "POST", "/t/solby/examples/new", data={"title": "x" * TOO_BIG}),
    Case(415, "anna", "POST", "/_test/status/415", app="netless"),
    Case(429, None, "GET", "/t/solby/auth/login", app="limited", repeat=2),
    Case(500, "anna", "GET", "/_test/status/500", app="netless"),
]


@pytest.mark.parametrize("locale", ["da", "en"])
@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: str(c.status))
def test_every_error_page_is_translated_with_the_headers(request, world, case, locale):
    app = request.getfixturevalue(case.app)
    client = client_for(app, getattr(world, case.who) if case.who else None, locale)
    for _ in range(case.repeat):
        response = client.open(case.path, method=case.method, data=case.data)
    assert_error_answer(response, case.status, locale)
    if case.status == 405:
        assert "GET" in response.headers["Allow"]
    if case.status == 429:
        assert int(response.headers["Retry-After"]) > 0


def test_the_refusal_names_the_field(world, login):
    client = login(world.anna)
    response = client.post(
        "/t/solby/examples/new", data={**EXAMPLE, "unit_id": world.team.id, "title": "a\x01b"}
    )
    body = assert_error_answer(response, 400, "da")
    assert "Feltet <code>title</code>: Teksten indeholder tegn, der ikke er tilladt." in body


# --- the API ---------------------------------------------------------------------------------

API = "/t/solby/api/v1"
API_CASES = [
    # Refused input is the API's validation_failed, named by field, as its models answer.
    Case(422, "anna", "GET", f"{API}/me?q=a%00b"),
    Case(401, None, "GET", f"{API}/me"),
    Case(
        403,
        "anna",
        "POST",
        f"{API}/cycles",
        data={  # only a leader starts a cycle
            "template_id": 1,
            "preparation_starts_on": "2027-01-01",
            "preparation_ends_on": "2027-01-10",
        },
    ),
    Case(404, "anna", "GET", f"{API}/findes-ikke"),
    Case(405, "anna", "DELETE", f"{API}/me"),
    Case(413, "anna", "POST", f"{API}/examples", data=b"x" * TOO_BIG),
    Case(415, "anna", "POST", f"{API}/examples", data=b"title=x"),
    Case(429, "anna", "GET", f"{API}/me", app="limited", repeat=2),
    Case(500, "anna", "GET", f"{API}/_test/status/500", app="netless"),
]
API_CODES = {
    422: "validation_failed",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
}
API_MESSAGES = {"da": "Noget gik galt hos os", "en": "Something went wrong"}


@pytest.mark.parametrize("locale", ["da", "en"])
@pytest.mark.parametrize("case", API_CASES, ids=lambda c: str(c.status))
def test_every_api_error_is_json_with_the_headers(request, world, case, locale):
    app = request.getfixturevalue(case.app)
    client = client_for(app, getattr(world, case.who) if case.who else None, locale)
    data = case.data
    kwargs = (
        {"json": {**data, "unit_id": world.team.id}}
        if isinstance(data, dict)
        else {
            "data": data,
            "content_type": "application/json" if case.status == 413 else "text/plain",
        }
        if data is not None
        else {}
    )
    for _ in range(case.repeat):
        response = client.open(case.path, method=case.method, **kwargs)
    assert_error_answer(response, case.status, locale, page=False)
    error = response.get_json()["error"]
    assert error["code"] == API_CODES[case.status]
    if case.status == 422:
        assert error["fields"] == {
            "q": (
                "Teksten indeholder tegn, der ikke er tilladt.",
                "The text contains characters that are not allowed.",
            )[("da", "en").index(locale)]
        }
    if case.status == 500:
        assert API_MESSAGES[locale] in error["message"]
    if case.status == 405:
        assert "GET" in response.headers["Allow"]
    assert examples(app, world.tenant) == 0


# --- the guard reads every kind of input -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kwargs", "field"),
    [
        ("/t/solby/?a=1&bad=x%00y", {}, "bad"),
        ("/t/a%00b/", {}, "tenant"),  # a URL argument, before the tenant is looked up
        (
            "/t/solby/examples/new",
            {
                "data": b"title=ok&text=%1B%5B2J",
                "content_type": "application/x-www-form-urlencoded",
            },
            "text",
        ),
        (
            "/t/solby/examples/new",
            {
                "data": b"title=%ED%A0%80",  # a lone surrogate, as bytes
                "content_type": "application/x-www-form-urlencoded",
            },
            "title",
        ),
        ("/t/solby/examples/new", {"data": {"title": "a\x85b"}}, "title"),  # multipart (C1)
        ("/t/solby/examples/new", {"data": {"upload": (io.BytesIO(b"x"), "a\x00.csv")}}, "upload"),
        ("/t/solby/examples/new", {"json": {"outer": {"in\x07ner": "x"}}}, "outer.in\ufffdner"),
    ],
)
def test_the_guard_reads_every_kind_of_input(app, world, login, path, kwargs, field):
    client = login(world.anna)
    method = "GET" if not kwargs else "POST"
    if "data" in kwargs and isinstance(kwargs["data"], dict):
        kwargs = {**kwargs, "content_type": "multipart/form-data"}
    response = client.open(path, method=method, **kwargs)
    body = assert_error_answer(response, 400, "da")
    assert f"<code>{field}</code>" in body
    assert examples(app, world.tenant) == 0


# --- the error path cannot fail --------------------------------------------------------------


@pytest.mark.postgres("the failed flush is PostgreSQL refusing a NUL byte; SQLite stores it")
@pytest.mark.parametrize("locale", ["da", "en"])
def test_the_audits_nul_byte_past_the_nets_is_a_translated_500(netless, world, locale):
    """The audit's request: the flush fails, the session needs a rollback, and the log filter
    used to read the tenant from it (PendingRollbackError inside Flask's error logging)."""
    client = client_for(netless, world.anna, locale)
    response = client.post(
        "/t/solby/examples/new", data={**EXAMPLE, "unit_id": world.team.id, "title": "a\x00b"}
    )
    body = assert_error_answer(response, 500, locale)
    assert "Solby Kommune" in body  # the municipality, from the plain strings on g
    assert examples(netless, world.tenant) == 0


def test_with_the_nets_the_same_input_is_a_400_that_stores_nothing(app, world, login):
    response = login(world.anna).post(
        "/t/solby/examples/new", data={**EXAMPLE, "unit_id": world.team.id, "title": "a\x00b"}
    )
    assert_error_answer(response, 400, "da")
    assert examples(app, world.tenant) == 0


@pytest.mark.postgres("PostgreSQL refuses the NUL byte (DataError); SQLite stores it")
def test_a_value_the_database_refuses_is_a_400(guardless, world):
    """Past the guard (here: taken off) a value the database cannot hold is input, not a bug."""
    client = client_for(guardless, world.anna, "en")
    response = client.post(
        "/t/solby/examples/new", data={**EXAMPLE, "unit_id": world.team.id, "title": "a\x00b"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:500]
    assert "What you sent contains a value that cannot be saved." in body
    assert examples(guardless, world.tenant) == 0


@pytest.mark.parametrize("locale", ["da", "en"])
def test_an_error_page_that_fails_still_answers_safely(app, world, locale, monkeypatch):
    """Both renders fail (the page, then the page without the database): the last step is a
    small page of its own, still translated, escaped and with the headers."""

    def broken(*args, **kwargs):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr(errorpages, "render_template", broken)
    response = client_for(app, world.anna, locale).get("/t/solby/findes-ikke")
    body = assert_error_answer(response, 404, locale)
    assert "<h1>" in body and "<script" not in body


def test_the_log_filter_reads_no_orm_attribute(app, ctx):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("a rolled-back session")

    g.tenant, g.tenant_slug, g.request_id = Broken(), "solby", "abc123"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    assert ContextFilter().filter(record)
    assert (record.request_id, record.tenant) == ("abc123", "solby")
