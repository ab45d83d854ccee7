"""Delivery to a real SMTP server on loopback: language, calendar files, once only, retries."""

from __future__ import annotations

import smtplib
from collections import Counter
from datetime import timedelta
from itertools import count

from tests.reminders.helpers import (
    body,
    by_recipient,
    deliver,
    ics,
    plan,
    run,
    settings_for,
)
from tests.reminders.teams import MEETING, NOW, TODAY, make_team, outbox
from web.extensions import db
from web.reminders import delivery, mail, services
from web.reminders.models import OutboxStatus, ReminderKind
from web.tenancy import tenant_scope


def test_each_member_gets_the_reminder_in_their_own_language(app, make, smtp_server):
    team = make_team(make, slug="sprog")
    outcome = run(app, team.tenant.id, smtp_server)
    assert (outcome.sent, outcome.failed) == (4, 0)  # three members + the leader's digest
    received = by_recipient(smtp_server.messages)

    [danish] = received[team.dane.email]
    assert danish["Subject"] == "Forberedelsen til jeres dialog om aktørskab er åbnet – Team Nord"
    assert danish["Content-Language"] == "da"
    assert "Hej Dorte Dansk" in body(danish, "plain")
    assert "skriv dine tanker inden 17. december 2026" in body(danish, "plain")
    assert "Gå til forløbet" in body(danish, "html")

    [english] = received[team.brit.email]
    assert english["Subject"] == "Preparation for your dialogue about agency has opened – Team Nord"
    assert english["Content-Language"] == "en"
    assert "Hello Bob British" in body(english, "plain")
    assert "write down your thoughts before December 17, 2026" in body(english, "plain")
    assert "Go to the cycle" in body(english, "html")
    assert "forløb" not in body(english, "plain")

    # The leader has no locale of their own: the tenant's default (Danish).
    leader = received[team.leader.email]
    assert {m["X-Aktorskab-Kind"] for m in leader} == {"preparation_opened", "weekly_digest"}
    digest = next(m for m in leader if m["X-Aktorskab-Kind"] == "weekly_digest")
    assert "Team Nord – Forberedelse" in body(digest, "plain")
    assert "0 af 3 har forberedt sig" in body(digest, "plain")


