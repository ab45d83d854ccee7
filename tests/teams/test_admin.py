"""The admin's Teams page: a Workflows webhook URL per tenant or unit, checked before it is kept."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlalchemy import select

from tests.teams.receiver import problems
from web.audit.models import AuditEntry
from web.extensions import db
from web.reminders.models import ReminderKind
from web.teams.cards import post_for
from web.teams.models import TeamsWebhook
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

WORKFLOW = (
    "https://prod-42.westeurope.logic.azure.com:443/workflows/5f0c/triggers/manual/"
    "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&"
    "sig=Zm9vYmFyc2VjcmV0"
)
POWER_PLATFORM = (
    "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/"
    "automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1"
    "&sig=c2VjcmV0"
)


def hooks(app, tenant):
    with app.app_context(), tenant_scope(tenant.id):
        rows = list(db.session.scalars(select(TeamsWebhook)))
        db.session.expunge_all()
    return rows


def test_only_an_admin_reaches_the_teams_page_and_it_is_on_the_admin_page(make, login, client):
    tenant = make.tenant("teamsby")
    assert client.get("/t/teamsby/admin/teams/").status_code == 401
    login(make.user(tenant, "Helle HR", roles=(TenantRoleName.HR,)))
    assert client.get("/t/teamsby/admin/teams/").status_code == 403
    assert client.post("/t/teamsby/admin/teams/", data={"url": WORKFLOW}).status_code == 403
    login(make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    assert 'href="/t/teamsby/admin/teams/"' in client.get("/t/teamsby/admin/").get_data(
        as_text=True
    )
    assert client.get("/t/teamsby/admin/teams/").status_code == 200


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Indsæt adressen fra Teams-workflowet."),
        (
            "https://kommune.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi",
            "Office 365-connector, som Microsoft har udfaset",
        ),
        (
            "https://example.org/workflows/abc/triggers/manual/paths/invoke?sig=x",
            "Det er ikke adressen på et Teams-workflow",
        ),
        (
            "https://prod-42.westeurope.logic.azure.com/workflows/abc",
            "Det er ikke adressen på et Teams-workflow",
        ),
        (
            "http://prod-42.westeurope.logic.azure.com/workflows/abc/triggers/manual",
            "Adressen skal begynde med https://.",
        ),
        (
            "https://user:pw@prod-42.westeurope.logic.azure.com/workflows/a/triggers/m",
            "Skriv den fulde adresse",
        ),
        ("javascript:alert(1)", "Skriv den fulde adresse"),
        (WORKFLOW + " x", "mellemrum eller styretegn"),
        (WORKFLOW + "&x=" + "a" * 2000, "for lang"),
    ],
)
def test_a_bad_address_is_refused_with_a_translated_message_and_nothing_kept(
    app, make, login, client, url, message
):
    tenant = make.tenant("fejlby")
    login(make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    reply = client.post("/t/fejlby/admin/teams/", data={"url": url})
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert hooks(app, tenant) == []


def test_english_admin_gets_the_message_in_english(app, make, login, client):
    tenant = make.tenant("engby")
    login(make.user(tenant, "Ann Admin", roles=(TenantRoleName.ADMIN,), locale="en"))
    reply = client.post(
        "/t/engby/admin/teams/", data={"url": "https://kommune.webhook.office.com/webhookb2/abc"}
    )
    assert reply.status_code == 422
    assert "Office 365 connector, which Microsoft has retired" in reply.get_data(as_text=True)


def test_a_workflow_address_is_kept_encrypted_shown_by_its_host_and_audited(
    app, make, login, client
):
    tenant = make.tenant("godby")
    unit = make.unit(tenant, "Team Syd")
    login(make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,)))
    assert client.post("/t/godby/admin/teams/", data={"url": WORKFLOW}).status_code == 302
    assert (
        client.post(
            "/t/godby/admin/teams/units", data={"unit_id": str(unit.id), "unit_url": POWER_PLATFORM}
        ).status_code
        == 302
    )
    # Saving again replaces the address; the tenant keeps one channel of its own.
    assert client.post("/t/godby/admin/teams/", data={"url": WORKFLOW + "1"}).status_code == 302
    rows = hooks(app, tenant)
    assert {(r.unit_id, r.host) for r in rows} == {
        (None, "prod-42.westeurope.logic.azure.com"),
        (unit.id, "default1234.56.environment.api.powerplatform.com"),
    }
    assert all("sig=" not in r.url_encrypted for r in rows)
    page = client.get("/t/godby/admin/teams/").get_data(as_text=True)
    assert "prod-42.westeurope.logic.azure.com" in page and "Team Syd" in page
    assert "Zm9vYmFyc2VjcmV0" not in page and "c2VjcmV0" not in page
    with app.app_context(), tenant_scope(tenant.id):
        events = list(db.session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)))
    assert events.count("teams.webhook_set") == 3

    unit_hook = next(r for r in rows if r.unit_id == unit.id)
    assert client.post(f"/t/godby/admin/teams/{unit_hook.id}/delete").status_code == 302
    assert [r.unit_id for r in hooks(app, tenant)] == [None]
    audit = client.get("/t/godby/admin/audit").get_data(as_text=True)
    assert "Teams-kanal fjernet" in audit and "Kanal for Team Syd via" in audit


def test_another_tenants_webhook_is_not_found(app, make, login, client):
    mine, theirs = make.tenant("mitby"), make.tenant("ditby")
    login(make.user(theirs, "Dora Admin", roles=(TenantRoleName.ADMIN,)))
    client.post("/t/ditby/admin/teams/", data={"url": WORKFLOW})
    [hook] = hooks(app, theirs)
    login(make.user(mine, "Mads Admin", roles=(TenantRoleName.ADMIN,)))
    assert client.post(f"/t/mitby/admin/teams/{hook.id}/delete").status_code == 404
    assert len(hooks(app, theirs)) == 1


def test_the_schema_subset_refuses_what_teams_would_not_show(app):
    """The receiver's check is not vacuous: each of these breaks a rule of the 1.4 schema."""
    with app.app_context():
        good = post_for(
            ReminderKind.PREPARATION_OPENED,
            "da",
            unit="Team Nord",
            cycle_url="https://a.example/t/x/cycles/1",
            opens_on=date(2026, 12, 1),
            closes_on=date(2026, 12, 9),
        )
    assert problems(good) == []

    def broken(change):
        envelope = copy.deepcopy(good)
        change(envelope, envelope["attachments"][0]["content"])
        return problems(envelope)

    assert broken(lambda e, c: c.update(version="1.3"))
    assert broken(lambda e, c: c.update(msteams={"width": "Full"}))
    assert broken(lambda e, c: c["body"].append({"type": "Image", "url": "https://x"}))
    assert broken(lambda e, c: c["body"][0].update(weight="heavy"))
    assert broken(lambda e, c: c["actions"][0].pop("url"))
    assert broken(lambda e, c: c["body"][-1]["facts"][0].pop("value"))
    assert broken(
        lambda e, c: e["attachments"][0].update(
            contentType="application/vnd.microsoft.teams.card.o365connector"
        )
    )
    assert broken(lambda e, c: e.update(type="MessageCard"))
