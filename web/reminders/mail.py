"""Turning one outbox row into one e-mail: language, templates, links, calendar file, headers."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress
from markupsafe import escape
from werkzeug.routing import BuildError

from web.cycles.labels import PHASE_LABELS
from web.models import COPENHAGEN
from web.reminders import mime
from web.reminders.models import ESSENTIAL_KINDS, ReminderKind
from web.reminders.unsubscribe import TokenMaker

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


def message_id(key: str, domain: str | None = None) -> str:
    """The same outbox row always gets the same Message-ID, also when it is sent again after a
    crash, so a duplicate is recognisable (and dropped by many mail systems)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # short: one header line
    return f"<r.{digest}@{domain or mail_domain()}>"


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
            base.netloc, script_name=base.path or "/", url_scheme=base.scheme
        )
        self._built: dict[tuple, str] = {}  # a chunk asks for its few cycles' links many times
        self._tokens = TokenMaker()

    def build(self, endpoint: str, **values: Any) -> str:
        key = (endpoint, *sorted(values.items()))
        url = self._built.get(key)
        if url is None:
            url = self._built[key] = self._adapter.build(endpoint, values, force_external=True)
        return url

    def cycle(self, tenant_slug: str, cycle_id: int) -> str:
        try:
            return self.build(CYCLE_PAGE, tenant=tenant_slug, cycle_id=cycle_id)
        except BuildError:
            # Until the cycle pages are registered, the tenant's front page.
            return self.build("t.tenants.home", tenant=tenant_slug)

    def home(self, tenant_slug: str) -> str:
        return self.build("t.tenants.home", tenant=tenant_slug)

    def unsubscribe(self, letter: Letter) -> str:
        # The route's URL once per tenant; tokens are URL-safe (base64url and ".") as they are.
        prefix = self.build("t.reminders.unsubscribe", tenant=letter.tenant_slug, token="T")[:-1]  # noqa: S106 - a stand-in, not a secret
        return prefix + self._tokens(letter.tenant_id, letter.recipient_id, letter.kind)


# --- words --------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    # i18n: a meeting's date and time, e.g. "tirsdag den 1. december 2026 kl. 10.30"
    return _(
        "%(date)s kl. %(time)s", date=format_date(moment, "full"), time=format_time(moment, "short")
    )


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
        return _(
            "Opfølgning på jeres handlinger %(date)s – %(unit)s",
            date=v["follow_up_on"],
            unit=v["unit"],
        )
    if kind == ReminderKind.ACTION_DUE_SOON:
        return _("Jeres handling skal være klar %(date)s", date=v["due_on"])
    if kind == ReminderKind.ACTION_OVERDUE:
        return _("Handlingen skulle have været klar %(date)s", date=v["due_on"])
    if kind == ReminderKind.SSO_REFRESH_KEPT:
        return _("Fælles login: login-tjenestens nye nøgler blev ikke taget i brug")
    if kind == ReminderKind.SSO_LOGIN_FAILURES:
        return _("Fælles login: log-ins afvises på grund af opsætningen")
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
            **values,
            "letter": letter,
            "name": letter.to_name,
            "tenant_name": letter.tenant_name,
            "essential": essential,
            "lang": letter.locale,
            "unsubscribe_url": unsubscribe_url,
        }
        subject = _subject(letter.kind, values)
        text = render_template(f"reminders/email/{letter.kind.value}.txt", **context)
        html = render_template(
            f"reminders/email/{letter.kind.value}.html", subject=subject, **context
        )
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


class UnsupportedAddress(ValueError):
    """An address whose local part is not ASCII (RFC 6531, SMTPUTF8): not sent; its reminder
    fails at once, visible on the failed reminders page, instead of being retried for days."""


def ascii_address(address: str) -> str:
    """``address`` as it goes on the wire: an internationalised domain (ærø.dk) in its IDNA
    form; a non-ASCII local part cannot be sent (UnsupportedAddress)."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    if not local.isascii() or not local:
        raise UnsupportedAddress(
            f"{address}: an address with non-ASCII characters before the "
            "@ needs SMTPUTF8, which reminders do not use"
        )
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise UnsupportedAddress(f"{address}: not a valid domain ({exc})") from None


@dataclass(frozen=True)
class Outgoing:
    """One e-mail as it goes on the wire: envelope, Message-ID and the message's bytes."""

    sender: str
    recipient: str
    message_id: str
    data: bytes


# Stand-ins for what differs between the recipients of one text (kind, language, cycle or
# action): the template is rendered once with these, and each recipient's name and unsubscribe
# link replace them. Random per process, so no typed text (a unit's name) can contain them.
_NAME = f"aktorskab-name-{secrets.token_hex(8)}"
_UNSUBSCRIBE = f"https://aktorskab-unsubscribe-{secrets.token_hex(8)}.invalid/"
_ALTERNATIVE_BOUNDARY_KIND, _MIXED_BOUNDARY_KIND = "a", "m"