def test_links_point_at_the_cycle_page_and_the_unsubscribe_route(app, make, smtp_server):
    team = make_team(make, slug="links")
    run(app, team.tenant.id, smtp_server)
    [message] = by_recipient(smtp_server.messages)[team.dane.email]
    base = app.config["BASE_URL"]
    assert f"{base}/t/links/cycles/{team.cycle.id}" in body(message, "plain")
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith(f"<{base}/t/links/reminders/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in body(message, "plain")
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_html_escapes_what_people_typed(app, make, smtp_server):
    team = make_team(make)
    make.action(
        team.tenant,
        team.cycle,
        team.dane,
        text="<b>Mere</b> & bedre møder",
        due_on=TODAY + timedelta(days=1),
    )
    run(app, team.tenant.id, smtp_server)
    message = next(
        m
        for m in by_recipient(smtp_server.messages)[team.dane.email]
        if m["X-Aktorskab-Kind"] == "action_due_soon"
    )
    assert "&lt;b&gt;Mere&lt;/b&gt; &amp; bedre møder" in body(message, "html")
    assert "<b>Mere</b> & bedre møder" in body(message, "plain")
    assert message["Subject"] == "Jeres handling skal være klar 8. december 2026"


def test_a_meeting_invitation_carries_a_calendar_file_and_its_update_replaces_it(
    app, make, smtp_server
):
    team = make_team(make, slug="ics", meeting_at=MEETING, meeting_place="Mødelokale 2")
    run(app, team.tenant.id, smtp_server)
    invitation = next(
        m
        for m in by_recipient(smtp_server.messages)[team.brit.email]
        if m["X-Aktorskab-Kind"] == "meeting_invitation"
    )
    assert (
        invitation["Subject"]
        == "Invitation: dialogue meeting about agency, Tuesday, December 15, 2026 at 10:30\u202fAM"
    )
    assert "List-Unsubscribe" not in invitation  # essential
    calendar, part = ics(invitation)
    assert part.get_param("method") == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Copenhagen"
    assert start.dt.isoformat() == "2026-12-15T10:30:00+01:00"
    assert event["SEQUENCE"] == 0
    assert str(event["LOCATION"]) == "Mødelokale 2"
    assert str(event["ATTENDEE"]) == f"mailto:{team.brit.email}"
    assert calendar.walk("VTIMEZONE")
    uid = str(event["UID"])

    smtp_server.clear()
    with make.scope(team.tenant):
        cycle = db.session.merge(team.cycle)
        cycle.meeting_at = MEETING + timedelta(days=1, hours=3)
        cycle.meeting_place = "Kantinen"
    run(app, team.tenant.id, smtp_server)
    updates = smtp_server.messages
    assert {m["X-Aktorskab-Kind"] for m in updates} == {"meeting_updated"}
    assert len(updates) == 3
    update = by_recipient(updates)[team.dane.email][0]
    assert (
        update["Subject"]
        == "Ændret: dialogmøde om aktørskab onsdag den 16. december 2026 kl. 13.30"
    )
    [event] = ics(update)[0].walk("VEVENT")
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt.isoformat() == "2026-12-16T13:30:00+01:00"
    assert str(event["LOCATION"]) == "Kantinen"
    assert "Nyt tidspunkt: onsdag den 16. december 2026 kl. 13.30" in body(update, "plain")


def test_sent_once_however_often_planned_and_delivered(app, make, smtp_server):
    team = make_team(make)
    for _ in range(3):
        run(app, team.tenant.id, smtp_server)
    assert len(smtp_server.messages) == 4
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert all(r.attempts == 1 and r.sent_at == NOW for r in rows)
    ids = {m["Message-ID"].strip() for m in smtp_server.messages}
    with app.app_context():
        assert (
            ids
            == {r.message_id for r in rows}
            == {
                mail.message_id(
                    mail.outbox_key(
                        team.tenant.id, r.recipient_id, r.kind.value, r.target_id, r.due_key
                    )
                )
                for r in rows
            }
        )


def test_one_smtp_connection_per_chunk(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    settings = settings_for(smtp_server, chunk_size=3)
    first = deliver(app, team.tenant.id, settings)
    second = deliver(app, team.tenant.id, settings)
    assert (first.sent, second.sent) == (3, 1)
    assert smtp_server.connections == 2


def test_a_temporary_refusal_backs_off_then_fails_visibly(app, make, smtp_server):
    team = make_team(make)
    smtp_server.refuse(team.brit.email, "451 4.3.0 Try again later")
    plan(app, team.tenant.id)
    settings = settings_for(smtp_server, max_attempts=3, retry_seconds=60)
    outcome = deliver(app, team.tenant.id, settings)
    assert (outcome.sent, outcome.retried) == (3, 1)
    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.recipient_id == team.brit.id]
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    assert "451" in row.last_error

    assert deliver(app, team.tenant.id, settings, NOW + timedelta(seconds=30)).claimed == 0
    assert deliver(app, team.tenant.id, settings, NOW + timedelta(seconds=60)).retried == 1
    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.recipient_id == team.brit.id]
    assert row.next_attempt_at == NOW + timedelta(seconds=60 + 120)
    last = deliver(app, team.tenant.id, settings, NOW + timedelta(seconds=180))
    assert last.failed == 1
    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.recipient_id == team.brit.id]
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
        # failed is final: planning again does not bring it back, delivery does not pick it up
        plan(app, team.tenant.id, NOW + timedelta(hours=1))
        assert deliver(app, team.tenant.id, settings, NOW + timedelta(hours=1)).claimed == 0
        assert len(smtp_server.messages) == 3


def test_a_permanent_refusal_fails_at_once(app, make, smtp_server):
    team = make_team(make)
    smtp_server.refuse(team.dane.email, "550 5.1.1 No such user")
    outcome = run(app, team.tenant.id, smtp_server)
    assert (outcome.sent, outcome.failed) == (3, 1)
    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.recipient_id == team.dane.id]
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in row.last_error


def test_a_non_ascii_address_fails_at_once_and_the_rest_of_the_chunk_goes(app, make, smtp_server):
    team = make_team(make)
    with app.app_context(), tenant_scope(team.tenant.id):
        db.session.get(type(team.dane), team.dane.id).email = "dørte@solby.dk"
        db.session.get(type(team.brit), team.brit.id).email = "bob@ærø.dk"  # a Danish IDN
        db.session.commit()
    outcome = run(app, team.tenant.id, smtp_server)
    assert (outcome.failed, outcome.released) == (1, 0)
    assert smtp_server.connections == 1
    with app.app_context():
        rows = {r.recipient_id: r for r in outbox(team.tenant.id)}
    dane = rows[team.dane.id]
    assert (dane.status, dane.attempts) == (OutboxStatus.FAILED, 1)  # not retried for days
    assert "SMTPUTF8" in dane.last_error
    assert rows[team.brit.id].status == OutboxStatus.SENT
    [to_bob] = [m for m in smtp_server.messages if "bob@" in m["To"]]
    assert "bob@xn--r-3fa9c.dk" in to_bob["To"]  # the domain in its IDNA form


