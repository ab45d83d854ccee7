"""The poll every open view makes each second: checked like the pages, nearly free when
nothing changed (a 304 before the application), never stale after a change."""

from __future__ import annotations

import re

import pytest
from flask import template_rendered
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from tests.services import SQLITE
from tests.world import build_world
from web.auth.session import session_payload
from web.cycles.models import Phase
from web.extensions import db
from web.meetings import polls
from web.meetings.boards import Viewer, fill
from web.meetings.models import LiveAttendee, LiveMeeting
from web.tenancy import tenant_scope


@pytest.fixture
def world(make):
    """Per test, not per module (tests/meetings/conftest.py): this module's tests also commit."""
    return build_world(make)


def _base(world, cycle_id: int) -> str:
    return f"/t/{world.tenant.slug}/cycles/{cycle_id}/live"


def test_the_state_answers_only_the_cycles_members_and_facilitator(client, login, world, prepared):
    base = _base(world, prepared)
    login(world.leader)
    assert client.post(f"{base}/start").status_code == 302
    for person in (world.leader, world.anna, world.carl):
        login(person)
        reply = client.get(f"{base}/state")
        assert reply.status_code == 200 and reply.get_json()["version"] >= 1
        assert reply.headers["ETag"]
    # Emil works in another team, HR and the admin see aggregates only: none of them is in
    # the meeting, and the state says nothing to them (as the pages do).
    for person in (world.emil, world.hr, world.admin):
        login(person)
        assert client.get(f"{base}/state").status_code in {403, 404}
        assert client.get(base).status_code in {403, 404}
    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"{base}/state").status_code == 401


def test_opening_the_participant_view_changes_nothing_joining_counts_once(
    client, login, world, prepared, app
):
    base = _base(world, prepared)
    login(world.leader)
    client.post(f"{base}/start")
    login(world.carl)

    def attendees() -> int:
        with app.app_context(), tenant_scope(world.tenant.id):
            return db.session.scalar(select(func.count()).select_from(LiveAttendee))

    version = client.get(f"{base}/state").get_json()["version"]
    page = client.get(base).get_data(as_text=True)
    assert "Jeg er med" in page
    assert attendees() == 0
    assert client.get(f"{base}/state").get_json()["version"] == version
    for _ in range(2):
        assert client.post(f"{base}/join").status_code == 302
    assert attendees() == 1
    assert "Jeg er med" not in client.get(base).get_data(as_text=True)
    assert client.get(f"{base}/state").get_json()["version"] == version  # the board is as it was


def test_votes_show_only_as_totals_and_only_once_the_vote_is_closed(client, login, world, prepared):
    base = _base(world, prepared)
    login(world.leader)
    client.post(f"{base}/start")
    ids = re.findall(r'data-card-id="(\d+)"', client.get(f"{base}/present").get_data(as_text=True))
    client.post(f"{base}/open-voting", data={"votes": "2"})
    login(world.anna)
    version = client.get(f"{base}/state").get_json()["version"]
    assert client.post(f"{base}/vote", data={"card_id": ids[0]}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Du har 1 stemmer tilbage." in page and "1 stemmer" not in page.replace(
        "Du har 1 stemmer", ""
    )
    # No other view is told of a vote: the room cannot watch a total tick up as someone taps.
    assert client.get(f"{base}/state").get_json()["version"] == version
    login(world.leader)
    client.post(f"{base}/close-voting")
    assert "1 stemmer" in client.get(f"{base}/present").get_data(as_text=True)


# --- the cheap path: real commits, as the middleware reads what other requests committed ------


@pytest.fixture
def meeting(app, committed_make):
    world = build_world(committed_make)
    cycle = committed_make.started_cycle(
        world.tenant, world.team, world.leader, phase=Phase.MEETING
    )
    leader, anna = app.test_client(), app.test_client()
    for client, user in ((leader, world.leader), (anna, world.anna)):
        with client.session_transaction() as session:
            session.update(session_payload(user))
    base = _base(world, cycle.id)
    assert leader.post(f"{base}/start").status_code == 302
    return world, base, leader, anna


