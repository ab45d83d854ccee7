"""A leader's actions across their units (issue 19, point 3): only what the leader leads,
filters by unit, status (or overdue), person and due dates, paging that keeps them, and
audited CSV/XLSX downloads of exactly the filtered rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from web.audit.models import AuditEntry
from web.cycles.models import ActionStatus, Phase
from web.extensions import db
from web.models import today as local_today
from web.tenancy import tenant_scope

from .test_phone_tables import stacked_cells

TODAY = local_today()


def action_texts(html: str) -> list[str]:
    return [text for label, text in stacked_cells(html) if label == "Handling"]


@pytest.fixture
def agreed(world, make):
    ours = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    theirs = make.cycle(
        world.tenant, world.other_team, leader=world.other_leader, phase=Phase.FOLLOW_UP
    )
    make.action(
        world.tenant, ours, world.anna, text="Fælles frokost", due_on=TODAY - timedelta(days=3)
    )
    make.action(
        world.tenant,
        ours,
        world.bo,
        text="Ny vagtplan",
        due_on=TODAY + timedelta(days=10),
        status=ActionStatus.DONE,
    )
    make.action(
        world.tenant, theirs, world.dina, text="Æbler på bordet", due_on=TODAY + timedelta(days=20)
    )
    return ours, theirs


def test_a_leader_sees_only_the_actions_of_the_units_they_lead(world, agreed, login):
    html = login(world.leader).get(world.url("/units/actions")).get_data(as_text=True)
    assert action_texts(html) == ["Fælles frokost", "Ny vagtplan"]
    assert "Æbler på bordet" not in html
    assert all(label for label, _ in stacked_cells(html))
    area = login(world.area_leader).get(world.url("/units/actions")).get_data(as_text=True)
    assert action_texts(area) == ["Fælles frokost", "Ny vagtplan", "Æbler på bordet"]


def test_the_leader_dashboard_links_to_the_list(world, agreed, login):
    html = login(world.leader).get(world.url("/units")).get_data(as_text=True)
    assert 'href="/t/solby/units/actions"' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=overdue", ["Fælles frokost"]),
        ("status=done", ["Ny vagtplan"]),
        ("status=planned", ["Fælles frokost", "Æbler på bordet"]),
        (f"since={TODAY.isoformat()}", ["Ny vagtplan", "Æbler på bordet"]),
        (f"until={TODAY.isoformat()}", ["Fælles frokost"]),
        (
            f"since={(TODAY + timedelta(days=10)).isoformat()}"
            f"&until={(TODAY + timedelta(days=10)).isoformat()}",
            ["Ny vagtplan"],
        ),
    ],
)
def test_filters_narrow_the_list(world, agreed, login, query, expected):
    html = login(world.area_leader).get(world.url(f"/units/actions?{query}")).get_data(as_text=True)
    assert action_texts(html) == expected


def test_unit_and_person_filters(world, agreed, login):
    client = login(world.area_leader)
    html = client.get(world.url(f"/units/actions?unit={world.other_team.id}")).get_data(
        as_text=True
    )
    assert action_texts(html) == ["Æbler på bordet"]
    html = client.get(world.url(f"/units/actions?person={world.bo.id}")).get_data(as_text=True)
    assert action_texts(html) == ["Ny vagtplan"]


@pytest.mark.parametrize(
    "query",
    ["status=forgotten", "since=2026-02-30", "since=2030-01-02&until=2030-01-01", "format=ods"],
)
def test_a_bad_filter_is_refused_with_its_message(world, agreed, login, query):
    reply = login(world.leader).get(world.url(f"/units/actions?{query}"))
    assert reply.status_code == 422 and "<tbody>" not in reply.get_data(as_text=True)


def test_a_unit_or_person_the_leader_does_not_lead_is_refused_not_shown(world, agreed, login):
    client = login(world.leader)
    for query in (
        f"unit={world.other_team.id}",
        f"person={world.dina.id}",
        f"person={world.stranger.id}",
    ):
        reply = client.get(world.url(f"/units/actions?{query}&format=csv"))
        assert reply.status_code == 422, query
        assert "Æbler" not in reply.get_data(as_text=True)


def test_paging_keeps_the_filters(world, agreed, login, monkeypatch):
    monkeypatch.setattr("web.dashboards.views.ACTIONS_PAGE", 1)
    client = login(world.area_leader)
    html = client.get(world.url("/units/actions?status=planned")).get_data(as_text=True)
    assert action_texts(html) == ["Fælles frokost"]
    following = re.search(r'href="([^"]+)">Næste side', html).group(1).replace("&amp;", "&")
    assert "status=planned" in following
    assert action_texts(client.get(following).get_data(as_text=True)) == ["Æbler på bordet"]


def test_downloads_hold_the_filtered_rows_and_are_audited(world, agreed, login, app):
    client = login(world.area_leader)
    reply = client.get(world.url("/units/actions?status=planned&format=csv"))
    assert (
        reply.status_code == 200
        and 'filename="handlinger.csv"' in reply.headers["Content-Disposition"]
    )
    table = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig")), delimiter=";"))
    assert table == [
        ["Enhed", "Handling", "Ansvarlig", "Frist", "Status"],
        [
            "Hjemmeplejen",
            "Fælles frokost",
            "Anna Andersen",
            (TODAY - timedelta(days=3)).isoformat(),
            "Planlagt",
        ],
        [
            "Tandplejen",
            "Æbler på bordet",
            "Dina Dahl",
            (TODAY + timedelta(days=20)).isoformat(),
            "Planlagt",
        ],
    ]
    reply = client.get(world.url("/units/actions?status=done&format=xlsx"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(reply.get_data())).active.iter_rows(values_only=True)
    )
    assert rows[1][:3] == ("Hjemmeplejen", "Ny vagtplan", "Bo Berg")
    assert rows[1][3].date() == TODAY + timedelta(days=10)
    with app.app_context(), tenant_scope(world.tenant.id):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.event == "table.exported").order_by(AuditEntry.id)
        ).all()
    assert [(e.details["table"], e.details["rows"], e.details["status"]) for e in entries] == [
        ("handlinger", 2, "planned"),
        ("handlinger", 1, "done"),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [("leader", 200), ("area_leader", 200), ("hr", 403), ("anna", 403), ("hovedudvalg", 403)],
)
def test_who_sees_the_list(world, login, who, status):
    assert login(getattr(world, who)).get(world.url("/units/actions")).status_code == status
