"""Each process keeps the tenant of a URL for TENANT_CACHE_SECONDS instead of reading it on every
request; its own changes to a tenant show at once. Off in tests unless a test turns it on."""

from __future__ import annotations

import pytest

from tests.querycount import queries_for
from web import tenancy
from web.extensions import db
from web.tenants.models import Tenant


@pytest.fixture
def copies(app):
    app.config["TENANT_CACHE_SECONDS"] = 5
    tenancy._tenant_copies.clear()
    yield
    app.config["TENANT_CACHE_SECONDS"] = 0  # off again, as in every test
    tenancy._tenant_copies.clear()


def tenant_reads(log) -> list[str]:
    return [s for s in log.statements if "FROM tenants" in s]


def test_the_second_request_does_not_read_the_tenant(make, client, login, copies):
    tenant = make.tenant("solby", name="Solby Kommune")
    login(make.user(tenant, "Alma", unit=make.unit(tenant, "Hjemmeplejen")))
    first, first_log = queries_for(client, "get", "/t/solby/")
    second, second_log = queries_for(client, "get", "/t/solby/")
    assert first.status_code == second.status_code == 200
    assert "Solby Kommune" in second.get_data(as_text=True)
    assert len(tenant_reads(first_log)) == 1
    assert tenant_reads(second_log) == [], str(second_log)


def test_a_change_to_the_tenant_shows_at_once(app, make, client, login, copies):
    tenant = make.tenant("solby", name="Solby Kommune")
    login(make.user(tenant, "Alma", unit=make.unit(tenant, "Hjemmeplejen")))
    assert "Solby Kommune" in client.get("/t/solby/").get_data(as_text=True)
    with app.app_context():
        db.session.get(Tenant, tenant.id).name = "Solby Storkommune"
        db.session.commit()
    assert "Solby Storkommune" in client.get("/t/solby/").get_data(as_text=True)


def test_unknown_and_other_tenants_are_still_looked_up(make, client, copies):
    make.tenant("solby", name="Solby Kommune")
    make.tenant("nabo", name="Naboby Kommune")
    assert client.get("/t/solby/").status_code == 200
    assert client.get("/t/ingen/").status_code == 404
    page = client.get("/t/nabo/").get_data(as_text=True)
    assert "Naboby Kommune" in page and "Solby Kommune" not in page
