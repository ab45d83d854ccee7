"""Solby (tests/world.py) for the cycle tests, with the values it works by."""

from __future__ import annotations

import pytest

from tests.world import World, values_world
from web.tenancy import tenant_scope


# Built once per module (module_db); each test runs in a savepoint of it.
@pytest.fixture(scope="module")
def world(module_make) -> World:
    return values_world(module_make)


@pytest.fixture
def scoped(world, ctx):
    """Inside a request context in the world's tenant scope, for calling services directly."""
    with tenant_scope(world.tenant.id):
        yield world
