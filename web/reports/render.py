"""The report as one HTML document (also the source of the PDF): tables, SVG charts, entries.

Charts are drawn in the charts' one style (``web.charts``), embedded inline in the HTML and hence
in the PDF. Each chart is a figure with a
caption that says what it shows in words, and is followed by a table holding the same numbers,
so nothing depends on seeing the chart. The PDF is tagged (PDF/UA-1) with the document's
language.

Free text: only approved collection entries (already redacted), redacted once more here with
the tenant's directory (names, e-mails, phones, CPR); unit names go through the same redactor,
since a unit can be named after a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import render_template
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from web import charts
from web.charts import BLUE, ORANGE
from web.collections.directory import directory_redactor
from web.collections.models import CollectionEntry
from web.collections.redaction import Redactor
from web.collections.services import published_filter
from web.examples.models import Example, ExampleKind
from web.extensions import db
from web.orgs.models import OrgUnit
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

log = logging.getLogger(__name__)

ENTRIES_PER_KIND = 3


@dataclass(frozen=True)
class SelectedEntry:
    kind: ExampleKind
    title: str
    text: str
    lesson: str | None
    area_name: str | None
    expectations: list[str]


@dataclass
class Document:
    tenant_name: str
    period: Period
    k: int
    figures: Figures
    entries: list[SelectedEntry]
    generated_on: date
    meeting_on: date | None
    # (label, teams) of the period's themes drawn from at least k teams (web.themes)
    themes: list[tuple[str, int]] = field(default_factory=list)


def selection(period: Period) -> list[SelectedEntry]:
    """Up to three good examples and three lessons, approved in the period, newest first,
    redacted once more with the tenant's directory (the only free text of a report)."""
    start, end = period.bounds()
    redactor = directory_redactor()
    chosen: list[SelectedEntry] = []
    for kind in ExampleKind:
        rows = db.session.execute(
            select(CollectionEntry, OrgUnit.name)
            .join(Example, Example.id == CollectionEntry.example_id)
            .outerjoin(OrgUnit, OrgUnit.id == CollectionEntry.area_id)
            .where(
                published_filter(),
                CollectionEntry.kind == kind,
                CollectionEntry.reviewed_at >= start,
                CollectionEntry.reviewed_at < end,
            )
            .order_by(CollectionEntry.reviewed_at.desc(), CollectionEntry.id.desc())
            .limit(ENTRIES_PER_KIND)
        )
        for entry, area in rows:
            chosen.append(
                SelectedEntry(
                    kind=kind,
                    title=_clean(redactor, entry.title),
                    text=_clean(redactor, entry.text),
                    lesson=_clean(redactor, entry.lesson) if entry.lesson else None,
                    area_name=_clean(redactor, area) if area else None,
                    expectations=[e.label for e in entry.expectations],
                )
            )
    return chosen


def _clean(redactor: Redactor, text: str) -> str:
    redacted = redactor.redact(text)
    if redacted.findings:
        log.warning("report: redacted %s finding(s) in approved text", len(redacted.findings))
    return redacted.text


# --- HTML and PDF -----------------------------------------------------------------------------


def render_html(document: Document) -> str:
    redactor = directory_redactor()
    document.themes = [(_clean(redactor, label), teams) for label, teams in document.themes]
    rows = [_row_view(row, redactor) for row in document.figures.rows]
    totals = document.figures.totals
    distributions = [_distribution_view(name, totals) for name in DIMENSIONS]
    charts = {
        "participation": _participation_chart(rows) if rows else None,
        "activity": _activity_chart(totals) if totals else None,
        **{d["name"]: _distribution_chart(d) for d in distributions if totals},
    }
    return render_template(
        "reports/document.html",
        doc=document,
        rows=rows,
        totals=totals,
        distributions=distributions,
        charts=charts,
        activity=_activity_view(totals),
        summary=_participation_summary(rows),
        entry_kinds={ExampleKind.GOOD: _("Godt eksempel"), ExampleKind.LESSON: _("Læring")},
    )


def render_pdf(html: str) -> tuple[bytes, int]:
    """The PDF (tagged, PDF/UA-1) and its number of pages."""
    # WeasyPrint logs a line per step (also on import, parsing its own stylesheets).
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML  # imported when needed: it takes a second, most requests don't

    rendered = HTML(string=html).render(pdf_variant="pdf/ua-1")
    return rendered.write_pdf(pdf_variant="pdf/ua-1"), len(rendered.pages)


@dataclass(frozen=True)
class RowView:
    label: str
    depth: int
    is_other: bool
    members: int
    contributors: int | None  # None: hidden
    share: float | None  # contributors / members, None without members or when hidden
    figures: dict[str, int | None]

    @property
    def share_text(self) -> str:
        return format_percent(self.share) if self.share is not None else "–"


def _row_view(row: ShownRow, redactor: Redactor) -> RowView:
    name = redactor.redact(row.label).text
    label = _("Øvrige enheder under %(unit)s", unit=name) if row.is_other else name
    members, contributors = row.people_count, row.figures.get("contributors", 0)
    return RowView(
        label=label,
        depth=row.depth,
        is_other=row.is_other,
        members=members,
        contributors=contributors,
        share=contributors / members if members and contributors is not None else None,
        figures=row.figures,
    )


def _activity_view(totals: dict[str, int | None]) -> list[tuple[str, list[tuple[str, int | None]]]]:
    labels = _activity_labels()
    return [
        (_("Dialogforløb"), [(labels[n], totals.get(n, 0)) for n in CYCLES]),
        (_("Aftalte handlinger"), [(labels[n], totals.get(n, 0)) for n in ACTIONS]),
    ]


