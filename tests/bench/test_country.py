"""The country's size spread (``bench/country.py``, issue 20 point 1), as the issue asks it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import country


def test_the_country_has_98_municipalities_of_a_realistic_spread():
    sizes = country.country_sizes()
    assert len(sizes) == 98 == len(country.tenants())
    assert sizes == sorted(sizes, reverse=True)
    assert 44_000 <= sizes[0] <= 46_000  # the largest about 45,000
    assert sum(1 for n in sizes if 5_000 <= n <= 25_000) >= 5  # several of 5,000-25,000
    assert sum(1 for n in sizes if 1_000 <= n <= 5_000) >= 50  # many of 1,000-5,000
    assert 200 <= sizes[-1] < 1_000  # the smallest a few hundred
    assert 480_000 <= sum(sizes) <= 520_000  # about 500,000 in all


def test_every_municipality_fits_the_generator():
    """Four levels of units, and room for the contributions, at every size."""
    from bench.generator.builder import tree_shape

    for scale in country.tenants().values():
        sizes = country.sizes(scale)
        areas, departments, teams = tree_shape(sizes.units)
        assert teams >= departments >= areas >= 2
        assert sizes.employees == round(scale * 50_000)


def test_the_country_at_a_twentieth_keeps_its_spread_and_fits_the_generator():
    """``--scale 0.05`` (the national harness on a shared machine): the same 98, the largest
    still the largest, none under the four-level tree's minimum."""
    from bench.generator.builder import tree_shape

    shares = list(country.tenants(0.05).values())
    people = [round(share * 50_000) for share in shares]
    assert len(people) == 98 and people == sorted(people, reverse=True)
    assert people[0] == 2_250 and min(people) == country.SMALLEST
    assert 25_000 <= sum(people) <= 30_000
    for share in shares:
        areas, departments, teams = tree_shape(country.sizes(share).units)
        assert teams >= departments >= areas >= 2
