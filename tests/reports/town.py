"""A small hand-built municipality whose report figures are worked out by hand.

Solby Kommune (k = 5), all dates relative to today; the period is the last 180 days:

    Solby Kommune (organisation)                                  28 people
      Børn og Unge (area): 3 people of its own                    18
        Dagtilbud Nord (department): teams Solsikken 4, Mælkebøtten 3     7
        Skoler (department): team Nordskolen 6 (+1 inactive)       6
        Specialtilbud (department): 2 — below k: "other units"     2
      Teknik og Miljø (area)                                       5
        Vej og Park (department)                                   5
      Stab og HR (department): HR, Hovedudvalg, admin and 2 more   5

Dorte is an employee of Solsikken and leads Skoler: she counts once, in Solsikken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from web.cycles.models import ActionStatus, Phase
from web.models import today as local_today
from web.orgs.models import OrgUnit, UnitKind
from web.tenants.models import Tenant
from web.users.models import TenantRoleName, User
from web.vocabulary import KKC, OLFA, Expectation

TODAY = local_today()
PERIOD = (TODAY - timedelta(days=180), TODAY)
STARTED = TODAY - timedelta(days=100)  # in the period
PAST, FUTURE = TODAY - timedelta(days=10), TODAY + timedelta(days=60)


@dataclass
class Town:
    tenant: Tenant
    units: dict[str, OrgUnit]
    people: dict[str, list[User]] = field(default_factory=dict)
    hr: User | None = None
    hovedudvalg: User | None = None
    admin: User | None = None
    employee: User | None = None
    leader: User | None = None
    neighbour: Tenant | None = None
    neighbour_hr: User | None = None

    @property
    def names(self) -> list[str]:
        return [u.display_name for users in self.people.values() for u in users]


def build_town(make, slug: str = "solby") -> Town:
    t = make.tenant(slug, name="Solby Kommune", settings={"k_threshold": 5})
    u: dict[str, OrgUnit] = {}
    u["org"] = make.unit(t, "Solby Kommune", UnitKind.ORGANISATION)
    u["bu"] = make.unit(t, "Børn og Unge", UnitKind.AREA, parent=u["org"])
    u["dag"] = make.unit(t, "Dagtilbud Nord", UnitKind.DEPARTMENT, parent=u["bu"])
    u["sol"] = make.unit(t, "Solsikken", UnitKind.TEAM, parent=u["dag"])
    u["mb"] = make.unit(t, "Mælkebøtten", UnitKind.TEAM, parent=u["dag"])
    u["sko"] = make.unit(t, "Skoler", UnitKind.DEPARTMENT, parent=u["bu"])
    u["nord"] = make.unit(t, "Nordskolen", UnitKind.TEAM, parent=u["sko"])
    u["spec"] = make.unit(t, "Specialtilbud", UnitKind.DEPARTMENT, parent=u["bu"])
    u["tm"] = make.unit(t, "Teknik og Miljø", UnitKind.AREA, parent=u["org"])
    u["vp"] = make.unit(t, "Vej og Park", UnitKind.DEPARTMENT, parent=u["tm"])
    u["stab"] = make.unit(t, "Stab og HR", UnitKind.DEPARTMENT, parent=u["org"])
    town = Town(tenant=t, units=u)

    def people(key: str, *names: str, **kw) -> list[User]:
        users = [make.user(t, name, unit=u[key], **kw) for name in names]
        town.people.setdefault(key, []).extend(users)
        return users

    people("bu", "Astrid Area", "Bent Area", "Cecilie Area")
    dorte = make.user(t, "Dorte Dam", unit=u["sol"], leader_of=u["sko"])
    town.people["sol"] = [dorte]
    people("sol", "Hanne Jensen", "Ib Iversen", "Jens Juhl")
    people("mb", "Kim Kure", "Lene Lund", "Mads Mørk")
    people("nord", "Nina Nord", "Ole Olsen", "Pia Pihl", "Rasmus Ravn", "Sara Sand", "Tom Tang")
    inactive = make.user(t, "Ulla Ude", unit=u["nord"])
    with make.scope(t):
        from web.extensions import db

        db.session.get(User, inactive.id).is_active = False
    people("spec", "Vera Vang", "Willy Wulff")
    people("vp", "Yrsa Yde", "Zenia Zahle", "Åge Ås", "Ærø Ebbe", "Øjvind Øst")
    town.hr = make.user(t, "Henrik Rask", unit=u["stab"], roles=(TenantRoleName.HR,))
    town.hovedudvalg = make.user(
        t, "Karen Mortensen", unit=u["stab"], roles=(TenantRoleName.HOVEDUDVALG,)
    )
    town.admin = make.user(t, "Birgitte Holm", unit=u["stab"], roles=(TenantRoleName.ADMIN,))
    town.people["stab"] = [town.hr, town.hovedudvalg, town.admin]
    people("stab", "Søren Sejr", "Tina Tved")
    town.employee = town.people["nord"][0]
    town.leader = dorte

    _activity(make, town)
    return town


def _activity(make, town: Town) -> None:
    t, u, p = town.tenant, town.units, town.people
    # Dagtilbud Nord: Solsikken's cycle is closed; Mælkebøtten's is past its follow-up.
    sol = make.cycle(
        t,
        u["sol"],
        phase=Phase.CLOSED,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=PAST,
    )
    mb = make.cycle(
        t,
        u["mb"],
        phase=Phase.FOLLOW_UP,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=PAST,
    )
    old = make.cycle(
        t,
        u["sol"],
        phase=Phase.CLOSED,  # before the period: not counted
        preparation_starts_on=TODAY - timedelta(days=400),
        preparation_ends_on=TODAY - timedelta(days=390),
        follow_up_on=TODAY - timedelta(days=300),
    )
    for user in p["sol"][:3]:  # Dorte, Hanne, Ib
        make.participation(t, sol, user)
    make.participation(t, mb, p["mb"][0])
    make.participation(t, old, p["sol"][3])  # Jens, but only in the old cycle
    make.action(
        t,
        sol,
        p["sol"][1],
        status=ActionStatus.DONE,
        due_on=PAST,
        expectation=Expectation.RESPONSIBILITY,
        kkc=KKC.COURSE,
    )
    make.action(
        t,
        sol,
        p["sol"][2],
        status=ActionStatus.PLANNED,
        due_on=PAST,
        expectation=Expectation.CONTEXT,
    )
    make.action(t, mb, p["mb"][0], status=ActionStatus.IN_PROGRESS, due_on=FUTURE)
    make.action(t, old, p["sol"][3], status=ActionStatus.PLANNED, due_on=PAST)  # not counted
    # Skoler: one open cycle, follow-up ahead; half the team took part.
    nord = make.cycle(
        t,
        u["nord"],
        phase=Phase.AGREEMENTS,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=FUTURE,
    )
    for user in p["nord"][:3]:
        make.participation(t, nord, user)
    # Specialtilbud (2 people): overdue cycle and action, both took part.
    spec = make.cycle(
        t,
        u["spec"],
        phase=Phase.FOLLOW_UP,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=PAST,
    )
    for user in p["spec"]:
        make.participation(t, spec, user)
    make.action(
        t,
        spec,
        p["spec"][0],
        status=ActionStatus.PLANNED,
        due_on=PAST,
        expectation=Expectation.RESPONSIBILITY,
        kkc=KKC.COMMITMENT,
    )
    # Vej og Park: closed, everyone took part, its action done.
    vp = make.cycle(
        t,
        u["vp"],
        phase=Phase.CLOSED,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=PAST,
    )
    for user in p["vp"]:
        make.participation(t, vp, user)
    make.action(t, vp, p["vp"][0], status=ActionStatus.DONE, due_on=PAST, kkc=KKC.COURSE)
    # Examples of the period (their classification only counts).
    in_period = datetime.combine(TODAY - timedelta(days=50), datetime.min.time(), UTC)
    make.example(
        t,
        u["sol"],
        p["sol"][1],
        title="Morgenmødet",
        text="Hanne Jensen tog ordet.",
        expectations=[Expectation.RESPONSIBILITY, Expectation.AGENCY_FOR_OTHERS],
        kkc=KKC.COORDINATION,
        olfa=OLFA.COMMUNITY,
        created_at=in_period,
    )
    make.example(
        t,
        u["nord"],
        p["nord"][1],
        title="Skolegården",
        text="Vi ryddede op.",
        olfa=OLFA.EMPLOYEE,
        created_at=in_period,
    )
    make.example(
        t,
        u["nord"],
        p["nord"][1],
        title="Gammelt",
        text="For længe siden.",
        olfa=OLFA.EMPLOYEE,
        created_at=in_period - timedelta(days=365),
    )


def town_with_neighbour(make) -> Town:
    """The town, and a neighbouring tenant with activity of its own that no report may show."""
    town = build_town(make)
    neighbour = make.tenant("nabo", name="Nabo Kommune")
    unit = make.unit(neighbour, "Nabo-afdeling", UnitKind.DEPARTMENT)
    users = [make.user(neighbour, f"Nabo {n}", unit=unit) for n in range(8)]
    cycle = make.cycle(
        neighbour,
        unit,
        preparation_starts_on=STARTED,
        preparation_ends_on=STARTED + timedelta(days=14),
        follow_up_on=PAST,
    )
    for user in users:
        make.participation(neighbour, cycle, user)
        make.action(neighbour, cycle, user, due_on=PAST, kkc=KKC.COURSE)
    town.neighbour = neighbour
    town.neighbour_hr = make.user(neighbour, "Nabo HR", unit=unit, roles=(TenantRoleName.HR,))
    return town
