"""Teams posts through the outbox to a real webhook receiver on loopback (tests/teams/receiver.py).

Planning and delivery run in this process (their functions, as the tasks call them); the
receiver is a real HTTP server that checks every card against the Adaptive Card schema subset
and counts what it accepted. The worker path is tests/teams/test_worker.py.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reminders.helpers import plan, settings_for
from tests.reminders.teams import MEETING, NOW, make_team
from tests.teams.receiver import problems, running_receiver
from web.extensions import db
from web.reminders import services as reminder_services
from web.reminders.models import Channel, OutboxStatus, ReminderKind, ReminderOutbox
from web.teams import services
from web.teams.cards import post_for
from web.teams.delivery import deliver_posts
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def channel(app, tenant, url, actor, unit=None):
    with app.test_request_context("/"), tenant_scope(tenant.id):
        services.set_webhook(unit, url, actor)
        db.session.commit()


def deliver(app, tenant_id, now=NOW, **overrides):
    with app.app_context(), tenant_scope(tenant_id):
        return deliver_posts(tenant_id, now, settings_for(None, **overrides))


def teams_rows(app, tenant_id) -> list[ReminderOutbox]:
    with app.app_context(), tenant_scope(tenant_id):
        rows = list(
            db.session.scalars(
                db.select(ReminderOutbox)
                .where(ReminderOutbox.channel == Channel.TEAMS)
                .order_by(ReminderOutbox.id)
            )
        )
        db.session.expunge_all()
    return rows


def team_with_news(make, locale="da"):
    """A team whose cycle opened, has its meeting set and an agreed action past its date."""
    team = make_team(make, meeting_at=MEETING, meeting_place="Sal 1")
    with make.scope(team.tenant):
        db.session.merge(team.tenant).default_locale = locale
    make.action(
        team.tenant,
        team.cycle,
        owner=team.dane,
        text="Fælles kalender for vagter",
        due_on=date(2026, 12, 1),
    )
    admin = make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    return team, admin


@pytest.mark.parametrize(
    ("locale", "titles"),
    [
        (
            "da",
            [
                "Forberedelsen til dialogen om aktørskab er åbnet – Team Nord",
                "Dialogmøde om aktørskab – Team Nord",
                "Aftalte handlinger over fristen – Team Nord",
            ],
        ),
        (
            "en",
            [
                "Preparation for the dialogue about agency has opened – Team Nord",
                "Dialogue meeting about agency – Team Nord",
                "Agreed actions past their due date – Team Nord",
            ],
        ),
    ],
)
def test_a_channel_gets_each_post_once_as_a_valid_adaptive_card_in_the_tenants_language(
    app, make, locale, titles
):
    team, admin = team_with_news(make, locale)
    with running_receiver() as receiver:
        channel(app, team.tenant, receiver.url, admin)
        for _ in range(2):  # two beats, two delivery tasks: nothing twice
            planned = plan(app, team.tenant.id)
            deliver(app, team.tenant.id)
        assert receiver.invalid == []
        assert len(receiver.posts) == 3
        assert [card["body"][0]["text"] for card in receiver.cards] == titles
        assert {card["version"] for card in receiver.cards} == {"1.4"}
        texts = " ".join(receiver.texts())
        assert "Fælles kalender for vagter" in texts and "Sal 1" in texts
        # Nothing about one person: no member's name or address, not even the action's owner.
        for person in team.members:
            assert person.display_name not in texts
            assert person.email not in str(receiver.posts)
        links = [card["actions"][0]["url"] for card in receiver.cards]
        assert links == [f"http://127.0.0.1:5000/t/{team.tenant.slug}/cycles/{team.cycle.id}"] * 3
    assert planned == dict.fromkeys(planned, 0)  # the second planning found nothing new
    rows = teams_rows(app, team.tenant.id)
    assert [(r.kind, r.status, r.attempts) for r in rows] == [
        (ReminderKind.PREPARATION_OPENED, OutboxStatus.SENT, 1),
        (ReminderKind.MEETING_INVITATION, OutboxStatus.SENT, 1),
        (ReminderKind.ACTION_OVERDUE, OutboxStatus.SENT, 1),
    ]
    with app.app_context(), tenant_scope(team.tenant.id):
        # The e-mails are planned as before, and their delivery counts only e-mails.
        assert reminder_services.due_count(team.tenant.id, NOW) == 3 + 3 + 1 + 1
        assert reminder_services.due_count(team.tenant.id, NOW, Channel.TEAMS) == 0


def test_a_moved_meeting_is_posted_as_a_change_and_a_units_channel_takes_its_units_posts(app, make):
    team, admin = team_with_news(make)
    other = make_team(make, slug=None)  # another tenant: sees nothing of this one
    with running_receiver() as everyone, running_receiver() as nord:
        channel(app, team.tenant, everyone.url, admin)
        channel(app, team.tenant, nord.url, admin, unit=team.unit)
        plan(app, team.tenant.id)
        deliver(app, team.tenant.id)
        with make.scope(team.tenant):
            cycle = db.session.merge(team.cycle)
            cycle.meeting_at = MEETING + timedelta(days=1)
            cycle.meeting_place = "Kantinen"
        plan(app, team.tenant.id)
        deliver(app, team.tenant.id)
        plan(app, other.tenant.id)
        deliver(app, other.tenant.id)
        assert everyone.posts == [] and nord.invalid == []
        assert [card["body"][0]["text"] for card in nord.cards] == [
            "Forberedelsen til dialogen om aktørskab er åbnet – Team Nord",
            "Dialogmøde om aktørskab – Team Nord",
            "Aftalte handlinger over fristen – Team Nord",
            "Dialogmødet er flyttet – Team Nord",
        ]
        assert "Sted: Kantinen" in nord.texts()
    assert teams_rows(app, other.tenant.id) == []


def test_a_receiver_answering_500_then_202_gets_the_post_once_on_the_retry(app, make):
    team = make_team(make)
    admin = make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    with running_receiver([500, 202]) as receiver:
        channel(app, team.tenant, receiver.url, admin)
        plan(app, team.tenant.id)
        first = deliver(app, team.tenant.id)
        [row] = teams_rows(app, team.tenant.id)
        assert (first.retried, row.status, row.attempts) == (1, OutboxStatus.PENDING, 1)
        assert row.last_error.startswith("500") and row.message_id is None
        assert deliver(app, team.tenant.id).claimed == 0  # not before its back-off
        later = NOW + timedelta(minutes=2)
        second = deliver(app, team.tenant.id, later)
        third = deliver(app, team.tenant.id, later + timedelta(hours=1))
        assert (second.sent, third.claimed) == (1, 0)
        assert len(receiver.posts) == 2 and len(receiver.cards) == 1
        assert receiver.invalid == []
    [row] = teams_rows(app, team.tenant.id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_a_failing_channel_ends_failed_on_the_admins_failed_page(app, make, login, client):
    team = make_team(make)
    admin = make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    with running_receiver([503]) as down:
        channel(app, team.tenant, down.url, admin)
        plan(app, team.tenant.id)
        moment = NOW
        for _ in range(3):
            deliver(app, team.tenant.id, moment, max_attempts=3)
            moment += timedelta(hours=1)
        assert len(down.posts) == 3 and down.cards == []
    [row] = teams_rows(app, team.tenant.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)

    login(admin)
    page = client.get(f"/t/{team.tenant.slug}/reminders/failed").get_data(as_text=True)
    assert "Teams-kanal" in page and "127.0.0.1" in page and "503" in page
    assert "secret-signature" not in page
    # The admin retries it; a channel that works again gets it once.
    reply = client.post(
        f"/t/{team.tenant.slug}/reminders/failed/retry", data={"outbox_id": str(row.id)}
    )
    assert reply.status_code == 302
    with running_receiver() as back:
        channel(app, team.tenant, back.url, admin)
        deliver(app, team.tenant.id, NOW + timedelta(days=1))
        assert len(back.cards) == 1


def test_a_refusing_channel_fails_at_once_and_an_address_the_guard_refuses_too(
    app, make, monkeypatch
):
    team = make_team(make)
    admin = make.user(team.tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    with running_receiver([404]) as gone:
        channel(app, team.tenant, gone.url, admin)
        plan(app, team.tenant.id)
        outcome = deliver(app, team.tenant.id)
        assert (outcome.failed, len(gone.posts)) == (1, 1)
    [row] = teams_rows(app, team.tenant.id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)

    # Loopback allowed when the webhook was saved, not any more when it is posted: the guarded
    # client refuses, nothing reaches the receiver.
    other = make_team(make)
    with running_receiver() as receiver:
        channel(app, other.tenant, receiver.url, admin_of(make, other))
        plan(app, other.tenant.id)
        monkeypatch.setitem(app.config, "OUTBOUND_ALLOWED_HOSTS", "teams.example")
        outcome = deliver(app, other.tenant.id)
        assert outcome.failed == 1 and receiver.posts == []
    [row] = teams_rows(app, other.tenant.id)
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "refused: address_not_public")


def admin_of(make, team):
    return make.user(team.tenant, "Anne Admin", roles=(TenantRoleName.ADMIN,))


def test_posts_no_longer_relevant_are_cancelled_not_sent(app, make):
    team, admin = team_with_news(make)
    with running_receiver() as receiver:
        channel(app, team.tenant, receiver.url, admin)
        plan(app, team.tenant.id)
        with make.scope(team.tenant):
            cycle = db.session.merge(team.cycle)
            cycle.meeting_at = MEETING + timedelta(hours=2)  # moved before it went out
        deliver(app, team.tenant.id)
        assert len(receiver.cards) == 2  # opened, overdue; the stale invitation is not sent
    rows = {r.kind: r for r in teams_rows(app, team.tenant.id)}
    assert rows[ReminderKind.MEETING_INVITATION].status == OutboxStatus.CANCELLED


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@PROPERTY
@given(
    unit=words.filter(lambda s: s.strip()),
    place=words,
    actions=st.lists(
        st.tuples(words, st.dates(date(2000, 1, 1), date(2100, 12, 31))), min_size=1, max_size=14
    ),
    locale=st.sampled_from(["da", "en"]),
)
def test_every_card_is_valid_whatever_the_names_and_texts(app, unit, place, actions, locale):
    with app.app_context():
        url = "https://aktor.example/t/x/cycles/1"
        for kind, values in (
            (
                ReminderKind.PREPARATION_OPENED,
                {"opens_on": date(2026, 12, 1), "closes_on": date(2026, 12, 9)},
            ),
            (ReminderKind.MEETING_UPDATED, {"meeting_at": MEETING, "place": place}),
            (ReminderKind.ACTION_OVERDUE, {"overdue": actions}),
        ):
            envelope = post_for(kind, locale, unit=unit, cycle_url=url, **values)
            assert problems(envelope) == []
            card = envelope["attachments"][0]["content"]
            assert all(
                len(f["value"]) <= 300
                for item in card["body"]
                if item["type"] == "FactSet"
                for f in item["facts"]
            )
            if kind == ReminderKind.ACTION_OVERDUE:
                assert len(card["body"][-1]["facts"]) == min(len(actions), 10)
