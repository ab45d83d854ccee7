"""The report tests' town (tests/reports/town.py), built per test."""

from __future__ import annotations

import pytest

from tests.reports.town import Town, town_with_neighbour


@pytest.fixture
def town(make) -> Town:
    return town_with_neighbour(make)
