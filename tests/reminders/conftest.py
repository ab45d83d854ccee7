"""A small team with a cycle, at a fixed moment: Monday 7 December 2026, 10:00 in Copenhagen."""

from __future__ import annotations

import pytest

from tests.reminders.teams import Team, make_team


@pytest.fixture
def team(make) -> Team:
    return make_team(make)
