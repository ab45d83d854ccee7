"""The report's tables filtered and downloaded (issue 19, point 3): a download carries exactly
the cells the report publishes — the anonymity engine's output, "skjult" where it hides a
figure — never a raw count; audited; only for those who may read reports."""

from __future__ import annotations

import csv
import io
import os
import re

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.reports.test_render import generate
from tests.reports.town import Town, town_with_neighbour
from web.audit.models import AuditEntry
from web.extensions import db
from web.reports import services
from web.reports.anonymity import ShownRow
from web.reports.figures import (
    ACTIONS,
    CYCLES,
    DIMENSIONS,
    SOURCES,
    Figures,
    Period,
    distribution_key,
)
from web.reports.render import Document, render_html
from web.reports.tables import published_tables

HIDDEN = "skjult"


# The town and its report are built once for the module (module_db); each test in a savepoint.
@pytest.fixture(scope="module")
def town(module_make) -> Town:
    return town_with_neighbour(module_make)


@pytest.fixture(scope="module")
def report(town, module_scope):
    return generate(town, module_scope)[0]


def url(report, query="") -> str:
    return f"/t/solby/reports/{report.id}/tables{query}"


def csv_rows(reply) -> list[list[str]]:
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(reply) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(reply.get_data()))
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def html_tables(document: str) -> list[list[list[str]]]:
    """The document's body rows, cell texts, read with plain regular expressions (a second
    reading, independent of web.reports.tables)."""
    out = []
    for table in re.findall(r"<table>(.*?)</table>", document, re.S):
        body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
        out.append(
            [
                [
                    " ".join(re.sub(r"<[^>]+>", " ", c).split())
                    for c in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", tr, re.S)
                ]
                for tr in re.findall(r"<tr\b[^>]*>(.*?)</tr>", body, re.S)
            ]
        )
    return out


def test_every_table_downloads_exactly_what_the_report_shows(town, login, report):
    client = login(town.hovedudvalg)
    published = html_tables(report.html)
    assert len(published) == 5
    for number, rows in enumerate(published, start=1):
        got = csv_rows(client.get(url(report, f"?which={number}&format=csv")))
        assert got[1:] == rows, number
        sheet = xlsx_rows(client.get(url(report, f"?which={number}&format=xlsx")))
        assert [[str(v) for v in row] for row in sheet[1:]] == [
            [c.replace(".", "") if re.fullmatch(r"[\d.]+", c) else c for c in row] for row in rows
        ]
    header = csv_rows(client.get(url(report, "?which=2&format=csv")))[0]
    assert header[:3] == ["Enhed", "Dialogforløb: Startet i perioden", "Dialogforløb: Afsluttet"]


def test_a_figure_the_report_hides_is_hidden_in_the_download(town, login, report):
    client = login(town.hr)
    # Dagtilbud Nord: 4 of its 7 took part, so a figure about 3 people: the report hides it.
    [row] = [
        r for r in csv_rows(client.get(url(report, "?format=csv"))) if r[0] == "Dagtilbud Nord"
    ]
    assert row[1] == "7" and row[2] == HIDDEN and "4" not in row[2:]
    sheet = [
        r for r in xlsx_rows(client.get(url(report, "?format=xlsx"))) if r[0] == "Dagtilbud Nord"
    ]
    assert sheet[0][1] == 7 and sheet[0][2] == HIDDEN and 4 not in sheet[0]
    # The page says the same.
    page = client.get(url(report, "?name=nord")).get_data(as_text=True)
    assert "Dagtilbud Nord" in page and HIDDEN in page and "Børn og Unge" not in page


def test_filters_narrow_the_rows_and_downloads_are_audited(town, login, report, scope):
    client = login(town.hr)
    got = csv_rows(client.get(url(report, "?which=1&name=B%C3%98RN&format=csv")))
    assert [r[0] for r in got[1:]] == ["Børn og Unge", "Øvrige enheder under Børn og Unge"]
    with scope(town.tenant):
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event == "table.exported")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry.actor_id == town.hr.id
    assert entry.details["table"] == f"rapport-{report.id}-tabel-1"
    assert entry.details["rows"] == 2 and entry.details["name"] == "BØRN"


@pytest.mark.parametrize("query", ["?which=99", "?which=x", "?format=ods", "?name=" + "x" * 201])
def test_a_bad_filter_is_refused_with_its_message(town, login, report, query):
    reply = login(town.hr).get(url(report, query))
    assert reply.status_code == 422 and "<tbody>" not in reply.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"), [("employee", 403), ("leader", 403), ("admin", 403), ("hovedudvalg", 200)]
)
def test_only_report_readers_see_or_download_the_tables(town, login, report, who, status):
    client = login(getattr(town, who))
    assert client.get(url(report)).status_code == status
    assert client.get(url(report, "?format=csv")).status_code == status


# --- for all figures ---------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
figure = st.one_of(st.none(), st.integers(0, 20_000))
label = st.from_regex(r"[A-Za-zÆØÅæøå]{1,10}( [a-zæøå0-9]{1,6})?", fullmatch=True)


@st.composite
def shown_rows(draw):
    rows = []
    for i in range(draw(st.integers(1, 5))):
        members = draw(st.integers(5, 20_000))
        figures = {n: draw(figure) for n in (*CYCLES, *ACTIONS)}
        figures["contributors"] = draw(st.one_of(st.none(), st.integers(0, members)))
        rows.append(
            ShownRow(
                unit_id=f"{i:012d}",
                label=draw(label),
                is_other=False,
                depth=min(i, 1),
                people_count=members,
                figures=figures,
                people=frozenset(),
                parts=frozenset(),
            )
        )
    return rows


@st.composite
def all_totals(draw):
    names = [
        distribution_key(d, m.value, s)
        for d, enum in DIMENSIONS.items()
        for m in enum
        for s in SOURCES[d]
    ]
    return {**{n: draw(figure) for n in names}, **{n: draw(figure) for n in (*CYCLES, *ACTIONS)}}


@PROPERTY
@given(rows=shown_rows(), totals=all_totals())
def test_for_any_figures_a_table_carries_the_shown_figures_and_no_hidden_one(
    town, scope, rows, totals
):
    with scope(town.tenant):  # the module's tenant: rendering writes nothing
        day = services.today()
        document = render_html(
            Document(
                "Kommune", Period(day, day), 5, Figures(rows=rows, totals=totals), [], day, None
            )
        )
        tables = {t.code: t for t in published_tables(document)}
    participation, activity = tables["1"].rows, tables["2"].rows
    assert len(participation) == len(activity) == len(rows)
    for row, part, act in zip(rows, participation, activity, strict=True):
        assert part[0] == act[0] == row.label
        assert part[1] == row.people_count
        shown = row.figures["contributors"]
        assert part[2] == (HIDDEN if shown is None else shown)
        assert act[1:] == [
            HIDDEN if row.figures[n] is None else row.figures[n] for n in (*CYCLES, *ACTIONS)
        ]
    for code, dimension in zip(("3", "4", "5"), DIMENSIONS, strict=True):
        for member, cells in zip(DIMENSIONS[dimension], tables[code].rows, strict=True):
            expected = [
                totals[distribution_key(dimension, member.value, s)] for s in SOURCES[dimension]
            ]
            assert cells[1:] == [HIDDEN if v is None else v for v in expected]
