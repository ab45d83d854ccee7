"""HR's status per unit (issue 19, point 3): filters by name, phase, campaign and kind, paging
that keeps them, and CSV/XLSX downloads that hold what the page shows and are audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from web.audit.models import AuditEntry
from web.cycles.models import Phase
from web.extensions import db
from web.tenancy import tenant_scope

from .test_phone_tables import stacked_cells


def unit_names(html: str) -> list[str]:
    return [text for label, text in stacked_cells(html) if label == "Enhed"]


@pytest.fixture
def spring(world, make):
    campaign = make.campaign(world.tenant, "Forår 2030")
    make.cycle(world.tenant, world.team, campaign=campaign, phase=Phase.MEETING)
    make.cycle(world.tenant, world.other_team)
    return campaign


def test_every_unit_unfiltered_with_its_labels(world, spring, login):
    html = login(world.hr).get(world.url("/overview/units")).get_data(as_text=True)
    assert unit_names(html) == ["Solby Kommune", "Sundhed", "Hjemmeplejen", "Tandplejen"]
    assert "Alle 4 enheder" in html
    assert all(label for label, _ in stacked_cells(html))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=pleje", ["Hjemmeplejen", "Tandplejen"]),
        ("name=HJEM", ["Hjemmeplejen"]),
        ("phase=meeting", ["Hjemmeplejen"]),
        ("phase=preparation", ["Tandplejen"]),
        ("phase=none", ["Solby Kommune", "Sundhed"]),
        ("kind=area", ["Sundhed"]),
        ("name=pleje&phase=preparation", ["Tandplejen"]),
        ("name=ingen+s%C3%A5dan", []),
    ],
)
def test_filters_narrow_the_table(world, spring, login, query, expected):
    html = login(world.hr).get(world.url(f"/overview/units?{query}")).get_data(as_text=True)
    assert unit_names(html) == expected
    if expected:
        assert f"{len(expected)} af 4 enheder passer til filtrene" in html
    else:
        assert "Ingen enheder passer til filtrene." in html


def test_the_campaign_filter(world, spring, login):
    html = (
        login(world.hr)
        .get(world.url(f"/overview/units?campaign={spring.id}"))
        .get_data(as_text=True)
    )
    assert unit_names(html) == ["Hjemmeplejen"]
    assert re.search(rf'<option value="{spring.id}" selected>Forår 2030</option>', html)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("phase=sleeping", "phase"),
        ("kind=planet", "kind"),
        ("campaign=abc", "campaign"),
        ("format=pdf", "format"),
        ("name=" + "a" * 201, "name"),
    ],
)
def test_a_filter_that_is_not_one_of_the_choices_is_refused_at_its_field(
    world, login, query, field
):
    reply = login(world.hr).get(world.url(f"/overview/units?{query}"))
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert f'id="{field}-error"' in html or f'href="#{field}"' in html
    assert "<tbody>" not in html


def test_paging_keeps_the_filters(world, make, login, monkeypatch):
    monkeypatch.setattr("web.dashboards.views.UNITS_PAGE", 1)
    html = login(world.hr).get(world.url("/overview/units?name=pleje")).get_data(as_text=True)
    assert unit_names(html) == ["Hjemmeplejen"] and "Side 1 af 2" in html
    following = re.search(r'href="([^"]+)">Næste side', html).group(1).replace("&amp;", "&")
    assert "name=pleje" in following and "page=2" in following
    assert unit_names(login(world.hr).get(following).get_data(as_text=True)) == ["Tandplejen"]


def test_downloads_hold_the_filtered_rows_with_letters_and_dates_and_are_audited(
    world, spring, login, app
):
    client = login(world.hr)
    reply = client.get(world.url("/overview/units?name=pleje&format=csv"))
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    assert 'filename="enheder.csv"' in reply.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [
        "Enhed",
        "Type",
        "Fase",
        "Forberedelsen slutter",
        "Dialogmøde",
        "Opfølgning",
        "Kampagne",
    ]
    assert [r[:3] for r in table[1:]] == [
        ["Hjemmeplejen", "Team", "Dialogmøde"],
        ["Tandplejen", "Team", "Forberedelse"],
    ]
    assert table[1][6] == "Forår 2030"
    assert date.fromisoformat(table[1][3])  # ISO dates in a download

    reply = client.get(world.url("/overview/units?phase=meeting&format=xlsx"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(reply.get_data())).active.iter_rows(values_only=True)
    )
    assert [r[0] for r in rows] == ["Enhed", "Hjemmeplejen"]
    assert rows[1][3].date() == date.fromisoformat(table[1][3])  # a real Excel date

    with app.app_context(), tenant_scope(world.tenant.id):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.event == "table.exported").order_by(AuditEntry.id)
        ).all()
    assert [
        (e.actor_id, e.details["table"], e.details["format"], e.details["rows"]) for e in entries
    ] == [(world.hr.id, "enheder", "csv", 2), (world.hr.id, "enheder", "xlsx", 1)]
    assert entries[0].details["name"] == "pleje"


@pytest.mark.parametrize(
    ("who", "status"),
    [("hr", 200), ("admin", 200), ("hovedudvalg", 403), ("leader", 403), ("anna", 403)],
)
def test_who_sees_or_downloads_the_table(world, login, who, status):
    client = login(getattr(world, who))
    assert client.get(world.url("/overview/units")).status_code == status
    assert client.get(world.url("/overview/units?format=csv")).status_code == status


def test_another_tenants_units_never_show(world, make, login):
    html = login(world.hr).get(world.url("/overview/units?format=csv")).get_data(as_text=True)
    assert "Nabo-teamet" not in html
