"""Reading the cycle forms at the edge: typed values out of ``request.form``, or messages.

Each reader returns what it could parse and records a translated message per bad field in
``errors`` (the same field names the services use), so a page shows every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import gettext as _

from web.cycles.models import Phase, PromptKind, Visibility
from web.cycles.services.common import CycleDates
from web.cycles.services.contributions import AnswerInput
from web.cycles.services.templates import PromptInput
from web.inputs import Clock, Day, Id, read, read_ids

Form = Mapping[str, str]


def parse_date(errors: dict[str, str], form: Form, field: str, *, required: bool) -> date | None:
    """A date in the documented range (``web.inputs.Day``, the API's ``Day``)."""
    return read(errors, field, form.get(field), Day, required=required)


def parse_time(errors: dict[str, str], form: Form, field: str) -> time | None:
    value = read(errors, field, form.get(field), Clock)
    return value.replace(second=0, microsecond=0, tzinfo=None) if value is not None else None


def parse_int(form: Form, field: str) -> int | None:
    """An id (``web.inputs.Id``), or ``None`` when absent or malformed."""
    return read({}, field, form.get(field), Id)


def parse_ids(values: list[str]) -> list[int]:
    return read_ids(values)


def parse_dates(
    errors: dict[str, str], form: Form, *, with_meeting: bool = True
) -> CycleDates | None:
    """The dates of a cycle form; ``meeting_on`` + ``meeting_time`` are in the users' zone."""
    starts = parse_date(errors, form, "preparation_starts_on", required=True)
    ends = parse_date(errors, form, "preparation_ends_on", required=True)
    follow_up = parse_date(errors, form, "follow_up_on", required=False)
    meeting_at, place = None, None
    if with_meeting:
        meeting_on = parse_date(errors, form, "meeting_on", required=False)
        meeting_time = parse_time(errors, form, "meeting_time")
        if meeting_on and meeting_time is None and "meeting_time" not in errors:
            errors["meeting_time"] = _("Skriv, hvornår mødet begynder.")
        elif meeting_time is not None and meeting_on is None and "meeting_on" not in errors:
            errors["meeting_on"] = _("Vælg mødets dato.")
        elif meeting_on and meeting_time:
            meeting_at = datetime.combine(
                meeting_on, meeting_time, tzinfo=ZoneInfo(get_timezone().zone)
            )
        place = form.get("meeting_place") or ""
    if starts is None or ends is None:
        return None
    return CycleDates(starts, ends, meeting_at, place, follow_up)


def parse_phase(form: Form, field: str) -> Phase | None:
    return read({}, field, form.get(field), Phase)


def parse_answers(form: Form, prompt_ids: list[int]) -> list[AnswerInput]:
    answers = []
    for prompt_id in prompt_ids:
        visibility = read({}, "visibility", form.get(f"visibility-{prompt_id}"), Visibility)
        answers.append(AnswerInput(prompt_id, form.get(f"answer-{prompt_id}", ""), visibility))
    return answers


@dataclass
class PromptRow:
    """One row of the template form, as shown again after a failed save."""

    index: int
    id: int | None
    kind: str
    text_da: str
    text_en: str
    help_da: str
    help_en: str
    position: str
    remove: bool = False


def template_rows(form: Form) -> list[PromptRow]:
    """Every ``prompt-<i>-…`` row of the template form, in form order."""
    indexes = sorted(
        {
            int(key.split("-")[1])
            for key in form
            if key.startswith("prompt-")
            and key.count("-") >= 2
            and key.split("-")[1].isdigit()
            and len(key.split("-")[1]) < 4
        }
    )
    return [
        PromptRow(
            index=i,
            id=parse_int(form, f"prompt-{i}-id"),
            kind=form.get(f"prompt-{i}-kind", ""),
            text_da=form.get(f"prompt-{i}-text_da", ""),
            text_en=form.get(f"prompt-{i}-text_en", ""),
            help_da=form.get(f"prompt-{i}-help_da", ""),
            help_en=form.get(f"prompt-{i}-help_en", ""),
            position=form.get(f"prompt-{i}-position", ""),
            remove=bool(form.get(f"prompt-{i}-remove")),
        )
        for i in indexes
    ]


def prompts_from_rows(
    errors: dict[str, str], rows: list[PromptRow]
) -> tuple[list[PromptInput], list[int]]:
    """The prompts to keep, ordered by their position field, and each one's form row index.

    Removed rows and new rows left blank are dropped; ties keep the form's order.
    """
    kept = []
    for row in rows:
        if row.remove or (
            row.id is None
            and not any(
                (row.text_da.strip(), row.text_en.strip(), row.help_da.strip(), row.help_en.strip())
            )
        ):
            continue
        position = row.position.strip()
        if position and not (position.isdigit() and len(position) < 5):
            errors[f"prompt-{row.index}-position"] = _("Skriv et helt tal.")
        order = int(position) if position.isdigit() and len(position) < 5 else 10_000
        kept.append((order, row))
    kept.sort(key=lambda pair: pair[0])
    prompts = []
    for _order, row in kept:
        kind = PromptKind(row.kind) if row.kind in tuple(PromptKind) else None
        prompts.append(
            PromptInput(kind, row.text_da, row.text_en, row.help_da, row.help_en, row.id)
        )
    return prompts, [row.index for _order, row in kept]


def reindex_errors(errors: dict[str, str], form_indexes: list[int]) -> dict[str, str]:
    """Map the service's ``prompt-<n>-…`` errors (n = order given) back to form rows."""
    mapped = {}
    for key, message in errors.items():
        parts = key.split("-", 2)
        if (
            parts[0] == "prompt"
            and len(parts) == 3
            and parts[1].isdigit()
            and int(parts[1]) < len(form_indexes)
        ):
            mapped[f"prompt-{form_indexes[int(parts[1])]}-{parts[2]}"] = message
        else:
            mapped[key] = message
    return mapped
