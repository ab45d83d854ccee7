"""The bad-input walk: every form field and every API field, found from the URL map, the pages'
own HTML and the OpenAPI document (nothing listed by hand), gets a NUL byte, control characters
(\\x01, ESC, DEL, C1 \\x85), a lone surrogate (``%ED%A0%80`` in a form, ``"\\ud800"`` in JSON) or
an extreme date, as a role that can reach the form; every GET route gets the same in its query
string.

For every request:

- no 5xx;
- characters are refused before anything else (a page: 400; the API: 422 ``validation_failed``
  naming the field, even before the token is checked) with the translated message in the
  session's language (each request alternates Danish/English);
- an extreme date is refused (4xx) unless it lies in the documented range (2000-01-01 to
  2100-12-31): ``2100-12-31T23:59`` may be accepted and stored, 0001-01-01 and 9999-12-31 never;
- the security headers and ``X-Request-ID`` are there;
- the database is unchanged (a digest of every table, read as the owner) after every refusal.

The data is the cross-tenant walk's world (tests/security/test_cross_tenant.py), committed, and
its routes come from that walk's generator with the tenant's own ids. Fields are sampled
deterministically: every (form, field) once per role that reaches it, the values taken in turn,
so that every value meets many fields and every field one value per role.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from tests.security import test_cross_tenant as cross_tenant
from tests.security.test_cross_tenant import (
    ROLES,
    SSO_ENDPOINTS,
    UNSAFE,
    Request,
    World,
    _fill,
    api_requests,
    page_requests,
)
from tests.services import TEST_DATABASE_URL
from web.api.errors import API_PATH
from web.extensions import db
from web.security import CONTENT_SECURITY_POLICY

SURROGATE = object()  # a lone surrogate, encoded as the UTF-8 bytes no UTF-8 decoder accepts
CHARACTERS = ["a\x00b", "a\x01b", "a\x1b[31mb", "a\x7fb", "a\x85b", SURROGATE]
DATES = ["0001-01-01", "9999-12-31"]
DATETIMES = ["0001-01-01T00:00", "9999-12-31T23:59", "2100-12-31T23:59"]
IN_RANGE = re.compile(r"^(20\d\d|2100)-")  # 2000-2100: the documented range
REFUSAL = {
    "da": "Teksten indeholder tegn, der ikke er tilladt.",
    "en": "The text contains characters that are not allowed.",
}
HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Request-ID",
)
OUTSIDE_TENANT = {"code": "da", "filename": "app.css"}  # URL arguments of the other routes

world = cross_tenant.world  # the cross-tenant walk's two municipalities (a module fixture)


# --- what the pages offer ----------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name → the value the page gave
    dates: dict[str, str] = field(default_factory=dict)  # name → "date" / "datetime-local"


class FormParser(HTMLParser):
    """The forms of a page: their action, method, fields and the values they carry."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text_of: str | None = None  # the textarea or select being read
        self._selected: dict[str, bool] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                urljoin(self.page_url, a.get("action") or self.page_url),
                (a.get("method") or "get").upper(),
            )
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.fields.setdefault(a["name"], "")
                return
            self._form.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
            if kind in ("date", "datetime-local"):
                self._form.dates[a["name"]] = kind
        elif tag == "textarea":
            self._form.fields[a["name"]] = ""
            self._text_of = a["name"]
        elif tag == "select":
            self._form.fields[a["name"]] = ""
            self._text_of = a["name"]
            self._selected[a["name"]] = False
        if tag == "option" and self._text_of in self._selected:
            name = self._text_of
            if not self._selected[name] and ("selected" in a or not self._form.fields[name]):
                self._form.fields[name] = a.get("value", "")
                self._selected[name] = "selected" in a

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._text_of and self._text_of not in self._selected:
            self._form.fields[self._text_of] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "select"):
            self._selected.pop(self._text_of or "", None)
            self._text_of = None


# --- the database's state ----------------------------------------------------------------------


# Columns that record use, not input: the API token's last use is stamped by every
# authenticated request (refused ones too, once the token is checked).
BOOKKEEPING = {("api_tokens", "last_used_at")}


