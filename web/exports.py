"""Tables downloaded as CSV or XLSX: one function for every page that offers an export.

A table is a header row (translated labels) and rows of plain values (``str``, ``int``,
``date``, ``datetime``). CSV is UTF-8 with a byte-order mark and ``;`` as separator, which is
what Excel with Danish settings opens with æøå and columns intact; dates as ISO 8601. XLSX
(XlsxWriter) keeps dates and times as real Excel dates in Copenhagen wall-clock time, so they
sort and filter as dates. Cells that begin with ``= + - @`` are prefixed with ``'`` in CSV (a
spreadsheet must not run what a user typed) and written as strings in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum

import xlsxwriter
from flask import Response
from flask_babel import to_user_timezone

Cell = str | int | float | date | datetime | None


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MIMETYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _local(value: datetime) -> datetime:
    return to_user_timezone(value).replace(tzinfo=None)


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = [len(str(h)) for h in header]
    for col, label in enumerate(header):
        ws.write_string(0, col, str(label), bold)
    r = 0
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                ws.write_datetime(r, col, _local(value), moment)
                width = 19
            elif isinstance(value, date):
                ws.write_datetime(r, col, value, day)
                width = 10
            elif isinstance(value, bool):
                ws.write_boolean(r, col, value)
                width = 5
            elif isinstance(value, int | float):
                ws.write_number(r, col, value)
                width = len(str(value))
            else:
                ws.write_string(r, col, str(value))
                width = min(len(str(value)), 60)
            if col < len(widths):
                widths[col] = max(widths[col], width)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width + 2)
    ws.freeze_panes(1, 0)
    if header:
        ws.autofilter(0, 0, max(r, 1), len(header) - 1)
    book.close()
    return out.getvalue()


def download(
    fmt: ExportFormat,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str,
) -> Response:
    """The table as an attachment ``<name>.<fmt>`` (``name`` ASCII, chosen by the caller)."""
    rows = list(rows)
    body = to_csv(header, rows) if fmt == ExportFormat.CSV else to_xlsx(header, rows, sheet=sheet)
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt.value}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
