"""The scheduled refresh of an OpenID provider's discovery and JWKS (issue 24, point 4), through
the OpenID-certified Node provider on loopback: a refresh that drops the signing key or fails
keeps the last good copy (sign-ins go on, the admins see a banner and get one e-mail); a key
rollover announced in the JWKS is accepted, and the old key may leave once the new one signs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.auth.flows import Flow, configure
from tests.auth.providers import (
    follow_until,
    jwks_requests,
    node_provider,
    publish,
    rsa_key,
)
from tests.reminders.helpers import deliver, settings_for
from tests.services import free_port
from web.auth import jwks
from web.auth.models import SsoAlert, SsoSettings
from web.auth.session import session_payload
from web.auth.tasks import refresh_oidc_keys
from web.extensions import db
from web.orgs.models import OrgUnit
from web.reminders.models import ReminderKind, ReminderOutbox
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

SLUG = "nokkelby"
CLIENT = "aktorskab-keys"
SECRET = "keys-secret-keys-secret-keys"
CALLBACK = f"http://localhost/t/{SLUG}/auth/callback"
ACCOUNTS = {
    "kim.key": {
        "name": "Kim Key",
        "email": "kim@nokkelby.dk",
        "unit": "team-key",
        "groups": ["grp-leder"],
    }
}


@pytest.fixture(scope="module")
def keys() -> dict[str, dict]:
    """Three provider keys, private (what the Node provider signs with)."""
    return {kid: rsa_key(kid).as_dict(private=True) for kid in ("old", "new", "stray")}


def public(*private_keys: dict) -> dict:
    return {
        "keys": [
            {k: v for k, v in key.items() if k in ("kty", "n", "e", "kid", "use", "alg")}
            for key in private_keys
        ]
    }


def thumbprint(key: dict) -> str:
    return jwks.thumbprints(public(key)).pop()


@contextmanager
def provider(tmp_path, port: int, signing_keys: list[dict]) -> Iterator[str]:
    with node_provider(
        tmp_path / f"node-{signing_keys[0]['kid']}.log",
        client_id=CLIENT,
        client_secret=SECRET,
        redirect_uri=CALLBACK,
        post_logout_redirect_uri=f"http://localhost/t/{SLUG}/auth/logged-out",
        accounts=ACCOUNTS,
        keys=signing_keys,
        port=port,
    ) as issuer:
        yield issuer


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def tenant(make):
    tenant = make.tenant(SLUG, name="Nøgleby Kommune")
    team = make.unit(tenant, "Team Key")
    with make.scope(tenant):
        db.session.get(OrgUnit, team.id).external_id = "team-key"
    return tenant


@pytest.fixture
def admin_browser(app, make, tenant):
    admin = make.user(tenant, "Ada Admin", roles=(TenantRoleName.ADMIN,))
    browser = app.test_client()
    with browser.session_transaction() as session:
        session.update(session_payload(admin))
    browser.admin_email = admin.email
    return browser


def wire(make, tenant, issuer: str) -> None:
    configure(
        make,
        tenant,
        issuer,
        client_id=CLIENT,
        client_secret=SECRET,
        scopes="openid profile email aktorskab",
    )


def refresh(app, tenant) -> bool:
    with app.app_context():
        return refresh_oidc_keys(tenant.id)


def sign_in(app, tenant) -> None:
    """A person signs in through the provider, in a fresh browser and, as in another process
    that has not seen the provider yet, with the tenant's OpenID client built anew."""
    app.extensions["aktor_sso_clients"].forget(tenant.id)
    flow = Flow(app.test_client(), tenant)

    def fill(form):
        data = dict(form["fields"])
        if "login" in data:
            data.update(login="kim.key", password="any password")
        return data

    reply = flow.callback(follow_until(requests.Session(), flow.start(), CALLBACK, fill))
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    assert reply.headers["Location"] == f"/t/{SLUG}/"
    assert flow.signed_in_user_id() is not None


def stored(app, tenant) -> dict:
    with app.app_context(), tenant_scope(tenant.id):
        copy = db.session.scalar(select(SsoSettings)).provider_copy
        assert copy is not None
        return {"keys": jwks.thumbprints(copy["jwks"]), "signing": copy["signing_key"]}


def raised_alerts(app, tenant) -> list[str]:
    with app.app_context(), tenant_scope(tenant.id):
        from web.auth import alerts

        return [a.kind for a in alerts.raised()]


def alert_mails(app, tenant) -> list[ReminderOutbox]:
    with app.app_context(), tenant_scope(tenant.id):
        return list(
            db.session.scalars(
                select(ReminderOutbox).where(ReminderOutbox.kind == ReminderKind.SSO_REFRESH_KEPT)
            )
        )


def banner(browser) -> bool:
    page = browser.get(f"/t/{SLUG}/admin/sso").get_data(as_text=True)
    return 'id="sso-alert-refresh_kept"' in page


