"""The layout's fixed links (``web.navigation.fixed_url``): remembered per app, keyed by all
that a URL depends on, bounded."""

from __future__ import annotations

from flask import g, url_for

from web import navigation
from web.extensions import db


def _links(app, slug: str, **environ):
    with app.test_request_context(f"/t/{slug}/", **environ):
        g.tenant_slug = slug  # as the tenant blueprint sets it
        return (
            navigation.fixed_url("t.gdpr.privacy"),
            navigation.fixed_url("static", filename="app.css"),
            navigation.fixed_url("ops.set_language", code="en"),
            url_for("t.gdpr.privacy"),
        )


def test_fixed_urls_are_url_for_and_follow_the_tenant(app, db_session, make):
    tenant = make.tenant("solby")
    app.extensions.pop("fixed_urls", None)
    privacy, static, language, expected = _links(app, "solby")
    assert privacy == expected == "/t/solby/privacy"
    assert static == "/static/app.css" and language.endswith("/en")
    assert _links(app, "solby")[0] == privacy  # remembered
    assert len(app.extensions["fixed_urls"]) == 3
    # A renamed tenant is another key: its links never show the old slug.
    tenant.slug = "ny-solby"
    db.session.commit()
    assert _links(app, "ny-solby")[0] == "/t/ny-solby/privacy"
    # Another script root (the app mounted under a prefix) is another key too.
    mounted = _links(app, "ny-solby", base_url="http://localhost/aktor/")
    assert mounted[0] == mounted[3] == "/aktor/t/ny-solby/privacy"


def test_fixed_urls_are_bounded(app, db_session, make, monkeypatch):
    make.tenant("solby")
    monkeypatch.setattr(navigation, "FIXED_URLS", 4)
    app.extensions.pop("fixed_urls", None)
    with app.test_request_context("/t/solby/"):
        g.tenant_slug = "solby"
        for i in range(10):
            assert navigation.fixed_url("static", filename=f"f{i}.css") == f"/static/f{i}.css"
            assert len(app.extensions["fixed_urls"]) <= 4
        assert g.tenant_slug == "solby"


def test_the_layout_links_on_a_page(client, make, login):
    tenant = make.tenant("solby")
    user = make.user(tenant, "Alma", unit=make.unit(tenant, "Team"))
    page = login(user).get("/t/solby/").get_data(as_text=True)
    for link in ("/t/solby/privacy", "/t/solby/actions/mine", "/static/app.css"):
        assert f'href="{link}' in page, link
