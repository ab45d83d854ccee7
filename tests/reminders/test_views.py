"""The unsubscribe link (no login: the signed token is the credential) and the failed page."""

from __future__ import annotations

from tests.reminders.helpers import by_recipient, plan, run, settings_for
from tests.reminders.helpers import deliver as deliver_chunk
from tests.reminders.teams import MEETING, NOW, make_team, outbox
from web.extensions import db
from web.reminders.models import OutboxStatus, ReminderKind, ReminderUnsubscribe
from web.reminders.unsubscribe import InvalidToken, make_token, read_token
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName


def unsubscribe_path(message) -> str:
    url = message["List-Unsubscribe"].strip().strip("<>")
    return url.split("127.0.0.1:5000", 1)[1]


def test_unsubscribing_stops_that_kind_but_not_essential_ones(app, make, client, smtp_server):
    team = make_team(make, slug="afmeld", meeting_at=MEETING)
    run(app, team.tenant.id, smtp_server)
    opened = next(
        m
        for m in by_recipient(smtp_server.messages)[team.brit.email]
        if m["X-Aktorskab-Kind"] == "preparation_opened"
    )
    path = unsubscribe_path(opened)

    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Preparation has opened" in page.get_data(as_text=True)
    with app.app_context(), tenant_scope(team.tenant.id):
        assert db.session.scalar(db.select(db.func.count(ReminderUnsubscribe.id))) == 0

    # A mail client's RFC 8058 one-click POST: no session, no CSRF token.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert done.status_code == 200
    assert "Du får ikke flere påmindelser" in done.get_data(as_text=True)
    assert client.post(path).status_code == 200  # twice is fine

    # A new cycle of the same team: Bob gets the meeting invitation, but no "opened" e-mail.
    smtp_server.clear()
    make.cycle(
        team.tenant,
        team.unit,
        preparation_starts_on=NOW.date(),
        preparation_ends_on=NOW.date().replace(day=20),
        meeting_at=MEETING,
    )
    run(app, team.tenant.id, smtp_server)
    bob = {m["X-Aktorskab-Kind"] for m in by_recipient(smtp_server.messages)[team.brit.email]}
    dorte = {m["X-Aktorskab-Kind"] for m in by_recipient(smtp_server.messages)[team.dane.email]}
    assert bob == {"meeting_invitation"}
    assert dorte == {"meeting_invitation", "preparation_opened"}


def test_a_reminder_planned_before_the_unsubscribe_is_cancelled(app, make, client, smtp_server):
    team = make_team(make, slug="afmeld-senere")
    plan(app, team.tenant.id)
    with app.app_context():
        token = make_token(team.tenant.id, team.dane.id, ReminderKind.PREPARATION_OPENED)
    assert client.post(f"/t/afmeld-senere/reminders/unsubscribe/{token}").status_code == 200
    deliver_chunk(app, team.tenant.id, settings_for(smtp_server))
    assert team.dane.email not in by_recipient(smtp_server.messages)
    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.recipient_id == team.dane.id]
    assert (row.status, row.last_error) == (OutboxStatus.CANCELLED, "unsubscribed")


def test_a_bad_token_gets_a_translated_error(app, make, client):
    team = make_team(make, slug="forkert")
    danish = client.get(
        "/t/forkert/reminders/unsubscribe/nonsense", headers={"Accept-Language": "da"}
    )
    assert danish.status_code == 400
    assert "Linket til at afmelde påmindelser er ugyldigt" in danish.get_data(as_text=True)
    english = client.post(
        "/t/forkert/reminders/unsubscribe/nonsense", headers={"Accept-Language": "en"}
    )
    assert english.status_code == 400
    assert "The link to unsubscribe from reminders is invalid" in english.get_data(as_text=True)
    assert team


def test_tokens_work_only_in_their_own_tenant_and_never_for_essential_kinds(app, make, client):
    team = make_team(make, slug="eget")
    other = make_team(make, slug="andet")
    with app.app_context():
        token = make_token(team.tenant.id, team.dane.id, ReminderKind.WEEKLY_DIGEST)
        essential = make_token(team.tenant.id, team.dane.id, ReminderKind.MEETING_INVITATION)
    assert client.get(f"/t/andet/reminders/unsubscribe/{token}").status_code == 400
    assert client.get(f"/t/eget/reminders/unsubscribe/{token}").status_code == 200
    assert client.post(f"/t/eget/reminders/unsubscribe/{essential}").status_code == 400
    with app.app_context():
        try:
            read_token(token[:-2] + "xx", team.tenant.id)
        except InvalidToken:
            pass
        else:  # pragma: no cover
            raise AssertionError("a tampered token was accepted")
    assert other


