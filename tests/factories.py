"""Small factories: each commits (a savepoint, in the test's transaction) and returns the row."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from flask import Flask

from web.extensions import db
from web.models import today as local_today
from web.models import utcnow
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import RoleSource, TenantRole, TenantRoleName, User

_seq = itertools.count(1)


class Factory:
    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def scope(self, tenant: Tenant) -> Iterator[None]:
        """An app context in ``tenant``'s scope that commits on the way out."""
        with self.app.app_context(), tenant_scope(tenant.id):
            yield
            db.session.commit()

    def tenant(self, slug: str | None = None, **kw) -> Tenant:
        """A tenant as the product creates one (with the memo's guide as its template)."""
        from web.tenants.services import create_tenant

        n = next(_seq)
        with self.app.app_context():
            tenant = create_tenant(
                slug or f"kommune-{n}",
                kw.pop("name", f"Kommune {n}"),
                kw.pop("default_locale", "da"),
                kw.pop("settings", {}),
            )
            for column, value in kw.items():
                setattr(tenant, column, value)
            db.session.commit()
        return tenant

    def unit(
        self,
        tenant: Tenant,
        name: str | None = None,
        kind: UnitKind = UnitKind.TEAM,
        parent: OrgUnit | None = None,
    ) -> OrgUnit:
        n = next(_seq)
        with self.scope(tenant):
            unit = OrgUnit(name=name or f"Enhed {n}", kind=kind, external_id=f"u{n}", parent=parent)
            db.session.add(unit)
            db.session.flush()
        return unit

    def user(
        self,
        tenant: Tenant,
        name: str | None = None,
        *,
        unit: OrgUnit | None = None,
        leader_of: OrgUnit | None = None,
        roles: tuple[TenantRoleName, ...] = (),
        locale: str | None = None,
    ) -> User:
        n = next(_seq)
        with self.scope(tenant):
            user = User(
                subject=f"sub-{n}",
                email=f"person{n}@example.org",
                display_name=name or f"Person {n}",
                locale=locale,
            )
            db.session.add(user)
            db.session.flush()
            if unit is not None:
                db.session.add(
                    Membership(user_id=user.id, unit_id=unit.id, role=MembershipRole.EMPLOYEE)
                )
            if leader_of is not None:
                db.session.add(
                    Membership(user_id=user.id, unit_id=leader_of.id, role=MembershipRole.LEADER)
                )
            for role in roles:
                user.roles.append(TenantRole(role=role, source=RoleSource.APP))
            db.session.flush()
        return user

    # --- cycles, actions, examples (issue 4) -------------------------------------------------

    def campaign(self, tenant: Tenant, name: str | None = None, **kw):
        from datetime import timedelta

        from web.cycles.models import Campaign

        today = local_today()
        with self.scope(tenant):
            campaign = Campaign(
                name=name or f"Kampagne {next(_seq)}",
                preparation_starts_on=kw.pop("preparation_starts_on", today),
                preparation_ends_on=kw.pop("preparation_ends_on", today + timedelta(days=14)),
                **kw,
            )
            db.session.add(campaign)
            db.session.flush()
        return campaign

    def cycle(
        self,
        tenant: Tenant,
        unit: OrgUnit,
        *,
        leader: User | None = None,
        phase=None,
        include_subunits: bool = False,
        campaign=None,
        **kw,
    ):
        """A cycle straight in the database (the cycle services are tested on their own)."""
        from datetime import timedelta

        from web.cycles.models import Cycle, Phase

        today = local_today()
        with self.scope(tenant):
            cycle = Cycle(
                unit_id=unit.id,
                leader_id=leader.id if leader else None,
                campaign_id=campaign.id if campaign else None,
                include_subunits=include_subunits,
                phase=phase or Phase.PREPARATION,
                preparation_starts_on=kw.pop("preparation_starts_on", today),
                preparation_ends_on=kw.pop("preparation_ends_on", today + timedelta(days=14)),
                follow_up_on=kw.pop("follow_up_on", today + timedelta(days=90)),
                **kw,
            )
            db.session.add(cycle)
            db.session.flush()
        return cycle

    def participation(self, tenant: Tenant, cycle, user: User):
        from web.cycles.models import Participation

        with self.scope(tenant):
            row = Participation(cycle_id=cycle.id, user_id=user.id)
            db.session.add(row)
            db.session.flush()
        return row

    def action(
        self, tenant: Tenant, cycle, owner: User | None = None, text: str | None = None, **kw
    ):
        from datetime import timedelta

        from web.cycles.models import Action

        with self.scope(tenant):
            action = Action(
                cycle_id=cycle.id,
                owner_id=owner.id if owner else None,
                text=text or f"Handling {next(_seq)}",
                due_on=kw.pop("due_on", local_today() + timedelta(days=30)),
                **kw,
            )
            db.session.add(action)
            db.session.flush()
        return action

    def example(
        self, tenant: Tenant, unit: OrgUnit, author: User | None = None, *, expectations=(), **kw
    ):
        from web.examples.models import Example, ExampleExpectation, ExampleKind

        if kw.pop("is_offered", False):  # offered: the consent's moment (derived)
            kw.setdefault("offered_at", utcnow())
        with self.scope(tenant):
            example = Example(
                unit_id=unit.id,
                author_id=author.id if author else None,
                kind=kw.pop("kind", ExampleKind.GOOD),
                title=kw.pop("title", f"Eksempel {next(_seq)}"),
                text=kw.pop("text", "Vi prøvede noget nyt."),
                **kw,
            )
            example.expectation_tags = [ExampleExpectation(expectation=e) for e in expectations]
            db.session.add(example)
            db.session.flush()
        return example

    def template(self, tenant: Tenant):
        """The tenant's default template: the memo's dialogue guide, seeded when missing."""
        from web.cycles.services.templates import ensure_default_template

        with self.scope(tenant):
            return ensure_default_template()

    def started_cycle(
        self,
        tenant: Tenant,
        unit: OrgUnit,
        leader: User,
        *,
        phase=None,
        template=None,
        include_subunits: bool = False,
        starts_on: date | None = None,
        **dates,
    ):
        """A cycle started by ``leader`` through the services (with the template's prompts),
        then moved forward phase by phase to ``phase``."""
        from web.cycles.models import PHASE_ORDER, Phase
        from web.cycles.services import cycles as cycle_service
        from web.cycles.services.common import CycleDates
        from web.cycles.services.templates import ensure_default_template

        starts_on = starts_on or date(2027, 3, 1)
        with self.scope(tenant):
            tpl = template or ensure_default_template()
            cycle = cycle_service.start_cycle(
                leader,
                unit,
                tpl,
                CycleDates(
                    dates.pop("preparation_starts_on", starts_on),
                    dates.pop("preparation_ends_on", starts_on + timedelta(days=14)),
                    **dates,
                ),
                include_subunits=include_subunits,
            )
            for step in PHASE_ORDER[1 : PHASE_ORDER.index(phase or Phase.PREPARATION) + 1]:
                cycle_service.move_phase(leader, cycle, step)
        return cycle
