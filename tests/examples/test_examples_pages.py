"""The examples pages: the team's only, the consent box, the messages, and who may do what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.dashboards.world import build_world
from web.examples.models import Example
from web.extensions import db
from web.tenancy import tenant_scope


@pytest.fixture(scope="module")  # built once (module_db); each test in a savepoint
def world(module_make):
    return build_world(module_make)


@pytest.fixture
def count(app, world):
    def examples() -> int:
        with app.app_context(), tenant_scope(world.tenant.id):
            return db.session.scalar(select(func.count()).select_from(Example))

    return examples


def form(**overrides):
    data = {
        "kind": "good",
        "title": "Vi tog ansvar for indkøbet",
        "text": "Vi så, at der manglede handsker, og bestilte selv.",
        "expectations": ["responsibility"],
        "kkc": "commitment",
        "olfa": "employee",
    }
    data.update(overrides)
    return data


def test_a_member_records_an_example_and_the_team_reads_it(world, login, count):
    client = login(world.anna)
    page = client.get(world.url("/examples/new"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="csrf_token"' in html
    assert "Team: Hjemmeplejen" in html  # one team: no choice to make
    assert (
        "først bliver anonymiseret (navne og kontaktoplysninger fjernes) og gennemgået af "
        "HR, før nogen uden for teamet kan se det"
    ) in html
    assert (
        '<input class="form-checkbox" type="checkbox" id="offer" name="offer" value="1">' in html
    )  # never ticked in advance
    reply = client.post(
        world.url("/examples/new"), data=form(unit_id=str(world.team.id), offer="1")
    )
    assert reply.status_code == 302
    detail = login(world.bo).get(reply.headers["Location"]).get_data(as_text=True)
    assert "Vi tog ansvar for indkøbet" in detail
    assert "Anna Andersen" in detail  # inside the team the author is named
    assert "Tag personligt ansvar for din opgave" in detail
    assert "Tilbudt til deling på tværs af teams" in detail
    assert count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Skal udfyldes."),
        ({"title": "t" * 201}, "title", "Højst 200 tegn (du har skrevet 201)."),
        ({"text": ""}, "text", "Skal udfyldes."),
        ({"text": "t" * 4001}, "text", "Højst 4000 tegn (du har skrevet 4001)."),
        ({"kind": "lesson", "lesson": ""}, "lesson", "Skriv, hvad I lærte af det."),
        ({"kind": "weird"}, "kind", "Ugyldigt valg."),
        ({"expectations": ["nonsense"]}, "expectations", "Ugyldigt valg."),
        ({"kkc": "x"}, "kkc", "Ugyldigt valg."),
        ({"olfa": "x"}, "olfa", "Ugyldigt valg."),
    ],
)
def test_each_bad_input_gets_a_message_and_nothing_is_saved(
    world, login, count, overrides, field, message
):
    client = login(world.anna)
    reply = client.post(
        world.url("/examples/new"), data=form(unit_id=str(world.team.id), **overrides)
    )
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    described = re.search(rf'aria-describedby="([^"]*{field}-error[^"]*)"', html)
    assert described is not None
    assert count() == 0


def test_a_team_that_is_not_mine_is_refused(world, login, count):
    reply = login(world.anna).post(
        world.url("/examples/new"), data=form(unit_id=str(world.other_team.id))
    )
    assert reply.status_code == 422
    assert "Du kan kun skrive eksempler i de teams, du er med i." in reply.get_data(as_text=True)
    assert count() == 0


def test_someone_without_a_team_cannot_record(world, login, count):
    client = login(world.hr)
    assert "Du er ikke med i et team endnu" in client.get(world.url("/examples/new")).get_data(
        as_text=True
    )
    assert (
        client.post(world.url("/examples/new"), data=form(unit_id=str(world.team.id))).status_code
        == 422
    )
    assert count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anna", 200),
        ("bo", 200),
        ("leader", 200),
        ("area_leader", 200),  # the team
        ("dina", 403),
        ("other_leader", 403),  # another team
        ("hr", 403),
        ("hovedudvalg", 403),
        ("admin", 403),  # outside the team, even if offered
    ],
)
def test_only_the_team_reads_an_example(world, make, login, who, status):
    example = make.example(
        world.tenant, world.team, world.anna, title="Et godt eksempel", is_offered=True
    )
    reply = login(getattr(world, who)).get(world.url(f"/examples/{example.id}"))
    assert reply.status_code == status
    assert ("Et godt eksempel" in reply.get_data(as_text=True)) is (status == 200)


def test_nothing_leaves_the_team_on_any_list(world, make, login):
    make.example(world.tenant, world.team, world.anna, title="Hemmeligt for andre", is_offered=True)
    for who in ("dina", "other_leader", "hr", "hovedudvalg", "admin"):
        client = login(getattr(world, who))
        for path in ("/examples/", "/"):
            assert "Hemmeligt for andre" not in client.get(world.url(path)).get_data(
                as_text=True
            ), (who, path)
    html = login(world.bo).get(world.url("/examples/")).get_data(as_text=True)
    assert "Hemmeligt for andre" in html and "Anna Andersen" in html


def test_signed_out_and_other_tenants(world, make, client, login):
    example = make.example(world.tenant, world.team, world.anna)
    assert client.get(world.url(f"/examples/{example.id}")).status_code == 401
    assert client.get(world.url("/examples/")).status_code == 401
    login(world.stranger)
    other = f"/t/{world.other_tenant.slug}/examples/{example.id}"
    assert client.get(other).status_code == 404
    assert client.get(f"{other}/edit").status_code == 404
    assert client.post(f"{other}/delete").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("anna", 302), ("bo", 403), ("leader", 403), ("hr", 403), ("dina", 403)]
)
def test_only_the_author_edits_and_deletes(world, make, login, count, who, status):
    example = make.example(world.tenant, world.team, world.anna, title="Før")
    client = login(getattr(world, who))
    reply = client.post(world.url(f"/examples/{example.id}/edit"), data=form(title="Efter"))
    assert reply.status_code == status
    assert client.post(world.url(f"/examples/{example.id}/delete")).status_code == status
    assert count() == (0 if status == 302 else 1)


def test_edit_shows_the_current_values_and_keeps_them_on_bad_input(world, make, login, app):
    example = make.example(world.tenant, world.team, world.anna, title="Før", is_offered=True)
    client = login(world.anna)
    html = client.get(world.url(f"/examples/{example.id}/edit")).get_data(as_text=True)
    assert 'value="Før"' in html
    assert 'id="offer" name="offer" value="1" checked' in html
    reply = client.post(world.url(f"/examples/{example.id}/edit"), data=form(title="", text="Ny"))
    assert reply.status_code == 422
    with app.app_context(), tenant_scope(world.tenant.id):
        stored = db.session.get(Example, example.id)
        assert (stored.title, stored.is_offered) == ("Før", True)


def test_the_list_pages(world, make, login):
    for n in range(25):
        make.example(world.tenant, world.team, world.anna, title=f"Eksempel nummer {n:02d}")
    client = login(world.bo)
    first = client.get(world.url("/examples/")).get_data(as_text=True)
    assert "Eksempel nummer 24" in first and "Eksempel nummer 04" not in first
    assert "page=2" in first
    second = client.get(world.url("/examples/?page=2")).get_data(as_text=True)
    assert "Eksempel nummer 04" in second and "Eksempel nummer 24" not in second