class Composer:
    """Builds the e-mails of one delivery chunk.

    Rendering two Jinja templates in the recipient's language per e-mail, then building and
    flattening a MIME tree, was most of a worker's time in a fan-out: the members of one team
    get the same text but for their name and unsubscribe link. So each distinct text (kind,
    language, tenant and the letter's values: unit, dates, links; a meeting's facts) is
    rendered once per chunk with stand-ins, and each e-mail substitutes its recipient's parts
    (HTML-escaped in the HTML, as the template would) and writes its bytes directly
    (``mime.py``). A text that differs per person (an action's, a leader's digest) is simply
    rendered for each.
    """

    def __init__(self, links: Links, now: datetime) -> None:
        self.links, self.now = links, now
        self._rendered: dict[tuple, Rendered] = {}
        self._subjects: dict[str, bytes] = {}
        sender_name, self.sender = parseaddr(current_app.config["MAIL_FROM"])
        self._from = mime.header("From", formataddr((sender_name, self.sender), charset=UTF8))
        self._date = mime.header("Date", rfc2822_date(now.astimezone(UTC)))
        self._domain = mail_domain()

    def compose(self, letter: Letter) -> Outgoing:
        address = ascii_address(letter.to_email)
        essential = letter.kind in ESSENTIAL_KINDS
        unsubscribe_url = None if essential else self.links.unsubscribe(letter)
        shared = self._render_shared(letter)
        text, html = (
            shared.text.replace(_NAME, letter.to_name),
            shared.html.replace(_NAME, escape(letter.to_name)),
        )
        if unsubscribe_url is not None:
            text = text.replace(_UNSUBSCRIBE, unsubscribe_url)
            html = html.replace(_UNSUBSCRIBE, escape(unsubscribe_url))
        ident = message_id(letter.key, self._domain)
        alternative = mime.boundary(letter.key, _ALTERNATIVE_BOUNDARY_KIND)
        body_parts = [mime.text_part("plain", text), mime.text_part("html", html)]
        if letter.meeting is None:
            content = mime.multipart_headers("alternative", alternative)
            body = mime.multipart_body(alternative, body_parts)
        else:
            with force_locale(letter.locale):
                summary = _("Dialogmøde om aktørskab – %(unit)s", unit=letter.meeting.unit)
            mixed = mime.boundary(letter.key, _MIXED_BOUNDARY_KIND)
            content = mime.multipart_headers("mixed", mixed)
            body = mime.multipart_body(
                mixed,
                [
                    mime.multipart_headers("alternative", alternative)
                    + mime.CRLF
                    + mime.multipart_body(alternative, body_parts),
                    mime.calendar_part(
                        meeting_ics(letter, summary, text, self.now), "dialogmoede.ics"
                    ),
                ],
            )
        headers = [
            content,
            self._subject(shared.subject),
            self._from,
            mime.header("To", formataddr((letter.to_name, address), charset=UTF8)),
            self._date,
            mime.header("Message-ID", ident),
            mime.header("Content-Language", letter.locale),
            b"Auto-Submitted: auto-generated\r\n",
            mime.header("X-Aktorskab-Kind", letter.kind.value),
        ]
        if unsubscribe_url is not None:
            headers += [
                mime.header("List-Unsubscribe", f"<{unsubscribe_url}>"),
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            ]
        return Outgoing(self.sender, address, ident, b"".join(headers) + mime.CRLF + body)

    def _render_shared(self, letter: Letter) -> Rendered:
        key = _text_key(letter)
        rendered = self._rendered.get(key) if key is not None else None
        if rendered is None:
            rendered = render(
                replace(letter, to_name=_NAME),
                self.links,
                None if letter.kind in ESSENTIAL_KINDS else _UNSUBSCRIBE,
            )
            if key is not None:
                self._rendered[key] = rendered
        return rendered

    def _subject(self, subject: str) -> bytes:
        folded = self._subjects.get(subject)
        if folded is None:
            folded = self._subjects[subject] = mime.header("Subject", Header(subject, UTF8))
        return folded


def _text_key(letter: Letter) -> tuple | None:
    """What a letter's text depends on besides name and unsubscribe link; None: not cacheable."""
    try:
        key = (
            letter.kind,
            letter.locale,
            letter.tenant_name,
            letter.tenant_slug,
            _frozen(letter.values),
            letter.meeting,
        )
        hash(key)
    except TypeError:
        return None
    return key


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def build_message(letter: Letter, links: Links, now: datetime) -> Outgoing:
    """One e-mail on its own (the delivery uses a ``Composer`` per chunk)."""
    return Composer(links, now).compose(letter)
