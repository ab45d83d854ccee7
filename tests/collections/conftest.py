"""A municipality with an area big enough to be named, its people, and a neighbour tenant
(built as every test world is, by tests/world.py)."""

from __future__ import annotations

import pytest

from tests.collections.town import Town
from tests.world import (
    HR,
    SOLSIKKEN,
    STAB,
    Person,
    Unit,
    build_tenant,
    picked,
    tenant_roles,
    works_in,
)
from web.orgs.models import UnitKind


@pytest.fixture
def town(make) -> Town:
    solby = build_tenant(
        make,
        "solby",
        name="Solby Kommune",
        units=(
            *SOLSIKKEN,
            Unit("small_area", "Teknik", UnitKind.AREA, parent="org"),
            Unit("small_team", "Vej og Park", parent="small_area"),
            STAB,
        ),
        people=(
            *works_in(
                "team",
                author="Hanne Jensen",
                colleague="Anne Marie Holm Hansen",
                bo="Bo Bech",
                carl="Carl Christensen",
                emil="Emil Eriksen",
            ),
            *works_in("small_team", soren="Søren Østergård"),  # Teknik's only one
            Person("leader", "Mette Sørensen", leads="team"),
            *tenant_roles(
                hr="Henrik Rask", hovedudvalg="Karen Mortensen", admin="Birgitte Holm", unit="staff"
            ),
        ),
    )
    nabo = build_tenant(
        make,
        "nabo",
        name="Nabo Kommune",
        units=[Unit("unit", "Nabo-team")],
        people=[Person("hr", "Kirsten Berg", unit="unit", roles=HR)],
    )
    return picked(Town, solby, neighbour=nabo["tenant"], neighbour_hr=nabo["hr"])


@pytest.fixture
def compiled(make, town, scope):
    """Compile the town's collection now (commits, like the task)."""
    from web.collections.compilation import compile_collection
    from web.extensions import db

    def run():
        with scope(town.tenant):
            result = compile_collection()
            db.session.commit()
        return result

    return run
