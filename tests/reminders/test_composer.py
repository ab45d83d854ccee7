"""The e-mails' bytes: each distinct text rendered once per chunk, each recipient's own parts
substituted, the MIME structure the email package would build."""

from __future__ import annotations

import email
from datetime import date
from email import policy

from tests.reminders.helpers import body, ics
from tests.reminders.teams import MEETING, NOW
from web.reminders import mail, mime
from web.reminders.models import ReminderKind


def letter(
    n: int, name: str, locale: str = "da", kind=ReminderKind.PREPARATION_OPENED, **extra
) -> mail.Letter:
    return mail.Letter(
        kind=kind,
        key=f"1:{n}:{kind.value}:7:2026-12-07",
        to_name=name,
        to_email=f"person{n}@example.org",
        locale=locale,
        tenant_id=1,
        tenant_slug="k",
        tenant_name="Kommune & Co",
        recipient_id=n,
        values={
            "unit": "Team <Nord>",
            "cycle_url": "https://a.example/t/k/cycles/7",
            "opens_on": date(2026, 12, 7),
            "closes_on": date(2026, 12, 17),
            "follow_up_on": None,
        },
        **extra,
    )


def parsed(outgoing: mail.Outgoing):
    return email.message_from_bytes(outgoing.data, policy=policy.default)


def test_one_rendering_per_text_and_each_recipient_gets_their_own_parts(app, monkeypatch):
    renders = []
    original = mail.render

    def counting(*args, **kwargs):
        renders.append(args[0].locale)
        return original(*args, **kwargs)

    monkeypatch.setattr(mail, "render", counting)
    with app.app_context():
        composer = mail.Composer(mail.Links(), NOW)
        people = [
            letter(1, "Dorte Dansk"),
            letter(2, "Ærlig <b>Åse</b> & Co"),
            letter(3, "Bob British", "en"),
            letter(4, "Ann English", "en"),
        ]
        sent = [composer.compose(p) for p in people]
    assert renders == ["da", "en"]
    messages = [parsed(s) for s in sent]
    assert "Hej Dorte Dansk" in body(messages[0], "plain")
    assert "Hej Ærlig <b>Åse</b> & Co" in body(messages[1], "plain")
    assert "Hej Ærlig &lt;b&gt;Åse&lt;/b&gt; &amp; Co" in body(messages[1], "html")
    assert "Team &lt;Nord&gt;" in body(messages[1], "html")
    assert "Hello Ann English" in body(messages[3], "plain")
    links = [m["List-Unsubscribe"].strip().strip("<>") for m in messages]
    assert len(set(links)) == 4
    for message, link in zip(messages, links, strict=True):
        assert link in body(message, "plain")
        assert link in body(message, "html")
        assert "aktorskab-" not in body(message, "plain").replace(link, "")
    assert [str(m["To"].addresses[0].display_name) for m in messages] == [
        "Dorte Dansk",
        "Ærlig <b>Åse</b> & Co",
        "Bob British",
        "Ann English",
    ]
    assert [s.recipient for s in sent] == [f"person{n}@example.org" for n in (1, 2, 3, 4)]


def test_the_mime_structure_is_the_email_packages(app):
    with app.app_context():
        outgoing = mail.build_message(letter(1, "Søren Ørsted"), mail.Links(), NOW)
        again = mail.build_message(letter(1, "Søren Ørsted"), mail.Links(), NOW)
    assert outgoing == again  # deterministic, boundaries too
    message = parsed(outgoing)
    assert message.get_content_type() == "multipart/alternative"
    assert message["MIME-Version"] == "1.0"
    assert message["Message-ID"] == outgoing.message_id
    assert (
        message["Subject"] == "Forberedelsen til jeres dialog om aktørskab er åbnet – Team <Nord>"
    )
    assert message["Date"] == "Mon, 07 Dec 2026 09:00:00 +0000"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert {(p["Content-Transfer-Encoding"], p.get_content_charset()) for p in parts} == {
        ("base64", "utf-8")
    }
    head, _, rest = outgoing.data.partition(b"\r\n\r\n")
    assert max(len(line) for line in head.split(b"\r\n")) <= 998  # RFC 5322's limit
    assert max(len(line) for line in rest.split(b"\r\n")) <= 76  # base64 lines
    assert b"\n" not in outgoing.data.replace(b"\r\n", b"")


def test_a_meeting_is_mixed_with_its_calendar_file(app):
    facts = mail.MeetingFacts(7, MEETING, "Mødelokale 2", 3, "Team Nord")
    with app.app_context():
        composer = mail.Composer(mail.Links(), NOW)
        first, second = (
            composer.compose(letter(n, name, kind=ReminderKind.MEETING_INVITATION, meeting=facts))
            for n, name in ((1, "Dorte Dansk"), (2, "Bo Berg"))
        )
    for outgoing, name in ((first, "Dorte Dansk"), (second, "Bo Berg")):
        message = parsed(outgoing)
        assert message.get_content_type() == "multipart/mixed"
        assert "List-Unsubscribe" not in message  # essential
        calendar, part = ics(message)
        assert part.get_filename() == "dialogmoede.ics"
        [event] = calendar.walk("VEVENT")
        assert event["SEQUENCE"] == 3
        assert str(event["ATTENDEE"]) == f"mailto:{outgoing.recipient}"
        assert event["ATTENDEE"].params["CN"] == name
        assert f"Hej {name}" in str(event["DESCRIPTION"])


def test_headers_fold_as_the_email_package_folds_them():
    from email.header import Header
    from email.policy import compat32

    crlf = compat32.clone(linesep="\r\n")
    for value in [
        "short",
        "Dorte Dansk <d@example.org>",
        "<https://a.example/" + "x" * 90 + ">",
        "a, b; c " * 20,
        "=?utf-8?b?w4ZybGln?= <x@example.org>" * 3,
    ]:
        for name in ("To", "List-Unsubscribe"):
            assert mime.header(name, value) == crlf.fold_binary(name, value)
    subject = Header("Forberedelsen lukker 17. december 2026 – Team Nord " * 2, mail.UTF8)
    assert mime.header("Subject", subject) == crlf.fold_binary("Subject", subject)


def test_a_chunks_tokens_are_make_tokens_and_read_back(app):
    from web.reminders.unsubscribe import TokenMaker, make_token, read_token

    with app.app_context():
        tokens = TokenMaker()
        for kind in (ReminderKind.PREPARATION_OPENED, ReminderKind.WEEKLY_DIGEST):
            token = tokens(4, 123456, kind)
            assert token == make_token(4, 123456, kind)
            assert read_token(token, 4).user_id == 123456
        link = mail.Links().unsubscribe(letter(5, "Dorte Dansk"))
        assert link == mail.Links().build(
            "t.reminders.unsubscribe",
            tenant="k",
            token=make_token(1, 5, ReminderKind.PREPARATION_OPENED),
        )
