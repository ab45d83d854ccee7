from __future__ import annotations

import pytest

from tests.dashboards.world import World, build_world


# Built once per module (module_db); each test runs in a savepoint of it. (A module whose
# tests commit builds its own per test.)
@pytest.fixture(scope="module")
def world(module_make) -> World:
    return build_world(module_make)