class Digest:
    """An md5 per table over every row, read as the owner (no row-level security); the names
    of the tables whose rows changed."""

    def __init__(self) -> None:
        self.engine = create_engine(TEST_DATABASE_URL)
        self.tables = [t.name for t in db.metadata.sorted_tables]
        parts = []
        for table in db.metadata.sorted_tables:
            columns = ", ".join(
                f't."{c.name}"' for c in table.columns if (table.name, c.name) not in BOOKKEEPING
            )
            parts.append(
                f"(SELECT md5(coalesce(string_agg(ROW({columns})::text, '|' "
                f"ORDER BY ROW({columns})::text), '')) FROM \"{table.name}\" t)"
            )
        self.sql = text("SELECT ARRAY[" + ", ".join(parts) + "]")

    def __call__(self) -> list[str]:
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                return conn.execute(self.sql).scalar_one()
            return [self._python_digest(conn, table) for table in db.metadata.sorted_tables]

    @staticmethod
    def _python_digest(conn, table) -> str:
        """The same digest on SQLite: every row's values, sorted, hashed in Python."""
        columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
        rows = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
        return hashlib.md5("|".join(rows).encode(), usedforsecurity=False).hexdigest()

    def changed(self, before: list[str], after: list[str]) -> list[str]:
        return [name for name, a, b in zip(self.tables, before, after, strict=True) if a != b]


@pytest.fixture(scope="module")
def digest(world) -> Iterator[Digest]:
    d = Digest()
    yield d
    d.engine.dispose()


# --- sending -----------------------------------------------------------------------------------


def encode(pairs: list[tuple[str, object]]) -> bytes:
    """A form body, byte for byte: the lone surrogate as %ED%A0%80 (urlencode cannot)."""

    def one(value: object) -> str:
        return "%ED%A0%80" if value is SURROGATE else quote(str(value), safe="")

    return "&".join(f"{one(k)}={one(v)}" for k, v in pairs).encode()


def shown(value: object) -> str:
    return "\\ud800" if value is SURROGATE else repr(value)


@dataclass
class Walk:
    app: Flask
    world: World
    digest: Digest
    problems: list[str] = field(default_factory=list)
    sent: int = 0
    date_statuses: list[int] = field(default_factory=list)  # the answers to extreme dates
    covered_routes: set[str] = field(default_factory=set)
    covered_fields: set[tuple[str, str]] = field(default_factory=set)
    locales: Iterator[str] = field(default_factory=lambda: itertools.cycle(("da", "en")))

    def client(self, role: str, locale: str):
        from web.auth.session import session_payload

        client = self.app.test_client()
        user = self.world.a.users.get(role)
        with client.session_transaction() as session:
            if user is not None:
                session.update(session_payload(user))
            session["lang"] = locale
        return client

    def send(
        self,
        role: str,
        method: str,
        url: str,
        value: object,
        *,
        endpoint: str = "",
        where: str,
        body: bytes | None = None,
        content_type: str | None = None,
        api: bool = False,
        is_date: bool = False,
    ) -> None:
        locale = next(self.locales)
        api = api or bool(API_PATH.match(urlsplit(url).path))  # the URL map holds the API too
        before = self.digest() if method != "GET" else None
        response = self.client(role, locale).open(
            url, method=method, data=body, content_type=content_type
        )
        self.sent += 1
        status = response.status_code
        page = response.get_data().decode("utf-8", "replace")
        response.close()
        what = f"{role} {method} {url} {where}={shown(value)} [{locale}]"
        missing = [h for h in HEADERS if not response.headers.get(h)]
        if missing:
            self.problems.append(f"{what}: no {missing}")
        elif response.headers["Content-Security-Policy"] != CONTENT_SECURITY_POLICY:
            self.problems.append(f"{what}: another policy")
        if status >= 500:
            if not (endpoint in SSO_ENDPOINTS and status in (502, 503)):
                self.problems.append(f"{what}: {status}")
            return
        accepted = status < 400
        if is_date:
            self.date_statuses.append(status)
            if accepted and not IN_RANGE.match(str(value)):
                self.problems.append(f"{what}: {status}, the date was accepted")
            if accepted:
                return  # in range and accepted: stored legitimately
        elif api:  # refused before anything else (even before the token is checked)
            fields = json.loads(page)["error"].get("fields", {}) if status == 422 else {}
            if fields.get(where) != REFUSAL[locale]:
                self.problems.append(f"{what}: {status}, not refused as {where}: {page[:300]}")
        elif status != 400 or REFUSAL[locale] not in page:
            self.problems.append(f"{what}: {status}, not refused in {locale}: {page[:300]}")
        if not api and f'<html lang="{locale}">' not in page and "<html" in page:
            self.problems.append(f"{what}: the page is not in {locale}")
        changed = self.digest.changed(before, self.digest()) if before is not None else []
        if changed:
            self.problems.append(f"{what}: {status} but {changed} changed")


