"""The profile's language choice, visible and changeable (issue 19, point 8): a person whose
login profile says English while the browser asks for Danish sees why the pages are in
English and chooses Danish on their personal settings page; the choice comes before the
profile's and the browser's, survives the next login's profile refresh, and can be undone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from web.extensions import db
from web.users.models import User

DANISH_BROWSER = {"Accept-Language": "da-DK,da;q=0.9"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def erik(make):
    tenant = make.tenant("sprogby")
    return tenant, make.user(tenant, "Erik Ølund", locale="en")


def get(client, path, headers=DANISH_BROWSER) -> str:
    reply = client.get(f"/t/sprogby{path}", headers=headers)
    assert reply.status_code == 200, path
    return reply.get_data(as_text=True)


def lang(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def stored(make, tenant, erik) -> str | None:
    with make.scope(tenant):
        return db.session.scalar(select(User.chosen_locale).where(User.id == erik.id))


def test_the_profile_language_is_shown_with_its_reason_and_a_way_to_change_it(client, login, erik):
    tenant, person = erik
    login(person)
    home = get(client, "/")
    assert lang(home) == "en"
    link = re.search(r'<a href="([^"]+)"[^>]*>Personal settings</a>', home)
    assert link and link.group(1) == "/t/sprogby/me/settings"
    page = get(client, "/me/settings")
    assert "because your profile in the municipality" in page
    assert re.search(r'id="language-auto" name="language" value="" checked', page)
    assert "(English)" in page  # what "as my profile" means for this person


def test_a_chosen_language_comes_before_the_profile_and_the_browser(client, login, erik, make):
    tenant, person = erik
    login(person)
    reply = client.post(
        "/t/sprogby/me/settings",
        data={"language": "da"},
        headers=DANISH_BROWSER,
        follow_redirects=True,
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200 and lang(page) == "da"
    assert "Dine indstillinger er gemt." in page  # said in the language just chosen
    assert "som du har valgt her" in page
    assert stored(make, tenant, person) == "da"
    for headers in (DANISH_BROWSER, ENGLISH_BROWSER):
        assert lang(get(client, "/", headers)) == "da"
    # The next login refreshes the profile's language; the person's choice stays.
    with make.scope(tenant):
        db.session.get(User, person.id).locale = "en"
        db.session.commit()
    login(person)
    assert lang(get(client, "/", ENGLISH_BROWSER)) == "da"


def test_choosing_no_language_of_ones_own_returns_to_the_profile(client, login, erik, make):
    tenant, person = erik
    login(person)
    client.post("/t/sprogby/me/settings", data={"language": "da"})
    reply = client.post(
        "/t/sprogby/me/settings",
        data={"language": ""},
        headers=DANISH_BROWSER,
        follow_redirects=True,
    )
    page = reply.get_data(as_text=True)
    assert lang(page) == "en" and "Your settings have been saved." in page
    assert stored(make, tenant, person) is None


def test_the_header_switch_does_not_hide_a_choice_made_on_the_settings_page(client, login, erik):
    tenant, person = erik
    login(person)
    client.post("/lang/en", data={"next": "/t/sprogby/"})
    assert "because you switched language" in get(client, "/me/settings")
    client.post("/t/sprogby/me/settings", data={"language": "da"})
    assert lang(get(client, "/", ENGLISH_BROWSER)) == "da"


@pytest.mark.parametrize("value", ["fr", "DA", "da ", "x" * 300])
def test_a_language_the_product_does_not_speak_is_refused_and_nothing_changes(
    client, login, erik, make, value
):
    tenant, person = erik
    login(person)
    client.post("/t/sprogby/me/settings", data={"language": "da"})
    reply = client.post("/t/sprogby/me/settings", data={"language": value})
    page = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert 'id="language-error"' in page and "Ugyldigt valg." in page
    assert stored(make, tenant, person) == "da"


def test_the_page_needs_a_signed_in_person(client, erik, make):
    reply = client.get("/t/sprogby/me/settings")
    assert reply.status_code in (302, 401, 403)
    assert stored(make, *erik) is None
