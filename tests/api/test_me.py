"""``/me`` reports the language the caller chose and ``PATCH /me`` changes it, as the personal
settings page does (issue 19, point 8): "da", "en" or null (none of one's own)."""

from __future__ import annotations

import pytest

from tests.api.client import error_of
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import User


def chosen(app, user) -> str | None:
    with app.app_context(), tenant_scope(user.tenant_id):
        return db.session.get(User, user.id).chosen_locale


def test_me_reports_the_chosen_language_and_the_profiles(api, world):
    me = api(world.anna).get("/me").get_json()
    assert me["chosen_locale"] is None and "locale" in me


@pytest.mark.parametrize("caller", ["session", "token"])
def test_patch_me_chooses_a_language_and_null_drops_the_choice(api, token_api, app, world, caller):
    client = api(world.anna) if caller == "session" else token_api(world.anna)
    changed = client.patch("/me", json={"chosen_locale": "en"})
    assert changed.status_code == 200 and changed.get_json()["chosen_locale"] == "en"
    assert chosen(app, world.anna) == "en"
    assert client.get("/me").get_json()["chosen_locale"] == "en"

    unchanged = client.patch("/me", json={})  # left out: unchanged
    assert unchanged.status_code == 200 and unchanged.get_json()["chosen_locale"] == "en"

    dropped = client.patch("/me", json={"chosen_locale": None})
    assert dropped.status_code == 200 and dropped.get_json()["chosen_locale"] is None
    assert chosen(app, world.anna) is None


@pytest.mark.parametrize(
    "body", [{"chosen_locale": "de"}, {"chosen_locale": 1}, {"language": "da"}]
)
def test_a_language_the_product_does_not_speak_is_refused_and_nothing_changes(
    api, app, world, body
):
    refused = api(world.anna).patch("/me", json=body)
    assert refused.status_code == 422, refused.get_json()
    assert error_of(refused)["code"] == "validation_failed"
    assert chosen(app, world.anna) is None


def test_the_document_states_the_languages(openapi_doc):
    patch = openapi_doc["paths"]["/me"]["patch"]
    ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = openapi_doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False
    choices = schema["properties"]["chosen_locale"]["anyOf"]
    assert {"enum": ["da", "en"], "type": "string"} in choices and {"type": "null"} in choices
