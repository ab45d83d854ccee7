"""One input edge: an HTML form and the JSON API give the same verdict, with the same message,
on the same value, for every kind of value (``web.inputs``).

Generated values go through both edges of the same operation (recording an action, an
example, starting a cycle): the form's POST (302 accepted, or 422 with the message at the
field) and the API's (201, or 422 with the message at the same field). The independent check
is the other edge: neither is the reference, they must agree. Then the audit's cases: extreme
dates and control characters are refused in the forms at the field, with nothing saved.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from web.cycles.models import MAX_ACTION, Action, Cycle, Phase
from web.examples.models import Example
from web.extensions import db
from web.inputs import FIRST_DATE, LAST_DATE, SIMPLE_MESSAGES, message_for, read, text
from web.tenancy import tenant_scope
from web.vocabulary import Expectation

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PARITY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as people and scripts send it: letters, spaces, line breaks (CRLF and lone CR too),
# tabs, and the controls the audit sent (NUL, \x01, ESC, DEL, a C1 control).
TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(st.sampled_from("aæ ø\n\r\t\x00\x01\x1b\x7f\x85"), max_size=12),
    st.integers(MAX_ACTION - 3, MAX_ACTION + 3).map(lambda n: "x" * n),
    st.integers(MAX_ACTION - 3, MAX_ACTION + 3).map(lambda n: "x\r\n" * (n // 2)),
)
DATES = st.one_of(
    st.dates().map(date.isoformat),
    st.dates(FIRST_DATE - timedelta(days=3), LAST_DATE + timedelta(days=3)).map(date.isoformat),
    st.text(st.sampled_from("0123456789-T:"), min_size=1, max_size=12),
)


def edge_message(message: str) -> bool:
    """Whether ``message`` is one of the edge's kinds' messages (not a service's rule)."""
    return message.startswith("Højst ") or message in (
        {str(m) for m in SIMPLE_MESSAGES.values()} | {message_for({"type": "date_out_of_range"})}
    )


def today() -> date:
    return datetime.now(COPENHAGEN).date()


def count(app, world, model) -> int:
    with app.app_context(), tenant_scope(world.tenant.id):
        return db.session.scalar(select(func.count()).select_from(model))


def form_message(reply, field: str) -> str | None:
    """The message shown at ``field`` on a refused form page (the form again, 422), or on the
    request guard's page (400: a character no text may hold, refused before the view)."""
    page = reply.get_data(as_text=True)
    found = (
        re.search(
            rf'id="{re.escape(field)}-error">(?:<span class="sr-only">[^<]*</span>)?'
            r"([^<]*)</span>",
            page,
        )
        if reply.status_code == 422
        else re.search(rf"<code>{re.escape(field)}</code>: ([^<]*)</li>", page)
    )
    return htmllib.unescape(found.group(1)).strip() if found else None


class Edges:
    """One operation through both edges, as the same user."""

    def __init__(self, world, login, token_api):
        self.world = world
        self.page = login(world.leader)
        self.api = token_api(world.leader)

    def form(self, path: str, data: dict):
        return self.page.post(f"/t/{self.world.tenant.slug}{path}", data=data)

    def verdicts(
        self, form_reply, api_reply, form_field: str, api_field: str
    ) -> tuple[object, object]:
        """(True when accepted, else the message at the field) for each edge.

        The API stops at its edge when the body breaks the schema, before the service checks
        the rules about rows (an owner on the team); a form reports both at once. So where
        the API names no message at the field, the form may name one of those rules' own
        messages there, never one of the edge's (``web.inputs``' catalogue).
        """
        assert form_reply.status_code in (302, 400, 422), form_reply.status_code
        assert api_reply.status_code in (201, 422), api_reply.get_data(as_text=True)
        by_form = True if form_reply.status_code == 302 else form_message(form_reply, form_field)
        if api_reply.status_code == 201:
            return by_form, True
        fields = api_reply.get_json()["error"]["fields"]
        by_api = next(
            (
                m
                for name, m in sorted(fields.items())
                if name == api_field or name.startswith(f"{api_field}.")
            ),
            None,
        )
        if by_api is None and isinstance(by_form, str):
            with self.page.application.test_request_context("/"):
                assert not edge_message(by_form), (form_field, by_form, fields)
            return None, None
        return by_form, by_api


@pytest.fixture
def edges(world, login, token_api) -> Edges:
    return Edges(world, login, token_api)


@pytest.fixture
def agreeing(world, make):
    return make.cycle(world.tenant, world.team, leader=world.leader, phase=Phase.AGREEMENTS)


def action_form(world, **fields) -> dict:
    data = {
        "text": "Vi prøver en ny mødeform",
        "owner_id": str(world.bo.id),
        "due_on": (today() + timedelta(days=10)).isoformat(),
    }
    return {**data, **fields}


def action_body(world, **fields) -> dict:
    data = {
        "text": "Vi prøver en ny mødeform",
        "owner_id": world.bo.id,
        "due_on": (today() + timedelta(days=10)).isoformat(),
    }
    return {**data, **fields}


def test_free_text_gets_the_same_verdict_and_message_from_a_form_and_the_api(
    edges, world, agreeing
):
    @PARITY
    @given(value=TEXTS)
    def both(value: str):
        by_form, by_api = edges.verdicts(
            edges.form(f"/cycles/{agreeing.id}/actions/new", action_form(world, text=value)),
            edges.api.post(f"/cycles/{agreeing.id}/actions", json=action_body(world, text=value)),
            "text",
            "text",
        )
        assert by_form == by_api, (value, by_form, by_api)

    both()


def test_dates_get_the_same_verdict_and_message_from_a_form_and_the_api(edges, world, agreeing):
    @PARITY
    @given(value=DATES)
    def both(value: str):
        by_form, by_api = edges.verdicts(
            edges.form(f"/cycles/{agreeing.id}/actions/new", action_form(world, due_on=value)),
            edges.api.post(f"/cycles/{agreeing.id}/actions", json=action_body(world, due_on=value)),
            "due_on",
            "due_on",
        )
        assert by_form == by_api, (value, by_form, by_api)

    both()


def test_ids_and_choices_get_the_same_verdict_and_message(edges, world, agreeing):
    ids = st.one_of(st.integers(), st.sampled_from([world.bo.id, world.emil.id, 0, 2**31]))
    choices = st.one_of(st.sampled_from([e.value for e in Expectation]), st.text(max_size=15))

    @PARITY
    @given(owner=ids, expectation=choices)
    def both(owner: int, expectation: str):
        path = f"/cycles/{agreeing.id}/actions"
        form_reply = edges.form(
            f"{path}/new", action_form(world, owner_id=str(owner), expectation=expectation)
        )
        api_reply = edges.api.post(
            path, json=action_body(world, owner_id=owner, expectation=expectation or None)
        )
        for field in ("owner_id", "expectation"):
            by_form, by_api = edges.verdicts(form_reply, api_reply, field, field)
            assert by_form == by_api, (owner, expectation, field, by_form, by_api)

    both()


def test_unique_lists_get_the_same_verdict_and_message(edges, world):
    values = [e.value for e in Expectation]

    @PARITY
    @given(tags=st.lists(st.one_of(st.sampled_from(values), st.text(max_size=6)), max_size=6))
    def both(tags: list[str]):
        example = {"kind": "good", "title": "Vi tog ansvar", "text": "Vi bestilte selv."}
        by_form, by_api = edges.verdicts(
            edges.form(
                "/examples/new", {**example, "unit_id": str(world.team.id), "expectations": tags}
            ),
            edges.api.post(
                "/examples", json={**example, "unit_id": world.team.id, "expectations": tags}
            ),
            "expectations",
            "expectations",
        )
        assert by_form == by_api, (tags, by_form, by_api)

    both()


def test_meeting_times_get_the_same_verdict_and_message(edges, app, world, make):
    """The form's day and time in Copenhagen; the API's one timestamp with its offset."""
    template = make.template(world.tenant)

    @PARITY
    @given(day=st.dates(), at=st.times().map(lambda t: t.replace(second=0, microsecond=0)))
    def both(day: date, at: time):
        start = {"preparation_starts_on": "2027-03-01", "preparation_ends_on": "2027-03-14"}
        form_reply = edges.form(
            "/cycles/new",
            {
                **start,
                "unit_id": str(world.team.id),
                "template_id": str(template.id),
                "meeting_on": day.isoformat(),
                "meeting_time": at.strftime("%H:%M"),
            },
        )
        _close_every_cycle(app, world)
        # The offset the users' zone has that day (+01:00 outside the years it is defined in
        # whole minutes; those days are out of range anyway).
        offset = (
            datetime.combine(day, at, tzinfo=COPENHAGEN).strftime("%z")
            if 1900 <= day.year <= 9998
            else "+0100"
        )
        moment = f"{day.isoformat()}T{at:%H:%M}:00{offset[:3]}:{offset[3:5]}"
        api_reply = edges.api.post(
            "/cycles", json={**start, "unit_id": world.team.id, "meeting_at": moment}
        )
        _close_every_cycle(app, world)
        by_form, by_api = edges.verdicts(form_reply, api_reply, "meeting_on", "meeting_at")
        assert by_form == by_api, (day, at, by_form, by_api)

    both()


def _close_every_cycle(app, world) -> None:
    """An accepted start leaves the next one free to start (one open cycle per unit)."""
    with app.app_context(), tenant_scope(world.tenant.id):
        for cycle in db.session.scalars(select(Cycle).where(Cycle.phase != Phase.CLOSED)):
            cycle.phase = Phase.CLOSED
        db.session.commit()


# --- the audit's cases, in the forms --------------------------------------------------------


OUT_OF_RANGE = "Datoen skal ligge mellem 2000-01-01 og 2100-12-31."
BANNED = "Teksten indeholder tegn, der ikke er tilladt."


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"preparation_starts_on": "0001-01-01"}, "preparation_starts_on", OUT_OF_RANGE),
        ({"meeting_on": "9999-12-31", "meeting_time": "23:59"}, "meeting_on", OUT_OF_RANGE),
        ({"follow_up_on": "9999-12-31"}, "follow_up_on", OUT_OF_RANGE),
        ({"meeting_place": "Mødelokale\x01"}, "meeting_place", BANNED),
        ({"meeting_place": "\x1b[31mRødt"}, "meeting_place", BANNED),
        ({"meeting_place": "a\x00b"}, "meeting_place", BANNED),
    ],
)
def test_the_cycle_form_refuses_extreme_dates_and_controls_at_the_field(
    login, app, world, make, fields, field, message
):
    template = make.template(world.tenant)
    data = {
        "unit_id": str(world.team.id),
        "template_id": str(template.id),
        "preparation_starts_on": "2027-03-01",
        "preparation_ends_on": "2027-03-14",
        "meeting_on": "2027-03-16",
        "meeting_time": "09:30",
        **fields,
    }
    reply = login(world.leader).post(f"/t/{world.tenant.slug}/cycles/new", data=data)
    assert reply.status_code == (400 if message == BANNED else 422)  # 400: the request guard
    assert form_message(reply, field) == message
    assert count(app, world, Cycle) == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"due_on": "9999-12-31"}, "due_on", OUT_OF_RANGE),
        ({"due_on": "0001-01-01"}, "due_on", OUT_OF_RANGE),
        ({"text": "Ring til\x01 Bo"}, "text", BANNED),
        ({"text": "\x1b[2J"}, "text", BANNED),
    ],
)
def test_the_action_form_refuses_extreme_dates_and_controls_at_the_field(
    login, app, world, agreeing, fields, field, message
):
    reply = login(world.leader).post(
        f"/t/{world.tenant.slug}/cycles/{agreeing.id}/actions/new",
        data=action_form(world, **fields),
    )
    assert reply.status_code == (400 if message == BANNED else 422)  # 400: the request guard
    assert form_message(reply, field) == message
    assert count(app, world, Action) == 0