# --- the page walk -----------------------------------------------------------------------------


def page_routes(app: Flask, world: World) -> list[Request]:
    """Every route of the URL map: the tenant's (the cross-tenant walk's generator, with A's own
    ids) and the few outside it."""
    requests = [
        r
        for r in page_requests(app, world.a, world.a)
        if "?" not in r.url and (r.method == "GET" or not r.form)
    ]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/t/<tenant>/"):
            continue
        url = _fill(rule.rule, OUTSIDE_TENANT)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            requests.append(
                Request(method, url, False, None if method == "GET" else {}, endpoint=rule.endpoint)
            )
    return requests


def forms_by_role(walk: Walk, requests: list[Request]) -> dict[str, list[Form]]:
    """The forms each role is shown, from every page it can open."""
    found: dict[str, list[Form]] = {}
    for role in ROLES:
        for req in (r for r in requests if r.method == "GET"):
            # A fresh session each time: a page may end it (the sign-out's landing page).
            response = walk.client(role, "da").get(req.url)
            if response.status_code == 200 and response.mimetype == "text/html":
                parser = FormParser("http://localhost" + req.url)
                parser.feed(response.get_data(as_text=True))
                found.setdefault(role, []).extend(f for f in parser.forms if f.fields)
            response.close()
    return found


@pytest.fixture(scope="module")
def shown_forms(app, world, digest) -> tuple[list[Request], dict[str, list[Form]]]:
    requests = page_routes(app, world)
    return requests, forms_by_role(Walk(app, world, digest), requests)


def form_fields(forms: dict[str, list[Form]]) -> Iterator[tuple[str, Form, str]]:
    """(role, form, field name): each field of each form once per role that is shown it."""
    seen: set[tuple[str, str, str, str]] = set()
    for role, role_forms in forms.items():
        for form in role_forms:
            for name in form.fields:
                key = (role, form.method, urlsplit(form.action).path, name)
                if key not in seen:
                    seen.add(key)
                    yield role, form, name


def send_form(
    walk: Walk, role: str, form: Form, name: str, value: object, is_date: bool = False
) -> None:
    path = urlsplit(form.action).path
    pairs = [(k, value if k == name else v) for k, v in form.fields.items()]
    if form.method == "GET":
        walk.send(
            role, "GET", f"{path}?{encode(pairs).decode()}", value, where=name, is_date=is_date
        )
    else:
        walk.send(
            role,
            form.method,
            path,
            value,
            where=name,
            body=encode(pairs),
            content_type="application/x-www-form-urlencoded",
            is_date=is_date,
        )
    walk.covered_routes.add(path)
    walk.covered_fields.add((path, name))


def test_every_form_field_and_query_refuses_bad_characters(app, world, digest, shown_forms):
    walk = Walk(app, world, digest)
    requests, forms = shown_forms
    values = itertools.cycle(CHARACTERS)

    # Every GET route, with a bad query parameter, as each role in turn.
    roles = itertools.cycle(ROLES)
    for req in (r for r in requests if r.method == "GET"):
        value = next(values)
        walk.send(
            next(roles),
            "GET",
            req.url + "?" + encode([("q", value)]).decode(),
            value,
            endpoint=req.endpoint,
            where="q",
        )
        walk.covered_routes.add(req.url)

    # Every field of every form a role is shown, as that role.
    for role, form, name in form_fields(forms):
        send_form(walk, role, form, name, next(values))

    # Every route that takes a write, with or without a form on a page: a probe field.
    for req in (r for r in requests if r.method in UNSAFE):
        value = next(values)
        walk.send(
            ROLES[len(walk.covered_routes) % len(ROLES)],
            req.method,
            req.url,
            value,
            endpoint=req.endpoint,
            where="probe",
            body=encode([("probe", value)]),
            content_type="application/x-www-form-urlencoded",
        )
        walk.covered_routes.add(req.url)

    assert not walk.problems, f"{len(walk.problems)} problems:\n" + "\n".join(walk.problems)
    assert {r.url for r in requests} <= walk.covered_routes
    assert len(walk.covered_fields) > 80 and walk.sent > 400, (len(walk.covered_fields), walk.sent)