def test_failed_reminders_are_visible_to_admins_and_their_leaders(app, make, login, smtp_server):
    team = make_team(make, slug="fejl")
    admin = make.user(team.tenant, "Admin", roles=(TenantRoleName.ADMIN,))
    smtp_server.refuse(team.brit.email, "550 5.1.1 No such user")
    run(app, team.tenant.id, smtp_server)

    page = login(admin).get("/t/fejl/reminders/failed")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bob British" in text and "550" in text and "Team Nord" in text
    assert "Dorte Dansk" not in text
    assert "80 % af påmindelserne er afsluttet" not in text  # all settled: 100 %
    assert "100 % af påmindelserne er afsluttet" in text

    leader_page = login(team.leader).get("/t/fejl/reminders/failed")
    assert leader_page.status_code == 200
    assert "Bob British" in leader_page.get_data(as_text=True)
    outsider = make_team(make, slug="fejl-andre")
    del outsider
    assert login(team.dane).get("/t/fejl/reminders/failed").status_code == 403

    with app.app_context():
        [row] = [r for r in outbox(team.tenant.id) if r.status == OutboxStatus.FAILED]
    browser = login(admin)
    retried = browser.post("/t/fejl/reminders/failed/retry", data={"outbox_id": row.id})
    assert retried.status_code == 302
    assert "1 påmindelse prøves igen." in browser.get(retried.location).get_data(as_text=True)
    with app.app_context():
        [again] = [r for r in outbox(team.tenant.id) if r.id == row.id]
    assert (again.status, again.attempts) == (OutboxStatus.PENDING, 0)
    assert (
        login(team.leader)
        .post("/t/fejl/reminders/failed/retry", data={"outbox_id": row.id})
        .status_code
        == 403
    )


def test_a_leader_sees_only_their_own_units_failures(app, make, login, smtp_server):
    mine = make_team(make, slug="min")
    other_unit = make.unit(mine.tenant, "Team Syd")
    stranger = make.user(mine.tenant, "Sigurd Syd", unit=other_unit)
    make.cycle(
        mine.tenant,
        other_unit,
        preparation_starts_on=NOW.date(),
        preparation_ends_on=NOW.date().replace(day=20),
    )
    smtp_server.refuse(stranger.email, "550 no")
    smtp_server.refuse(mine.dane.email, "550 no")
    run(app, mine.tenant.id, smtp_server)
    text = login(mine.leader).get("/t/min/reminders/failed").get_data(as_text=True)
    assert "Dorte Dansk" in text
    assert "Sigurd Syd" not in text


def test_failed_reminders_filter_by_kind_and_day_and_download_only_what_the_page_shows(
    app, make, login, smtp_server
):
    import csv
    import io
    from datetime import timedelta

    from sqlalchemy import select

    from web.audit.models import AuditEntry
    from web.models import utcnow

    mine = make_team(make, slug="filtre")
    admin = make.user(mine.tenant, "Admin", roles=(TenantRoleName.ADMIN,))
    other_unit = make.unit(mine.tenant, "Team Syd")
    stranger = make.user(mine.tenant, "Sigurd Syd", unit=other_unit)
    make.cycle(
        mine.tenant,
        other_unit,
        preparation_starts_on=NOW.date(),
        preparation_ends_on=NOW.date().replace(day=20),
    )
    smtp_server.refuse(stranger.email, "550 no")
    smtp_server.refuse(mine.dane.email, "550 no")
    run(app, mine.tenant.id, smtp_server)
    with app.app_context():
        kinds = {r.kind for r in outbox(mine.tenant.id) if r.status == OutboxStatus.FAILED}
    kind = sorted(kinds)[0]
    unused = next(k for k in ReminderKind if k not in kinds)
    base = "/t/filtre/reminders/failed"
    browser = login(admin)
    text = browser.get(f"{base}?kind={kind.value}").get_data(as_text=True)
    assert "Dorte Dansk" in text and "Sigurd Syd" in text
    assert "Ingen påmindelser er fejlet." in browser.get(f"{base}?kind={unused.value}").get_data(
        as_text=True
    )
    today = utcnow().date()
    later = (today + timedelta(days=2)).isoformat()
    assert "Ingen påmindelser er fejlet." in browser.get(f"{base}?since={later}").get_data(
        as_text=True
    )
    earlier = (today - timedelta(days=2)).isoformat()
    assert "Sigurd Syd" in browser.get(f"{base}?since={earlier}&until={later}").get_data(
        as_text=True
    )
    assert browser.get(f"{base}?kind=nope").status_code == 422

    def csv_names(client) -> list[str]:
        reply = client.get(f"{base}?format=csv")
        assert reply.status_code == 200
        rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["Modtager", "E-mail", "Påmindelse"]
        return sorted({r[0] for r in rows[1:]})

    assert csv_names(browser) == ["Dorte Dansk", "Sigurd Syd"]
    assert csv_names(login(mine.leader)) == ["Dorte Dansk"]  # as the leader's page
    with app.app_context(), tenant_scope(mine.tenant.id):
        tables = [
            e.details["table"]
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.event == "table.exported")
            )
        ]
    assert tables == ["fejlede-paamindelser"] * 2