def test_a_refresh_that_drops_the_signing_key_keeps_sign_ins_working_and_tells_the_admins(
    app, make, tenant, admin_browser, keys, port, tmp_path, smtp_server
):
    with provider(tmp_path, port, [keys["old"]]) as issuer:
        wire(make, tenant, issuer)
        assert refresh(app, tenant) is True  # the first good copy
        sign_in(app, tenant)
        assert stored(app, tenant) == {
            "keys": {thumbprint(keys["old"])},
            "signing": thumbprint(keys["old"]),
        }

        # The provider's JWKS loses the key it still signs with (a botched rotation).
        publish(issuer, jwks=public(keys["stray"]))
        assert refresh(app, tenant) is False
        assert stored(app, tenant)["keys"] == {thumbprint(keys["old"])}  # the last good copy
        assert raised_alerts(app, tenant) == ["refresh_kept"]
        assert banner(admin_browser)

        before = jwks_requests(issuer)
        sign_in(app, tenant)  # still works, verified with the kept copy
        assert jwks_requests(issuer) == before  # ... without asking the provider

        # The admin gets one e-mail, in Danish, however often the refresh is refused.
        assert refresh(app, tenant) is False
        assert len(alert_mails(app, tenant)) == 1
        outcome = deliver(app, tenant.id, settings_for(smtp_server), now=datetime.now(UTC))
        assert outcome.sent == 1
        [mail] = smtp_server.messages
        assert mail["To"].addresses[0].addr_spec == admin_browser.admin_email
        assert mail["Subject"] == "Fælles login: login-tjenestens nye nøgler blev ikke taget i brug"
        text = mail.get_body(("plain",)).get_content()
        assert "jwks_signing_key_dropped" in text and "Den sidste gode udgave bruges" in text
        assert f"/t/{SLUG}/admin/sso" in text
        assert refresh(app, tenant) is False
        assert len(alert_mails(app, tenant)) == 1
        deliver(app, tenant.id, settings_for(smtp_server), now=datetime.now(UTC))
        assert len(smtp_server.messages) == 1

        # The provider publishes its signing key again: the alert clears.
        publish(issuer)
        assert refresh(app, tenant) is False  # the same keys as the copy kept
        assert raised_alerts(app, tenant) == []
        assert not banner(admin_browser)


def test_a_key_rollover_announced_in_the_jwks_is_accepted(
    app, make, tenant, admin_browser, keys, port, tmp_path
):
    old, new = thumbprint(keys["old"]), thumbprint(keys["new"])
    with provider(tmp_path, port, [keys["old"]]) as issuer:
        wire(make, tenant, issuer)
        assert refresh(app, tenant) is True
        sign_in(app, tenant)
        # The provider announces its next key beside the one that signs.
        publish(issuer, jwks=public(keys["old"], keys["new"]))
        assert refresh(app, tenant) is True
        assert stored(app, tenant) == {"keys": {old, new}, "signing": old}
        sign_in(app, tenant)

    # The provider switches: it signs with the new key and publishes only that one.
    with provider(tmp_path, port, [keys["new"]]) as issuer:
        before = jwks_requests(issuer)
        sign_in(app, tenant)  # the announced key was already trusted
        assert jwks_requests(issuer) == before
        assert stored(app, tenant)["signing"] == new
        assert refresh(app, tenant) is True  # the old key may leave now
        assert stored(app, tenant) == {"keys": {new}, "signing": new}
        assert raised_alerts(app, tenant) == []
        assert not banner(admin_browser)
        sign_in(app, tenant)


def test_a_failing_refresh_keeps_the_last_good_copy(
    app, make, tenant, admin_browser, keys, port, tmp_path
):
    with provider(tmp_path, port, [keys["old"]]) as issuer:
        wire(make, tenant, issuer)
        assert refresh(app, tenant) is True
        kept = stored(app, tenant)
        publish(issuer, status=500)  # discovery and JWKS both fail
        assert refresh(app, tenant) is False
        assert stored(app, tenant) == kept
        with app.app_context(), tenant_scope(tenant.id):
            assert db.session.scalar(select(SsoAlert.reason)) == "metadata_unreachable"
        assert banner(admin_browser)
        assert 'id="sso-refresh-guard"' in admin_browser.get(f"/t/{SLUG}/admin/sso").get_data(
            as_text=True
        )
        sign_in(app, tenant)  # discovery and keys from the kept copy
        publish(issuer)
        assert refresh(app, tenant) is False
        assert not banner(admin_browser)


# --- the rule itself, for any keys: a new JWKS is kept back exactly when it lacks the key
# that signed the last sign-in (or, before any sign-in, every key of the copy in force) ----


@pytest.fixture(scope="module")
def pool() -> list[dict]:
    return [public(rsa_key(f"k{i}").as_dict(private=False)) for i in range(4)]


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_guard_keeps_back_exactly_a_jwks_without_the_signing_key(pool, data):
    indices = st.sets(st.integers(0, len(pool) - 1), min_size=1)
    old, new = data.draw(indices), data.draw(indices)
    signing = data.draw(st.none() | st.sampled_from(sorted(old)))
    as_set = {"keys": [pool[i]["keys"][0] for i in sorted(new)]}
    copy = {
        "jwks": {"keys": [pool[i]["keys"][0] for i in sorted(old)]},
        "signing_key": jwks.thumbprints(pool[signing]).pop() if signing is not None else None,
    }
    should_keep_back = (signing not in new) if signing is not None else not (old & new)
    try:
        jwks.check_keeps_signing_key(copy, as_set)
    except jwks.KeptBack:
        assert should_keep_back
    else:
        assert not should_keep_back
