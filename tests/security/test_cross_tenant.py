"""The automatic cross-tenant walk.

Two municipalities, A and B, each with a full set of data made through the services (units,
people in every role, a cycle in each phase with answers of every visibility, conclusions,
actions, examples offered and approved into the collection, a report, reminders, API tokens).
Every text of B carries a unique marker ``ZZB<hex>``.

Then, signed in as each role of A (and signed out), the walk requests every route of the URL
map under ``/t/<tenant>/`` of A — GET, and POST (or the route's other methods) with an empty
form and with a form full of B's ids — substituting B's ids for every integer URL argument,
and every operation of A's OpenAPI document with a bearer token of that role. Nothing is
listed by hand: a new route or operation is walked without editing this file (a new kind of
integer argument fails loudly until ``ID_SOURCES`` knows where B's ids of it come from).

- With B's ids a request answers one of ``REFUSED`` (never 200, never a redirect into a page);
- no request answers 5xx;
- no response body to A contains any of B's markers.

A control walk with A's own ids shows the walk reaches real pages (many answer 200) and still
finds no marker of B. The data is made once per module and committed (truncated afterwards).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from tests import factories
from tests.services import TEST_DATABASE_URL, empty_tables
from web.extensions import db
from web.models import today as local_today
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.tenancy import tenant_scope
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User

# Another tenant's object is indistinguishable from none (404); a page the role may not use at
# all may say so first (401 signed out, 403 no permission); a route without that method 405.
REFUSED = {401, 403, 404, 405}
ROLES = ("employee", "leader", "hr", "hovedudvalg", "admin", "anonymous")
MARKER = re.compile(r"ZZB[0-9a-f]{12}", re.IGNORECASE)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# The sign-in start answers 502 while the municipality's identity provider cannot be reached
# (here it is a closed port on loopback): the upstream's state, not ours; the SAML ACS and
# hand-off answer 503 "login is not set up" to a tenant that uses OpenID Connect.
SSO_ENDPOINTS = {"t.auth.login", "t.auth.callback", "t.auth.saml_acs", "t.auth.saml_continue"}
GHOST_ID = 2**31 - 1  # a valid id that no tenant has
VOLATILE = re.compile(r"[0-9a-f]{32,}|[A-Za-z0-9_.-]{40,}")  # request ids, CSRF tokens


@dataclass
class Seeded:
    tenant: Tenant
    users: dict[str, User]
    ids: dict[str, list[int]] = field(default_factory=dict)  # URL argument name → ids
    tokens: dict[str, str] = field(default_factory=dict)  # role → API token
    unsubscribe_token: str = ""


# Where B's ids for each integer URL argument come from (table of the tenant's rows).
ID_SOURCES = {
    "cycle_id": "cycles",
    "action_id": "actions",
    "example_id": "examples",
    "report_id": "reports",
    "user_id": "users",
    "contribution_id": "contributions",
    "template_id": "dialogue_templates",
    "token_id": "api_tokens",
    "campaign_id": "campaigns",
    "entry_id": "collection_entries",
    "group_id": "scim_groups",
    "scim_token_id": "scim_tokens",
    "theme_id": "themes",
    "version_id": "sso_versions",
    "webhook_id": "teams_webhooks",
    "unit_id": "org_units",
}


class Marks:
    """B's texts: each carries a marker of its own; A's texts carry none."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.all: list[str] = []

    def __call__(self, label: str) -> str:
        if not self.enabled:
            return f"{label} A"
        marker = f"ZZB{uuid.uuid4().hex[:12]}"
        self.all.append(marker)
        return f"{label} {marker}"


