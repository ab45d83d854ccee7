"""HR's overview: status per unit, campaign progress, participation per area (chart and
table), and the k-threshold on every participation figure."""

from __future__ import annotations

import re

import pytest

from web.cycles.models import Phase
from web.orgs.models import UnitKind
from web.users.models import TenantRoleName


def area_rows(html: str) -> dict[str, str]:
    """{row header: the row's cells as text} of the participation table."""
    table = html.split("<caption>Deltagelse pr. område</caption>")[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        header = re.search(r'<th scope="row"[^>]*>(.*?)(?:<br>|</th>)', row, flags=re.S).group(1)
        cells = re.sub(r"<[^>]+>", " ", row.split("</th>", 1)[1])
        rows[header.strip()] = " ".join(cells.split())
    return rows


@pytest.fixture
def culture(world, make):
    """A second area whose only team has three people: below k = 5."""
    area = make.unit(world.tenant, "Kultur", kind=UnitKind.AREA, parent=world.org)
    team = make.unit(world.tenant, "Biblioteket", parent=area)
    people = [make.user(world.tenant, f"Bibliotekar {n}", unit=team) for n in range(3)]
    cycle = make.cycle(world.tenant, team)
    make.participation(world.tenant, cycle, people[0])
    return area


@pytest.fixture
def health_cycles(world, make):
    ours = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.MEETING)
    theirs = make.cycle(world.tenant, world.other_team, leader=world.other_leader)
    for cycle, person in ((ours, world.anna), (ours, world.bo), (theirs, world.dina)):
        make.participation(world.tenant, cycle, person)
    return ours, theirs


def test_participation_per_area_with_chart_and_table(world, make, health_cycles, login):
    ours, theirs = health_cycles
    for cycle, person in ((ours, world.carl), (ours, world.leader), (theirs, world.other_leader)):
        make.participation(world.tenant, cycle, person)  # all six: a figure about the area
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    assert area_rows(html)["Sundhed"] == "6 6 100 %"
    figure = html.split('<figure class="participation-chart">')[1].split("</figure>")[0]
    assert 'role="img"' in figure
    assert (
        'aria-label="Andel af medlemmerne, der har bidraget, pr. område: Sundhed: 100\xa0% '
        '(6 af 6)."' in figure
    )
    assert "<svg" in figure and "<script" not in figure
    assert "<figcaption>" in figure


def test_an_area_below_k_shows_no_figures(world, health_cycles, culture, login):
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    rows = area_rows(html)
    # 3 of 6 took part, so 3 did not: a figure about 3 people, hidden (the reports' engine).
    assert rows["Sundhed"] == "6 skjult –"
    assert rows["Øvrige områder samlet"] == "Under 5 – vises ikke"
    assert "Områder med færre end 5 medlemmer hver: Kultur" in html
    assert "33 %" not in html and "1 af 3" not in html and "3 af 6" not in html


def test_small_areas_merge_and_show_when_together_they_reach_k(
    world, make, health_cycles, culture, login
):
    sport = make.unit(world.tenant, "Idræt", kind=UnitKind.AREA, parent=world.org)
    hall = make.unit(world.tenant, "Hallen", parent=sport)
    staff = [make.user(world.tenant, f"Halmand {n}", unit=hall) for n in range(2)]
    cycle = make.cycle(world.tenant, hall)
    make.participation(world.tenant, cycle, staff[0])
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    # Kultur 1 of 3 and Idræt 1 of 2: a row of 5, but 2 of 5 took part (3 did not): hidden.
    assert rows["Øvrige områder samlet"] == "5 skjult –"


def test_the_tenants_k_applies_but_never_below_three(
    world, make, app, health_cycles, culture, login
):
    from web.extensions import db
    from web.tenants.models import Tenant

    def set_k(k):
        with app.app_context():
            db.session.get(Tenant, world.tenant.id).settings = {"k_threshold": k}
            db.session.commit()

    set_k(3)
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    assert rows["Kultur"] == "3 skjult –"  # a row at k = 3; 1 of 3 is about one person
    set_k(1)
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    assert "mindst 3 personer" in html
    make.unit(world.tenant, "Tom", kind=UnitKind.AREA, parent=world.org)
    tiny = make.unit(world.tenant, "Lille", kind=UnitKind.AREA, parent=world.org)
    pair = make.unit(world.tenant, "Par", parent=tiny)
    people = [make.user(world.tenant, f"P {n}", unit=pair) for n in range(2)]
    make.participation(world.tenant, make.cycle(world.tenant, pair), people[0])
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    assert "Lille" not in rows
    assert rows["Øvrige områder samlet"] == "Under 3 – vises ikke"


