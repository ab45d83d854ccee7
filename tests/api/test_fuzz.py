"""API fuzz: schemathesis generates requests from the app's own OpenAPI document and sends them
to the WSGI app directly, as a leader with a bearer token, over a seeded municipality.

For every operation: valid requests (random ids, and the ids of seeded rows so the requests
reach the services) and invalid ones (bodies and parameters that break the schema). Each
response must not be a server error (with TESTING on, an exception would fail the test
outright), must have a documented status and content type, and must match its schema; and the
document must state every constraint the edge enforces: data that breaks the schema is refused
(``negative_data_rejection``) and data that matches it is never refused by the edge
(``positive_data_acceptance``, ST202; only a service's own rule about rows or between fields
may refuse it, and the document cannot state those).

Bounded for CI: a fixed number of examples per operation, derandomized (the same requests on
every run), no example database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import Phase as HypothesisPhase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.client import new_token
from web.cycles.models import Phase, Visibility
from web.extensions import db
from web.inputs import SIMPLE_MESSAGES, message_for
from web.orgs.models import Membership, MembershipRole, UnitKind

EXAMPLES_PER_OPERATION = 15


def edge_message(message: str) -> bool:
    """Whether ``message`` is one the edge's kinds give (``web.inputs``' catalogue)."""
    return message.startswith("Højst ") or message in (
        {str(m) for m in SIMPLE_MESSAGES.values()} | {message_for({"type": "date_out_of_range"})}
    )


def positive_data_accepted_by_the_edge(ctx, response, case):
    """ST202, except where the service refused a rule the document cannot state.

    Data that matches the document must never be refused by the edge: a 422 whose messages
    are all the services' own (an end before the start, an owner who is not on the team, a
    due date in the past: rules between fields or about rows) is the service speaking, and
    it is accepted here; a 422 with any of the edge's messages is a constraint the document
    does not state, and fails.
    """
    if (
        case.meta is not None
        and case.meta.generation.mode.is_positive
        and response.status_code == 422
    ):
        error = response.json()["error"]
        if not any(edge_message(m) for m in error.get("fields", {}).values()):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_accepted_by_the_edge,
    negative_data_rejection,
]


@dataclass
class Seeded:
    token: str
    ids: dict[str, list[int]]  # path parameters
    body_ids: dict[str, list[int]]  # ids in request bodies


@pytest.fixture
def seeded(app, make, world) -> Seeded:
    """The leader leads three teams: one with a cycle in preparation with answers, one with a
    cycle in agreements with actions, one without a cycle; examples of the team; a token of
    the leader."""
    second = make.unit(world.tenant, "Regnbuen", UnitKind.TEAM, parent=world.department)
    idle = make.unit(world.tenant, "Mariehønen", UnitKind.TEAM, parent=world.department)
    with make.scope(world.tenant):
        for unit in (second, idle):
            db.session.add(
                Membership(user_id=world.leader.id, unit_id=unit.id, role=MembershipRole.LEADER)
            )
            db.session.add(
                Membership(user_id=world.anna.id, unit_id=unit.id, role=MembershipRole.EMPLOYEE)
            )
    preparing = make.started_cycle(world.tenant, world.team, world.leader)
    agreeing = make.started_cycle(world.tenant, second, world.leader, phase=Phase.AGREEMENTS)
    contribution = _answer(make, world, preparing)
    actions = [
        make.action(world.tenant, agreeing, world.anna),
        make.action(world.tenant, agreeing, world.leader),
    ]
    examples = [
        make.example(world.tenant, world.team, world.leader),
        make.example(world.tenant, world.team, world.anna),
    ]
    return Seeded(
        token=new_token(app, world.leader),
        ids={
            "cycle_id": [preparing.id, agreeing.id],
            "action_id": [a.id for a in actions],
            "example_id": [e.id for e in examples],
            "contribution_id": [contribution],
        },
        body_ids={
            "unit_id": [idle.id, world.team.id],
            "owner_id": [world.anna.id, world.leader.id],
            "prompt_id": [p.id for p in preparing.prompts[:3]],
        },
    )


def _answer(make, world, cycle) -> int:
    from web.cycles.services.contributions import AnswerInput, save_answers

    with make.app.test_request_context("/"), make.scope(world.tenant):
        [saved] = save_answers(
            world.leader,
            cycle,
            [AnswerInput(cycle.prompts[0].id, "Når vi får lov", Visibility.NAMED)],
        )
        return saved.id


def strategies(operation, seeded: Seeded):
    """Random requests, and requests with the ids of seeded rows, valid and invalid."""
    names = [p.name for p in operation.path_parameters]
    options = [operation.as_strategy()]
    for n in range(2):
        fixed = {name: seeded.ids[name][n % len(seeded.ids[name])] for name in names}
        with_ids = functools.partial(_seed_body, seeded.body_ids, n)
        options.append(operation.as_strategy(path_parameters=fixed).map(with_ids))
        if names or operation.body or operation.query:
            options.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed))
    return st.one_of(options)


def _seed_body(body_ids: dict[str, list[int]], n: int, case):
    """Ids in a generated body replaced by seeded ones, so the request reaches the service."""
    if isinstance(case.body, dict):
        for name, values in body_ids.items():
            if name in case.body:
                case.body[name] = values[n % len(values)]
    return case


@pytest.mark.timeout(120)
def test_no_server_errors_and_responses_match_the_document(app, world, seeded):
    schema = schemathesis.openapi.from_wsgi(f"/t/{world.tenant.slug}/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    with app.test_request_context("/"):  # the messages in the API's default language
        assert edge_message(message_for({"type": "control_character"}))
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[HypothesisPhase.explicit, HypothesisPhase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategies(operation, seeded))
        def run(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