def seed(app: Flask, make: factories.Factory, slug: str, mark: Marks) -> Seeded:
    from web.api import tokens
    from web.auth.services import SettingsInput, update_settings
    from web.collections.compilation import compile_collection
    from web.collections.models import CollectionEntry
    from web.collections.services import approve_entry
    from web.cycles.models import Campaign, Phase, Visibility
    from web.cycles.services import actions as action_service
    from web.cycles.services import cycles as cycle_service
    from web.cycles.services.common import CycleDates
    from web.cycles.services.contributions import AnswerInput, save_answers
    from web.cycles.services.meeting import record_conclusions
    from web.cycles.services.templates import ensure_default_template
    from web.examples.services import record_example
    from web.reminders.models import ReminderKind, ReminderOutbox
    from web.reminders.unsubscribe import make_token
    from web.reports.models import Report, ReportStatus, ReportTrigger

    tenant = make.tenant(slug, name=mark("Kommune"))
    org = make.unit(tenant, mark("Kommunen"), UnitKind.ORGANISATION)
    area = make.unit(tenant, mark("Område"), UnitKind.AREA, parent=org)
    department = make.unit(tenant, mark("Afdeling"), UnitKind.DEPARTMENT, parent=area)
    teams = {
        phase: make.unit(tenant, mark(f"Team {phase.value}"), parent=department) for phase in Phase
    }
    leader = make.user(tenant, mark("Leder"), leader_of=department)
    staff = make.unit(tenant, mark("Stab"), UnitKind.DEPARTMENT, parent=org)
    employees = [make.user(tenant, mark("Ansat"), unit=teams[Phase.PREPARATION]) for _ in range(5)]
    users = {
        "employee": employees[0],
        "leader": leader,
        "hr": make.user(tenant, mark("HR"), unit=staff, roles=(TenantRoleName.HR,)),
        "hovedudvalg": make.user(
            tenant, mark("HU"), unit=staff, roles=(TenantRoleName.HOVEDUDVALG,)
        ),
        "admin": make.user(tenant, mark("Admin"), unit=staff, roles=(TenantRoleName.ADMIN,)),
    }
    seeded = Seeded(tenant=tenant, users=users)
    with app.test_request_context("/"), tenant_scope(tenant.id):
        for user in db.session.scalars(select(User)):
            user.email = f"{mark('mail').split()[-1].lower()}@example.org"
        for team in list(teams.values())[1:]:
            db.session.add_all(
                Membership(user_id=e.id, unit_id=team.id, role=MembershipRole.EMPLOYEE)
                for e in employees
            )
        db.session.flush()
        update_settings(
            SettingsInput(
                issuer=f"http://127.0.0.1:9/{mark('idp').split()[-1]}",
                client_id=mark("klient").split()[-1],
                client_secret=mark("hemmelighed"),
                is_plain_http_allowed=True,
            ),
            check_provider=False,
        )
        # A pending version too (the admin's draft), for the version routes.
        update_settings(
            SettingsInput(
                issuer=f"http://127.0.0.1:9/{mark('idp').split()[-1]}",
                client_id=mark("kladde").split()[-1],
                is_plain_http_allowed=True,
            ),
            check_provider=False,
            draft=True,
        )
        template = ensure_default_template()
        today = local_today()
        for phase, team in teams.items():
            cycle = cycle_service.start_cycle(
                leader,
                db.session.get(OrgUnit, team.id),
                template,
                CycleDates(today - timedelta(days=3), today + timedelta(days=10)),
            )
            cycle.meeting_place = mark("Mødelokale")
            for author in employees[:3]:
                save_answers(
                    author,
                    cycle,
                    [
                        AnswerInput(prompt.id, mark("Svar"), visibility)
                        for prompt, visibility in zip(
                            cycle.prompts, list(Visibility) * 3, strict=False
                        )
                    ],
                )
            for step in list(Phase)[1 : list(Phase).index(phase) + 1]:
                cycle_service.move_phase(leader, cycle, step)
                if step == Phase.MEETING:
                    record_conclusions(
                        leader, cycle, {p.id: mark("Konklusion") for p in cycle.prompts}
                    )
                if step == Phase.AGREEMENTS:
                    action_service.create_action(
                        leader,
                        cycle,
                        text=mark("Handling"),
                        owner_id=employees[0].id,
                        due_on=(today + timedelta(days=20)).isoformat(),
                    )
            db.session.add(
                ReminderOutbox(
                    kind=ReminderKind.PREPARATION_OPENED,
                    recipient_id=employees[0].id,
                    target_id=cycle.id,
                    due_key=today.isoformat(),
                    cycle_id=cycle.id,
                    last_error=mark("Fejl"),
                )
            )
        for kind in ("good", "lesson"):
            record_example(
                employees[0],
                unit_id=teams[Phase.PREPARATION].id,
                kind=kind,
                title=mark("Eksempel"),
                text=mark("Tekst"),
                lesson=mark("Læring"),
                offer=True,
            )
        db.session.add(
            Campaign(
                name=mark("Kampagne"),
                template_id=template.id,
                preparation_starts_on=today,
                preparation_ends_on=today + timedelta(days=7),
            )
        )
        db.session.add(
            Report(
                period_start=today - timedelta(days=365),
                period_end=today,
                trigger=ReportTrigger.ON_DEMAND,
                status=ReportStatus.DONE,
                progress=100,
                html=f"<p>{mark('Rapport')}</p>",
                pdf=f"%PDF-1.7 {mark('PDF')}".encode(),
            )
        )
        for role, user in users.items():
            seeded.tokens[role] = tokens.create_token(user, mark("Nøgle"), 30).secret
        from web.orgs.models import ProvisioningSource
        from web.orgs.services import record_run
        from web.scim import tokens as scim_tokens
        from web.scim.models import ScimGroup, ScimGroupMember

        scim_tokens.create(mark("SCIM"), actor=users["admin"])
        from web.teams.services import set_webhook

        set_webhook(
            None,
            "https://prod-01.westeurope.logic.azure.com/workflows/x/triggers/"
            f"manual/paths/invoke?sig={uuid.uuid4().hex}",
            users["admin"],
        )
        group = ScimGroup(display_name=mark("Gruppe"), external_id=mark("oid").split()[-1])
        db.session.add(group)
        db.session.flush()
        db.session.add(ScimGroupMember(group_id=group.id, user_id=employees[0].id))
        record_run(ProvisioningSource.CSV, ok=False, errors=[mark("Importfejl")])
        seeded.unsubscribe_token = make_token(
            tenant.id, employees[0].id, ReminderKind.WEEKLY_DIGEST
        )
        db.session.commit()
        compile_collection()
        entries = db.session.scalars(select(CollectionEntry)).all()
        approve_entry(
            users["hr"],
            entries[0],
            revision=entries[0].revision,
            decisions={("text", "Kirsten Berg"): "keep"},
        )
        from web.themes.models import Theme

        db.session.add(
            Theme(
                period_start=local_today() - timedelta(days=365),
                period_end=local_today(),
                words=[mark("tema")],
                entry_ids=[entries[0].id],
                centroid=bytes(4 * 384),
                name=mark("Tema"),
            )
        )
        db.session.commit()
        for argument, table in ID_SOURCES.items():
            # Named tenant, not only row-level security's (SQLite has none).
            seeded.ids[argument] = list(
                db.session.scalars(
                    text(f'SELECT id FROM "{table}" WHERE tenant_id = :tenant ORDER BY id'),
                    {"tenant": tenant.id},
                )
            )
    return seeded