def test_units_outside_any_area_are_their_own_group(world, make, login):
    staff = make.unit(world.tenant, "Direktionen", parent=world.org)
    people = [make.user(world.tenant, f"Direktør {n}", unit=staff) for n in range(5)]
    cycle = make.cycle(world.tenant, staff)
    for person in people:
        make.participation(world.tenant, cycle, person)
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    assert rows["Uden for et område"] == "5 5 100 %"


def test_a_cycle_with_subunits_counts_each_person_once(world, make, login):
    area_cycle = make.cycle(
        world.tenant, world.area, leader=world.area_leader, include_subunits=True
    )
    team_cycle = make.cycle(world.tenant, world.team, leader=world.leader)
    make.participation(world.tenant, area_cycle, world.anna)
    make.participation(world.tenant, team_cycle, world.anna)
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    # area_leader, leader, anna, bo, carl, other_leader, dina
    assert rows["Sundhed"].startswith("7 ")  # 1 of 7 took part: a figure about one person
    assert rows["Sundhed"] == "7 skjult –"


def test_only_each_units_latest_cycle_counts(world, make, login):
    old = make.cycle(world.tenant, world.team, phase=Phase.CLOSED)
    for person in (world.anna, world.bo, world.carl, world.leader):
        make.participation(world.tenant, old, person)
    make.cycle(world.tenant, world.team)
    make.cycle(world.tenant, world.other_team)
    rows = area_rows(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    assert rows["Sundhed"] == "6 0 0 %"


def test_another_tenants_figures_never_count(world, make, health_cycles, login):
    area = make.unit(world.other_tenant, "Sundhed", kind=UnitKind.AREA)
    team = make.unit(world.other_tenant, "Nabo-plejen", parent=area)
    people = [make.user(world.other_tenant, f"Nabo {n}", unit=team) for n in range(6)]
    cycle = make.cycle(world.other_tenant, team)
    for person in people:
        make.participation(world.other_tenant, cycle, person)
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    assert area_rows(html)["Sundhed"] == "6 skjult –"  # our 6 (3 of them took part), not 12
    assert "Nabo-plejen" not in html


def test_status_per_unit_and_campaign_progress(world, make, login):
    campaign = make.campaign(world.tenant, "Forår 2030")
    make.cycle(world.tenant, world.team, campaign=campaign, phase=Phase.MEETING)
    make.cycle(world.tenant, world.other_team, campaign=campaign)
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    campaigns = html.split('id="campaigns"')[1].split("</section>")[0]
    row = campaigns.split("Forår 2030")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    # preparation dates, then preparation, meeting, agreements, follow-up, closed, total
    assert cells[1:] == ["1", "1", "0", "0", "0", "2"]
    assert 'href="/t/solby/overview/units"' in html  # the per-unit table has its own page
    units = login(world.hr).get(world.url("/overview/units")).get_data(as_text=True)
    team_row = units.split("Hjemmeplejen</th>")[1].split("</tr>")[0]
    assert "Dialogmøde" in team_row and "Forår 2030" in team_row
    assert "Intet forløb endnu" in units.split("Sundhed</th>")[1].split("</tr>")[0]
    totals = html.split('id="phase-totals"')[1].split("</section>")[0]
    assert re.search(r"Forberedelse</th><td[^>]*>1<", totals)
    assert re.search(r"Intet forløb endnu</th><td[^>]*>2<", totals)  # the organisation, the area


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("hr", 200),
        ("admin", 200),
        ("hovedudvalg", 403),
        ("leader", 403),
        ("area_leader", 403),
        ("anna", 403),
    ],
)
def test_who_sees_the_overview(world, login, who, status):
    assert login(getattr(world, who)).get(world.url("/overview")).status_code == status


def test_signed_out_and_another_tenant(world, make, client, login):
    assert client.get(world.url("/overview")).status_code == 401
    hr_elsewhere = make.user(world.other_tenant, "Anden HR", roles=(TenantRoleName.HR,))
    make.cycle(world.tenant, world.team)
    html = login(hr_elsewhere).get(f"/t/{world.other_tenant.slug}/overview").get_data(as_text=True)
    assert "Hjemmeplejen" not in html and "Sundhed" not in html


def test_names_are_escaped_in_the_chart_and_the_table(world, make, login):
    area = make.unit(world.tenant, "Børn & <Unge>", kind=UnitKind.AREA, parent=world.org)
    team = make.unit(world.tenant, "Dagplejen", parent=area)
    people = [make.user(world.tenant, f"Dagplejer {n}", unit=team) for n in range(5)]
    cycle = make.cycle(world.tenant, team)
    for person in people:
        make.participation(world.tenant, cycle, person)
    html = login(world.hr).get(world.url("/overview")).get_data(as_text=True)
    assert "<Unge>" not in html
    assert "Børn &amp; &lt;Unge&gt;" in html.split("<svg")[1].split("</svg>")[0]
    assert area_rows(html)["Børn &amp; &lt;Unge&gt;"] == "5 5 100 %"
