"""What the cycle services share: the input error, text checks and the cycle's dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import to_user_timezone

from web.cycles.models import MAX_PLACE

FORM = "_form"  # the key of an error about the form as a whole rather than one field


class InputError(ValueError):
    """Bad input; nothing was written.

    ``errors`` maps a form field's name to a translated message (``FORM`` for the whole form),
    so a page can show each message at its field and an API can return them as they are.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean_text(value: str | None) -> str:
    """Trimmed text with Windows line endings normalised (browsers send CRLF)."""
    return (value or "").replace("\r\n", "\n").strip()


def check_text(errors: dict[str, str], field: str, value: str, limit: int, *,
               required: bool = False) -> None:
    """Record a message for ``field`` when ``value`` is empty (if required) or too long."""
    if required and not value:
        errors[field] = _("Skal udfyldes.")
    elif len(value) > limit:
        errors[field] = _("Højst %(limit)s tegn (du har skrevet %(length)s).", limit=limit,
                          length=len(value))


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
    if dates.preparation_ends_on < dates.preparation_starts_on:
        errors["preparation_ends_on"] = _(
            "Forberedelsen kan ikke slutte, før den begynder.")
    meeting_on = dates.meeting_on
    if meeting_on is not None and meeting_on < dates.preparation_ends_on:
        errors["meeting_on"] = _("Dialogmødet skal ligge på eller efter forberedelsens sidste dag.")
    if dates.follow_up_on is not None:
        earliest = meeting_on or dates.preparation_ends_on
        if dates.follow_up_on < earliest:
            errors["follow_up_on"] = (
                _("Opfølgningen skal ligge på eller efter dialogmødet.") if meeting_on
                else _("Opfølgningen skal ligge på eller efter forberedelsens sidste dag."))
    check_text(errors, "meeting_place", dates.meeting_place or "", MAX_PLACE)