@dataclass
class World:
    a: Seeded
    b: Seeded
    markers: list[str]


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    make = factories.Factory(app)
    b_marks = Marks(enabled=True)
    world = World(
        a=seed(app, make, "walk-a", Marks(enabled=False)),
        b=seed(app, make, f"walk-{uuid.uuid4().hex[:6]}", b_marks),
        markers=b_marks.all,
    )
    yield world
    with app.app_context():
        db.session.remove()
    empty_tables(TEST_DATABASE_URL)


# --- the walk ------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    url: str
    has_foreign_ids: bool  # an integer URL argument holds one of B's ids
    form: dict[str, object] | None = None
    ghost_url: str = ""  # the same URL with ids that exist in no tenant
    endpoint: str = ""


def _fill(rule: str, values: dict[str, object]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)


def page_requests(app: Flask, a: Seeded, ids_from: Seeded) -> Iterator[Request]:
    """Every route under /t/<tenant>/ of A, with ``ids_from``'s ids in its integer arguments."""
    foreign_form = {
        name.removesuffix("_id") + "_id": ids[0] for name, ids in ids_from.ids.items() if ids
    }
    foreign_form |= {
        "unit_id": ids_from.ids["cycle_id"][0],
        "owner_id": ids_from.ids["user_id"][0],
        "unit_ids": ids_from.ids["user_id"][0],
        "revision": 1,
    }
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.rule.startswith("/t/<tenant>/"):
            continue
        int_args = [
            name
            for name, conv in rule._converters.items()
            if type(conv).__name__ == "IntegerConverter"
        ]
        missing = [name for name in int_args if name not in ID_SOURCES]
        assert not missing, f"{rule.rule}: add {missing} to ID_SOURCES"
        variants = _argument_variants(int_args, ids_from)
        for index, values in enumerate(dict(v) for v in variants):
            values |= {
                "tenant": a.tenant.slug,
                "filename": "collections.css",
                "token": ids_from.unsubscribe_token,
                "path": "Users",
            }
            url = _fill(rule.rule, values)
            ghost = _fill(rule.rule, values | dict.fromkeys(int_args, GHOST_ID))
            foreign = bool(int_args) and ids_from is not a
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            endpoint = rule.endpoint
            if "GET" in methods:
                yield Request("GET", url, foreign, None, ghost, endpoint)
                if not int_args:  # B's ids in the query string too
                    yield Request(
                        "GET",
                        url + "?" + "&".join(f"{k}={v}" for k, v in foreign_form.items()),
                        foreign,
                        None,
                        "",
                        endpoint,
                    )
            if index >= 2:
                continue  # writes: B's first two cycles suffice (the phase matters for reads)
            for method in (m for m in methods if m in UNSAFE):
                yield Request(method, url, foreign, {}, ghost, endpoint)
                yield Request(method, url, foreign, foreign_form, ghost, endpoint)


