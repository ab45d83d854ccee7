"""Solby (tests/world.py) for the cycle tests, with the values it works by."""

from __future__ import annotations

import pytest

from tests.world import World, values_world
from web.tenancy import tenant_scope


@pytest.fixture
def world(make) -> World:
    return values_world(make)


@pytest.fixture
def scoped(world, ctx):
    """Inside a request context in the world's tenant scope, for calling services directly."""
    with tenant_scope(world.tenant.id):
        yield world
