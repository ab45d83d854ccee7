"""One whole cycle by hand through the pages, and the query budget of the busiest pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from web.cycles.models import Action, Cycle, Phase, PhaseChange, Visibility
from web.cycles.services import contributions
from web.cycles.services.contributions import AnswerInput
from web.extensions import db
from web.models import today as local_today
from web.tenancy import tenant_scope


def html(reply) -> str:
    return reply.get_data(as_text=True)


def test_a_leader_runs_a_whole_cycle_with_three_employees(client, login, world, make, app):
    w, slug = world, world.tenant.slug
    make.template(w.tenant)

    # The leader starts a cycle for the team.
    login(w.leader)
    page = html(client.get(f"/t/{slug}/cycles/new"))
    template_id = re.search(r'<option value="(\d+)" selected>Dialog om aktørskab', page).group(1)
    reply = client.post(
        f"/t/{slug}/cycles/new",
        data={
            "unit_id": str(w.team.id),
            "template_id": template_id,
            "preparation_starts_on": "2027-03-01",
            "preparation_ends_on": "2027-03-14",
            "meeting_on": "2027-03-16",
            "meeting_time": "13:00",
            "meeting_place": "Personalerummet",
            "follow_up_on": "2027-06-01",
        },
    )
    assert reply.status_code == 302
    cycle_url = reply.headers["Location"]
    cycle_id = int(cycle_url.rsplit("/", 1)[1])
    with app.app_context(), tenant_scope(w.tenant.id):
        prompts = [p.id for p in db.session.get(Cycle, cycle_id).prompts]

    # Three employees prepare: Anna named, Bo anonymously, Carl privately (and one named).
    for person, text, visibility, second in (
        (w.anna, "Når vi selv planlægger dagen", "named", "named"),
        (w.bo, "Når ingen ser det", "anonymous", "anonymous"),
        (w.carl, "Når jeg er træt, gør jeg det ikke", "private", "named"),
    ):
        login(person)
        assert "Besvar spørgsmålene" in html(client.get(cycle_url))
        reply = client.post(
            f"{cycle_url}/prepare",
            data={
                f"answer-{prompts[0]}": text,
                f"visibility-{prompts[0]}": visibility,
                f"answer-{prompts[5]}": f"Rammer fra {person.display_name.split()[0]}",
                f"visibility-{prompts[5]}": second,
            },
        )
        assert reply.status_code == 302

    # The leader sees how many have contributed, then starts the meeting.
    login(w.leader)
    assert "3 af 4 i teamet har bidraget." in html(client.get(cycle_url))
    confirm = client.post(
        f"{cycle_url}/phase", data={"from_phase": "preparation", "to_phase": "meeting"}
    )
    assert "Det kan ikke gøres om" in confirm.get_data(as_text=True)
    assert (
        client.post(
            f"{cycle_url}/phase",
            data={
                "from_phase": "preparation",
                "to_phase": "meeting",
                "confirmed": "1",
                "shorten_preparation": "1",
            },
        ).status_code
        == 302
    )

    # The meeting: named answers with names, the anonymous one without, no private one.
    page = html(client.get(f"{cycle_url}/meeting"))
    assert "Når vi selv planlægger dagen" in page and "Anna Andersen" in page
    assert "Når ingen ser det" in page
    assert "Bo Bech" not in page
    assert "Når jeg er træt" not in page
    assert page.count("Rammer fra") == 3  # the sixth prompt: two named, one anonymous
    reply = client.post(
        f"{cycle_url}/meeting",
        data={
            f"conclusion-{prompts[0]}": "Vi planlægger selv, når det giver mening for børnene.",
            f"conclusion-{prompts[5]}": "Vi holder fast i morgenmødet.",
        },
    )
    assert reply.status_code == 302

    # Agreements, through the actions pages: two actions, Bo's is done by the follow-up.
    assert client.post(f"{cycle_url}/phase", data={"to_phase": "agreements"}).status_code == 302
    assert f'href="{cycle_url}/actions/new"' in html(client.get(cycle_url))
    due = (local_today() + timedelta(days=30)).isoformat()
    for owner, text in ((w.anna, "Prøv selvplanlagte formiddage"), (w.bo, "Del et godt eksempel")):
        reply = client.post(
            f"{cycle_url}/actions/new",
            data={
                "text": text,
                "owner_id": str(owner.id),
                "due_on": due,
                "expectation": "responsibility",
                "kkc": "commitment",
            },
        )
        assert reply.status_code == 302, html(reply)
    page = html(client.get(cycle_url))
    assert "Prøv selvplanlagte formiddage" in page
    assert "Vi planlægger selv, når det giver mening for børnene." in page

    # Follow-up: Bo marks his action done; then the cycle closes.
    assert client.post(f"{cycle_url}/phase", data={"to_phase": "follow_up"}).status_code == 302
    with app.app_context(), tenant_scope(w.tenant.id):
        bos = db.session.scalar(select(Action.id).where(Action.owner_id == w.bo.id))
    login(w.bo)
    assert (
        client.post(f"/t/{slug}/actions/{bos}/status", data={"status": "done"}).status_code == 302
    )
    login(w.leader)

    assert client.post(f"{cycle_url}/phase", data={"to_phase": "closed"}).status_code == 302
    page = html(client.get(cycle_url))
    assert 'aria-current="step"' in page and "Start det næste forløb" in page

    # The next cycle carries the open action over.
    reply = client.post(
        f"{cycle_url}/next",
        data={
            "template_id": template_id,
            "preparation_starts_on": "2027-09-01",
            "preparation_ends_on": "2027-09-14",
        },
    )
    assert reply.status_code == 302
    next_page = html(client.get(reply.headers["Location"]))
    assert "Prøv selvplanlagte formiddage" in next_page
    assert "Del et godt eksempel" not in next_page

    with app.app_context(), tenant_scope(w.tenant.id):
        moves = db.session.execute(
            select(PhaseChange.from_phase, PhaseChange.to_phase)
            .where(PhaseChange.cycle_id == cycle_id)
            .order_by(PhaseChange.id)
        ).all()
        assert [m.to_phase for m in moves] == [
            Phase.MEETING,
            Phase.AGREEMENTS,
            Phase.FOLLOW_UP,
            Phase.CLOSED,
        ]
        new = db.session.scalar(select(Cycle).where(Cycle.previous_cycle_id == cycle_id))
        carried = db.session.scalars(select(Action).where(Action.cycle_id == new.id)).all()
        assert [(a.text, a.owner_id) for a in carried] == [
            ("Prøv selvplanlagte formiddage", w.anna.id)
        ]


# --- query budget ------------------------------------------------------------------------------


def busy_team(make, world, members: int):
    """A team with ``members`` employees who all answered every prompt (a mix of visibilities),
    in the meeting phase with conclusions and actions."""
    from web.orgs.models import UnitKind

    unit = make.unit(world.tenant, f"Team med {members}", UnitKind.TEAM, parent=world.department)
    people = [make.user(world.tenant, f"Medarbejder {i:02}", unit=unit) for i in range(members)]
    cycle = make.started_cycle(world.tenant, unit, world.department_leader)
    visibilities = list(Visibility)
    with make.scope(world.tenant):
        c = db.session.get(Cycle, cycle.id)
        for i, person in enumerate(people):
            contributions.save_answers(
                person,
                c,
                [
                    AnswerInput(
                        p.id, f"Svar {i} til {p.position}", visibilities[(i + p.position) % 3]
                    )
                    for p in c.prompts
                ],
            )
    for i, person in enumerate(people):
        make.action(world.tenant, cycle, person, f"Aftale {i}")
    with make.scope(world.tenant):
        from web.cycles.services import cycles as cycle_service
        from web.cycles.services import meeting

        c = db.session.get(Cycle, cycle.id)
        cycle_service.move_phase(world.department_leader, c, Phase.MEETING)
        meeting.record_conclusions(
            world.department_leader, c, {p.id: f"Konklusion {p.position}" for p in c.prompts}
        )
    return cycle


@pytest.mark.parametrize("path", ["", "/meeting", "/prepare"])
def test_pages_use_a_bounded_number_of_queries(client, login, world, make, sql_counter, path):
    small = busy_team(make, world, 2)
    large = busy_team(make, world, 25)
    login(world.department_leader)
    counts = []
    for cycle in (small, large):
        url = f"/t/{world.tenant.slug}/cycles/{cycle.id}{path}"
        if path == "/prepare":  # a member's form: log in as someone in the team
            with make.scope(world.tenant):
                from web.cycles.services.actions import team_members

                member = next(
                    m
                    for m in team_members(db.session.get(Cycle, cycle.id))
                    if m.id != world.department_leader.id
                )
            login(member)
        with sql_counter() as log:
            reply = client.get(url)
        assert reply.status_code == 200
        counts.append(log.count)
        assert log.count <= 20, str(log)
    assert counts[0] == counts[1], counts