def _activity_labels() -> dict[str, str]:
    return {
        "cycles_started": _("Startet i perioden"),
        "cycles_completed": _("Afsluttet"),
        "cycles_overdue": _("Forsinket"),
        "actions_agreed": _("Aftalt"),
        "actions_done": _("Gennemført"),
        "actions_overdue": _("Forsinket"),
    }


def _distribution_view(dimension: str, totals: dict[str, int]) -> dict:
    titles = {
        "expectation": _("De fire forventninger til aktørskab"),
        "kkc": _("KKC"),
        "olfa": _("OLFA"),
    }
    source_labels = {"actions": _("Handlinger"), "examples": _("Eksempler")}
    sources = SOURCES[dimension]
    rows = [
        (
            member.label,
            [totals.get(distribution_key(dimension, member.value, s), 0) for s in sources],
        )
        for member in DIMENSIONS[dimension]
    ]
    return {
        "name": dimension,
        "title": titles[dimension],
        "sources": [source_labels[s] for s in sources],
        "rows": rows,
    }


def _participation_summary(rows: list[RowView]) -> str:
    with_share = [r for r in rows if r.share is not None]
    if not with_share:
        return _("Der er ingen tal om deltagelse at vise.")
    high = max(with_share, key=lambda r: r.share)
    low = min(with_share, key=lambda r: r.share)
    return _(
        "Højeste deltagelse: %(high)s (%(high_share)s). Laveste: %(low)s (%(low_share)s).",
        high=high.label,
        high_share=high.share_text,
        low=low.label,
        low_share=low.share_text,
    )


# --- charts -----------------------------------------------------------------------------------


def _participation_chart(rows: list[RowView]) -> str:
    shown = [r for r in rows if r.share is not None]
    labels = [_wrap(r.label) for r in shown]
    values = [100 * r.share for r in shown]
    with charts.style():
        fig = charts.figure(7, 0.35 * len(shown) + 1.0)
        ax = fig.subplots()
        y = range(len(shown))
        ax.barh(y, values, color=BLUE)
        ax.set_yticks(list(y), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Andel af medlemmerne, der har bidraget (%)"))
        for i, value in zip(y, values, strict=True):
            label = format_percent(value / 100)
            if value > 85:  # no room right of the bar: inside it, white on blue
                ax.text(value - 1, i, label, va="center", ha="right", color="white")
            else:
                ax.text(value + 1, i, label, va="center")
        return _svg(fig, "chart-participation")


def _activity_chart(totals: dict[str, int]) -> str:
    labels = _activity_labels()
    with charts.style():
        fig = charts.figure(7, 2.6)
        axes = fig.subplots(1, 2)
        for ax, names, title, colour in (
            (axes[0], CYCLES, _("Dialogforløb"), BLUE),
            (axes[1], ACTIONS, _("Aftalte handlinger"), ORANGE),
        ):
            values = [totals.get(n, 0) or 0 for n in names]  # a hidden total: no bar, "–"
            hidden = [totals.get(n, 0) is None for n in names]
            ax.bar([_wrap(labels[n], 12) for n in names], values, color=colour)
            ax.set_title(title)
            ax.set_ylim(0, max(1, *values) * 1.15)  # room for the labels; no axis below zero
            ax.yaxis.get_major_locator().set_params(integer=True)
            for i, value in enumerate(values):
                ax.text(
                    i, value, "–" if hidden[i] else format_decimal(value), ha="center", va="bottom"
                )
        fig.tight_layout()
        return _svg(fig, "chart-activity")


def _distribution_figure(view: dict):
    """The distribution's bars, a series per source (actions, examples), the legend below."""
    labels = [_wrap(label, 34) for label, _values in view["rows"]]
    raw = list(zip(*(values for _label, values in view["rows"]), strict=True))
    series = [[v or 0 for v in values] for values in raw]  # a hidden cell: no bar, "–"
    with charts.style():
        fig = charts.figure(
            7, 0.3 * len(labels) * len(series) + 1.0 + 0.3 * (len(series) > 1), layout="constrained"
        )
        ax = fig.subplots()
        height = 0.8 / len(series)
        for s, (values, name) in enumerate(zip(series, view["sources"], strict=True)):
            offsets = [i + s * height for i in range(len(labels))]
            ax.barh(
                offsets,
                values,
                height=height,
                label=name,
                color=(BLUE, ORANGE)[s % 2],
                hatch=("", "//")[s % 2],
                edgecolor="white",
            )
            for y, value, shown in zip(offsets, values, raw[s], strict=True):
                ax.text(
                    value, y, " " + ("–" if shown is None else format_decimal(value)), va="center"
                )
        ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))], labels)
        ax.invert_yaxis()
        ax.set_xlim(0, max(1, *(v for values in series for v in values)) * 1.1)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if len(series) > 1:
            charts.legend_below(fig, len(series))
        return fig


def _distribution_chart(view: dict) -> str:
    with charts.style():
        return _svg(_distribution_figure(view), f"chart-{view['name']}")


def _wrap(text: str, width: int = 40) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _svg(fig, caption_id: str) -> str:
    """The chart labelled by its figure caption, its ids prefixed with the chart's name."""
    return charts.svg(
        fig, ids=caption_id, root=f'role="img" aria-labelledby="{caption_id}" class="chart"'
    )
