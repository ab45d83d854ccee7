"""What the cycle services share: trimming text and the cycle's dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import to_user_timezone

from web.cycles.models import MAX_PLACE
from web.inputs import Day, Moment, check_text, normalise_newlines, read


def clean_text(value: str | None) -> str:
    """Trimmed text with line endings normalised (browsers send CRLF)."""
    return normalise_newlines(value or "").strip()


@dataclass(frozen=True)
class CycleDates:
    """A cycle's dates, in order: preparation start ≤ end ≤ meeting day ≤ follow-up.

    ``meeting_at`` is timezone-aware; its day is taken in the users' time zone
    (``BABEL_DEFAULT_TIMEZONE``, Europe/Copenhagen), which is the day people see.
    """

    preparation_starts_on: date
    preparation_ends_on: date
    meeting_at: datetime | None = None
    meeting_place: str | None = None
    follow_up_on: date | None = None

    @property
    def meeting_on(self) -> date | None:
        return to_user_timezone(self.meeting_at).date() if self.meeting_at else None


def check_dates(errors: dict[str, str], dates: CycleDates) -> None:
    """Record a message at the first field that breaks the order of the dates."""
    if dates.meeting_at is not None and dates.meeting_at.tzinfo is None:
        raise ValueError("meeting_at must be timezone-aware")
    check_text(errors, "meeting_place", dates.meeting_place or "", MAX_PLACE)
    # The edges read dates with the same kinds; this keeps any other caller in range too.
    out_of_range: dict[str, str] = {}
    for field, value, kind in (
        ("preparation_starts_on", dates.preparation_starts_on, Day),
        ("preparation_ends_on", dates.preparation_ends_on, Day),
        ("meeting_on", dates.meeting_at, Moment),
        ("follow_up_on", dates.follow_up_on, Day),
    ):
        read(out_of_range, field, value, kind)
    if out_of_range:
        errors.update(out_of_range)
        return
    if dates.preparation_ends_on < dates.preparation_starts_on:
        errors["preparation_ends_on"] = _("Forberedelsen kan ikke slutte, før den begynder.")
    meeting_on = dates.meeting_on
    if meeting_on is not None and meeting_on < dates.preparation_ends_on:
        errors["meeting_on"] = _("Dialogmødet skal ligge på eller efter forberedelsens sidste dag.")
    if dates.follow_up_on is not None:
        earliest = meeting_on or dates.preparation_ends_on
        if dates.follow_up_on < earliest:
            errors["follow_up_on"] = (
                _("Opfølgningen skal ligge på eller efter dialogmødet.")
                if meeting_on
                else _("Opfølgningen skal ligge på eller efter forberedelsens sidste dag.")
            )
