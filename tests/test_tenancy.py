"""The one scoping mechanism: queries, writes and fetch-by-id never cross tenants."""

import pytest
from sqlalchemy import select, text
from werkzeug.exceptions import NotFound

from tests.services import SQLITE
from web.extensions import db
from web.orgs.models import OrgUnit
from web.tenancy import CrossTenantWrite, TenantScopeMissing, get_or_404, tenant_scope
from web.users.models import User


@pytest.fixture
def two_tenants(make):
    a, b = make.tenant("alpha"), make.tenant("beta")
    ua = make.user(a, "Alma Alpha", unit=make.unit(a, "Team A"))
    ub = make.user(b, "Bent Beta", unit=make.unit(b, "Team B"))
    return a, b, ua, ub


def test_queries_see_only_the_scoped_tenant(two_tenants, ctx):
    a, b, ua, ub = two_tenants
    with tenant_scope(a.id):
        names = db.session.scalars(select(User.display_name)).all()
        units = db.session.scalars(select(OrgUnit.name)).all()
    assert names == ["Alma Alpha"]
    assert units == ["Team A"]
    with tenant_scope(b.id):
        assert db.session.scalars(select(User.display_name)).all() == ["Bent Beta"]


def test_joins_and_aliases_are_scoped_too(two_tenants, ctx):
    a, _, _, _ = two_tenants
    from sqlalchemy.orm import aliased

    other = aliased(User)
    with tenant_scope(a.id):
        rows = db.session.execute(
            select(User.display_name, other.display_name).join(other, other.id != User.id)
        ).all()
    assert rows == []


def test_unscoped_query_of_tenant_data_is_refused(two_tenants, ctx):
    with pytest.raises(TenantScopeMissing):
        db.session.scalars(select(User)).all()


def test_bulk_update_is_scoped(two_tenants, ctx):
    a, b, ua, ub = two_tenants
    from sqlalchemy import update

    with tenant_scope(a.id):
        db.session.execute(update(User).values(display_name="Renamed"))
        db.session.flush()
        if not SQLITE:  # the app's role, bound by row-level security
            assert db.session.execute(text("SELECT current_user")).scalar() == "aktorskab_app"
    for tenant, expected in ((a, ["Renamed"]), (b, ["Bent Beta"])):
        with tenant_scope(tenant.id):
            names = (
                db.session.execute(
                    text("SELECT display_name FROM users WHERE tenant_id = :t"), {"t": tenant.id}
                )
                .scalars()
                .all()
            )
        assert names == expected


def test_get_or_404_hides_another_tenants_row(two_tenants, ctx):
    a, b, ua, ub = two_tenants
    with tenant_scope(a.id):
        assert get_or_404(User, ua.id).id == ua.id
        db.session.expunge_all()  # the identity map must not leak it either
        with pytest.raises(NotFound):
            get_or_404(User, ub.id)
        with pytest.raises(NotFound):
            get_or_404(User, "1")


def test_new_rows_are_stamped_and_cross_tenant_writes_refused(two_tenants, ctx):
    a, b, ua, ub = two_tenants
    with tenant_scope(a.id):
        unit = OrgUnit(name="Ny", kind="team", external_id="ny")
        db.session.add(unit)
        db.session.flush()
        assert unit.tenant_id == a.id
        db.session.add(OrgUnit(name="Forkert", kind="team", external_id="x", tenant_id=b.id))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
