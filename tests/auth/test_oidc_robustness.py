"""A provider that rotates keys or algorithms is followed without a restart, a re-save of the
settings reads the provider afresh, and a provider clock that runs ahead is named as such
(issue 15, point 6). The provider is the ForgeProvider, a real one on loopback."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey

from tests.auth.flows import Flow, configure, refusals, settings_input
from tests.auth.providers import ForgeProvider, rsa_key
from web.auth.services import update_settings


@pytest.fixture
def forged(make, client, forge: ForgeProvider) -> Flow:
    tenant = make.tenant("forgeby", name="Forgeby Kommune")
    forge.metadata_extra = {"id_token_signing_alg_values_supported": ["RS256"]}
    configure(
        make, tenant, forge.issuer, client_id=forge.client_id, client_secret=forge.client_secret
    )
    return Flow(client, tenant)


def login(flow: Flow):
    import requests

    redirect = requests.get(flow.start(), allow_redirects=False, timeout=5)
    assert redirect.status_code == 302, redirect.text
    return flow.callback(redirect.headers["Location"])


def logged_in(flow: Flow) -> bool:
    reply = login(flow)
    signed_in = reply.status_code == 302 and flow.signed_in_user_id() is not None
    flow.client.post(f"/t/{flow.tenant.slug}/auth/logout")
    return signed_in


def test_a_key_replaced_under_the_same_kid_is_fetched_again(forged, forge):
    assert logged_in(forged)
    assert forge.jwks_requests == 1
    forge.key = rsa_key(forge.key.kid)  # a new key, the same kid
    forge.published = [forge.key]
    assert logged_in(forged)
    assert forge.jwks_requests == 2
    assert logged_in(forged)
    assert forge.jwks_requests == 2  # cached again


def test_a_bad_signature_refetches_once_then_fails(app, forged, forge):
    assert logged_in(forged)
    stranger = rsa_key(forge.key.kid)
    forge.make_token = lambda claims, p: p.sign(claims, key=stranger)
    reply = login(forged)
    assert reply.status_code == 400
    assert refusals(app, forged.tenant)[-1] == "id_token_signature"
    assert forge.jwks_requests == 2


def ps256_key(forge: ForgeProvider) -> RSAKey:
    key = RSAKey.generate_key(
        2048, parameters={"kid": "forge-ps", "use": "sig", "alg": "PS256"}, private=True
    )
    forge.published = [forge.key, key]
    return key


def test_a_new_algorithm_reads_discovery_again(forged, forge):
    assert logged_in(forged)
    key = ps256_key(forge)
    forge.metadata_extra = {"id_token_signing_alg_values_supported": ["PS256", "RS256"]}
    forge.make_token = lambda claims, p: p.sign(claims, key=key, alg="PS256")
    assert logged_in(forged)


def test_an_algorithm_the_provider_does_not_advertise_is_still_refused(app, forged, forge):
    assert logged_in(forged)
    key = ps256_key(forge)
    forge.make_token = lambda claims, p: p.sign(claims, key=key, alg="PS256")
    assert login(forged).status_code == 400
    assert refusals(app, forged.tenant)[-1] == "id_token_alg"


def test_resaving_unchanged_settings_reads_the_provider_again(make, forged, forge):
    assert logged_in(forged)
    assert forge.jwks_requests == 1
    with make.scope(forged.tenant):  # what the admin's settings page does on "Gem"
        update_settings(
            settings_input(
                forge.issuer, client_id=forge.client_id, client_secret=forge.client_secret
            )
        )
    assert logged_in(forged)
    assert forge.jwks_requests == 2


def test_a_provider_clock_ahead_is_named(app, forged, forge):
    def ahead(claims, p):
        now = int(time.time()) + 600
        return p.sign({**claims, "iat": now, "nbf": now, "exp": now + 300})

    forge.make_token = ahead
    reply = login(forged)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 400
    assert "Login-tjenestens ur går forkert" in page
    assert refusals(app, forged.tenant)[-1] == "provider_clock_ahead"
    english = login_page_in_english(forged, forge)
    assert "The login service's clock is wrong" in english.replace("&#39;", "'")


def login_page_in_english(flow: Flow, forge: ForgeProvider) -> str:
    import requests

    flow.client.post("/lang/en", data={"next": "/"})
    redirect = requests.get(flow.start(), allow_redirects=False, timeout=5)
    return flow.callback(redirect.headers["Location"]).get_data(as_text=True)
