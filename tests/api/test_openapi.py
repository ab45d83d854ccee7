"""The OpenAPI document is valid, complete and honest: every API route of the URL map is in it,
everything in it is a route, every body is a component schema."""

from __future__ import annotations

import jsonschema
import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31

from web.api.openapi import rule_to_path
from web.permissions import Permission

PREFIX = "/t/<tenant>/api/v1"


@pytest.fixture
def served(api, world) -> dict:
    response = api(None).get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(served):
    jsonschema.Draft202012Validator(OPENAPI_31).validate(served)
    assert served["openapi"] == "3.1.0"
    assert served["servers"] == [{"url": "/t/solby/api/v1"}]
    for schema in served["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented_and_every_documented_path_exists(app, served):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("t.api."):
            continue
        assert rule.rule.startswith(PREFIX), rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((rule_to_path(rule.rule[len(PREFIX) :]), method.lower()))
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    assert routes == documented
    operation_ids = [op["operationId"] for ops in served["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_every_body_is_a_component_and_every_error_documented(served):
    schemas = served["components"]["schemas"]
    assert {"Error", "ErrorDetail", "ErrorCode"} <= set(schemas)
    assert set(served["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}

    def component(content: dict) -> str:
        ref = content["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        assert ref == f"#/components/schemas/{name}" and name in schemas
        return name

    for path, ops in served["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                component(op["requestBody"]["content"])
                assert {"400", "415", "422"} <= set(op["responses"]), (path, method)
            for status, response in op["responses"].items():
                if "content" in response and path != "/openapi.json":
                    name = component(response["content"])
                    assert (name == "Error") == (int(status) >= 400), (path, method, status)
            if op.get("security") != []:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
            if "x-permission" in op:
                assert op["x-permission"] in set(Permission), (path, method)


def test_an_anonymous_answer_has_no_room_for_an_author(served):
    anonymous = served["components"]["schemas"]["AnonymousAnswerOut"]
    assert set(anonymous["properties"]) == {"text"}
    assert anonymous["additionalProperties"] is False


def test_limits_are_the_documented_constants(served):
    from web.cycles.models import MAX_ACTION, MAX_ANSWER
    from web.examples.models import MAX_TITLE

    schemas = served["components"]["schemas"]
    assert schemas["ContributionCreate"]["properties"]["text"]["maxLength"] == MAX_ANSWER
    assert schemas["ActionCreate"]["properties"]["text"]["maxLength"] == MAX_ACTION
    assert schemas["ExampleCreate"]["properties"]["title"]["maxLength"] == MAX_TITLE


def test_the_document_states_every_constraint_of_the_edge(served):
    """The constraints the kinds of ``web.inputs`` enforce, as the document says them."""
    import re

    from web.inputs import DATE_PATTERN, TEXT_PATTERN

    schemas = served["components"]["schemas"]

    def prop(model: str, name: str) -> dict:
        schema = schemas[model]["properties"][name]
        options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
        return options[0]

    for model, name in [
        ("ActionCreate", "text"),
        ("ExampleCreate", "title"),
        ("FollowUpPut", "learning"),
        ("CycleCreate", "meeting_place"),
    ]:
        text = prop(model, name)
        assert text["pattern"] == TEXT_PATTERN and "maxLength" in text
        banned = re.compile(text["pattern"])
        assert banned.search("Linje et\nlinje to\tmed tab")
        assert not any(banned.search(f"a{c}b") for c in "\x00\x01\x1b\x7f\x85")
    for model, name in [
        ("CycleCreate", "preparation_starts_on"),
        ("ActionCreate", "due_on"),
        ("CycleCreate", "meeting_at"),
    ]:
        day = prop(model, name)
        assert day["pattern"] == DATE_PATTERN and day["format"] in ("date", "date-time")
        in_range = re.compile(day["pattern"])
        assert in_range.search("2000-01-01") and in_range.search("2100-12-31")
        assert not in_range.search("0001-01-01") and not in_range.search("9999-12-31")
    assert prop("ExampleCreate", "expectations")["uniqueItems"] is True
    assert schemas["ContributionUpdate"]["minProperties"] == 1
    owner = prop("ActionCreate", "owner_id")
    assert (owner["type"], owner["minimum"], owner["maximum"]) == ("integer", 1, 2**31 - 1)
