"""At phone width a stacked table cell shows its column's label (issue 19, point 5): the pages
the issue names, read as the browser reads them."""

from __future__ import annotations

import re
from datetime import timedelta

from web.cycles.models import Phase
from web.models import today as local_today

CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)


def stacked_cells(html: str) -> list[tuple[str | None, str]]:
    """(label, text) of every body cell of every stacked table on the page."""
    cells = []
    for table in re.findall(
        r'<table class="[^"]*table--responsive-headers[^"]*">(.*?)</table>', html, re.S
    ):
        for body in re.findall(r"<tbody>(.*?)</tbody>", table, re.S):
            for _tag, attrs, content in CELL.findall(body):
                label = re.search(r'data-title="([^"]*)"', attrs)
                text = " ".join(re.sub("<[^>]+>", " ", content).split())
                cells.append((label.group(1) if label else None, text))
    return cells


def test_an_action_on_the_leader_dashboard_reads_by_its_labels(world, make, login):
    cycle = make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.FOLLOW_UP)
    make.action(
        world.tenant,
        cycle,
        world.anna,
        text="Fælles frokost",
        due_on=local_today() - timedelta(days=3),
    )
    cells = stacked_cells(login(world.leader).get(world.url("/units")).get_data(as_text=True))
    assert cells and all(label for label, _ in cells), cells
    labelled = dict(cells)
    assert labelled["Ansvarlig"] == "Anna Andersen"
    assert labelled["Handling"] == "Fælles frokost"
    assert "Frist" in labelled


def test_the_hr_overviews_campaign_row_is_not_a_bare_run_of_numbers(world, make, login):
    campaign = make.campaign(world.tenant, "Forår 2030")
    make.cycle(world.tenant, world.team, campaign=campaign, phase=Phase.MEETING)
    cells = stacked_cells(login(world.hr).get(world.url("/overview")).get_data(as_text=True))
    assert cells and all(label for label, _ in cells), [c for c in cells if not c[0]]
    labels = [label for label, _ in cells]
    assert {"Kampagne", "Forberedelse", "I alt", "Dialogmøde", "Fase"} <= set(labels)
    cells = stacked_cells(login(world.hr).get(world.url("/overview/units")).get_data(as_text=True))
    assert cells and all(label for label, _ in cells), [c for c in cells if not c[0]]
    assert {"Enhed", "Fase", "Kampagne"} <= {label for label, _ in cells}


def test_admin_tables_are_stacked_with_labels(world, login):
    html = login(world.admin).get(world.url("/admin/audit")).get_data(as_text=True)
    assert all(label for label, _ in stacked_cells(html))
