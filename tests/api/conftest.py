"""Solby (tests/world.py) for the API tests, and a client that checks every response against the
app's own OpenAPI document (status documented for the operation, body valid for its schema)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.api.client import Api, ResponseChecker, new_token
from tests.world import World, build_world
from web.tenants.models import Tenant
from web.users.models import User


# Built once per module (module_db); each test runs in a savepoint of it.
@pytest.fixture(scope="module")
def world(module_make) -> World:
    return build_world(module_make)


@pytest.fixture(scope="session")
def openapi_doc(app: Flask) -> dict[str, Any]:
    """The document as served (the server URL aside, it is the same for every tenant)."""
    from web.api import openapi

    with app.test_request_context("/t/x/api/v1/openapi.json"):
        from flask import g

        g.tenant = type("T", (), {"slug": "x"})()
        return openapi.document()


@pytest.fixture
def checker(openapi_doc) -> ResponseChecker:
    return ResponseChecker(openapi_doc)


@pytest.fixture
def api(app, world, checker, db_session):
    """``api(user)``: a client signed in as ``user`` (None: nobody) in the world's tenant."""

    def for_user(user: User | None, tenant: Tenant | None = None) -> Api:
        return Api(app, tenant or world.tenant, checker, user=user)

    return for_user


@pytest.fixture
def token_api(app, world, checker, db_session):
    """``token_api(user)``: a client with a fresh bearer token of ``user``."""

    def for_user(user: User, tenant: Tenant | None = None) -> Api:
        secret = new_token(app, user)
        return Api(app, tenant or world.tenant, checker, token=secret)

    return for_user