def _argument_variants(int_args: list[str], seeded: Seeded) -> list[dict[str, object]]:
    """Every id of B for a cycle (pages differ by phase), the first two for other arguments."""
    if not int_args:
        return [{}]
    variants: list[dict[str, object]] = []
    longest = max(len(seeded.ids[name]) if name == "cycle_id" else 2 for name in int_args)
    for i in range(longest):
        values = {}
        for name in int_args:
            ids = seeded.ids[name] or [2**31 - 1]
            values[name] = ids[min(i, len(ids) - 1)]
        if values not in variants:
            variants.append(values)
    return variants


def api_requests(app: Flask, a: Seeded, ids_from: Seeded) -> Iterator[Request]:
    """Every operation of A's OpenAPI document, with ``ids_from``'s ids in its path."""
    from web.api import openapi

    with app.test_request_context(f"/t/{a.tenant.slug}/api/v1/openapi.json"):
        from flask import g

        g.tenant = a.tenant
        document = openapi.document()
    base = f"/t/{a.tenant.slug}/api/v1"
    for path, operations in sorted(document["paths"].items()):
        names = re.findall(r"{([^}]+)}", path)
        missing = [name for name in names if name not in ID_SOURCES]
        assert not missing, f"{path}: add {missing} to ID_SOURCES"
        for values in _argument_variants(names, ids_from):
            url = base + re.sub(r"{([^}]+)}", lambda m, v=values: str(v[m.group(1)]), path)
            ghost = base + re.sub(r"{([^}]+)}", str(GHOST_ID), path)
            for method in sorted(operations):
                yield Request(
                    method.upper(),
                    url,
                    bool(names) and ids_from is not a,
                    {} if method.upper() in UNSAFE else None,
                    ghost,
                )


