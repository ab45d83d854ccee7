"""The API tests' client: requests checked against the OpenAPI document, tokens, rows."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from flask import Flask

from web.api import tokens
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import User

API_PATH = re.compile(r"^/t/(?P<tenant>[^/]+)/api/v1(?P<path>/[^?]*)")


class ResponseChecker:
    """Every API response: its status documented for the operation, its body valid."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.routes = [
            (re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", path) + "$"), path)
            for path in doc["paths"]
        ]

    def operation(self, method: str, url: str) -> dict[str, Any] | None:
        match = API_PATH.match(url)
        if match is None:
            return None
        for pattern, path in self.routes:
            if pattern.match(match["path"]):
                return self.doc["paths"][path].get(method.lower())
        return None

    def check(self, method: str, url: str, response) -> None:
        op = self.operation(method, url)
        if op is None:
            if API_PATH.match(url) and response.is_json:
                self._validate({"$ref": "#/components/schemas/Error"}, response.get_json())
            return
        documented = op["responses"].get(str(response.status_code))
        assert documented is not None, (
            f"{method} {url} answered {response.status_code}, not documented: "
            f"{response.get_data(as_text=True)[:500]}"
        )
        content = documented.get("content", {}).get("application/json")
        if content is None:
            assert not response.get_data(), f"{method} {url}: body where none is documented"
            return
        assert response.mimetype == "application/json"
        self._validate(content["schema"], response.get_json())

    def _validate(self, schema: dict[str, Any], body: Any) -> None:
        jsonschema.Draft202012Validator({**schema, "components": self.doc["components"]}).validate(
            body
        )


class Api:
    """A test client for one caller (a session user, a bearer token, or nobody)."""

    def __init__(
        self,
        app: Flask,
        tenant: Tenant,
        checker: ResponseChecker,
        user: User | None = None,
        token: str | None = None,
    ):
        self.client = app.test_client()
        self.prefix = f"/t/{tenant.slug}/api/v1"
        self.checker = checker
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        if user is not None:
            from web.auth.session import session_payload

            with self.client.session_transaction() as session:
                session.update(session_payload(user))

    def request(self, method: str, path: str, **kw):
        url = path if path.startswith("/t/") else self.prefix + path
        headers = {**self.headers, **kw.pop("headers", {})}
        response = self.client.open(url, method=method, headers=headers, **kw)
        self.checker.check(method, url, response)
        return response

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)


def new_token(app: Flask, user: User, name: str = "Test", days: int = 30) -> str:
    with app.test_request_context("/"), tenant_scope(user.tenant_id):
        created = tokens.create_token(user, name, days)
        db.session.commit()
        return created.secret


def error_of(response) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def count(app: Flask, tenant: Tenant, model, *where) -> int:
    """How many rows of ``model`` the tenant has (to show that nothing was saved)."""
    from sqlalchemy import func, select

    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(func.count(model.id)).where(*where))


def load(app: Flask, tenant: Tenant, model, ident: int):
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.get(model, ident)