class Statements:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args):
        self.statements.append(statement)


def test_an_unchanged_poll_is_answered_before_the_application(app, meeting):
    world, base, leader, anna = meeting
    first = anna.get(f"{base}/state")
    ticket = first.headers["ETag"]
    with Statements(app) as sql:
        for _ in range(5):
            reply = anna.get(f"{base}/state", headers={"If-None-Match": ticket})
            assert reply.status_code == 304 and reply.data == b""
    # Redis (the PostgreSQL deployment): no SQL at all; the embedded default: one read each
    # (and SQLite's explicit BEGIN).
    reads = [s for s in sql.statements if s != "BEGIN"]
    assert reads == (
        ["SELECT version, ended_at FROM live_meetings WHERE id = ?"] * 5 if SQLITE else []
    )

    # A change on any request moves it at once: the same ticket gets the new version.
    prompt = re.search(r'data-prompt-id="(\d+)"', leader.get(base).get_data(as_text=True))[1]
    assert (
        leader.post(
            f"{base}/card",
            data={"prompt_id": prompt, "text": "Ny tanke", "visibility": "anonymous"},
        ).status_code
        == 302
    )
    moved = anna.get(f"{base}/state", headers={"If-None-Match": ticket})
    assert moved.status_code == 200
    assert moved.get_json()["version"] == first.get_json()["version"] + 1
    assert moved.headers["ETag"] != ticket

    # The ticket is Anna's: another browser (cookie) with it goes the whole way, and is
    # refused if it may not see the meeting.
    emil = app.test_client()
    with emil.session_transaction() as session:
        session.update(session_payload(world.emil))
    fresh = moved.headers["ETag"]
    assert emil.get(f"{base}/state", headers={"If-None-Match": fresh}).status_code == 404
    assert anna.get(f"{base}/state", headers={"If-None-Match": fresh}).status_code == 304


def _signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_payload(user))
    return client


def test_after_a_change_every_viewer_gets_the_board_rendered_once(app, meeting):
    """The board after a change: rendered by the first viewer of a kind, kept, and given to
    every other viewer before Flask, filled in for each (joined or not, votes left)."""
    world, base, leader, anna = meeting
    bo, carl = _signed_in(app, world.bo), _signed_in(app, world.carl)
    viewers = {"anna": anna, "bo": bo, "carl": carl}
    assert anna.post(f"{base}/join").status_code == 302
    renders: list[str] = []

    def rendered(sender, template, context, **extra):
        renders.append(template.name)

    tickets = {name: c.get(f"{base}/state").headers["ETag"] for name, c in viewers.items()}
    prompt = re.search(r'data-prompt-id="(\d+)"', leader.get(base).get_data(as_text=True))[1]
    data = {"prompt_id": prompt, "text": "Ny tanke", "visibility": "named"}
    assert leader.post(f"{base}/card", data=data).status_code == 302
    assert leader.post(f"{base}/open-voting", data={"votes": "2"}).status_code == 302
    template_rendered.connect(rendered, app)
    try:
        with Statements(app) as sql:
            boards = {}
            for name, c in viewers.items():
                moved = c.get(f"{base}/state", headers={"If-None-Match": tickets[name]})
                assert moved.status_code == 200 and moved.get_json()["ended"] is False
                fetched = c.get(
                    f"{base}?fragment=1", headers={"X-Live-Ticket": moved.headers["ETag"]}
                )
                assert fetched.status_code == 200 and fetched.headers["ETag"]
                assert fetched.headers["Content-Security-Policy"]
                boards[name] = fetched.get_data(as_text=True)
                tickets[name] = fetched.headers["ETag"]
                if name == "anna":  # the first: its board went the whole way
                    first_statements = len(sql.statements)
    finally:
        template_rendered.disconnect(rendered, app)
    assert renders == ["meetings/_board.html"]
    # The others: the version read (SQLite, twice each) or nothing (Redis), no other SQL.
    later = [s for s in sql.statements[first_statements:] if s != "BEGIN"]
    assert later == (
        ["SELECT version, ended_at FROM live_meetings WHERE id = ?"] * 4 if SQLITE else []
    )
    for name, board in boards.items():
        assert "Ny tanke" in board and "<!--p:" not in board
        assert "Du har 2 stemmer tilbage." in board and "Du har 1 stemmer" not in board
        assert ("Jeg er med" in board) is (name != "anna")
        assert board.count('action="/t/') == board.count('name="csrf_token"')
    # Anna's own vote: her board after it goes the whole way (her votes left are renewed).
    card = re.search(r'data-card-id="(\d+)"', boards["anna"])[1]
    assert anna.post(f"{base}/vote", data={"card_id": card}).status_code == 302
    own = anna.get(f"{base}?fragment=1").get_data(as_text=True)
    assert "Du har 1 stemmer tilbage." in own
    # A member's ticket is no ticket for the presenter view: the full path refuses it.
    assert (
        bo.get(f"{base}/present?fragment=1", headers={"X-Live-Ticket": tickets["bo"]}).status_code
        == 403
    )