@dataclass
class Outcome:
    requests: int = 0
    ok: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def walk(
    app: Flask,
    world: World,
    role: str,
    requests: list[Request],
    send: Callable[[object, Request], object],
) -> Outcome:
    from web.auth.session import session_payload

    outcome = Outcome()
    client = app.test_client()
    user = world.a.users.get(role)
    for req in requests:
        with client.session_transaction() as session:
            session.clear()
            if user is not None:
                session.update(session_payload(user))
        response = send(client, req)
        outcome.requests += 1
        status = response.status_code
        where = f"{role} {req.method} {req.url} {'(form)' if req.form else ''}"
        body = response.get_data().decode("utf-8", "replace")
        response.close()
        found = MARKER.findall(body)
        if found:
            outcome.problems.append(f"{where}: B's marker {found[0]} in the response")
        if status >= 500 and not (req.endpoint in SSO_ENDPOINTS and status in (502, 503)):
            outcome.problems.append(f"{where}: {status}")
        elif (
            req.has_foreign_ids
            and status not in REFUSED
            and not _same_as_ghost(client, send, req, response)
        ):
            outcome.problems.append(f"{where}: {status} for another tenant's id")
        if status == 200:
            outcome.ok.add(req.url.split("?")[0])
    return outcome


def _same_as_ghost(client, send, req: Request, response) -> bool:
    """Input refused before any row is loaded (a body that is not JSON, a missing field) says
    nothing about the id: the answer must then be the same as for an id no tenant has."""
    ghost = send(client, Request(req.method, req.ghost_url, False, req.form))
    ghost.close()
    return ghost.status_code == response.status_code and VOLATILE.sub(
        "", ghost.get_data().decode("utf-8", "replace")
    ) == VOLATILE.sub("", response.get_data().decode("utf-8", "replace"))


def _send_page(client, req: Request):
    return client.open(req.url, method=req.method, data=req.form)


def _send_api(token: str | None):
    def send(client, req: Request):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(
            req.url,
            method=req.method,
            headers=headers,
            json=req.form if req.form is not None else None,
        )

    return send


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_a_show_nothing_of_b(app, world, role):
    requests = list(page_requests(app, world.a, world.b))
    outcome = walk(app, world, role, requests, _send_page)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.requests == len(requests) > 150


@pytest.mark.parametrize("role", ROLES)
def test_api_of_a_shows_nothing_of_b(app, world, role):
    requests = list(api_requests(app, world.a, world.b))
    # Signed out, every operation needs a token; the sign-in is the token itself.
    send = _send_api(world.a.tokens.get(role))
    outcome = walk(app, world, role if role == "anonymous" else "anonymous", requests, send)
    assert not outcome.problems, "\n".join(outcome.problems)
    assert outcome.requests == len(requests) > 20


def test_control_with_a_s_own_ids_reaches_real_pages(app, world):
    """The same walk with A's ids answers real pages, and still shows nothing of B."""
    reached: set[str] = set()
    for role in ("leader", "hr"):  # between them, every page with an id
        pages = walk(
            app,
            world,
            role,
            [r for r in page_requests(app, world.a, world.a) if r.method == "GET"],
            _send_page,
        )
        api = walk(
            app,
            world,
            "anonymous",
            [r for r in api_requests(app, world.a, world.a) if r.method == "GET"],
            _send_api(world.a.tokens[role]),
        )
        assert not pages.problems + api.problems, "\n".join(pages.problems + api.problems)
        reached |= pages.ok | api.ok
    with_ids = {url for url in reached if re.search(r"/\d+(/|$|\.)", url)}
    assert len(reached) > 40 and len(with_ids) > 15, sorted(reached)
    assert len(world.markers) > 100  # B really has marked data to leak
