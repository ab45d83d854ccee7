"""Logging in through a real provider (oidc-provider-mock on loopback): the happy paths."""

from __future__ import annotations

from sqlalchemy import select

from tests.auth.flows import CLIENT_ID, Flow, audit_entries, configure
from tests.auth.providers import query
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.tenancy import tenant_scope
from web.users.models import RoleSource, TenantRole, TenantRoleName, User


def user_by_subject(app, tenant, subject) -> User | None:
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(User).filter_by(subject=subject))


def memberships_of(app, tenant, user) -> set[tuple[str, str, str]]:
    with app.app_context(), tenant_scope(tenant.id):
        rows = db.session.execute(
            select(OrgUnit.external_id, Membership.role, Membership.source)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
            .where(Membership.user_id == user.id)
        ).all()
    return {(ext, role.value, source.value) for ext, role, source in rows}


def roles_of(app, tenant, user) -> set[tuple[str, str]]:
    with app.app_context(), tenant_scope(tenant.id):
        rows = db.session.execute(
            select(TenantRole.role, TenantRole.source).where(TenantRole.user_id == user.id)
        ).all()
    return {(role.value, source.value) for role, source in rows}


def test_authorization_request_uses_pkce_state_and_nonce(flow: Flow, mock_provider):
    url = flow.start()
    assert url.startswith(f"{mock_provider.url}/oauth2/authorize?")
    params = query(url)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert set(params["scope"].split()) == {"openid", "profile", "email"}
    assert params["redirect_uri"] == "http://localhost/t/solby/auth/callback"


def test_first_login_creates_the_user_from_claims_and_lands_home(app, flow, mock_provider):
    mock_provider.set_user(
        "ulla.first",
        name="Ulla Første",
        email="ulla@solby.dk",
        unit="team-sol",
        groups=["grp-leder", "grp-hr", "other"],
    )
    reply = flow.login(mock_provider, "ulla.first")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/t/solby/"

    user = user_by_subject(app, flow.tenant, "ulla.first")
    assert (user.display_name, user.email) == ("Ulla Første", "ulla@solby.dk")
    assert user.last_login_at is not None
    assert flow.signed_in_user_id() == user.id
    assert memberships_of(app, flow.tenant, user) == {("team-sol", "leader", "sso")}
    assert roles_of(app, flow.tenant, user) == {("hr", "sso")}

    home = flow.client.get("/t/solby/")
    assert "Ulla Første" in home.get_data(as_text=True)
    events = [e.event for e in audit_entries(app, flow.tenant)]
    assert events[-2:] == ["auth.user_created", "auth.login"]


def test_every_login_refreshes_claims_but_keeps_what_the_app_granted(
    app, make, flow, mock_provider
):
    mock_provider.set_user(
        "bo.again", name="Bo", email="bo@solby.dk", unit="team-sol", groups=["grp-hu", "grp-leder"]
    )
    flow.login(mock_provider, "bo.again")
    user = user_by_subject(app, flow.tenant, "bo.again")
    with make.scope(flow.tenant):
        maane = db.session.scalar(select(OrgUnit).filter_by(external_id="team-maane"))
        db.session.add(
            Membership(
                user_id=user.id,
                unit_id=maane.id,
                role=MembershipRole.EMPLOYEE,
                source=RoleSource.APP,
            )
        )
        db.session.add(
            TenantRole(user_id=user.id, role=TenantRoleName.ADMIN, source=RoleSource.APP)
        )

    mock_provider.set_user(
        "bo.again",
        name="Bo Bagger",
        email="bo.bagger@solby.dk",
        unit="team-maane",
        groups=["grp-hr"],
    )
    flow.client.post("/t/solby/auth/logout")
    flow.login(mock_provider, "bo.again")

    user = user_by_subject(app, flow.tenant, "bo.again")
    assert (user.display_name, user.email) == ("Bo Bagger", "bo.bagger@solby.dk")
    assert memberships_of(app, flow.tenant, user) == {("team-maane", "employee", "app")}
    assert roles_of(app, flow.tenant, user) == {("admin", "app"), ("hr", "sso")}


