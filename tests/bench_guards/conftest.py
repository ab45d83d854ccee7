"""The guards that keep the benchmarked pages fast: statements per request that do not grow
with the data, and the HR overview's cache. They reuse the overview pages' small municipality."""

from __future__ import annotations

import pytest

from tests.dashboards.world import World, build_world


@pytest.fixture
def world(make) -> World:
    return build_world(make)
