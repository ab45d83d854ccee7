"""A whole report: HTML with charts and tables, the PDF, and what must never be in them."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.collections.town import KEEP
from tests.reports.town import PERIOD
from web.extensions import db
from web.reports import services
from web.reports.models import Report, ReportRun, ReportStatus, RunStatus


def share_an_example(town, make, scope) -> None:
    """One approved collection entry (the only free text allowed) and one still pending."""
    from web.collections.compilation import compile_collection
    from web.collections.models import CollectionEntry
    from web.collections.services import approve_entry

    sol = town.units["sol"]
    make.example(
        town.tenant,
        sol,
        town.people["sol"][1],
        title="Hanne Jensens tavle",
        text="Hanne Jensen hængte en tavle op; ring 22 33 44 55.",
        is_offered=True,
    )
    make.example(
        town.tenant,
        sol,
        town.people["sol"][2],
        title="Ikke godkendt endnu",
        text="Ib Iversen foreslog noget.",
        is_offered=True,
    )
    with scope(town.tenant):
        compile_collection()
        first = db.session.scalars(select(CollectionEntry).order_by(CollectionEntry.id)).first()
        approve_entry(town.hr, first, revision=first.revision, decisions=KEEP)
        db.session.commit()


def generate(town, scope, locale: str = "da") -> tuple[Report, list[int]]:
    """What the task does, in the test's transaction."""
    seen: list[int] = []
    with scope(town.tenant):
        report = services.request_report(
            town.hr,
            period_start=PERIOD[0].isoformat(),
            period_end=PERIOD[1].isoformat(),
            locale=locale,
        )
        timer = services.Timer(0.0)
        run = services.start_run(report)
        counts = services.build(report, seen.append)
        services.finish_run(report, run, counts, timer)
        db.session.commit()
        return report, seen


@pytest.fixture
def generated(town, make, scope) -> tuple[Report, list[int]]:
    share_an_example(town, make, scope)
    return generate(town, scope)


def test_the_html_has_every_section_no_figure_below_k_and_no_names(town, scope, generated):
    report, progress = generated
    html = report.html
    for heading in (
        "Deltagelse",
        "Dialogforløb og aftalte handlinger",
        "Hvad handler aktørskabet om?",
        "Udvalgte eksempler fra inspirationskataloget",
    ):
        assert f">{heading}</h2>" in html
    members = [int(n) for n in re.findall(r'<td class="members">(\d+)</td>', html)]
    assert members == [28, 18, 7, 6, 5, 5, 5, 5]  # every row is about at least k = 5 people
    assert "Øvrige enheder under Børn og Unge" in html
    assert "Specialtilbud" not in html  # merged: its 2 people have no row of their own
    assert "50\xa0%" in html  # Børn og Unge: 9 of 18 took part (Danish: a no-break space)
    # Dagtilbud Nord: 4 of 7 took part, so 3 did not: a figure about 3 people, hidden.
    assert '<span class="hidden-cell">skjult</span>' in html
    # Five charts (participation, activity, three distributions), each labelled by a caption,
    # and tables with the same numbers.
    assert html.count('<svg role="img" aria-labelledby="chart-') == 5
    for chart in ("participation", "activity", "expectation", "kkc", "olfa"):
        assert f'<figcaption id="chart-{chart}">' in html
    assert html.count("<table>") == 5 and html.count('<th scope="row"') >= 16
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the charts' element ids do not collide
    assert "<script" not in html

    # No name, e-mail or phone; the approved entry (redacted), not the pending one.
    for name in town.names:
        assert name not in html, name
    assert "22 33 44 55" not in html and not re.search(r"[\w.-]+@[\w-]+\.\w+", html)
    assert "[navn] hængte en tavle op; ring [telefon]." in html
    assert "Ikke godkendt endnu" not in html

    with scope(town.tenant):
        stored = db.session.get(Report, report.id)
        groups, pdf_size = stored.published_groups, len(stored.pdf)
        [run] = db.session.scalars(select(ReportRun).where(ReportRun.report_id == report.id))
    # The published groups (person ids, for the next report only) are never in the document.
    assert len(groups) == 8  # one people set per row (person ids, for the audit only)
    assert all(g == sorted(g) for g in groups) and str(min(groups, key=len)) not in html

    # The run log: inputs' counts and duration; progress rose to the end.
    assert (stored.status, stored.progress, stored.k_threshold) == (ReportStatus.DONE, 100, 5)
    assert run.status == RunStatus.SUCCEEDED and run.duration_ms >= 0
    assert run.counts["people"] == 28 and run.counts["entries"] == 1
    assert run.counts["pdf_pages"] >= 2 and run.counts["pdf_bytes"] == pdf_size
    assert progress == sorted(progress) and progress[0] >= 1 and progress[-1] == 95


