"""Filters and downloads of the tables HR, leaders and admins read: one idiom for every list.

A list page declares its filters once, ``{name: kind}``, and reads them with ``read_filters``:
each value through ``web.inputs.read`` (the same verdicts and messages as every form), a choice
from a fixed set through ``OneOf``, ``since``..``until`` checked to be in order, and ``format``
checked to be CSV or XLSX. The view then does one of three things, always in this order:

- errors: ``invalid(template, flt.errors, ...)`` (422, each message at its field, no rows);
- ``flt.fmt``: ``export(flt, name, header, rows, sheet=...)`` (audited, committed, downloaded
  through ``web.exports``, so Danish letters and dates stay correct in Excel);
- otherwise the page, whose paging links keep the filters (``flt.link_args()``).

The template side is ``templates/_filters.html`` (a select, a day field, a text field and the
download buttons), so every list looks and reads the same. Exports run the page's own query
with its permission and scope: what a download holds is what the page would show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import g
from flask_babel import gettext as _
from flask_babel import to_utc
from werkzeug.datastructures import MultiDict

from web.exports import Cell, ExportFormat, download
from web.inputs import read

EXPORT_MAX = 50_000  # rows in one download (the filters narrow it)


@dataclass(frozen=True)
class OneOf:
    """A choice from the codes ``choices()`` gives (called per request: labels are translated,
    and the set may depend on the tenant); ``message`` when the value is not one of them."""

    choices: Callable[[], Iterable[str]]
    message: Callable[[], str] = field(default=lambda: _("Vælg en af mulighederne på listen."))


@dataclass
class Filters:
    """The filters as read: ``values`` (None for a filter not given), ``errors`` by field."""

    args: Mapping[str, str]
    names: tuple[str, ...]
    values: dict[str, Any]
    errors: dict[str, str]
    fmt: ExportFormat | None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def link_args(self) -> dict[str, str]:
        """The given filters as query arguments (for paging and download links)."""
        return {name: self.args[name] for name in self.names if self.args.get(name)}

    def described(self) -> dict[str, Any]:
        """The given filters as plain JSON (for the audit entry of a download)."""
        return {
            name: value.isoformat()
            if isinstance(value, date)
            else (value.value if hasattr(value, "value") else value)
            for name, value in self.values.items()
            if value not in (None, "")
        }


def day_start(day: date) -> datetime:
    """The first moment of ``day`` as people here count days (Europe/Copenhagen), in UTC: a
    ``since``..``until`` filter on a time stamp is ``>= day_start(since)`` and
    ``< day_start(until + 1 day)``."""
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=UTC)


def read_filters(args: MultiDict | Mapping[str, str], kinds: Mapping[str, Any]) -> Filters:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, kind in kinds.items():
        raw = args.get(name, "")
        if isinstance(kind, OneOf):
            if raw and raw not in set(kind.choices()):
                errors[name] = kind.message()
                raw = ""
            values[name] = raw or None
        else:
            values[name] = read(errors, name, raw, kind)
    since, until = values.get("since"), values.get("until")
    if since and until and until < since:
        errors["until"] = _("Slutdatoen skal ligge på eller efter startdatoen.")
    raw_format = args.get("format", "")
    fmt = None
    if raw_format:
        if raw_format in set(ExportFormat):
            fmt = ExportFormat(raw_format)
        else:
            errors["format"] = _("Vælg CSV eller XLSX.")
    return Filters(args, tuple(kinds), values, errors, fmt)


def export(
    flt: Filters,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str,
    event: str = "table.exported",
):
    """The rows as ``flt.fmt``, audited (who, which table, how many rows, which filters) and
    committed before the file leaves."""
    from web.audit.services import record
    from web.extensions import db

    rows = list(rows)[:EXPORT_MAX]
    details = {"table": name} if event == "table.exported" else {}
    record(event, actor=g.user, format=flt.fmt.value, rows=len(rows), **details, **flt.described())
    db.session.commit()
    return download(flt.fmt, name, header, rows, sheet=sheet)
