"""The signed-in front page: my open cycles and what is due of me, my actions, our examples."""

from __future__ import annotations

from datetime import date, timedelta

from web.cycles.models import ActionStatus, Phase
from web.models import today as local_today


def test_anonymous_visitors_keep_the_landing_page(world, client):
    html = client.get(world.url("/")).get_data(as_text=True)
    assert "Aktørskab i Solby Kommune" in html
    assert "Mine forløb" not in html


def test_employee_home_shows_what_is_due(world, make, login, app):
    ends = date(2030, 3, 14)
    preparing = make.cycle(world.tenant, world.team, leader=world.leader, preparation_ends_on=ends)
    make.cycle(world.tenant, world.other_team, leader=world.other_leader)  # not Anna's
    make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.CLOSED)
    html = login(world.anna).get(world.url("/")).get_data(as_text=True)
    assert "Velkommen, Anna Andersen" in html
    assert html.count('class="home-cycle"') == 1
    assert "Besvar spørgsmålene senest 14. marts 2030." in html
    assert "Tandplejen" not in html
    if "t.cycles.prepare" in app.view_functions:  # the cycle pages are built alongside
        assert f'href="/t/solby/cycles/{preparing.id}/prepare"' in html
    make.participation(world.tenant, preparing, world.anna)
    html = login(world.anna).get(world.url("/")).get_data(as_text=True)
    assert "Du har svaret." in html
    assert "Besvar spørgsmålene" not in html


def test_a_cycle_of_a_unit_above_with_its_subunits_is_mine_too(world, make, login):
    make.cycle(world.tenant, world.area, leader=world.area_leader, include_subunits=True)
    make.cycle(world.tenant, world.org, leader=world.area_leader)  # without sub-units
    html = login(world.dina).get(world.url("/")).get_data(as_text=True)
    assert html.count('class="home-cycle"') == 1
    assert "Sundhed" in html


def test_meeting_and_follow_up_say_when(world, make, login):
    from datetime import UTC, datetime

    make.cycle(
        world.tenant,
        world.team,
        phase=Phase.MEETING,
        meeting_at=datetime(2030, 5, 2, 8, 0, tzinfo=UTC),
        meeting_place="Mødelokale 2",
    )
    make.cycle(world.tenant, world.team, phase=Phase.FOLLOW_UP, follow_up_on=date(2030, 9, 1))
    html = login(world.bo).get(world.url("/")).get_data(as_text=True)
    assert "Dialogmøde 2. maj 2030 kl. 10.00, Mødelokale 2." in html  # Copenhagen time
    assert "Opfølgning 1. september 2030: skriv, hvad der skete, og hvad I lærte." in html


def test_my_open_actions_and_the_teams_recent_examples(world, make, login):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS)
    make.action(world.tenant, cycle, world.anna, text="Annas åbne handling")
    make.action(world.tenant, cycle, world.anna, text="Annas færdige", status=ActionStatus.DONE)
    make.action(world.tenant, cycle, world.bo, text="Bos handling")
    make.example(world.tenant, world.team, world.bo, title="Bos eksempel")
    make.example(world.tenant, world.other_team, world.dina, title="Dinas eksempel")
    html = login(world.anna).get(world.url("/")).get_data(as_text=True)
    assert "Annas åbne handling" in html
    assert "Annas færdige" not in html and "Bos handling" not in html
    assert "Du har 1 åben handling i forløbet." in html
    assert "Bos eksempel" in html and "Bo Berg" in html
    assert "Dinas eksempel" not in html


def test_overdue_actions_are_marked(world, make, login):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    make.action(world.tenant, cycle, world.anna, due_on=local_today() - timedelta(days=5))
    assert "Overskredet" in login(world.anna).get(world.url("/")).get_data(as_text=True)


def test_someone_without_a_team_is_told_so(world, login):
    html = login(world.hr).get(world.url("/")).get_data(as_text=True)
    assert "Du er ikke med i et team i Aktørskab endnu." in html


def test_the_navigation_follows_the_role(world, login):
    def nav(user):
        html = login(user).get(world.url("/")).get_data(as_text=True)
        menu = html.split('<ul class="mainmenu">')[1].split("</ul>")[0]
        return [
            label
            for label in ("Forside", "Mine handlinger", "Eksempler", "Mine enheder", "Overblik")
            if f"<span>{label}</span>" in menu
        ]

    assert nav(world.anna) == ["Forside", "Mine handlinger", "Eksempler"]
    assert nav(world.leader) == ["Forside", "Mine handlinger", "Eksempler", "Mine enheder"]
    assert nav(world.hr) == ["Forside", "Mine handlinger", "Eksempler", "Overblik"]
    assert nav(world.admin) == ["Forside", "Mine handlinger", "Eksempler", "Overblik"]
    assert nav(world.hovedudvalg) == ["Forside", "Mine handlinger", "Eksempler"]


def test_home_in_english(world, make, login):
    make.cycle(world.tenant, world.team, preparation_ends_on=date(2030, 3, 14))
    client = login(world.anna)
    client.post("/lang/en", data={"next": "/"})
    html = client.get(world.url("/")).get_data(as_text=True)
    assert "Welcome, Anna Andersen" in html
    assert "Answer the prompts by March 14, 2030." in html
