"""The report's tables as data, for filtering and downloading (issue 19, point 3).

They are read from the report's own published document (``Report.html``), not computed again:
what a download holds is, cell by cell, what the report shows — the anonymity engine's output
as it was published ("skjult" where a figure is hidden), never a raw count, and the same for
reports made before this existed. A whole number is handed on as a number (so a spreadsheet
sums it); a share ("50 %") and a hidden cell stay as the text the report prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

from web.exports import Cell

_NUMBER = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})*|\d+")


@dataclass(frozen=True)
class ReportTable:
    code: str  # its place in the document, "1", "2", …: stable for one report
    title: str
    header: list[str]
    rows: list[list[Cell]]

    def matching(self, text: str | None) -> list[list[Cell]]:
        """The rows whose first cell (the unit, category or theme) contains ``text``."""
        if not text:
            return self.rows
        wanted = text.casefold()
        return [row for row in self.rows if wanted in str(row[0]).casefold()]


def published_tables(document: str | None) -> list[ReportTable]:
    if not document:
        return []
    root = lxml.html.document_fromstring(document)
    tables = []
    for number, table in enumerate(root.iter("table"), start=1):
        caption = table.find("caption")
        if caption is not None:
            title = _text(caption)
        else:
            heading = table.xpath("preceding::h2[1]")
            title = _text(heading[0]) if heading else str(number)
        tables.append(
            ReportTable(
                str(number), title, _header(table), [_row(tr) for tr in table.xpath("./tbody/tr")]
            )
        )
    return tables


def _header(table) -> list[str]:
    """One label per column: the head's rows with their row and column spans laid out, a
    column's labels joined ("Dialogforløb: Startet i perioden")."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath("./thead/tr")):
        c = 0
        for cell in tr:
            if cell.tag not in ("th", "td"):
                continue
            while (r, c) in grid:
                c += 1
            span, down = int(cell.get("colspan", 1)), int(cell.get("rowspan", 1))
            for dr in range(down):
                for dc in range(span):
                    grid[(r + dr, c + dc)] = _text(cell)
            c += span
    columns = max((c for _, c in grid), default=-1) + 1
    labels = []
    for c in range(columns):
        parts = []
        for r in sorted({r for r, cc in grid if cc == c}):
            if grid[(r, c)] not in parts:
                parts.append(grid[(r, c)])
        labels.append(": ".join(parts))
    return labels


def _row(tr) -> list[Cell]:
    # A row's header (a unit's name, even "2030") stays text; a figure may be a number.
    return [
        _text(cell) if cell.tag == "th" else _value(_text(cell))
        for cell in tr
        if cell.tag in ("th", "td")
    ]


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _value(text: str) -> Cell:
    if _NUMBER.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    return text