def test_the_pdf_opens_with_pages_figures_and_headings_and_no_names(town, generated):
    report, _ = generated
    assert report.pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(report.pdf))
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    assert "Aktørskab: rapport til Hovedudvalget" in text
    assert "Deltagelse pr. område og afdeling" in text
    assert "Dagtilbud Nord" in text and "50 %" in text and "skjult" in text
    for name in town.names:
        assert name not in text, name
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/Lang"] == "da"  # tagged, with language


def test_the_next_report_is_audited_against_the_one_published(town, make, scope):
    from sqlalchemy.orm import undefer

    from tests.reports.lp_check import Cell, interval

    generate(town, scope)
    # A new member of Skoler: next to the first report, the second one (same period) could
    # give her participation by subtraction; the audit must leave it open.
    newcomer = make.user(town.tenant, "Ny Kollega", unit=town.units["nord"])
    generate(town, scope)
    with scope(town.tenant):
        stored = db.session.scalars(
            select(Report).options(undefer(Report.published_rows)).order_by(Report.id)
        ).all()
        assert stored[1].k_threshold == 5
        cells = [
            Cell(frozenset(row["people"]), row["cells"]["contributors"])
            for report in stored
            for row in report.published_rows
            if "contributors" in row["cells"]
        ]
    assert interval(cells, {newcomer.id}, people=True) == (0.0, 1.0)


def test_in_english(town, scope):
    from flask_babel import force_locale

    from web.reports.figures import Period, compute
    from web.reports.render import Document, render_html

    with scope(town.tenant), force_locale("en"):
        period = Period(*PERIOD)
        figures = compute(period, 5, [], services.today())
        html = render_html(
            Document("Solby Kommune", period, 5, figures, [], services.today(), None)
        )
    assert '<html lang="en">' in html
    assert ">Participation per area and department</caption>" in html
    assert "Other units under Børn og Unge" in html


def test_a_failed_run_is_recorded(town, scope, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("chart library exploded")

    monkeypatch.setattr("web.reports.services.render_pdf", broken)
    with scope(town.tenant):
        report = services.request_report(
            town.hr,
            period_start=PERIOD[0].isoformat(),
            period_end=PERIOD[1].isoformat(),
            locale="da",
        )
        run = services.start_run(report)
        with pytest.raises(RuntimeError):
            services.build(report, lambda p: None)
        services.fail_run(
            report.id, run.id, RuntimeError("chart library exploded"), services.Timer(0.0)
        )
        assert (report.status, run.status) == (ReportStatus.FAILED, RunStatus.FAILED)
        assert run.error == "RuntimeError: chart library exploded"


def test_a_run_interrupted_by_a_dying_worker_is_closed_when_the_task_comes_back(town, scope):
    with scope(town.tenant):
        report = services.request_report(
            town.hr,
            period_start=PERIOD[0].isoformat(),
            period_end=PERIOD[1].isoformat(),
            locale="da",
        )
        first = services.start_run(report)  # ... and the worker died here
        second = services.start_run(report)
        assert (first.status, first.error) == (RunStatus.FAILED, "interrupted")
        assert second.status == RunStatus.RUNNING
