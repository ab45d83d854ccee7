"""The collection tests' town, its texts and offered examples (the fixtures: conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from web.examples.models import ExampleKind
from web.orgs.models import OrgUnit
from web.tenants.models import Tenant
from web.users.models import User

TEXT = (
    "Hanne Jensen tog ordet, og Hanne Jensens idé blev til en plan. Ring på 12 34 56 78 "
    "eller skriv til hanne@solby.dk. CPR 010203-1234 hører ikke hjemme her. "
    "Kirsten Berg fra nabokommunen var med."
)


@dataclass
class Town:
    tenant: Tenant
    area: OrgUnit
    department: OrgUnit
    team: OrgUnit
    small_area: OrgUnit  # fewer than k people: never named
    small_team: OrgUnit
    author: User  # Hanne Jensen
    colleague: User
    leader: User
    hr: User
    hovedudvalg: User
    admin: User
    neighbour: Tenant
    neighbour_hr: User  # Kirsten Berg, HR in the other tenant


def offered(make, town: Town, **kw):
    from datetime import UTC, datetime

    kw.setdefault("text", TEXT)
    kw.setdefault("title", "Hanne Jensens morgenmøde")
    kw.setdefault("kind", ExampleKind.GOOD)
    return make.example(
        town.tenant,
        kw.pop("unit", town.team),
        kw.pop("author", town.author),
        is_offered=True,
        offered_at=datetime.now(UTC),
        **kw,
    )


# HR's decision on TEXT's one possible finding (a name outside the directory), so it can be
# approved (issue 13: approval waits until every possible finding is decided).
KEEP = {("text", "Kirsten Berg"): "keep"}
