"""The GDPR tests' team and its answers of every visibility (the fixture: conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from web.cycles.models import Contribution, Cycle, CyclePrompt, PromptKind, Visibility
from web.extensions import db
from web.orgs.models import OrgUnit
from web.tenants.models import Tenant
from web.users.models import User


@dataclass
class Team:
    tenant: Tenant
    unit: OrgUnit
    leader: User
    anna: User
    bo: User
    admin: User
    old: Cycle  # closed four years ago
    recent: Cycle  # closed last month
    neighbour: Tenant
    neighbour_user: User


def answers(make, tenant, cycle: Cycle, author: User, tag: str) -> dict[Visibility, int]:
    ids = {}
    with make.scope(tenant):
        for position, visibility in enumerate(Visibility):
            prompt = CyclePrompt(
                cycle_id=cycle.id,
                position=position,
                kind=PromptKind.SENTENCE,
                text_da=f"Spørgsmål {position}",
            )
            db.session.add(prompt)
            db.session.flush()
            row = Contribution(
                cycle_id=cycle.id,
                prompt_id=prompt.id,
                author_id=author.id,
                visibility=visibility,
                text=f"{tag} {visibility.value}",
            )
            db.session.add(row)
            db.session.flush()
            ids[visibility] = row.id
    return ids
