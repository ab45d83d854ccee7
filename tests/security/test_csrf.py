"""CSRF: every POST route refuses a request without the token; a real form's token works."""

from __future__ import annotations

import re

import pytest

from web.users.models import TenantRoleName

# Routes outside the app-wide CSRFProtect, each with the rule that replaces it.
EXEMPT_PREFIXES = {
    # The JSON API: cookie-authenticated writes need the X-CSRFToken header (tested below);
    # bearer tokens are never sent by a browser on its own.
    "t.api.",
    # SCIM: only the tenant's SCIM bearer tokens are accepted, never the session cookie
    # (tested below), so a browser cannot be made to send an authenticated request.
    "t.scim.",
    # The IdP's cross-site POST of a SAMLResponse (it cannot carry our token): the response
    # must be signed by the tenant's IdP and answer a single-use pending login of ours, and the
    # login finishes only in the browser that started it (the same-site hand-off).
    "t.auth.saml_acs",
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _url(rule, slug: str) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if type(converter).__name__ == "IntegerConverter" else "x"
    values["tenant"] = slug
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def _unsafe_rules(app):
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & UNSAFE
        if methods and rule.endpoint != "static":
            yield rule, methods


def test_every_post_route_without_a_token_is_400(app, make, login, csrf_on):
    tenant = make.tenant("solby")
    admin = make.user(tenant, roles=(TenantRoleName.ADMIN, TenantRoleName.HR))
    client = login(admin)
    checked = []
    for rule, methods in _unsafe_rules(app):
        if rule.endpoint.startswith(tuple(EXEMPT_PREFIXES)):
            continue
        for method in sorted(methods):
            response = client.open(_url(rule, "solby"), method=method, data={"x": "1"})
            assert response.status_code == 400, (method, rule.rule, response.status_code)
            checked.append(rule.rule)
    assert len(checked) >= 15  # the walk found the forms


def test_api_writes_with_the_session_cookie_need_the_header(app, make, login, csrf_on):
    tenant = make.tenant("solby")
    client = login(make.user(tenant, roles=(TenantRoleName.ADMIN,)))
    api_rules = [(r, m) for r, m in _unsafe_rules(app) if r.endpoint.startswith("t.api.")]
    for rule, methods in api_rules:
        for method in sorted(methods):
            response = client.open(_url(rule, "solby"), method=method, json={})
            assert response.status_code == 403, (method, rule.rule)
            assert response.json["error"]["code"] == "csrf_failed"


def test_scim_ignores_the_session_cookie(app, make, login, csrf_on):
    tenant = make.tenant("solby")
    client = login(make.user(tenant, roles=(TenantRoleName.ADMIN,)))
    for method in sorted(UNSAFE):
        path = "/t/solby/scim/v2/Users" + ("" if method == "POST" else "/1")
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, method
    assert client.get("/t/solby/scim/v2/Users").status_code == 401


def test_a_real_forms_token_is_accepted(app, make, login, csrf_on):
    tenant = make.tenant("solby")
    client = login(make.user(tenant, roles=(TenantRoleName.ADMIN,)))
    page = client.get("/t/solby/admin/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post("/lang/en", data={"csrf_token": token, "next": "/t/solby/"}).status_code == 302
    )
    refused = client.post("/t/solby/auth/logout", data={"csrf_token": token + "x"})
    assert refused.status_code == 400
    assert client.post("/t/solby/auth/logout", data={"csrf_token": token}).status_code == 302
