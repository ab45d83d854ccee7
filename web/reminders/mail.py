"""Turning one outbox row into one e-mail: language, templates, links, calendar file, headers."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress
from werkzeug.routing import BuildError

from web.reminders.cadence import COPENHAGEN
from web.reminders.labels import PHASE_LABELS
from web.reminders.models import ESSENTIAL_KINDS, ReminderKind
from web.reminders.unsubscribe import make_token

MEETING_LENGTH = timedelta(hours=1)
# Headers in base64 right away: the default ("shortest") tries both encodings on every header.
UTF8 = Charset("utf-8")
UTF8.header_encoding = BASE64
CYCLE_PAGE = "t.cycles.detail"


@dataclass
class Letter:
    """Everything one e-mail says, before it is rendered in the recipient's language."""

    kind: ReminderKind
    key: str  # tenant:recipient:kind:target:due_key, the outbox row's identity
    to_name: str
    to_email: str
    locale: str
    tenant_id: int
    tenant_slug: str
    tenant_name: str
    recipient_id: int
    values: dict[str, Any] = field(default_factory=dict)
    meeting: MeetingFacts | None = None


@dataclass(frozen=True)
class MeetingFacts:
    cycle_id: int
    starts_at: datetime
    place: str | None
    sequence: int
    unit: str


def outbox_key(tenant_id: int, recipient_id: int, kind: str, target_id: int, due_key: str) -> str:
    return f"{tenant_id}:{recipient_id}:{kind}:{target_id}:{due_key}"


def message_id(key: str) -> str:
    """The same outbox row always gets the same Message-ID, also when it is sent again after a
    crash, so a duplicate is recognisable (and dropped by many mail systems)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # short: one header line
    return f"<r.{digest}@{mail_domain()}>"


def mail_domain() -> str:
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def locale_for(user_locale: str | None, tenant_locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    for candidate in (user_locale, tenant_locale):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class Links:
    """External links from BASE_URL and the app's own URL map (no request needed)."""

    def __init__(self) -> None:
        base = urlsplit(current_app.config["BASE_URL"])
        self._adapter = current_app.url_map.bind(
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme)

    def build(self, endpoint: str, **values: Any) -> str:
        return self._adapter.build(endpoint, values, force_external=True)

    def cycle(self, tenant_slug: str, cycle_id: int) -> str:
        try:
            return self.build(CYCLE_PAGE, tenant=tenant_slug, cycle_id=cycle_id)
        except BuildError:
            # Until the cycle pages are registered, the tenant's front page.
            return self.build("t.tenants.home", tenant=tenant_slug)

    def home(self, tenant_slug: str) -> str:
        return self.build("t.tenants.home", tenant=tenant_slug)

    def unsubscribe(self, letter: Letter) -> str:
        token = make_token(letter.tenant_id, letter.recipient_id, letter.kind)
        return self.build("t.reminders.unsubscribe", tenant=letter.tenant_slug, token=token)


# --- words --------------------------------------------------------------------------------------

def _when(moment: datetime) -> str:
    # i18n: a meeting's date and time, e.g. "tirsdag den 1. december 2026 kl. 10.30"
    return _("%(date)s kl. %(time)s", date=format_date(moment, "full"),
             time=format_time(moment, "short"))


def _subject(kind: ReminderKind, v: dict[str, Any]) -> str:
    if kind == ReminderKind.PREPARATION_OPENED:
        return _("Forberedelsen til jeres dialog om aktørskab er åbnet – %(unit)s", unit=v["unit"])
    if kind == ReminderKind.PREPARATION_CLOSING:
        return _("Forberedelsen lukker %(date)s – %(unit)s", date=v["closes_on"], unit=v["unit"])
    if kind == ReminderKind.MEETING_INVITATION:
        return _("Invitation: dialogmøde om aktørskab %(when)s", when=v["when"])
    if kind == ReminderKind.MEETING_UPDATED:
        return _("Ændret: dialogmøde om aktørskab %(when)s", when=v["when"])
    if kind == ReminderKind.FOLLOW_UP_COMING:
        return _("Opfølgning på jeres aftaler %(date)s – %(unit)s", date=v["follow_up_on"],
                 unit=v["unit"])
    if kind == ReminderKind.ACTION_DUE_SOON:
        return _("Jeres aftale skal være klar %(date)s", date=v["due_on"])
    if kind == ReminderKind.ACTION_OVERDUE:
        return _("Aftalen skulle have været klar %(date)s", date=v["due_on"])
    return _("Ugens overblik: dialogen om aktørskab")


