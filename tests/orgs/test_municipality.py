"""A realistic municipality (tests/orgs/municipality.py) imported as a new tenant's admin would:
every membership kept, complete re-imports, refusals that name file and line and write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from tests.orgs import municipality
from web.extensions import db
from web.orgs.models import Membership, OrgUnit, ProvisioningRun
from web.tenancy import tenant_scope
from web.users.models import User

ORG = municipality.build()


def run(app, tmp_path, tenant, files, *extra):
    args = ["orgs", "import", tenant.slug]
    for key, content in files.items():
        if content is not None:
            path = tmp_path / f"{key}.csv"
            path.write_text(content, encoding="utf-8")
            args += [f"--{key}", str(path)]
    return app.test_cli_runner().invoke(args=[*args, *extra])


def held(app, tenant) -> set[tuple[str, str, str]]:
    with app.app_context(), tenant_scope(tenant.id):
        rows = db.session.execute(
            select(User.subject, OrgUnit.external_id, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(OrgUnit, OrgUnit.id == Membership.unit_id)
        ).all()
    return {(s, u, r.value) for s, u, r in rows}


def counts(app, tenant) -> tuple[int, int, int]:
    with app.app_context(), tenant_scope(tenant.id):
        return tuple(
            db.session.scalar(select(func.count()).select_from(m))
            for m in (OrgUnit, User, Membership)
        )


@pytest.fixture
def imported(app, committed_make, tmp_path):
    tenant = committed_make.tenant()
    result = run(app, tmp_path, tenant, ORG.files())
    assert result.exit_code == 0, result.output
    return tenant


def test_the_whole_organisation_imports_without_losing_a_membership(app, imported):
    assert counts(app, imported) == (86, 692, len(ORG.memberships))
    assert len(ORG.memberships) == 692 - municipality.UNPLACED + 27
    assert held(app, imported) == ORG.memberships
    with app.app_context(), tenant_scope(imported.id):
        names = set(db.session.scalars(select(OrgUnit.name)))
        leader_units = db.session.scalars(
            select(Membership).join(User).where(User.subject == ORG.tri_leader)
        ).all()
        empty = db.session.scalar(select(OrgUnit).filter_by(external_id=ORG.empty_unit))
        assert not db.session.scalars(select(Membership).filter_by(unit_id=empty.id)).all()
        run_row = db.session.scalars(select(ProvisioningRun)).one()
    assert 'Sundhed, Pleje og "Omsorg"' in names and "Økonomi, Løn" in names
    assert len(leader_units) == 3 and {m.role.value for m in leader_units} == {"leader"}
    assert run_row.ok and run_row.summary["people_new"] == 692


def test_reimport_changes_nothing_and_keeps_membership_ids(app, imported, tmp_path):
    with app.app_context(), tenant_scope(imported.id):
        before = dict(db.session.execute(select(Membership.id, Membership.user_id)).all())
    result = run(app, tmp_path, imported, ORG.files())
    assert result.exit_code == 0, result.output
    assert "Enheder: 0 nye, 0 ændrede, 86 uændrede" in result.output
    assert "Personer: 0 nye, 0 ændrede, 692 uændrede, 0 forlader" in result.output
    with app.app_context(), tenant_scope(imported.id):
        after = dict(db.session.execute(select(Membership.id, Membership.user_id)).all())
    assert after == before


def test_complete_reimport_without_five_people_deactivates_exactly_those(app, imported, tmp_path):
    gone = {"P00010", "P00100", "P00200", "P00300", ORG.tri_leader}
    dry = run(app, tmp_path, imported, ORG.files(without=gone), "--complete", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "5 forlader organisationen" in dry.output and "Dry run" in dry.output
    assert counts(app, imported)[2] == len(ORG.memberships)  # a dry run writes nothing

    result = run(app, tmp_path, imported, ORG.files(without=gone), "--complete")
    assert result.exit_code == 0, result.output
    with app.app_context(), tenant_scope(imported.id):
        inactive = set(db.session.scalars(select(User.subject).where(~User.is_active)))
    assert inactive == gone
    expected = {m for m in ORG.memberships if m[0] not in gone}
    assert held(app, imported) == expected
    # Every unit is still listed, so none is archived (the empty one neither).
    with app.app_context(), tenant_scope(imported.id):
        assert (
            db.session.scalar(
                select(func.count()).where(OrgUnit.archived_at.is_not(None)).select_from(OrgUnit)
            )
            == 0
        )


def test_complete_import_archives_absent_empty_units_and_keeps_occupied_ones(
    app, imported, tmp_path
):
    files = ORG.files()
    occupied = "A0D0T0"
    lines = [
        ln
        for ln in files["units"].splitlines(keepends=True)
        if not ln.startswith((ORG.empty_unit + ",", occupied + ","))
    ]
    files["units"] = "".join(lines)
    files["people"] = "\n".join(
        ln for ln in files["people"].split("\n") if f",{occupied}," not in ln
    )
    files["memberships"] = "\n".join(
        ln for ln in files["memberships"].split("\n") if f",{occupied}," not in ln
    )
    result = run(app, tmp_path, imported, files, "--complete")
    assert result.exit_code == 0, result.output
    with app.app_context(), tenant_scope(imported.id):
        archived = set(
            db.session.scalars(select(OrgUnit.external_id).where(OrgUnit.archived_at.is_not(None)))
        )
    assert ORG.empty_unit in archived


def test_a_cycle_through_the_database_names_file_and_line_and_writes_nothing(
    app, imported, tmp_path
):
    """The issue's case: A0D0 is A0's child; a file making A0 A0D0's child is refused."""
    units = "external_id,name,kind,parent_external_id\nA0,Børn og Unge,area,A0D0\n"
    result = run(app, tmp_path, imported, {"units": units})
    assert result.exit_code == 1
    out = result.output
    assert "units.csv, linje 2: enhederne danner en ring (A0 → A0D0 → A0)" in out
    assert out.count("ring") == 1
    with app.app_context(), tenant_scope(imported.id):
        a0 = db.session.scalar(select(OrgUnit).filter_by(external_id="A0"))
        assert a0.parent.external_id == "K"
        run_row = db.session.scalars(
            select(ProvisioningRun).order_by(ProvisioningRun.id.desc())
        ).first()
        assert not run_row.ok and "ring" in run_row.errors[0]


