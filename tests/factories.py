"""Small factories: each commits (a savepoint, in the test's transaction) and returns the row."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from web.extensions import db
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
        n = next(_seq)
        with self.app.app_context():
            tenant = Tenant(slug=slug or f"kommune-{n}", name=kw.pop("name", f"Kommune {n}"),
                            default_locale=kw.pop("default_locale", "da"),
                            settings=kw.pop("settings", {}), **kw)
            db.session.add(tenant)
            db.session.commit()
        return tenant

    def unit(self, tenant: Tenant, name: str | None = None, kind: UnitKind = UnitKind.TEAM,
             parent: OrgUnit | None = None) -> OrgUnit:
        n = next(_seq)
        with self.scope(tenant):
            unit = OrgUnit(name=name or f"Enhed {n}", kind=kind, external_id=f"u{n}",
                           parent=parent)
            db.session.add(unit)
            db.session.flush()
        return unit

    def user(self, tenant: Tenant, name: str | None = None, *, unit: OrgUnit | None = None,
             leader_of: OrgUnit | None = None, roles: tuple[TenantRoleName, ...] = (),
             locale: str | None = None) -> User:
        n = next(_seq)
        with self.scope(tenant):
            user = User(subject=f"sub-{n}", email=f"person{n}@example.org",
                        display_name=name or f"Person {n}", locale=locale)
            db.session.add(user)
            db.session.flush()
            if unit is not None:
                db.session.add(Membership(user_id=user.id, unit_id=unit.id,
                                          role=MembershipRole.EMPLOYEE))
            if leader_of is not None:
                db.session.add(Membership(user_id=user.id, unit_id=leader_of.id,
                                          role=MembershipRole.LEADER))
            for role in roles:
                user.roles.append(TenantRole(role=role, source=RoleSource.APP))
            db.session.flush()
        return user
