"""The tenant landing page, the language choice and the translated 404 for unknown tenants."""


def test_landing_page_is_danish_by_default(client, make):
    tenant = make.tenant("solby", name="Solby Kommune")
    page = client.get(f"/t/{tenant.slug}/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="da">' in html
    assert "Aktørskab i Solby Kommune" in html
    assert "Tag personligt ansvar for din opgave" in html


def test_landing_page_is_english_when_the_browser_asks(client, make):
    tenant = make.tenant("solby")
    html = client.get(f"/t/{tenant.slug}/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html
    assert "Take personal responsibility for your task" in html


def test_language_choice_outranks_the_browser(client, make):
    tenant = make.tenant("solby")
    reply = client.post("/lang/en", data={"next": f"/t/{tenant.slug}/"})
    assert reply.status_code == 302
    assert reply.headers["Location"] == f"/t/{tenant.slug}/"
    html = client.get(f"/t/{tenant.slug}/", headers={"Accept-Language": "da"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in html


def test_language_switch_never_redirects_off_site(client):
    reply = client.post("/lang/da", data={"next": "//evil.example/"})
    assert reply.headers["Location"] == "/"


def test_unknown_tenant_is_a_translated_404(client):
    page = client.get("/t/findes-ikke/")
    assert page.status_code == 404
    assert "Siden findes ikke" in page.get_data(as_text=True)
    page = client.get("/t/findes-ikke/", headers={"Accept-Language": "en"})
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)


def test_api_404_is_json(client):
    reply = client.get("/api/v1/nothing-here")
    assert reply.status_code == 404
    assert reply.json["error"]["code"] == "http_404"