def test_a_cycle_of_two_is_reported_once_with_both_lines(app, committed_make, tmp_path):
    tenant = committed_make.tenant()
    units = (
        "external_id,name,kind,parent_external_id\nk,K,organisation,\n"
        "a,A,area,b\nb,B,area,a\n" + "".join(f"t{i},T{i},team,a\n" for i in range(15))
    )
    result = run(app, tmp_path, tenant, {"units": units})
    assert result.exit_code == 1
    assert result.output.count("ring") == 1
    assert "units.csv, linje 3, 4: enhederne danner en ring" in result.output
    assert counts(app, tenant) == (0, 0, 0)


def test_unknown_parent_and_bad_emails_name_file_and_line_and_write_nothing(
    app, imported, tmp_path
):
    files = ORG.files()
    files["units"] += "X1,Ny enhed,team,NOPE\n"
    bad = ["p00100@", "@norddjurs.example", "a@@b", "a b@c.dk", "a@b,dk"]
    people = files["people"].split("\n")
    for i, email in enumerate(bad, start=1):
        people[i] = people[i].replace(people[i].split(",")[1], f'"{email}"', 1)
    files["people"] = "\n".join(people)
    files["memberships"] += "P00500,NOPE2,employee\n"
    before = held(app, imported)
    result = run(app, tmp_path, imported, files)
    assert result.exit_code == 1
    out = result.output
    assert "units.csv, linje 88: overordnet enhed 'NOPE' findes ikke." in out
    for line, email in enumerate(bad, start=2):
        assert f"people.csv, linje {line}: '{email}' er ikke en e-mailadresse." in out
    assert "memberships.csv, linje 29: enheden 'NOPE2' findes ikke." in out
    assert held(app, imported) == before
    assert counts(app, imported) == (86, 692, len(ORG.memberships))


def test_people_are_checked_even_when_units_have_errors(app, committed_make, tmp_path):
    tenant = committed_make.tenant()
    files = {
        "units": "external_id,name,kind,parent_external_id\nk,K,galaxy,\n",
        "people": "subject,email,display_name,locale,unit_external_id,unit_role,"
        "tenant_roles\ns1,nope,S,da,,,\n",
    }
    result = run(app, tmp_path, tenant, files)
    assert "units.csv, linje 2: ukendt type 'galaxy'" in result.output
    assert "people.csv, linje 2: 'nope' er ikke en e-mailadresse." in result.output


def test_internationalised_domains_are_kept(app, committed_make, tmp_path):
    tenant = committed_make.tenant()
    files = {
        "people": "subject,email,display_name,locale,unit_external_id,unit_role,"
        "tenant_roles\ns1,lea@ærø.dk,Lea,da,,,\ns2,æble@x.dk,Æ,da,,,\n"
    }
    result = run(app, tmp_path, tenant, files)
    assert "people.csv, linje 3: 'æble@x.dk' er ikke en e-mailadresse." in result.output
    assert "linje 2" not in result.output


@pytest.mark.postgres("the unit-tree trigger exists on PostgreSQL only")
def test_the_database_refuses_a_cycle_written_outside_the_app(app, imported):
    from sqlalchemy.exc import IntegrityError

    with app.app_context(), tenant_scope(imported.id):
        with pytest.raises(IntegrityError, match="own descendant"):
            db.session.execute(
                text(
                    "UPDATE org_units SET parent_id = (SELECT id FROM org_units "
                    "WHERE external_id = 'A0D0') WHERE external_id = 'A0'"
                )
            )
        db.session.rollback()


def test_the_one_writer_of_parents_refuses_a_cycle(app, imported):
    from web.errors import Conflict
    from web.orgs.services import set_parent

    with app.app_context(), tenant_scope(imported.id):
        a0 = db.session.scalar(select(OrgUnit).filter_by(external_id="A0"))
        team = db.session.scalar(select(OrgUnit).filter_by(external_id="A0D1T2"))
        with pytest.raises(Conflict):
            set_parent(a0, team)
        with pytest.raises(Conflict):
            set_parent(a0, a0)
        db.session.rollback()


def test_an_import_cannot_point_at_another_tenants_unit(app, imported, committed_make, tmp_path):
    other = committed_make.tenant()
    theirs = [committed_make.unit(other, "Fremmed team").external_id]
    files = {
        "memberships": f"subject,unit_external_id,unit_role\nP00500,{theirs[0]},employee\n",
        "units": f"external_id,name,kind,parent_external_id\nNY,Ny,team,{theirs[0]}\n",
    }
    result = run(app, tmp_path, imported, files)
    assert result.exit_code == 1
    assert f"memberships.csv, linje 2: enheden '{theirs[0]}' findes ikke." in result.output
    assert f"units.csv, linje 2: overordnet enhed '{theirs[0]}' findes ikke." in result.output
    assert counts(app, imported) == (86, 692, len(ORG.memberships))
