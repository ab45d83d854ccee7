"""Importing an org tree and its people from CSV: all or nothing, errors name the line."""

from sqlalchemy import func, select, text

from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import RoleSource, TenantRole, TenantRoleName, User

UNITS = """external_id,name,kind,parent_external_id
k,Kommunen,organisation,
a,Område A,area,k
t1,Team Et,team,a
"""
PEOPLE = """subject,email,display_name,locale,unit_external_id,unit_role,tenant_roles
s1,leder@x.dk,Lea Leder,da,t1,leader,
s2,ansat@x.dk,Alf Ansat,en,t1,employee,hr;hovedudvalg
s3,,Uden Enhed,,,,
"""


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def run_import(app, tmp_path, tenant, units=UNITS, people=PEOPLE):
    args = ["orgs", "import", tenant.slug, "--units", write(tmp_path, "u.csv", units)]
    if people is not None:
        args += ["--people", write(tmp_path, "p.csv", people)]
    return app.test_cli_runner().invoke(args=args)


def count(app, tenant, model):
    with app.app_context(), tenant_scope(tenant.id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_import_creates_tree_people_memberships_and_roles(app, make, tmp_path):
    tenant = make.tenant()
    result = run_import(app, tmp_path, tenant)
    assert result.exit_code == 0, result.output
    assert "Imported 3 units, 3 people, 2 memberships" in result.output
    with app.app_context(), tenant_scope(tenant.id):
        team = db.session.scalar(select(OrgUnit).filter_by(external_id="t1"))
        assert team.parent.external_id == "a" and team.parent.parent.name == "Kommunen"
        alf = db.session.scalar(select(User).filter_by(subject="s2"))
        assert alf.locale == "en"
        assert {r.role for r in alf.roles} == {TenantRoleName.HR, TenantRoleName.HOVEDUDVALG}
        lea = db.session.scalar(select(Membership).join(User).filter(User.subject == "s1"))
        assert lea.role == MembershipRole.LEADER and lea.unit_id == team.id


def test_malformed_file_writes_nothing_and_names_the_lines(app, make, tmp_path):
    tenant = make.tenant()
    bad_people = PEOPLE + "s4,ikke-en-mail,Bent,da,t9,boss,king\n,x@y.dk,,da,,,\n"
    result = run_import(app, tmp_path, tenant, people=bad_people)
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported" in out
    assert "p.csv, linje 5: 'ikke-en-mail' er ikke en e-mailadresse." in out
    assert "p.csv, linje 5: enheden 't9' findes ikke." in out
    assert "p.csv, linje 5: rollen i enheden skal være employee eller leader." in out
    assert "p.csv, linje 5: ukendt rolle 'king'." in out
    assert "p.csv, linje 6: subject mangler." in out
    assert count(app, tenant, OrgUnit) == 0
    assert count(app, tenant, User) == 0


def test_unit_tree_errors(app, make, tmp_path):
    tenant = make.tenant()
    units = (
        "external_id,name,kind,parent_external_id\n"
        "a,A,area,b\nb,B,area,a\nc,C,galaxy,\nd,D,team,zz\nd,D2,team,\n"
    )
    result = run_import(app, tmp_path, tenant, units=units, people=None)
    assert result.exit_code == 1
    for expected in (
        "u.csv, linje 2, 3: enhederne danner en ring (a → b → a)",
        "u.csv, linje 4: ukendt type 'galaxy'",
        "u.csv, linje 5: overordnet enhed 'zz' findes ikke.",
        "u.csv, linje 6: external_id 'd' står også på linje 5.",
    ):
        assert expected in result.output
    assert count(app, tenant, OrgUnit) == 0


def test_missing_columns_and_ragged_rows(app, make, tmp_path):
    tenant = make.tenant()
    result = run_import(app, tmp_path, tenant, units="id,name\n1,x\n", people=None)
    assert (
        "u.csv, linje 1: kolonner mangler: external_id, kind, parent_external_id." in result.output
    )
    result = run_import(
        app,
        tmp_path,
        tenant,
        units="external_id,name,kind,parent_external_id\nx,X,team\n",
        people=None,
    )
    assert "u.csv, linje 2: forkert antal felter." in result.output


def test_reimport_is_idempotent_and_keeps_roles_granted_in_the_app(app, make, tmp_path):
    tenant = make.tenant()
    assert run_import(app, tmp_path, tenant).exit_code == 0
    with app.app_context(), tenant_scope(tenant.id):
        lea = db.session.scalar(select(User).filter_by(subject="s1"))
        lea.roles.append(TenantRole(role=TenantRoleName.ADMIN, source=RoleSource.APP))
        db.session.commit()
    changed = PEOPLE.replace("Alf Ansat,en,t1,employee,hr;hovedudvalg", "Alf Ansat,en,a,employee,")
    assert run_import(app, tmp_path, tenant, people=changed).exit_code == 0
    assert count(app, tenant, OrgUnit) == 3
    assert count(app, tenant, User) == 3
    assert count(app, tenant, Membership) == 2
    with app.app_context(), tenant_scope(tenant.id):
        lea = db.session.scalar(select(User).filter_by(subject="s1"))
        assert [r.role for r in lea.roles] == [TenantRoleName.ADMIN]
        alf = db.session.scalar(select(User).filter_by(subject="s2"))
        assert alf.roles == []


def test_import_into_one_tenant_leaves_another_alone(app, make, tmp_path):
    mine, other = make.tenant(), make.tenant()
    make.unit(other, "Andet team")
    assert run_import(app, tmp_path, mine).exit_code == 0
    assert count(app, other, OrgUnit) == 1
    assert count(app, mine, OrgUnit) == 3


def test_unknown_tenant(app, db_session, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["orgs", "import", "nope", "--units", write(tmp_path, "u.csv", UNITS)]
    )
    assert result.exit_code == 1 and "No tenant 'nope'" in result.output


def test_demo_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Demo tenant 'demo': 13 units, 28 people." in second.output
    with app.app_context():
        demo = db.session.scalar(select(Tenant).filter_by(slug="demo"))
        with tenant_scope(demo.id):
            rows = db.session.execute(
                text("SELECT count(*) FROM users WHERE tenant_id = :t"), {"t": demo.id}
            ).scalar()
    assert rows == 28


def test_control_characters_are_line_numbered_errors_and_nothing_is_written(app, make, tmp_path):
    """A NUL byte, a line break inside a quoted name (it would reach a mail header), ESC."""
    tenant = make.tenant()
    bad_units = UNITS + "t2,Team\x1b[31m To,team,a\n"
    bad_people = PEOPLE + 's4,b@x.dk,Bent\x00 Berg,da,t1,,\ns5,c@x.dk,"Carl\r\nBcc: x@y.dk",da,,,\n'
    result = run_import(app, tmp_path, tenant, units=bad_units, people=None)
    assert result.exit_code == 1
    assert (
        "u.csv, linje 5: name indeholder tegn, der ikke er tilladt (kontroltegn eller linjeskift)."
    ) in result.output
    result = run_import(app, tmp_path, tenant, people=bad_people)
    assert result.exit_code == 1
    out = result.output
    assert "Traceback" not in out and "NUL" not in out
    assert "p.csv, linje 5: display_name indeholder tegn, der ikke er tilladt" in out
    assert "p.csv, linje 7: display_name indeholder tegn, der ikke er tilladt" in out
    assert count(app, tenant, OrgUnit) == 0
    assert count(app, tenant, User) == 0