def _formatted(letter: Letter) -> dict[str, Any]:
    """Dates and labels in the current (forced) locale."""
    v = dict(letter.values)
    for name in ("closes_on", "follow_up_on", "due_on", "opens_on"):
        if v.get(name) is not None:
            v[name] = format_date(v[name], "long")
    if letter.meeting is not None:
        v["when"] = _when(letter.meeting.starts_at)
        v["place"] = letter.meeting.place
    for line in v.get("cycles", ()):
        line["phase_label"] = str(PHASE_LABELS[line["phase"]])
        if line.get("meeting_at") is not None:
            line["meeting_when"] = _when(line["meeting_at"])
    return v


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(letter: Letter, links: Links, unsubscribe_url: str | None = None) -> Rendered:
    """Subject, plain text and HTML in the recipient's language."""
    essential = letter.kind in ESSENTIAL_KINDS
    if not essential and unsubscribe_url is None:
        unsubscribe_url = links.unsubscribe(letter)
    with force_locale(letter.locale):
        values = _formatted(letter)
        context = {
            **values, "letter": letter, "name": letter.to_name, "tenant_name": letter.tenant_name,
            "essential": essential, "lang": letter.locale,
            "unsubscribe_url": unsubscribe_url,
        }
        subject = _subject(letter.kind, values)
        text = render_template(f"reminders/email/{letter.kind.value}.txt", **context)
        html = render_template(f"reminders/email/{letter.kind.value}.html", subject=subject,
                               **context)
    return Rendered(subject, text, html)


# --- the calendar file ----------------------------------------------------------------------------

def meeting_uid(tenant_slug: str, cycle_id: int) -> str:
    """Stable for the life of the cycle's meeting, so a calendar replaces rather than adds."""
    return f"aktorskab-{tenant_slug}-cycle-{cycle_id}-meeting@{mail_domain()}"


@functools.lru_cache(maxsize=1)
def _vtimezone():
    calendar = Calendar()
    event = Event()
    event.add("dtstart", datetime(2026, 1, 1, 12, tzinfo=COPENHAGEN))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.walk("VTIMEZONE")[0]


def meeting_ics(letter: Letter, summary: str, description: str, stamp: datetime) -> bytes:
    facts = letter.meeting
    assert facts is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Aktørskab//Reminders//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    calendar.add_component(_vtimezone())
    event = Event()
    starts = facts.starts_at.astimezone(COPENHAGEN)
    event.add("uid", meeting_uid(letter.tenant_slug, facts.cycle_id))
    event.add("sequence", facts.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", starts)
    event.add("dtend", starts + MEETING_LENGTH)
    event.add("summary", summary)
    event.add("description", description)
    if facts.place:
        event.add("location", facts.place)
    sender_name, sender = parseaddr(current_app.config["MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = sender_name or letter.tenant_name
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{letter.to_email}")
    attendee.params["cn"] = letter.to_name
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["rsvp"] = "FALSE"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


# --- the message --------------------------------------------------------------------------------

def build_message(letter: Letter, links: Links, now: datetime) -> Message:
    """A multipart/alternative (plain text, HTML) message; a meeting adds its .ics file.

    Built with the email package's compat32 classes: several times faster than EmailMessage's
    header objects, which matters at tens of thousands of reminders per run.
    """
    unsubscribe_url = None if letter.kind in ESSENTIAL_KINDS else links.unsubscribe(letter)
    rendered = render(letter, links, unsubscribe_url)
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", "utf-8"))
    body.attach(MIMEText(rendered.html, "html", "utf-8"))
    message: Message = body
    if letter.meeting is not None:
        with force_locale(letter.locale):
            summary = _("Dialogmøde om aktørskab – %(unit)s", unit=letter.meeting.unit)
        calendar = MIMEText(meeting_ics(letter, summary, rendered.text, now).decode(),
                            "calendar", "utf-8")
        calendar.set_param("method", "REQUEST")
        calendar.add_header("Content-Disposition", "attachment", filename="dialogmoede.ics")
        message = MIMEMultipart("mixed")
        message.attach(body)
        message.attach(calendar)
    sender_name, sender = parseaddr(current_app.config["MAIL_FROM"])
    message["Subject"] = Header(rendered.subject, UTF8)
    message["From"] = formataddr((sender_name, sender), charset=UTF8)
    message["To"] = formataddr((letter.to_name, letter.to_email), charset=UTF8)
    message["Date"] = rfc2822_date(now.astimezone(UTC))
    message["Message-ID"] = message_id(letter.key)
    message["Content-Language"] = letter.locale
    message["Auto-Submitted"] = "auto-generated"
    message["X-Aktorskab-Kind"] = letter.kind.value
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
