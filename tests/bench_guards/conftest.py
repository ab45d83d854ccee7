"""The guards that keep the benchmarked pages fast: statements per request that do not grow
with the data, and the HR overview's cache. They reuse the overview pages' small municipality."""

from __future__ import annotations

import pytest

from tests.dashboards.world import World, build_world


@pytest.fixture(scope="module")  # built once (module_db); each test in a savepoint
def world(module_make) -> World:
    return build_world(module_make)