def test_a_moved_ticket_keeps_its_expiry_and_its_holder():
    ticket = polls.make_ticket(
        SECRET, cycle_id=1, meeting_id=2, version=3, cookie="c", now=1000, personal="m~da~1~2~5"
    )
    found = polls.read_full_ticket(SECRET, ticket, cycle_id=1, cookie="c", now=1000)
    assert found == polls.Ticket(2, 3, 1000 + polls.TICKET_SECONDS, "m~da~1~2~5")
    moved = polls.make_ticket(
        SECRET,
        cycle_id=1,
        meeting_id=2,
        version=4,
        cookie="c",
        personal=found.personal,
        expires=found.expires,
    )
    assert polls.read_full_ticket(SECRET, moved, cycle_id=1, cookie="c", now=1000) == polls.Ticket(
        2, 4, found.expires, "m~da~1~2~5"
    )
    assert (
        polls.read_full_ticket(SECRET, moved, cycle_id=1, cookie="c", now=found.expires + 1) is None
    )


def test_fill_keeps_only_what_is_the_viewers():
    shared = (
        "<!--p:join--><form>Jeg er med</form><!--/p-->"
        '<!--p:vote:2--><input name="csrf_token" value="__live_csrf__">Stem<!--/p-->'
        "<!--p:used:0-->2 tilbage<!--/p--><!--p:used:1-->1 tilbage<!--/p-->"
        "<!--p:used:2-->0 tilbage<!--/p-->"
    )
    member = Viewer(False, "da", False, 1, 123)
    assert fill(shared, member, "tok") == (
        '<form>Jeg er med</form><input name="csrf_token" value="tok">Stem1 tilbage'
    )
    assert fill(shared, Viewer(False, "da", True, 2, 123), "") == "0 tilbage"
    # A meeting id that comes again (SQLite reuses the highest rowid) is another rendering.
    assert member.key(7, 3, "join") != Viewer(False, "da", False, 1, 124).key(7, 3, "join")
    assert Viewer.from_tag(member.tag) == member and Viewer.from_tag("x~da~1~1~1") is None


@pytest.mark.skipif(SQLITE, reason="the Redis copy of the version: the PostgreSQL deployment")
def test_a_lost_redis_write_is_repaired_by_the_next_full_poll(app, meeting):
    world, base, leader, anna = meeting
    ticket = anna.get(f"{base}/state").headers["ETag"]
    with app.app_context(), tenant_scope(world.tenant.id):
        meeting_id = db.session.scalar(select(LiveMeeting.id))
        client = polls._redis()
        key = polls.redis_key(meeting_id)
        version = int(client.get(key))
        client.delete(key)  # Redis lost it (restarted, emptied)
    assert anna.get(f"{base}/state", headers={"If-None-Match": ticket}).status_code == 304
    with app.app_context():
        assert int(client.get(key)) == version  # the full path put it back
        client.set(key, version - 1)  # a write that never arrived: an older number
    # An older number than the ticket's: not "unchanged", so the full path answers and raises it.
    assert anna.get(f"{base}/state", headers={"If-None-Match": ticket}).status_code == 304
    with app.app_context():
        assert int(client.get(key)) == version


