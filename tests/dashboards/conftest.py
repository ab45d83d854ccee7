from __future__ import annotations

import pytest

from tests.dashboards.world import World, build_world


@pytest.fixture
def world(make) -> World:
    return build_world(make)