def test_next_page_is_kept_but_only_within_the_tenant(flow, mock_provider):
    mock_provider.set_user("nora.next", name="Nora", unit="team-sol")
    reply = flow.callback(
        mock_provider.authorize(flow.start("/t/solby/somewhere?x=1"), "nora.next")
    )
    assert reply.headers["Location"] == "/t/solby/somewhere?x=1"
    flow.client.post("/t/solby/auth/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/t/other/", "/t/solby\\x"):
        reply = flow.callback(mock_provider.authorize(flow.start(evil), "nora.next"))
        assert reply.headers["Location"] == "/t/solby/", evil
        flow.client.post("/t/solby/auth/logout")


def test_user_with_no_known_unit_gets_in_and_is_told_so(app, flow, mock_provider):
    mock_provider.set_user("vera.vikar", name="Vera Vikar", unit="ukendt-enhed")
    reply = flow.login(mock_provider, "vera.vikar")
    assert reply.headers["Location"] == "/t/solby/auth/no-unit"
    page = flow.client.get("/t/solby/auth/no-unit").get_data(as_text=True)
    assert "Vi kender ikke din enhed endnu" in page
    assert "Velkommen, Vera Vikar" in page
    login = audit_entries(app, flow.tenant, "auth.login")[-1]
    assert login.details["unknown_units"] == ["ukendt-enhed"]


def test_the_same_subject_in_two_tenants_is_two_users(
    app, make, client, mock_provider, other_mock_provider, sso_tenant
):
    other = make.tenant("nabo", name="Naboby Kommune")
    configure(make, other, other_mock_provider.issuer)
    for provider in (mock_provider, other_mock_provider):
        provider.set_user("sam.same", name="Sam", unit="team-sol")
    Flow(client, sso_tenant).login(mock_provider, "sam.same")
    Flow(client, other).login(other_mock_provider, "sam.same")
    first = user_by_subject(app, sso_tenant, "sam.same")
    second = user_by_subject(app, other, "sam.same")
    assert first.id != second.id
    # The cookie now belongs to the second tenant: the first does not see a user.
    assert "Sam" not in client.get("/t/solby/").get_data(as_text=True)


def test_settings_change_rebuilds_the_cached_client(make, flow, mock_provider):
    assert query(flow.start())["client_id"] == CLIENT_ID
    configure(
        make, flow.tenant, mock_provider.issuer, client_id="renamed-client", scopes="openid email"
    )
    params = query(flow.start())
    assert params["client_id"] == "renamed-client"
    assert params["scope"] == "openid email"


def test_login_when_already_signed_in_goes_straight_on(flow, mock_provider):
    mock_provider.set_user("ivan.in", name="Ivan", unit="team-sol")
    flow.login(mock_provider, "ivan.in")
    reply = flow.client.get("/t/solby/auth/login")
    assert reply.headers["Location"] == "/t/solby/"


def test_pages_offer_login_and_logout(make, login, client, sso_tenant):
    home = client.get("/t/solby/").get_data(as_text=True)
    assert 'href="/t/solby/auth/login"' in home
    denied = client.get("/t/solby/admin/")
    assert denied.status_code == 401
    assert 'href="/t/solby/auth/login?next=/t/solby/admin/"' in denied.get_data(as_text=True)
    login(make.user(sso_tenant, "Lotte Logget"))
    page = client.get("/t/solby/auth/logged-out").get_data(as_text=True)
    assert 'action="/t/solby/auth/logout"' in page


