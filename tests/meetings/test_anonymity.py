"""No stored row links a vote or an anonymous thought to a person: every column of the live
meeting's tables, read from the database itself after a meeting with an anonymous thought and
votes."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from web.cycles.models import Cycle
from web.extensions import db
from web.meetings import services as live

LIVE_TABLES = ("live_meetings", "live_cards", "live_attendees", "live_actions")

# Every column, with why it may be there. A new column fails the test until it is listed.
COLUMNS = {
    "live_meetings": {
        "id",
        "tenant_id",
        "cycle_id",
        "facilitator_id",
        "started_at",
        "ended_at",
        "current_prompt_id",
        "timer_ends_at",
        "votes_per_member",
        "voting",
        "version",
        "participant_count",
    },
    "live_cards": {
        "id",
        "tenant_id",
        "meeting_id",
        "prompt_id",
        "text",
        "author_name",
        "sort_key",
        "merged_into_id",
        "votes",
    },
    "live_attendees": {"meeting_id", "user_id", "votes_used", "tenant_id"},
    "live_actions": {
        "id",
        "tenant_id",
        "meeting_id",
        "text",
        "owner_id",
        "due_on",
        "expectation",
        "kkc",
    },
}
# The only columns that may point at a person, and none of their tables points at a card.
PERSON_COLUMNS = {
    ("live_meetings", "facilitator_id"),
    ("live_attendees", "user_id"),
    ("live_actions", "owner_id"),
}


def test_no_table_can_join_a_person_to_a_card_or_a_vote(scoped, prepared):
    schema = inspect(db.session.connection())
    for table in LIVE_TABLES:
        columns = {c["name"] for c in schema.get_columns(table)}
        assert columns == COLUMNS[table], table
        for fk in schema.get_foreign_keys(table):
            if fk["referred_table"] == "users":
                assert (table, fk["constrained_columns"][0]) in PERSON_COLUMNS
        refers = {fk["referred_table"] for fk in schema.get_foreign_keys(table)}
        if "users" in refers:
            assert "live_cards" not in refers, table
        # No time of day on cards: when a thought was added would say who added it.
        if table == "live_cards":
            assert not [c for c in columns if c.endswith("_at")]


def test_after_an_anonymous_thought_and_votes_no_row_names_its_author(scoped, prepared):
    w = scoped
    cycle = db.session.get(Cycle, prepared)
    meeting = live.start_meeting(w.leader, cycle)
    live.join(w.carl, meeting)
    thought = live.add_card(
        w.carl,
        meeting,
        cycle,
        prompt_id=cycle.prompts[0].id,
        text="Vi taler for lidt om det svære",
        visibility="anonymous",
    )
    live.open_voting(w.leader, meeting, 3)
    live.vote(w.carl, meeting, thought.id)
    live.vote(w.bo, meeting, thought.id)
    db.session.flush()

    marks = {w.carl.display_name, w.carl.email, w.bo.display_name, w.bo.email}
    cards = {}
    for table in LIVE_TABLES:
        rows = db.session.execute(text(f"SELECT * FROM {table}")).mappings().all()
        for row in rows:
            if table == "live_cards":
                cards[row["text"]] = dict(row)
            if table == "live_attendees":
                # who is in the room and how many votes they used, nothing about on what
                assert set(row) == {"meeting_id", "user_id", "votes_used", "tenant_id"}
                continue
            for column, value in row.items():
                assert str(value) not in {str(m) for m in marks}, (table, column)
    anonymous = cards["Vi taler for lidt om det svære"]
    assert anonymous["author_name"] is None and anonymous["votes"] == 2
    assert cards["Når ingen ser det"]["author_name"] is None  # Bo's sealed answer


def _xmin(sql: str, **params) -> set[str]:
    rows = db.session.execute(text(sql), params).scalars().all()
    return {str(x) for x in rows}


@pytest.mark.postgres("xmin: PostgreSQL's transaction id on every row")
def test_no_transaction_writes_a_persons_row_and_an_anonymous_thought_or_vote(scoped, prepared):
    """Someone with database access reads each row's ``xmin`` (the transaction that wrote it):
    the anonymous thought's card and the card a vote moved must not share it with any row that
    names the author or the voter (their attendance, their user row, the meeting's row)."""
    w = scoped
    cycle = db.session.get(Cycle, prepared)
    meeting = live.start_meeting(w.leader, cycle)
    db.session.commit()
    for person in (w.carl, w.bo):
        live.join(person, meeting)
        db.session.commit()
    thought = live.add_card(
        w.carl,
        meeting,
        cycle,
        prompt_id=cycle.prompts[0].id,
        text="Vi taler for lidt om det svære",
        visibility="anonymous",
    )
    db.session.commit()

    def persons_rows(*people) -> set[str]:
        ids = [p.id for p in people]
        return (
            _xmin(
                "SELECT xmin::text FROM live_attendees WHERE user_id = ANY(:ids)",
                ids=ids,
            )
            | _xmin("SELECT xmin::text FROM users WHERE id = ANY(:ids)", ids=ids)
            | _xmin("SELECT xmin::text FROM live_meetings WHERE id = :id", id=meeting.id)
        )

    card = "SELECT xmin::text FROM live_cards WHERE id = :id"
    assert _xmin(card, id=thought.id).isdisjoint(persons_rows(w.carl))

    live.open_voting(w.leader, meeting, 3)
    db.session.commit()
    for person in (w.carl, w.bo, w.carl):
        live.vote(person, meeting, thought.id)
        written = _xmin(card, id=thought.id)
        assert written.isdisjoint(persons_rows(w.carl, w.bo)), person.display_name
    assert (
        db.session.scalar(text("SELECT votes FROM live_cards WHERE id = :id"), {"id": thought.id})
        == 3
    )
    # The voters' rows moved too (their used votes), each in a transaction of its own.
    used = "SELECT votes_used FROM live_attendees WHERE user_id = :id"
    assert db.session.scalar(text(used), {"id": w.carl.id}) == 2
    assert db.session.scalar(text(used), {"id": w.bo.id}) == 1
