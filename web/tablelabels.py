"""Phone-ready tables: every cell of a stacked table carries its column's label.

Det Fælles Designsystem's ``table--responsive-headers`` stacks a table's cells on a narrow
screen and shows each cell's ``data-title`` above it; without one a stacked row is a bare run of
values ("4 0 0 0 0 4"). Rather than every template repeating each header at each cell (and a new
column silently missing it), ``label_cells`` fills ``data-title`` on every body cell (``td`` and
row-header ``th``) from the table's own ``thead`` labels, counting ``colspan``; a cell that
already has a ``data-title`` keeps it. It runs on every HTML response that has such a table
(``install``), so it works without JavaScript and for tables added later.
"""

from __future__ import annotations

import html
import re

from flask import Flask, Response

MARKER = "table--responsive-headers"
_TABLE = re.compile(r"<table\b[^>]*\btable--responsive-headers\b[^>]*>.*?</table>", re.S)
_THEAD = re.compile(r"<thead\b.*?</thead>", re.S)
_TBODY = re.compile(r"(<tbody\b[^>]*>)(.*?)(</tbody>)", re.S)
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_COLSPAN = re.compile(r'\bcolspan="?(\d+)')


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _span(attrs: str) -> int:
    found = _COLSPAN.search(attrs)
    return max(1, min(int(found.group(1)), 1000)) if found else 1


def _labels(thead: str) -> list[str]:
    """One label per column of the header's last row (its most detailed one)."""
    rows = _ROW.findall(thead)
    if not rows:
        return []
    labels: list[str] = []
    for _tag, attrs, content in _CELL.findall(rows[-1][1]):
        labels.extend([_text(content)] * _span(attrs))
    return labels


def _label_row(row: str, labels: list[str]) -> str:
    column = 0

    def fill(cell: re.Match[str]) -> str:
        nonlocal column
        tag, attrs, content = cell.groups()
        span = _span(attrs)
        covered = [label for label in labels[column:column + span] if label]
        column += span
        if "data-title=" in attrs or not covered:
            return cell.group(0)
        title = html.escape(", ".join(dict.fromkeys(covered)), quote=True)
        return f'<{tag}{attrs} data-title="{title}">{content}</{tag}>'

    return _CELL.sub(fill, row)


def _label_table(table: re.Match[str]) -> str:
    text = table.group(0)
    thead = _THEAD.search(text)
    if thead is None:
        return text
    labels = _labels(thead.group(0))
    if not labels:
        return text

    def body(match: re.Match[str]) -> str:
        rows = _ROW.sub(lambda r: r.group(1) + _label_row(r.group(2), labels) + r.group(3),
                        match.group(2))
        return match.group(1) + rows + match.group(3)

    return _TBODY.sub(body, text)


def label_cells(page: str) -> str:
    if MARKER not in page:
        return page
    return _TABLE.sub(_label_table, page)


def install(app: Flask) -> None:
    @app.after_request
    def _label_tables(response: Response) -> Response:
        if response.mimetype != "text/html" or response.direct_passthrough \
                or response.is_streamed:
            return response
        page = response.get_data(as_text=True)
        if MARKER in page:
            response.set_data(label_cells(page))
        return response