def test_units_by_path_and_roles_from_a_nested_claim(app, make, client, mock_provider):
    from web.auth.models import UnitClaimKind

    tenant = make.tenant("stiby")
    area = make.unit(tenant, "Børn og Unge", kind="area")
    make.unit(tenant, "Solsikken", parent=area)
    configure(
        make,
        tenant,
        mock_provider.issuer,
        unit_claim="org.path",
        unit_claim_kind=UnitClaimKind.PATH,
        roles_claim="realm_access.roles",
    )
    mock_provider.set_user(
        "petra.path",
        name="Petra",
        org={"path": "Børn og Unge/Solsikken"},
        realm_access={"roles": ["grp-leder", "grp-admin"]},
    )
    Flow(client, tenant).login(mock_provider, "petra.path")
    user = user_by_subject(app, tenant, "petra.path")
    assert {m[1:] for m in memberships_of(app, tenant, user)} == {("leader", "sso")}
    with app.app_context(), tenant_scope(tenant.id):
        unit_names = set(
            db.session.scalars(
                select(OrgUnit.name)
                .join(Membership, Membership.unit_id == OrgUnit.id)
                .where(Membership.user_id == user.id)
            )
        )
    assert unit_names == {"Solsikken"}
    assert roles_of(app, tenant, user) == {("admin", "sso")}


def test_cli_configures_and_shows_without_the_secret(
    app, db_session, make, mock_provider, monkeypatch
):
    make.tenant("kliby")
    monkeypatch.setenv("KLIBY_SECRET", "cli-secret-value")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "sso",
            "configure",
            "kliby",
            "--issuer",
            mock_provider.issuer,
            "--client-id",
            "kli",
            "--client-secret-env",
            "KLIBY_SECRET",
            "--unit-claim",
            "unit",
            "--leader-values",
            "grp-leder,grp-chef",
        ]
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(args=["sso", "show", "kliby"]).output
    assert "client_id: kli" in shown and "(stored)" in shown
    assert "cli-secret-value" not in shown + result.output
    assert "'leader': ['grp-leder', 'grp-chef']" in shown
    bad = runner.invoke(
        args=["sso", "configure", "kliby", "--issuer", "http://127.0.0.1:9", "--client-id", "kli"]
    )
    assert bad.exit_code != 0 and "issuer:" in bad.output


def test_a_path_claim_matching_two_sibling_teams_places_nobody(
    app, make, client, login, mock_provider
):
    """ "Dagtilbud Syd/Team 2" names two teams: the person lands on the "not placed" page and
    the admin's list shows both candidates; nothing is guessed."""
    from web.auth.models import UnitClaimKind

    tenant = make.tenant("tvedby")
    area = make.unit(tenant, "Dagtilbud Syd", kind="department")
    first = make.unit(tenant, "Team 2", parent=area)
    second = make.unit(tenant, "Team 2", parent=area)
    configure(
        make,
        tenant,
        mock_provider.issuer,
        unit_claim="org.path",
        unit_claim_kind=UnitClaimKind.PATH,
    )
    mock_provider.set_user("tvilling", name="Tove Tvilling", org={"path": "Dagtilbud Syd/Team 2"})
    flow = Flow(client, tenant)
    reply = flow.login(mock_provider, "tvilling")
    assert reply.headers["Location"] == "/t/tvedby/auth/no-unit"
    page = client.get("/t/tvedby/auth/no-unit").get_data(as_text=True)
    assert "findes flere gange med samme navn" in page
    user = user_by_subject(app, tenant, "tvilling")
    assert memberships_of(app, tenant, user) == set()
    client.post("/t/tvedby/auth/logout")

    login(make.user(tenant, "Ada Admin", unit=first, roles=(TenantRoleName.ADMIN,)))
    listing = client.get("/t/tvedby/admin/users/unplaced").get_data(as_text=True)
    assert "Tove Tvilling" in listing
    assert "passer på flere enheder" in listing
    for unit in (first, second):
        assert f"Dagtilbud Syd/Team 2 ({unit.external_id})" in listing