SECRET = b"k" * 32


@settings(max_examples=300, deadline=None)
@given(
    cycle=st.integers(1, 2**31),
    meeting=st.integers(1, 2**31),
    version=st.integers(1, 2**31),
    cookie=st.text(max_size=60),
    position=st.integers(0, 400),
    char=st.sampled_from("0123456789abcdefABC-_."),
)
def test_a_ticket_changed_anywhere_is_no_ticket(cycle, meeting, version, cookie, position, char):
    ticket = polls.make_ticket(
        SECRET, cycle_id=cycle, meeting_id=meeting, version=version, cookie=cookie, now=1000
    )
    assert polls.read_ticket(SECRET, f'"{ticket}"', cycle_id=cycle, cookie=cookie, now=1000) == (
        meeting,
        version,
    )
    i = position % len(ticket)
    forged = ticket[:i] + char + ticket[i + 1 :]
    if forged != ticket:
        assert polls.read_ticket(SECRET, forged, cycle_id=cycle, cookie=cookie, now=1000) is None
    # Another cycle, another cookie, another key, or after it expired: no ticket either.
    assert polls.read_ticket(SECRET, ticket, cycle_id=cycle + 1, cookie=cookie, now=1000) is None
    assert polls.read_ticket(SECRET, ticket, cycle_id=cycle, cookie="x" + cookie, now=1000) is None
    assert polls.read_ticket(b"x" * 32, ticket, cycle_id=cycle, cookie=cookie, now=1000) is None
    assert (
        polls.read_ticket(
            SECRET, ticket, cycle_id=cycle, cookie=cookie, now=1001 + polls.TICKET_SECONDS
        )
        is None
    )


def test_a_ticket_outlives_the_cookies_renewed_timestamp_not_its_content():
    """Flask renews a permanent session's cookie on every response (a new timestamp and
    signature): the ticket still holds; another session's content does not."""
    ticket = polls.make_ticket(
        SECRET,
        cycle_id=1,
        meeting_id=2,
        version=3,
        cookie="eyJzaWQiOiJhYmMifQ.Z1abc.sig1",
        now=1000,
    )
    assert polls.read_ticket(
        SECRET, ticket, cycle_id=1, cookie="eyJzaWQiOiJhYmMifQ.Z1abd.sig2", now=1000
    ) == (2, 3)
    assert (
        polls.read_ticket(
            SECRET, ticket, cycle_id=1, cookie="eyJzaWQiOiJhYmQifQ.Z1abc.sig1", now=1000
        )
        is None
    )


def test_every_live_route_refuses_who_is_not_in_the_cycle(client, login, world, prepared, app):
    """The permission walk of the live meeting: every URL of ``t.live.*`` (read from the URL
    map, so a new one is walked too), GET and POST, for people of the tenant outside the
    cycle: refused, and nothing of the meeting in the answer."""
    base = _base(world, prepared)
    login(world.leader)
    assert client.post(f"{base}/start").status_code == 302
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("t.live.")]
    assert len(rules) >= 14
    for person in (world.emil, world.hr, world.hovedudvalg, world.admin):
        login(person)
        for rule in rules:
            path = rule.rule.replace("<tenant>", world.tenant.slug).replace(
                "<int:cycle_id>", str(prepared)
            )
            method = "GET" if "GET" in rule.methods else "POST"
            reply = client.open(path, method=method, data={"card_id": "1", "text": "x"})
            assert reply.status_code in {403, 404}, (person.display_name, path, reply.status_code)
            assert "Når ingen ser det" not in reply.get_data(as_text=True)
