"""A name from the identity provider reaches mail headers: it is stored on one line, and that
person's reminders go out (a CR/LF in a display name once broke every reminder to them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.auth.flows import Flow, configure
from tests.auth.providers import ForgeProvider
from tests.reminders.helpers import by_recipient, run
from tests.reminders.teams import TODAY
from web.extensions import db
from web.orgs.models import Membership, MembershipRole
from web.tenancy import tenant_scope
from web.users.models import User

TRICKY_NAME = "Anna\r\nBcc: mallory@example.org\r\n\r\n Hansen\x00\u2028"


@pytest.fixture
def forged(make, client, forge: ForgeProvider) -> Flow:
    tenant = make.tenant("navneby", name="Navneby Kommune")
    configure(
        make, tenant, forge.issuer, client_id=forge.client_id, client_secret=forge.client_secret
    )
    return Flow(client, tenant)


def login_through_the_forge(flow: Flow) -> None:
    import requests

    redirect = requests.get(flow.start(), allow_redirects=False, timeout=5)
    assert redirect.status_code == 302, redirect.text
    assert flow.callback(redirect.headers["Location"]).status_code == 302


def test_a_display_name_with_line_breaks_is_stored_on_one_line_and_reminders_go_out(
    app, make, forged, forge, smtp_server
):
    forge.claims = {
        "sub": "anna.hansen",
        "name": TRICKY_NAME,
        "email": "anna@navneby.dk",
        "locale": "da",
    }
    login_through_the_forge(forged)
    tenant = forged.tenant
    with app.app_context(), tenant_scope(tenant.id):
        anna = db.session.scalar(select(User).where(User.subject == "anna.hansen"))
        assert anna.display_name == "Anna Bcc: mallory@example.org Hansen"

    unit = make.unit(tenant, "Team Nord")
    with make.scope(tenant):
        db.session.add(Membership(user_id=anna.id, unit_id=unit.id, role=MembershipRole.EMPLOYEE))
    leader = make.user(tenant, "Lene Leder", leader_of=unit)
    make.cycle(
        tenant,
        unit,
        leader=leader,
        preparation_starts_on=TODAY - timedelta(days=3),
        preparation_ends_on=TODAY + timedelta(days=10),
    )

    outcome = run(app, tenant.id, smtp_server)
    assert outcome.failed == 0
    [message] = by_recipient(smtp_server.messages)["anna@navneby.dk"]
    assert "mallory" not in str(message["Bcc"] or "") and message["Bcc"] is None
    assert all("\n" not in str(value) and "\r" not in str(value) for value in message.values())
    assert "Hej Anna Bcc: mallory@example.org Hansen" in message.get_body(("plain",)).get_content()


def test_a_subject_with_a_control_character_is_refused_not_cleaned(app, forged, forge):
    forge.claims = {"sub": "anna\x00hansen", "name": "Anna", "email": "anna@navneby.dk"}
    import requests

    redirect = requests.get(forged.start(), allow_redirects=False, timeout=5)
    reply = forged.callback(redirect.headers["Location"])
    assert reply.status_code in (400, 403)
    assert forged.signed_in_user_id() is None
    with app.app_context(), tenant_scope(forged.tenant.id):
        assert db.session.scalar(select(User).where(User.subject.like("anna%"))) is None
