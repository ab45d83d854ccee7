"""A link to the callback cannot sign anyone out (issue 15, point 4), and the post-login
target is checked by the one redirect helper."""

from __future__ import annotations

import pytest

from tests.auth.flows import Flow, refusals

STATE_DA = "Login-forsøget er udløbet, allerede brugt eller startet i en anden browser."


@pytest.fixture
def signed_in(flow: Flow, mock_provider) -> int:
    mock_provider.set_user("sigrid.state", name="Sigrid", unit="team-sol")
    assert flow.login(mock_provider, "sigrid.state").status_code == 302
    user_id = flow.signed_in_user_id()
    assert user_id is not None
    return user_id


@pytest.mark.parametrize(
    "query", ["", "?state=", "?state=bogus", "?state=bogus&code=x", "?error=access_denied"]
)
def test_a_stray_callback_link_leaves_the_session_alone(app, flow, signed_in, query):
    before = refusals(app, flow.tenant)
    reply = flow.client.get(f"/t/solby/auth/callback{query}")
    assert reply.status_code == 400
    assert STATE_DA in reply.get_data(as_text=True)
    assert flow.signed_in_user_id() == signed_in
    assert flow.client.get("/t/solby/").status_code == 200
    assert refusals(app, flow.tenant) == before  # nothing logged in the person's name


def test_a_state_from_another_browser_does_not_sign_this_one_out(
    app, flow, signed_in, mock_provider
):
    other = Flow(app.test_client(), flow.tenant)
    callback = mock_provider.authorize(other.start(), "sigrid.state")
    reply = flow.callback(callback)
    assert reply.status_code == 400
    assert flow.signed_in_user_id() == signed_in


def test_signed_out_refusals_are_still_logged(app, flow, mock_provider):
    reply = flow.client.get("/t/solby/auth/callback?state=bogus")
    assert reply.status_code == 400
    assert refusals(app, flow.tenant)[-1] == "state_mismatch"


@pytest.mark.parametrize(
    "evil",
    [
        "/t/solby/\t/evil.example/",
        "/t/solby/../other/",
        "/t/solby/%2e%2e/other/",
        "/t/solby/\n//evil.example",
    ],
)
def test_the_post_login_target_stays_in_the_tenant(flow, mock_provider, evil):
    mock_provider.set_user("nora.next", name="Nora", unit="team-sol")
    reply = flow.callback(mock_provider.authorize(flow.start(evil), "nora.next"))
    assert reply.headers["Location"] == "/t/solby/", evil
