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
# Only opening tags are matched in a table's body, and the ends of tables and bodies are found
# with str.find: a lazy ``.*?`` over every character of a page cost ~0.5 ms per page.
_TABLE = re.compile(r"<table\b[^>]*\btable--responsive-headers\b[^>]*>")
_THEAD = re.compile(r"<thead\b.*?</thead>", re.S)
_TBODY = re.compile(r"<tbody\b[^>]*>")
_OPEN = re.compile(r"<(tr|td|th)\b([^>]*)>")
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.S)
_CELL = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_COLSPAN = re.compile(r'\bcolspan="?(\d+)')


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _span(attrs: str) -> int:
    if "colspan" not in attrs:  # nearly every cell: no regular expression
        return 1
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


class _Titles(dict):
    """(first column, span) -> the escaped ``data-title`` of a cell there, or "" for none:
    worked out once per table, as every row repeats the same columns."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__()
        self.labels = labels

    def __missing__(self, key: tuple[int, int]) -> str:
        column, span = key
        covered = [label for label in self.labels[column : column + span] if label]
        title = html.escape(", ".join(dict.fromkeys(covered)), quote=True) if covered else ""
        self[key] = title
        return title


def _label_body(body: str, titles: _Titles) -> str:
    """The rows of one ``tbody`` (its content), each cell's opening tag with its title."""
    column = 0

    def fill(tag: re.Match[str]) -> str:
        nonlocal column
        name, attrs = tag.groups()
        if name == "tr":
            column = 0
            return tag.group(0)
        span = _span(attrs)
        title = titles[column, span]
        column += span
        if not title or "data-title=" in attrs:
            return tag.group(0)
        return f'<{name}{attrs} data-title="{title}">'

    return _OPEN.sub(fill, body)


def _label_table(table: str) -> str:
    """One table's content (after its opening tag, up to its ``</table>``)."""
    thead = _THEAD.search(table)
    if thead is None:
        return table
    labels = _labels(thead.group(0))
    if not labels:
        return table
    titles = _Titles(labels)
    parts, done = [], 0
    for body in _TBODY.finditer(table):
        if body.start() < done:
            continue
        end = table.find("</tbody>", body.end())
        if end < 0:
            break
        parts += [table[done : body.end()], _label_body(table[body.end() : end], titles)]
        done = end
    parts.append(table[done:])
    return "".join(parts)


def label_cells(page: str) -> str:
    if MARKER not in page:
        return page
    parts, done = [], 0
    for table in _TABLE.finditer(page):
        if table.start() < done:  # a table inside one already labelled
            continue
        end = page.find("</table>", table.end())
        if end < 0:
            break
        parts += [page[done : table.end()], _label_table(page[table.end() : end])]
        done = end
    parts.append(page[done:])
    return "".join(parts)


def install(app: Flask) -> None:
    @app.after_request
    def _label_tables(response: Response) -> Response:
        if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
            return response
        page = response.get_data(as_text=True)
        if MARKER in page:
            response.set_data(label_cells(page))
        return response
