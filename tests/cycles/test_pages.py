"""The cycle pages through the test client: forms, messages on bad input, nothing half-saved,
and what each person can read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from web.cycles.models import (
    Campaign,
    Conclusion,
    Contribution,
    Cycle,
    DialogueTemplate,
    Phase,
    PhaseChange,
    TemplatePrompt,
    Visibility,
)
from web.cycles.services import contributions
from web.cycles.services.contributions import AnswerInput
from web.extensions import db
from web.tenancy import tenant_scope


def html(reply) -> str:
    return reply.get_data(as_text=True)


def count(app, world, model, *where) -> int:
    with app.app_context(), tenant_scope(world.tenant.id):
        return db.session.scalar(select(func.count(model.id)).where(*where))


def described_error(page: str, field: str, message: str) -> None:
    """The message is shown at the field and tied to it with aria-describedby."""
    assert f'id="{field}-error"' in page, field
    assert message in page
    control = re.search(
        rf'<(?:input|textarea|select|fieldset)[^>]*id="{re.escape(field)}"[^>]*>', page
    )
    assert control and f"{field}-error" in control.group(0), control


# --- starting a cycle --------------------------------------------------------------------------

GOOD_START = {
    "template_id": "",
    "preparation_starts_on": "2027-03-01",
    "preparation_ends_on": "2027-03-14",
    "meeting_on": "2027-03-16",
    "meeting_time": "09:30",
    "meeting_place": "Personalerummet",
    "follow_up_on": "2027-06-01",
}


@pytest.fixture
def start_form(client, login, world, make):
    template = make.template(world.tenant)
    login(world.leader)
    return {**GOOD_START, "unit_id": str(world.team.id), "template_id": str(template.id)}


def test_leader_starts_a_cycle(client, world, start_form, app):
    page = html(client.get(f"/t/{world.tenant.slug}/cycles/new"))
    assert 'name="csrf_token"' in page and "Solsikken" in page
    reply = client.post(f"/t/{world.tenant.slug}/cycles/new", data=start_form)
    assert reply.status_code == 302
    detail = html(client.get(reply.headers["Location"]))
    assert "Forløbet er startet" in detail
    assert "16. marts 2027 kl. 09.30" in detail and "Personalerummet" in detail
    assert count(app, world, Cycle) == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"preparation_starts_on": ""}, "preparation_starts_on", "Skal udfyldes."),
        (
            {"preparation_ends_on": "14-03-2027"},
            "preparation_ends_on",
            "Skriv datoen som åååå-mm-dd.",
        ),
        (
            {"preparation_ends_on": "2027-02-01"},
            "preparation_ends_on",
            "Forberedelsen kan ikke slutte, før den begynder.",
        ),
        (
            {"meeting_on": "2027-03-10"},
            "meeting_on",
            "Dialogmødet skal ligge på eller efter forberedelsens sidste dag.",
        ),
        ({"meeting_time": ""}, "meeting_time", "Skriv, hvornår mødet begynder."),
        ({"meeting_time": "25:00"}, "meeting_time", "Skriv klokkeslættet som tt:mm."),
        (
            {"follow_up_on": "2027-03-15"},
            "follow_up_on",
            "Opfølgningen skal ligge på eller efter dialogmødet.",
        ),
        ({"meeting_place": "x" * 201}, "meeting_place", "Højst 200 tegn"),
        ({"unit_id": ""}, "unit_id", "Vælg en enhed."),
        ({"template_id": ""}, "template_id", "Vælg en skabelon."),
    ],
)
def test_bad_start_input_is_shown_at_the_field_and_nothing_is_saved(
    client, world, start_form, app, change, field, message
):
    reply = client.post(f"/t/{world.tenant.slug}/cycles/new", data={**start_form, **change})
    assert reply.status_code == 422
    page = html(reply)
    described_error(page, field, message)
    assert 'href="#' + field + '"' in page  # the summary links to the field
    assert count(app, world, Cycle) == 0
    if field != "meeting_place":
        assert "Personalerummet" in page  # what was typed is kept


def test_start_form_in_english(client, world, start_form):
    reply = client.post(
        f"/t/{world.tenant.slug}/cycles/new",
        data={**start_form, "preparation_ends_on": "2027-02-01"},
        headers={"Accept-Language": "en"},
    )
    assert reply.status_code == 422
    assert "Preparation cannot end before it begins." in html(reply)


def test_second_open_cycle_for_a_unit_is_refused(client, world, start_form, app):
    assert client.post(f"/t/{world.tenant.slug}/cycles/new", data=start_form).status_code == 302
    reply = client.post(f"/t/{world.tenant.slug}/cycles/new", data=start_form)
    assert reply.status_code == 422
    assert "Enheden har allerede et forløb, der ikke er afsluttet." in html(reply)
    assert count(app, world, Cycle) == 1


# --- phase moves -------------------------------------------------------------------------------


@pytest.fixture
def cycle(world, make):
    return make.started_cycle(world.tenant, world.team, world.leader)


def move(client, world, cycle, to_phase, from_phase=None, reason=None):
    """A phase move as confirmed on the confirmation page (test_confirmations.py shows it)."""
    data = {"to_phase": to_phase, "confirmed": "1", "shorten_preparation": "1"}
    if from_phase:
        data["from_phase"] = from_phase
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/t/{world.tenant.slug}/cycles/{cycle.id}/phase", data=data)


def test_moves_and_step_back_reason_through_the_page(client, login, world, cycle, app):
    login(world.leader)
    reply = move(client, world, cycle, "meeting", "preparation")
    assert reply.status_code == 302
    assert "Forløbet er nu i fasen Dialogmøde." in html(client.get(reply.headers["Location"]))
    reply = move(client, world, cycle, "preparation", "meeting", reason="  ")
    assert reply.status_code == 422
    described_error(html(reply), "reason", "Skriv, hvorfor forløbet går et skridt tilbage.")
    assert count(app, world, PhaseChange) == 1
    reply = move(client, world, cycle, "preparation", "meeting", reason="Flere skal svare.")
    assert reply.status_code == 302
    page = html(client.get(reply.headers["Location"]))
    assert "Begrundelse: Flere skal svare." in page


@pytest.mark.parametrize(
    ("to", "frm"),
    [
        ("agreements", "preparation"),
        ("closed", None),
        ("nonsense", None),
        ("meeting", "agreements"),
    ],
)
def test_moves_that_are_not_allowed_get_a_message(client, login, world, cycle, app, to, frm):
    login(world.leader)
    reply = move(client, world, cycle, to, frm)
    assert reply.status_code == 422
    assert 'class="alert alert-error"' in html(reply)
    assert count(app, world, PhaseChange) == 0


# --- preparation -------------------------------------------------------------------------------


def test_member_answers_and_edits_until_the_meeting(client, login, world, cycle, app):
    login(world.anna)
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare"
    page = html(client.get(url))
    assert "Vi tager et ekstra ansvar, når …" in page
    assert "Tag personligt ansvar for din opgave" in page  # the four expectations
    assert "Koordinering" in page and "Giver aktørskab mening og gevinst for" in page  # KKC, OLFA
    first = cycle.prompts[0].id
    reply = client.post(
        url, data={f"answer-{first}": "Når vi selv planlægger", f"visibility-{first}": "anonymous"}
    )
    assert reply.status_code == 302
    page = html(client.get(url))
    assert "Dine svar er gemt" in page and "Når vi selv planlægger" in page
    assert re.search(
        rf'value="anonymous" checked|id="visibility-{first}-anonymous"[^>]*checked', page
    )


def checked_visibility(page: str, prompt_id: int) -> list[str]:
    return re.findall(rf'id="visibility-{prompt_id}-(\w+)"[^>]*checked', page)


def test_the_last_visibility_chosen_is_remembered_for_unanswered_questions(
    client, login, world, cycle
):
    login(world.anna)
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare"
    first, second, third = (p.id for p in cycle.prompts[:3])
    page = html(client.get(url))
    assert checked_visibility(page, first) == checked_visibility(page, second) == []
    client.post(
        url,
        data={
            f"answer-{first}": "Et navngivet svar",
            f"visibility-{first}": "named",
            f"answer-{second}": "Et anonymt svar",
            f"visibility-{second}": "anonymous",
        },
    )
    page = html(client.get(url))
    assert checked_visibility(page, first) == ["named"]  # an answer keeps its own
    assert checked_visibility(page, second) == ["anonymous"]
    assert checked_visibility(page, third) == ["anonymous"]  # the last choice, remembered
    login(world.bo)  # it is Anna's choice, not the team's
    assert checked_visibility(html(client.get(url)), third) == []


def test_preparation_shows_the_tenants_values(client, login, world, cycle):
    login(world.anna)
    page = html(client.get(f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare"))
    for value in ("Tillid", "Udvikling", "Fællesskab", "Ordentlighed"):
        assert f"<li>{value}</li>" in page


@pytest.mark.parametrize(
    ("text", "visibility", "field", "message"),
    [
        ("x" * 4001, "named", "answer", "Højst 4000 tegn (du har skrevet 4001)."),
        ("Et svar", "", "visibility", "Vælg, hvem der må se svaret."),
        ("Et svar", "everyone", "visibility", "Vælg, hvem der må se svaret."),
    ],
)
def test_bad_answers_are_shown_and_nothing_is_saved(
    client, login, world, cycle, app, text, visibility, field, message
):
    login(world.anna)
    first, second = cycle.prompts[0].id, cycle.prompts[1].id
    reply = client.post(
        f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare",
        data={
            f"answer-{first}": text,
            f"visibility-{first}": visibility,
            f"answer-{second}": "Et gyldigt svar",
            f"visibility-{second}": "named",
        },
    )
    assert reply.status_code == 422
    page = html(reply)
    described_error(page, f"{field}-{first}", message)
    assert "Et gyldigt svar" in page
    assert count(app, world, Contribution) == 0


def test_answers_cannot_change_after_the_meeting_started(client, login, world, cycle, app, make):
    login(world.anna)
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare"
    first = cycle.prompts[0].id
    client.post(url, data={f"answer-{first}": "Første udgave", f"visibility-{first}": "named"})
    login(world.leader)
    move(client, world, cycle, "meeting")
    login(world.anna)
    page = html(client.get(url))
    assert "Dialogmødet er begyndt" in page and "Første udgave" in page
    assert f'name="answer-{first}"' not in page
    reply = client.post(
        url, data={f"answer-{first}": "Anden udgave", f"visibility-{first}": "named"}
    )
    assert reply.status_code == 422
    assert "Dialogmødet er begyndt, så svarene kan ikke længere ændres." in html(reply)
    with app.app_context(), tenant_scope(world.tenant.id):
        assert db.session.scalars(select(Contribution.text)).all() == ["Første udgave"]


# --- privacy -----------------------------------------------------------------------------------


@pytest.fixture
def answered(world, make, app, cycle):
    """Anna answers named, Bo anonymously, Carl privately; then the meeting starts."""
    first = cycle.prompts[0].id
    with make.scope(world.tenant):
        c = db.session.get(Cycle, cycle.id)
        for who, text, visibility in (
            (world.anna, "Annas navngivne svar", Visibility.NAMED),
            (world.bo, "Bos anonyme svar", Visibility.ANONYMOUS),
            (world.carl, "Carls private svar", Visibility.PRIVATE),
        ):
            contributions.save_answers(who, c, [AnswerInput(first, text, visibility)])
    return cycle


def test_before_the_meeting_nobody_sees_anyone_elses_answers(client, login, world, answered):
    for role in ("leader", "anna", "bo", "carl", "hr", "admin", "department_leader"):
        login(getattr(world, role))
        for path in ("", "/prepare", "/meeting"):
            page = html(client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}{path}"))
            others = {
                "anna": "Annas navngivne svar",
                "bo": "Bos anonyme svar",
                "carl": "Carls private svar",
            }
            for author, text in others.items():
                if author != role:
                    assert text not in page, (role, path, author)


def test_meeting_shows_named_with_name_anonymous_without_and_never_private(
    client, login, world, answered
):
    login(world.leader)
    move(client, world, answered, "meeting")
    for role in ("leader", "department_leader", "anna", "bo", "carl"):
        login(getattr(world, role))
        page = html(client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}/meeting"))
        assert "Annas navngivne svar" in page and "Anna Andersen" in page
        assert "Bos anonyme svar" in page and "Anonymt" in page
        assert "Bo Bech" not in page or role == "bo"  # Bo sees his own name in the header only
        assert "Carls private svar" not in page
    login(world.leader)
    page = html(client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}/meeting"))
    assert "Bo Bech" not in page


def test_private_answers_are_seen_by_their_author_only(client, login, world, answered):
    login(world.leader)
    move(client, world, answered, "meeting")
    login(world.carl)
    assert "Carls private svar" in html(
        client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}/prepare")
    )
    for role in ("leader", "department_leader", "anna", "bo", "hr", "admin", "hovedudvalg"):
        login(getattr(world, role))
        for path in ("", "/prepare", "/meeting"):
            reply = client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}{path}")
            assert "Carls private svar" not in html(reply), (role, path)


def test_hr_sees_the_cycle_but_no_answers_and_no_participation(client, login, world, answered):
    login(world.leader)
    move(client, world, answered, "meeting")
    login(world.hr)
    page = html(client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}"))
    assert "Solsikken" in page and "har bidraget" not in page
    assert "Annas navngivne svar" not in page
    assert client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}/meeting").status_code == 403


def test_the_anonymous_author_is_not_even_in_the_database_after_the_meeting(
    client, login, world, answered, app
):
    login(world.leader)
    move(client, world, answered, "meeting")
    with app.app_context(), tenant_scope(world.tenant.id):
        row = db.session.scalar(
            select(Contribution).where(Contribution.visibility == Visibility.ANONYMOUS)
        )
        assert row.text == "Bos anonyme svar" and row.author_id is None


# --- meeting -----------------------------------------------------------------------------------


def test_conclusions_through_the_page(client, login, world, answered, app):
    login(world.leader)
    move(client, world, answered, "meeting")
    url = f"/t/{world.tenant.slug}/cycles/{answered.id}/meeting"
    first, second = answered.prompts[0].id, answered.prompts[1].id
    reply = client.post(
        url, data={f"conclusion-{first}": "Vi planlægger selv.", f"conclusion-{second}": "x" * 4001}
    )
    assert reply.status_code == 422
    described_error(html(reply), f"conclusion-{second}", "Højst 4000 tegn")
    assert count(app, world, Conclusion) == 0
    reply = client.post(
        url, data={f"conclusion-{first}": "Vi planlægger selv.", f"conclusion-{second}": ""}
    )
    assert reply.status_code == 302
    assert "Vi planlægger selv." in html(client.get(url))
    login(world.anna)  # the team reads the conclusions, on the meeting page and the cycle page
    assert "Vi planlægger selv." in html(client.get(url))
    assert "Vi planlægger selv." in html(client.get(f"/t/{world.tenant.slug}/cycles/{answered.id}"))
    assert 'name="conclusion-' not in html(client.get(url))


# --- editing the cycle -------------------------------------------------------------------------


def test_edit_dates_place_and_facilitator(client, login, world, cycle, app):
    login(world.leader)
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/edit"
    page = html(client.get(url))
    assert "Anna Andersen" in page and "Emil Eriksen" not in page
    reply = client.post(
        url, data={**GOOD_START, "facilitator_id": str(world.anna.id), "meeting_place": "Kantinen"}
    )
    assert reply.status_code == 302
    page = html(client.get(reply.headers["Location"]))
    assert "Kantinen" in page and "Anna Andersen" in page
    reply = client.post(url, data={**GOOD_START, "facilitator_id": str(world.emil.id)})
    assert reply.status_code == 422
    described_error(html(reply), "facilitator_id", "Ordstyreren skal være med i forløbet.")


# --- next cycle --------------------------------------------------------------------------------


def test_next_cycle_through_the_page(client, login, world, make, app):
    closed = make.started_cycle(world.tenant, world.team, world.leader, phase=Phase.CLOSED)
    make.action(world.tenant, closed, world.anna, "Åben aftale")
    login(world.leader)
    url = f"/t/{world.tenant.slug}/cycles/{closed.id}/next"
    page = html(client.get(url))
    assert "Åben aftale" in page
    reply = client.post(
        url,
        data={
            **GOOD_START,
            "preparation_ends_on": "2027-02-01",
            "template_id": page.split('name="template_id"')[1].split('value="')[1].split('"')[0],
        },
    )
    assert reply.status_code == 422
    assert count(app, world, Cycle) == 1
    template_id = str(make.template(world.tenant).id)
    reply = client.post(url, data={**GOOD_START, "template_id": template_id})
    assert reply.status_code == 302
    page = html(client.get(reply.headers["Location"]))
    assert "Det næste forløb er startet med 1 åbne handlinger overført." in page
    assert "Åben aftale" in page and "Overført" in page


# --- templates ---------------------------------------------------------------------------------


def test_the_pages_with_templates_write_nothing_where_a_tenant_has_none(client, login, make, app):
    """The memo's guide is seeded when a tenant is created; a page that lists templates only
    reads, even for a tenant whose templates are gone."""
    from web.users.models import TenantRoleName

    tenant = make.tenant()
    hr = make.user(tenant, roles=(TenantRoleName.HR, TenantRoleName.ADMIN))
    with make.scope(tenant):
        db.session.execute(delete(TemplatePrompt))
        db.session.execute(delete(DialogueTemplate))
    login(hr)
    for path in ("templates", "campaigns/new"):
        reply = client.get(f"/t/{tenant.slug}/{path}")
        assert reply.status_code == 200, path
        assert "Dialog om aktørskab (notatets dialogguide)" not in html(reply), path
    with app.app_context(), tenant_scope(tenant.id):
        assert db.session.scalar(select(func.count(DialogueTemplate.id))) == 0


def test_a_new_tenant_has_the_memos_guide_to_copy_and_edit(client, login, world, app):
    login(world.hr)
    page = html(client.get(f"/t/{world.tenant.slug}/templates"))
    assert "Dialog om aktørskab (notatets dialogguide)" in page
    with app.app_context(), tenant_scope(world.tenant.id):
        original = db.session.scalar(select(DialogueTemplate))
    reply = client.post(f"/t/{world.tenant.slug}/templates/{original.id}/copy")
    edit_url = reply.headers["Location"]
    page = html(client.get(edit_url))
    assert "Kopi af Dialog om aktørskab" in page
    form = dict(re.findall(r'name="(prompt-\d+-(?:id|kind|position))" value="([^"]*)"', page))
    for i in range(9):
        form[f"prompt-{i}-kind"] = "sentence" if i < 5 else "next_step"
        form[f"prompt-{i}-text_da"] = f"Spørgsmål {i}"
    form["prompt-0-remove"] = "1"
    form["prompt-8-position"] = "0"  # move the last one first
    form.update(
        {
            "name": "Vores guide",
            "action": "save",
            "prompt-9-kind": "next_step",
            "prompt-9-text_da": "Et nyt spørgsmål",
            "prompt-9-position": "99",
        }
    )
    reply = client.post(edit_url, data=form)
    assert reply.status_code == 302, html(reply)
    page = html(client.get(edit_url))
    assert "version 2" in page
    texts = re.findall(r'name="prompt-\d+-text_da"[^>]*>([^<]*)</textarea>', page)
    assert texts == [
        "Spørgsmål 8",
        *[f"Spørgsmål {i}" for i in range(1, 8)],
        "Et nyt spørgsmål",
        "",
    ]


def test_template_form_errors_and_add_row(client, login, world, app, make):
    template = make.template(world.tenant)
    login(world.admin)
    url = f"/t/{world.tenant.slug}/templates/{template.id}"
    page = html(client.get(url))
    form = dict(re.findall(r'name="(prompt-\d+-(?:id|kind|position))" value="([^"]*)"', page))
    form.update({f"prompt-{i}-kind": "sentence" for i in range(9)})
    form.update({f"prompt-{i}-text_da": f"Tekst {i}" for i in range(9)})
    reply = client.post(url, data={**form, "name": "Ny", "action": "add"})
    assert reply.status_code == 200 and 'name="prompt-9-text_da"' in html(reply)
    assert 'name="prompt-10-text_da"' in html(reply)
    reply = client.post(
        url,
        data={
            **form,
            "name": "",
            "prompt-3-text_da": "",
            "prompt-4-help_en": "x" * 2001,
            "action": "save",
        },
    )
    assert reply.status_code == 422
    page = html(reply)
    described_error(page, "name", "Skal udfyldes.")
    described_error(page, "prompt-3-text_da", "Skal udfyldes.")
    described_error(page, "prompt-4-help_en", "Højst 2000 tegn")
    with app.app_context(), tenant_scope(world.tenant.id):
        fresh = db.session.get(DialogueTemplate, template.id)
        assert fresh.version == 1 and fresh.name != "Ny"
        assert fresh.prompts[0].text_da.startswith("Vi sætter")


# --- campaigns ---------------------------------------------------------------------------------

CAMPAIGN = {
    "name": "Aktørskab forår 2027",
    "preparation_starts_on": "2027-03-01",
    "preparation_ends_on": "2027-03-14",
    "follow_up_on": "2027-06-01",
}


def test_campaign_preview_then_start_reports_teams_without_leader(client, login, world, make, app):
    from web.orgs.models import UnitKind

    make.unit(world.tenant, "Græshoppen", UnitKind.TEAM, parent=world.department)
    template = make.template(world.tenant)
    login(world.hr)
    url = f"/t/{world.tenant.slug}/campaigns/new"
    page = html(client.get(url))
    assert 'id="unit-' + str(world.area.id) + '"' in page
    data = {**CAMPAIGN, "template_id": str(template.id), "units": [str(world.area.id)]}
    page = html(client.post(url, data={**data, "action": "preview"}))
    assert "2 teams får et forløb" in page and "Mia Leder" in page
    assert "Teams uden leder får intet forløb" in page and "Græshoppen" in page
    assert count(app, world, Campaign) == 0
    reply = client.post(url, data={**data, "action": "start"})
    assert reply.status_code == 302
    page = html(client.get(reply.headers["Location"]))
    assert "Kampagnen er startet med 2 forløb." in page
    assert "Disse teams har ingen leder og fik derfor intet forløb: Græshoppen." in page
    # Information about the result, not an error: a blue info banner, announced politely.
    notice = page.split("Disse teams har ingen leder")[0].rsplit('<div class="alert ', 1)[1]
    assert notice.startswith('alert-info" role="status"'), notice
    assert "Solsikken" in page and "Mælkebøtten" in page
    assert "Aktørskab forår 2027" in html(client.get(f"/t/{world.tenant.slug}/campaigns"))
    campaign_url = reply.headers["Location"]
    page = html(client.get(f"{campaign_url}?name=sol"))
    assert "Solsikken" in page and "Mælkebøtten" not in page
    assert "Ingen forløb passer til filtrene." in html(client.get(f"{campaign_url}?phase=closed"))
    assert client.get(f"{campaign_url}?phase=asleep").status_code == 422
    download = client.get(f"{campaign_url}?phase=preparation&format=csv")
    table = [
        line.split(";") for line in download.get_data().decode("utf-8-sig").strip().splitlines()
    ]
    assert table[0][:3] == ["Enhed", "Leder", "Fase"]
    assert sorted(row[0] for row in table[1:]) == ["Mælkebøtten", "Solsikken"]
    assert {row[3] for row in table[1:]} == {"2027-03-14"}  # ISO in a download


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Skal udfyldes."),
        ({"units": []}, "units", "Vælg mindst én enhed."),
        (
            {"preparation_ends_on": "2027-02-01"},
            "preparation_ends_on",
            "Forberedelsen kan ikke slutte, før den begynder.",
        ),
        ({"preparation_ends_on": "", "name": ""}, "name", "Skal udfyldes."),
    ],
)
def test_bad_campaign_input(client, login, world, make, app, change, field, message):
    template = make.template(world.tenant)
    login(world.hr)
    data = {
        **CAMPAIGN,
        "template_id": str(template.id),
        "units": [str(world.area.id)],
        "action": "start",
        **change,
    }
    reply = client.post(f"/t/{world.tenant.slug}/campaigns/new", data=data)
    assert reply.status_code == 422
    described_error(html(reply), field, message)
    assert count(app, world, Campaign) == 0 and count(app, world, Cycle) == 0


# --- CSRF and language -------------------------------------------------------------------------


def test_forms_carry_a_csrf_token_the_server_accepts(client, login, world, cycle, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(world.anna)
    url = f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare"
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(client.get(url))).group(1)
    first = cycle.prompts[0].id
    answer = {f"answer-{first}": "Med token", f"visibility-{first}": "named"}
    assert client.post(url, data=answer).status_code == 400
    assert client.post(url, data={**answer, "csrf_token": token}).status_code == 302


def test_prompts_are_shown_in_english_when_the_page_is(client, login, world, cycle):
    login(world.anna)
    page = html(
        client.get(
            f"/t/{world.tenant.slug}/cycles/{cycle.id}/prepare", headers={"Accept-Language": "en"}
        )
    )
    assert "We take on extra responsibility when …" in page
    assert "Complete the sentences" in page and "Who may see the answer?" in page
    assert "Take personal responsibility for your task" in page
