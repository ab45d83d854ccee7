"""A Teams post: an Adaptive Card (1.4) in the envelope a Workflows webhook takes.

``{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <card>}]}`` is what the Workflows
template "Post to a channel when a webhook request is received" reads. The card is written in
the tenant's language (a channel has no person's language) and says only what the whole team
may read: the unit, the dates, the meeting's time and place, the agreed actions past their
date (their text and date, not who owns them). Text is put on one line and cut to
``MAX_TEXT`` characters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from web.reminders.mail import _when
from web.reminders.models import ReminderKind

CARD_VERSION = "1.4"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ACTIONS = 10
MAX_TEXT = 300


def plain(text: str | None, limit: int = MAX_TEXT) -> str:
    """Text on one line, cut at ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(value: date) -> str:
    return format_date(value, "long")


def envelope(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def card(
    title: str,
    lines: list[str],
    facts: list[tuple[str, str]],
    link: tuple[str, str],
) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
        *({"type": "TextBlock", "text": line, "wrap": True} for line in lines),
    ]
    if facts:
        body.append(
            {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in facts]}
        )
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "fallbackText": title,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": link[0], "url": link[1]}],
    }


def post_for(
    kind: ReminderKind,
    locale: str,
    *,
    unit: str,
    cycle_url: str,
    opens_on: date | None = None,
    closes_on: date | None = None,
    meeting_at: datetime | None = None,
    place: str | None = None,
    overdue: list[tuple[str, date]] | None = None,
) -> dict[str, Any]:
    """The envelope for one outbox row, in ``locale``."""
    with force_locale(locale):
        unit_text = plain(unit)
        link = (_("Åbn forløbet i Aktørskab"), cycle_url)
        if kind == ReminderKind.PREPARATION_OPENED:
            content = card(
                _("Forberedelsen til dialogen om aktørskab er åbnet – %(unit)s", unit=unit_text),
                [
                    _(
                        "Hver medarbejder kan nu forberede sig i Aktørskab frem til %(date)s.",
                        date=_day(closes_on),
                    )
                ],
                [
                    (_("Enhed"), unit_text),
                    (_("Åbnet"), _day(opens_on)),
                    (_("Forberedelse til og med"), _day(closes_on)),
                ],
                link,
            )
        elif kind in (ReminderKind.MEETING_INVITATION, ReminderKind.MEETING_UPDATED):
            title = (
                _("Dialogmødet er flyttet – %(unit)s", unit=unit_text)
                if kind == ReminderKind.MEETING_UPDATED
                else _("Dialogmøde om aktørskab – %(unit)s", unit=unit_text)
            )
            facts = [(_("Enhed"), unit_text), (_("Tidspunkt"), _when(meeting_at))]
            if place:
                facts.append((_("Sted"), plain(place)))
            content = card(
                title,
                [_("Invitationen med kalenderfil er sendt til hver deltager på e-mail.")],
                facts,
                link,
            )
        elif kind == ReminderKind.ACTION_OVERDUE:
            shown = (overdue or [])[:MAX_ACTIONS]
            lines = [
                ngettext(
                    "%(num)s aftalt handling er over fristen.",
                    "%(num)s aftalte handlinger er over fristen.",
                    len(overdue or []),
                )
            ]
            if len(overdue or []) > len(shown):
                lines.append(_("De %(num)s ældste vises her.", num=len(shown)))
            content = card(
                _("Aftalte handlinger over fristen – %(unit)s", unit=unit_text),
                lines,
                [(_day(due), plain(text)) for text, due in shown],
                link,
            )
        else:  # not a channel's kind (web.reminders.models.TEAMS_KINDS)
            raise ValueError(f"{kind} is not posted to a channel")
    return envelope(content)