# --- the API walk ------------------------------------------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def bad_bodies(
    schema: dict, components: dict, value: object, path: str = ""
) -> Iterator[tuple[str, object]]:
    """(field path, a body with ``value`` at that path) for every string field of ``schema``,
    at any depth (arrays hold one item); a date field gets the value only if it is a date."""
    schema = _resolve(schema, components)
    for option in schema.get("anyOf", []):
        if _resolve(option, components).get("type") != "null":
            yield from bad_bodies(option, components, value, path)
            return
    kind = schema.get("type")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            for where, inner in bad_bodies(
                sub, components, value, f"{path}.{name}" if path else name
            ):
                yield where, {name: inner}
    elif kind == "array":
        for where, inner in bad_bodies(schema.get("items", {}), components, value, f"{path}.0"):
            yield where, [inner]
    elif kind == "string":
        is_date = schema.get("format") in ("date", "date-time")
        if is_date == (isinstance(value, str) and bool(re.match(r"^\d{4}-", value))):
            yield path, value


def test_every_api_field_refuses_bad_input(app, world, digest):
    from web.api import openapi

    walk = Walk(app, world, digest)
    with app.test_request_context(f"/t/{world.a.tenant.slug}/api/v1/openapi.json"):
        from flask import g

        g.tenant = world.a.tenant
        document = openapi.document()
    components = document["components"]["schemas"]
    operations = {
        (method.upper(), path): op
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    values = itertools.cycle(["a\x00b", "a\x01b", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"])
    dates = itertools.cycle(DATES + DATETIMES)
    roles = itertools.cycle([r for r in ROLES if r != "anonymous"])
    base = f"/t/{world.a.tenant.slug}/api/v1"
    covered: set[str] = set()
    for req in api_requests(app, world.a, world.a):
        path = re.sub(r"\d+", "{}", req.url.removeprefix(base))
        op = next(
            op
            for (method, p), op in operations.items()
            if method == req.method and re.sub(r"{[^}]+}", "{}", p) == path
        )
        role = next(roles)
        token = world.a.tokens[role]
        for parameter in (p for p in op.get("parameters", []) if p.get("in") == "query"):
            value = next(values)
            walk_api(
                walk,
                role,
                token,
                "GET",
                f"{req.url}?{quote(parameter['name'])}="
                f"{quote(value, safe='', errors='surrogatepass')}",
                parameter["name"],
                value,
                None,
            )
        schema = (
            op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        if schema is None:
            continue
        for where, body in itertools.chain(
            bad_bodies(schema, components, next(values)),
            bad_bodies(schema, components, next(dates)),
        ):
            walk_api(walk, role, token, req.method, req.url, where, _leaf(body), body)
        # A key that breaks the rule: named with its character replaced (web.requestguard).
        walk_api(walk, role, token, req.method, req.url, "a\ufffdb", "a\x00b", {"a\x00b": "x"})
        covered.add(f"{req.method} {req.url}")
    assert not walk.problems, f"{len(walk.problems)} problems:\n" + "\n".join(walk.problems)
    assert len(covered) > 10 and walk.sent > 40, (covered, walk.sent)
    assert walk.date_statuses  # the schemas' date fields were found and walked


def _leaf(body: object) -> object:
    while isinstance(body, dict | list):
        body = next(iter(body.values())) if isinstance(body, dict) else body[0]
    return body


def walk_api(
    walk: Walk,
    role: str,
    token: str,
    method: str,
    url: str,
    where: str,
    value: object,
    body: object | None,
) -> None:
    is_date = isinstance(value, str) and bool(re.match(r"^\d{4}-", value))
    data = json.dumps(body).encode() if body is not None else None
    original = walk.client

    def with_token(role_: str, locale: str):
        client = original("anonymous", locale)
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    walk.client = with_token  # type: ignore[method-assign]
    try:
        walk.send(
            role,
            method,
            url,
            value,
            where=where,
            body=data,
            api=True,
            content_type="application/json" if data is not None else None,
            is_date=is_date,
        )
    finally:
        walk.client = original  # type: ignore[method-assign]


# --- extreme dates in the forms (last: a date a form wrongly accepts is stored) ---------------


def test_every_form_date_field_refuses_extreme_dates(app, world, digest, shown_forms):
    walk = Walk(app, world, digest)
    _requests, forms = shown_forms
    for role, form, name in form_fields(forms):
        kind = form.dates.get(name)
        for value in (DATES if kind == "date" else DATETIMES) if kind else ():
            send_form(walk, role, form, name, value, is_date=True)
    assert walk.date_statuses  # the forms' date fields were found and walked
    assert not walk.problems, f"{len(walk.problems)} problems:\n" + "\n".join(walk.problems)