def test_smtp_down_then_up_sends_everything_once(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    down = settings_for(None)  # port 9 on loopback: nothing listens
    outcome = deliver(app, team.tenant.id, down)
    assert (outcome.sent, outcome.retried, outcome.released) == (0, 1, 3)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 1]
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    # Nothing is retried before the back-off, then everything goes out once.
    assert deliver(app, team.tenant.id, down, NOW + timedelta(seconds=59)).claimed == 0
    later = NOW + timedelta(seconds=60)
    assert deliver(app, team.tenant.id, settings_for(smtp_server), later).sent == 4
    assert len(smtp_server.messages) == 4


def test_a_worker_that_dies_after_claiming_leaves_rows_that_come_back(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    settings = settings_for(smtp_server)
    with app.app_context(), tenant_scope(team.tenant.id):
        claimed, _ = delivery.claim(team.tenant.id, NOW, settings)  # …and then the worker dies
    assert len(claimed) == 4
    # Another worker finds nothing to do while the lease holds.
    assert deliver(app, team.tenant.id, settings, NOW + timedelta(minutes=5)).claimed == 0
    with app.app_context(), tenant_scope(team.tenant.id):
        assert services.release_expired(team.tenant.id, NOW + timedelta(minutes=5)) == 0
        assert services.release_expired(team.tenant.id, NOW + timedelta(minutes=11)) == 4
        db.session.commit()
    outcome = deliver(app, team.tenant.id, settings, NOW + timedelta(minutes=11))
    assert outcome.sent == 4
    with app.app_context():
        assert {r.attempts for r in outbox(team.tenant.id)} == {2}


def test_rows_past_their_last_attempt_when_the_lease_expires_end_failed(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    settings = settings_for(smtp_server, max_attempts=1)
    with app.app_context(), tenant_scope(team.tenant.id):
        delivery.claim(team.tenant.id, NOW, settings)
        services.release_expired(team.tenant.id, NOW + timedelta(hours=1), max_attempts=1)
        db.session.commit()
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert {r.status for r in rows} == {OutboxStatus.FAILED}
    assert all("lease expired" in r.last_error for r in rows)


def test_a_chunk_stops_when_half_its_lease_is_gone(app, make, smtp_server):
    team = make_team(make)
    plan(app, team.tenant.id)
    ticks = count(step=120)  # every look at the clock: 120 s later; the lease is 600 s
    outcome = deliver(app, team.tenant.id, settings_for(smtp_server), clock=lambda: next(ticks))
    assert (outcome.sent, outcome.released) == (2, 2)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert sorted((r.status, r.attempts) for r in rows) == [
        (OutboxStatus.PENDING, 0),
        (OutboxStatus.PENDING, 0),
        (OutboxStatus.SENT, 1),
        (OutboxStatus.SENT, 1),
    ]


def test_one_reminder_of_a_kind_per_person_per_cycle_per_day(app, make, smtp_server):
    team = make_team(make)
    first = make.action(team.tenant, team.cycle, team.dane, due_on=TODAY + timedelta(days=1))
    second = make.action(team.tenant, team.cycle, team.dane, due_on=TODAY + timedelta(days=2))
    outcome = run(app, team.tenant.id, smtp_server)
    assert outcome.postponed == 1
    due_soon = [m for m in smtp_server.messages if m["X-Aktorskab-Kind"] == "action_due_soon"]
    assert len(due_soon) == 1
    with app.app_context():
        waiting = [r for r in outbox(team.tenant.id) if r.status == OutboxStatus.PENDING]
    assert [r.action_id for r in waiting] == [second.id]
    assert waiting[0].next_attempt_at == NOW + timedelta(days=1) - timedelta(hours=2)  # 08:00
    assert first.id != second.id

    tomorrow = NOW + timedelta(days=1)
    assert deliver(app, team.tenant.id, settings_for(smtp_server), tomorrow).sent >= 1
    with app.app_context(), tenant_scope(team.tenant.id):
        assert services.forget_old_day_slots(team.tenant.id, tomorrow) > 0
        assert services.forget_old_day_slots(team.tenant.id, tomorrow) == 0
        db.session.commit()
    assert len([m for m in smtp_server.messages if m["X-Aktorskab-Kind"] == "action_due_soon"]) == 2


def test_a_reminder_that_is_no_longer_true_is_cancelled_not_sent(app, make, smtp_server):
    team = make_team(make, preparation_ends_on=TODAY + timedelta(days=1))
    plan(app, team.tenant.id)
    make.participation(team.tenant, team.cycle, team.dane)  # contributed before delivery
    deliver(app, team.tenant.id, settings_for(smtp_server))
    closing = [m for m in smtp_server.messages if m["X-Aktorskab-Kind"] == "preparation_closing"]
    assert {m["To"].addresses[0].addr_spec for m in closing} == {team.leader.email, team.brit.email}
    with app.app_context():
        [row] = [
            r
            for r in outbox(team.tenant.id)
            if r.recipient_id == team.dane.id and r.kind == ReminderKind.PREPARATION_CLOSING
        ]
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "already contributed")


def test_a_meeting_moved_before_its_invitation_went_out_sends_the_new_one(app, make, smtp_server):
    team = make_team(make, meeting_at=MEETING)
    plan(app, team.tenant.id)
    with make.scope(team.tenant):
        db.session.merge(team.cycle).meeting_at = MEETING + timedelta(days=2)
    deliver(app, team.tenant.id, settings_for(smtp_server))  # before anyone planned again
    assert not [m for m in smtp_server.messages if m["X-Aktorskab-Kind"].startswith("meeting")]
    run(app, team.tenant.id, smtp_server)
    meetings = [m for m in smtp_server.messages if m["X-Aktorskab-Kind"].startswith("meeting")]
    assert {m["X-Aktorskab-Kind"] for m in meetings} == {"meeting_invitation"}
    assert len(meetings) == 3
    [event] = ics(meetings[0])[0].walk("VEVENT")
    assert (event["SEQUENCE"], event["DTSTART"].dt.day) == (1, 17)


def test_a_template_error_is_an_attempt_not_a_crash(app, make, smtp_server, monkeypatch):
    team = make_team(make)
    plan(app, team.tenant.id)

    def broken(*args, **kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr(delivery.mail.Composer, "compose", broken)
    outcome = deliver(app, team.tenant.id, settings_for(smtp_server))
    assert outcome.retried == 4
    with app.app_context():
        assert {r.last_error for r in outbox(team.tenant.id)} == {
            "render: RuntimeError('template bug')"
        }


def test_connection_errors_are_smtp_errors(app):
    # The classes delivery treats as "the connection is gone".
    assert issubclass(smtplib.SMTPServerDisconnected, smtplib.SMTPException)


def test_one_write_per_e_mail_and_every_row_ends_sent(app, make, smtp_server, sql_counter):
    team = make_team(make)
    plan(app, team.tenant.id)
    with sql_counter() as log:
        outcome = deliver(app, team.tenant.id, settings_for(smtp_server))
    assert outcome.sent == 4
    updates = [s for s in log.statements if s.startswith("UPDATE reminder_outbox")]
    # The claim, one hand-over per e-mail (carrying the previous one's "sent"), the last "sent".
    assert len(updates) == 1 + 4 + 1, str(log)
    with app.app_context():
        rows = outbox(team.tenant.id)
    assert {(r.status, r.sent_at, r.claimed_until, r.last_error) for r in rows} == {
        (OutboxStatus.SENT, NOW, None, None)
    }
    assert {r.message_id for r in rows} == {m["Message-ID"] for m in smtp_server.messages}


def test_sent_marks_are_written_when_a_chunk_stops_early(app, make, smtp_server):
    team = make_team(make)
    smtp_server.refuse(team.brit.email, "550 5.1.1 No such user")
    plan(app, team.tenant.id)
    ticks = count(step=100)  # the lease (600 s) is half over after three rows
    outcome = deliver(app, team.tenant.id, settings_for(smtp_server), clock=lambda: next(ticks))
    with app.app_context():
        rows = outbox(team.tenant.id)
    by_status = Counter(r.status for r in rows)
    assert outcome.sent + outcome.failed + outcome.released == 4
    assert outcome.sent >= 1 and outcome.released == 1
    assert by_status[OutboxStatus.SENT] == outcome.sent
    assert by_status[OutboxStatus.SENDING] == 0
