"""The demo logs in through the dev identity provider exactly as `make run` starts it."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.auth.flows import Flow
from tests.auth.providers import MockProvider
from tests.services import ROOT, Process, child_env, free_port, serving
from web.auth.services import current_settings, update_settings
from web.demo.municipality import load_demo
from web.demo.sso import DEV_PROVIDER_URL, configure_demo_sso, demo_settings
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.models import Tenant

DEMO_ROLES = [
    # (role, subject, the page that proves the role)
    ("employee", "anna.ansat", None),
    ("leader", "lars.leder", None),
    ("hr", "hanne.hr", None),
    ("hovedudvalg", "karen.hu", None),
    ("admin", "birgitte.admin", "/t/demo/admin/"),
]


@pytest.fixture(scope="module")
def dev_provider(tmp_path_factory) -> Iterator[MockProvider]:
    """`python -m web.demo.dev_provider`, the Procfile's idp process, on a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("idp") / "idp.log"
    process = Process(
        [sys.executable, "-m", "web.demo.dev_provider", "--port", str(port)], child_env(), log
    )
    url = f"http://127.0.0.1:{port}"
    with serving(process, f"{url}/.well-known/openid-configuration", "the dev identity provider"):
        yield MockProvider(url)


@pytest.fixture
def demo(app, db_session, dev_provider) -> Tenant:
    with app.app_context():
        load_demo()
        db.session.commit()
        tenant = db.session.scalar(db.select(Tenant).filter_by(slug="demo"))
        with tenant_scope(tenant.id):
            assert current_settings().issuer == DEV_PROVIDER_URL
            # Same settings, but at the port this test's provider listens on; checked live.
            update_settings(demo_settings(dev_provider.issuer))
            db.session.commit()
    return tenant


def test_procfile_starts_the_dev_provider_where_the_demo_expects_it():
    procfile = (ROOT / "Procfile").read_text()
    line = re.search(r"^idp:\s*(.+)$", procfile, re.MULTILINE)
    assert line, "Procfile has no idp process"
    assert "web.demo.dev_provider" in line.group(1)
    assert "--port ${IDP_PORT:-9400}" in line.group(1) and DEV_PROVIDER_URL.endswith(":9400")


def test_the_demo_follows_the_providers_port(monkeypatch):
    from web.demo.sso import dev_provider_url

    monkeypatch.delenv("IDP_PORT", raising=False)
    assert dev_provider_url() == DEV_PROVIDER_URL
    monkeypatch.setenv("IDP_PORT", "19400")
    assert dev_provider_url() == "http://127.0.0.1:19400"


@pytest.mark.parametrize(("role", "subject", "page"), DEMO_ROLES)
def test_each_demo_role_logs_in_and_lands_home(
    app, client, demo, dev_provider, role, subject, page
):
    flow = Flow(client, demo)
    login_page = requests.get(flow.start(), timeout=5).text
    assert f'value="{subject}"' in login_page  # one button per demo person
    reply = flow.callback(dev_provider.authorize(flow.start(), subject))
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/t/demo/"
    home = client.get("/t/demo/").get_data(as_text=True)
    name = {
        "anna.ansat": "Anna Larsen",
        "lars.leder": "Lars Nielsen",
        "hanne.hr": "Hanne Jensen",
        "karen.hu": "Karen Mortensen",
        "birgitte.admin": "Birgitte Holm",
    }[subject]
    assert name in home

    from sqlalchemy import select

    from web.orgs.models import Membership, MembershipRole
    from web.users.models import TenantRoleName, User

    with app.app_context(), tenant_scope(demo.id):
        user = db.session.scalar(select(User).filter_by(subject=subject))
        roles = {r.role for r in user.roles}
        unit_roles = set(db.session.scalars(select(Membership.role).filter_by(user_id=user.id)))
    if role == "leader":
        assert MembershipRole.LEADER in unit_roles
    elif role == "employee":
        assert unit_roles == {MembershipRole.EMPLOYEE} and not roles
    else:
        assert TenantRoleName(role) in roles
    if page:
        assert client.get(page).status_code == 200


def test_demo_person_without_a_known_unit_lands_on_the_no_unit_page(client, demo, dev_provider):
    flow = Flow(client, demo)
    reply = flow.callback(dev_provider.authorize(flow.start(), "nina.ny"))
    assert reply.headers["Location"] == "/t/demo/auth/no-unit"
    assert "Nina Nygaard" in client.get("/t/demo/auth/no-unit").get_data(as_text=True)
    client.post("/t/demo/auth/logout")
    Flow(client, demo).callback(
        dev_provider.authorize(Flow(client, demo).start(), "birgitte.admin")
    )
    page = client.get("/t/demo/admin/users/unplaced").get_data(as_text=True)
    assert re.search(r"<td[^>]*>Nina Nygaard</td>", page)


def test_demo_sso_is_idempotent_and_leaves_an_operators_choice(app, db_session):
    with app.app_context():
        load_demo()
        tenant = db.session.scalar(db.select(Tenant).filter_by(slug="demo"))
        with tenant_scope(tenant.id):
            version = current_settings().version
            assert configure_demo_sso() is False
            assert current_settings().version == version
            update_settings(
                demo_settings("https://keycloak.example/realms/demo"), check_provider=False
            )
            assert configure_demo_sso() is False
            assert current_settings().issuer == "https://keycloak.example/realms/demo"
        db.session.rollback()


def test_readme_documents_the_demo_logins():
    readme = (Path(ROOT) / "README.md").read_text()
    for _, subject, _ in DEMO_ROLES:
        assert f"`{subject}`" in readme
    assert "`nina.ny`" in readme