def test_the_example_form_refuses_controls_at_the_field(login, app, world):
    reply = login(world.anna).post(
        f"/t/{world.tenant.slug}/examples/new",
        data={"unit_id": str(world.team.id), "kind": "good", "title": "Titel\x07", "text": "Tekst"},
    )
    assert reply.status_code == 400  # the request guard: refused before the form is read
    assert form_message(reply, "title") == BANNED
    assert count(app, world, Example) == 0


def test_a_lone_surrogate_is_refused_by_the_kind_and_cannot_arrive_in_json(
    app, world, token_api, agreeing
):
    # A form cannot carry one (its bytes are not UTF-8; the request decodes them to U+FFFD),
    # and JSON's parser refuses one; text from anywhere else meets the kind.
    with app.test_request_context("/"):
        errors: dict[str, str] = {}
        assert read(errors, "text", "a\ud800b", text(10)) is None
        assert errors == {"text": BANNED}
    reply = token_api(world.leader).post(
        f"/cycles/{agreeing.id}/actions",
        data='{"text": "a\\ud800", "owner_id": 1, "due_on": "2030-01-01"}',
        content_type="application/json",
    )
    # The request guard reads the JSON escape as the lone surrogate it is: 422 at the field.
    assert reply.status_code == 422
    assert count(app, world, Action) == 0
