"""Solby (tests/world.py) for the cycle tests, with the values it works by."""

from __future__ import annotations

import pytest

from tests.world import World, build_world
from web.tenancy import tenant_scope


@pytest.fixture
def world(make) -> World:
    return build_world(make, settings={"values": ["Tillid", "Udvikling", "Fællesskab",
                                                  "Ordentlighed"]})


@pytest.fixture
def scoped(world, ctx):
    """Inside a request context in the world's tenant scope, for calling services directly."""
    with tenant_scope(world.tenant.id):
        yield world
