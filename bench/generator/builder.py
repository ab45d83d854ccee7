"""The rows of a generated municipality: tree, people, cycles (see ``bench.generator``)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from bench.generator import words
from bench.generator.activity import LOCAL, Activity
from bench.generator.copier import Copier
from web.cycles import tally
from web.cycles.models import Campaign, Cycle, Phase
from web.extensions import db

if TYPE_CHECKING:
    from bench.generator import Sizes

OPEN_PHASES = (Phase.PREPARATION, Phase.MEETING, Phase.AGREEMENTS, Phase.FOLLOW_UP)
OPEN_PHASE_WEIGHTS = (0.30, 0.15, 0.25, 0.30)


@dataclass
class Unit:
    id: int
    parent_id: int | None
    kind: str
    name: str
    external_id: str
    members: list[int] = field(default_factory=list)  # people with a membership here
    children: list[int] = field(default_factory=list)


@dataclass
class PlannedCycle:
    id: int
    unit: Unit
    phase: Phase
    starts: date
    deep: bool
    leader_id: int | None
    members: list[int] = field(default_factory=list)
    previous_id: int | None = None
    campaign: int | None = None  # index into the campaigns

    @property
    def ends(self) -> date:
        return self.starts + timedelta(days=14)

    @property
    def meeting_at(self) -> datetime | None:
        if self.phase == Phase.PREPARATION:
            return None
        day = self.ends + timedelta(days=3)
        return datetime.combine(day, time(10, 0), LOCAL).astimezone(UTC)

    @property
    def follow_up_on(self) -> date | None:
        return self.ends + timedelta(days=60) if self.phase != Phase.PREPARATION else None


def tree_shape(units: int) -> tuple[int, int, int]:
    """(areas, departments, teams) of a tree of ``units`` units under one organisation."""
    areas = max(2, round(units * 0.005))
    departments = max(areas, round(units * 0.095))
    teams = units - 1 - areas - departments
    if teams < departments:
        raise click.ClickException("--units is too small for four levels")
    return areas, departments, teams


class Builder(Activity):
    """Plans and writes one tenant's rows; ``build`` does it all."""

    def __init__(self, rng: random.Random, sizes: Sizes, as_of: date, fanout: bool, template):
        self.rng, self.sizes, self.today, self.fanout = rng, sizes, as_of, fanout
        self.now = datetime.combine(as_of, time(12, 0), LOCAL).astimezone(UTC)
        self.prompts = list(template.prompts)
        self.template = template
        self.texts = words.Texts(rng)
        self.units: list[Unit] = []
        self.names: dict[int, str] = {}
        self.counts: dict[str, int] = {}

    def build(self) -> dict[str, int]:
        s = self.sizes
        areas, departments, teams = tree_shape(s.units)
        # The bar counts the big tables' rows; the small ones (roles, memberships, phase
        # changes, participations, conclusions, tags) go along uncounted.
        if self.fanout:
            main_rows = (
                s.units + s.employees + areas + departments + teams * (1 + len(self.prompts))
            )
        else:
            main_rows = (
                s.units
                + s.employees
                + s.cycles * (1 + len(self.prompts))
                + s.contributions
                + s.actions
                + s.examples
            )
        with click.progressbar(length=main_rows, label="Generating", show_pos=True) as bar:
            self.copier = Copier(bar.update)
            self.make_units()
            self.make_people()
            planned = self.plan_cycles()
            self.write_cycles(planned)
            if not self.fanout:
                self.write_contributions(planned)
                self.write_actions(planned)
                self.write_examples(planned)
            # COPY bypasses the ORM listener that keeps each cycle's member set and counters.
            tally.rebuild(
                select(Cycle.id).where(Cycle.tenant_id == self.copier.tenant_id), db.session
            )
        return self.counts

    # --- the tree -----------------------------------------------------------------------------

    def make_units(self) -> None:
        n = self.sizes.units
        areas, departments, teams = tree_shape(n)
        first = self.copier.reserve("org_units", n)
        rng = self.rng
        org = Unit(first, None, "organisation", "Benchmark Kommune", "org")
        self.units = [org]
        for i in range(areas):
            name = words.AREAS[i] if i < len(words.AREAS) else f"Område {i + 1}"
            self._add_unit(org, "area", name, f"a-{i + 1:03d}")
        area_units = self.units[1:]
        for i in range(departments):
            area = area_units[i] if i < areas else rng.choice(area_units)
            name = f"{rng.choice(words.DEPARTMENT_KINDS)} {rng.choice(words.PLACES)} {i + 1}"
            self._add_unit(area, "department", name, f"d-{i + 1:04d}")
        dept_units = self.units[1 + areas :]
        for i in range(teams):
            dept = dept_units[i] if i < departments else rng.choice(dept_units)
            self._add_unit(
                dept, "team", f"Team {rng.choice(words.TEAM_WORDS)} {i + 1}", f"t-{i + 1:05d}"
            )
        created = self.now - timedelta(days=400)
        self.counts["units"] = self.copier.copy(
            "org_units",
            ("id", "parent_id", "name", "kind", "external_id", "created_at"),
            ((u.id, u.parent_id, u.name, u.kind, u.external_id, created) for u in self.units),
        )

    def _add_unit(self, parent: Unit, kind: str, name: str, external_id: str) -> Unit:
        unit = Unit(self.units[0].id + len(self.units), parent.id, kind, name, external_id)
        self.units.append(unit)
        parent.children.append(unit.id)
        return unit

    def unit(self, unit_id: int) -> Unit:
        return self.units[unit_id - self.units[0].id]

    def of_kind(self, kind: str) -> list[Unit]:
        return [u for u in self.units if u.kind == kind]

    # --- people -------------------------------------------------------------------------------

    def make_people(self) -> None:
        rng, n = self.rng, self.sizes.employees
        areas, depts, teams = self.of_kind("area"), self.of_kind("department"), self.of_kind("team")
        memberships: list[tuple[int, int, str]] = []  # (user index, unit id, role)
        roles: list[tuple[int, str]] = []
        staff = 0 if self.fanout else max(3, round(n * 0.0004)) + 3
        team_leaders = [] if self.fanout else [t for t in teams if rng.random() < 0.35]
        leaders = [*areas, *depts, *team_leaders]
        employees = n - (0 if self.fanout else staff + len(leaders))
        people = employees + staff + len(leaders)
        first = self.copier.reserve("users", people)
        index = 0
        for i in range(staff):  # HR, then three admins, in the organisation unit
            memberships.append((index, self.units[0].id, "employee"))
            roles.append((index, "hr" if i < staff - 3 else "admin"))
            index += 1
        for unit in leaders:
            memberships.append((index, unit.id, "leader"))
            index += 1
        # Team sizes vary (a few tiny teams for the anonymity rules); every team has someone.
        weights = [0.15 if rng.random() < 0.03 else rng.lognormvariate(0, 0.5) for _ in teams]
        placed = list(range(len(teams))) + rng.choices(
            range(len(teams)), weights, k=employees - len(teams)
        )
        for team_index in placed:
            memberships.append((index, teams[team_index].id, "employee"))
            if not self.fanout and rng.random() < 0.02:  # some work in a second team
                other = rng.randrange(len(teams) - 1)
                other += other >= team_index
                memberships.append((index, teams[other].id, "employee"))
            index += 1
        if not self.fanout:
            for person in rng.sample(range(staff + len(leaders), people), max(5, n // 3000)):
                roles.append((person, "hovedudvalg"))
        for person, unit_id, _ in memberships:
            self.unit(unit_id).members.append(first + person)
        self.leader_of = {
            unit_id: first + person for person, unit_id, role in memberships if role == "leader"
        }
        self._write_people(first, people, memberships, roles)

    def _write_people(self, first: int, people: int, memberships, roles) -> None:
        rng, created = self.rng, self.now - timedelta(days=400)
        rows = []
        for i in range(people):
            name = words.person_name(rng)
            self.names[first + i] = name
            roll = rng.random()
            locale = "en" if roll < 0.04 else "da" if roll < 0.12 else None
            active = self.fanout or rng.random() > 0.005
            rows.append(
                (
                    first + i,
                    f"bench-{i + 1:06d}",
                    f"p{i + 1:06d}@bench-kommune.example",
                    name,
                    locale,
                    active,
                    created,
                )
            )
        self.counts["users"] = self.copier.copy(
            "users",
            ("id", "subject", "email", "display_name", "locale", "is_active", "created_at"),
            rows,
        )
        self.copier.copy(
            "tenant_roles",
            ("user_id", "role", "source"),
            ((first + p, role, "import") for p, role in roles),
            counted=False,
        )
        self.counts["memberships"] = self.copier.copy(
            "memberships",
            ("user_id", "unit_id", "role", "source", "created_at"),
            ((first + p, unit_id, role, "import", created) for p, unit_id, role in memberships),
            counted=False,
        )
        self.hr_id = first

    # --- cycles -------------------------------------------------------------------------------

    def plan_cycles(self) -> list[PlannedCycle]:
        rng, teams, depts = self.rng, self.of_kind("team"), self.of_kind("department")
        if self.fanout:
            plans = [(t, Phase.PREPARATION, False) for t in teams]
        else:
            total = self.sizes.cycles
            dept_cycles = round(total * 0.2)
            team_cycles = total - dept_cycles
            open_teams = rng.sample(teams, min(len(teams), round(team_cycles * 0.65)))
            open_depts = rng.sample(depts, min(len(depts), round(dept_cycles * 0.5)))
            plans = [(u, self._open_phase(), False) for u in open_teams]
            plans += [(u, self._open_phase(), True) for u in open_depts]
            plans += [
                (rng.choice(teams), Phase.CLOSED, False)
                for _ in range(team_cycles - len(open_teams))
            ]
            plans += [
                (rng.choice(depts), Phase.CLOSED, True)
                for _ in range(dept_cycles - len(open_depts))
            ]
        first = self.copier.reserve("cycles", len(plans))
        cycles = []
        for i, (unit, phase, deep) in enumerate(plans):
            leader = self._leader_for(unit)
            cycle = PlannedCycle(first + i, unit, phase, self._starts(phase), deep, leader)
            cycle.members = self._members(unit, deep)
            if not self.fanout and rng.random() < 0.6:
                cycle.campaign = rng.randrange(len(words.CAMPAIGNS))
            cycles.append(cycle)
        by_unit: dict[int, list[PlannedCycle]] = defaultdict(list)
        for cycle in sorted(cycles, key=lambda c: (c.starts, c.id)):
            if by_unit[cycle.unit.id]:
                cycle.previous_id = by_unit[cycle.unit.id][-1].id
            by_unit[cycle.unit.id].append(cycle)
        self.latest_cycle = {unit_id: cs[-1].id for unit_id, cs in by_unit.items()}
        return cycles

    def _open_phase(self) -> Phase:
        return self.rng.choices(OPEN_PHASES, OPEN_PHASE_WEIGHTS)[0]

    def _starts(self, phase: Phase) -> date:
        """Preparation start: each phase at a plausible distance from today; closed cycles all
        lie before the open ones, so a unit's history reads in order."""
        if self.fanout:
            return self.today
        ago = {
            Phase.PREPARATION: (0, 10),
            Phase.MEETING: (17, 20),
            Phase.AGREEMENTS: (21, 60),
            Phase.FOLLOW_UP: (61, 190),
            Phase.CLOSED: (200, 360),
        }[phase]
        return self.today - timedelta(days=self.rng.randint(*ago))

    def _leader_for(self, unit: Unit) -> int | None:
        if self.fanout:
            return None
        while unit is not None:
            if unit.id in self.leader_of:
                return self.leader_of[unit.id]
            unit = self.unit(unit.parent_id) if unit.parent_id else None
        return None

    def _members(self, unit: Unit, deep: bool) -> list[int]:
        if not deep:
            return list(dict.fromkeys(unit.members))
        found, stack = [], [unit]
        while stack:
            u = stack.pop()
            found.extend(u.members)
            stack.extend(self.unit(c) for c in u.children)
        return list(dict.fromkeys(found))

    def write_cycles(self, cycles: list[PlannedCycle]) -> None:
        campaigns = []
        if not self.fanout:
            for i, name in enumerate(words.CAMPAIGNS):
                starts = self.today - timedelta(days=300 - 80 * i)
                campaign = Campaign(
                    name=name,
                    template_id=self.template.id,
                    created_by_id=self.hr_id,
                    preparation_starts_on=starts,
                    preparation_ends_on=starts + timedelta(days=14),
                    follow_up_on=starts + timedelta(days=74),
                )
                db.session.add(campaign)
                campaigns.append(campaign)
            db.session.flush()  # the ORM stamps the tenant; the cycles below refer to the ids
        rng = self.rng
        rows = []
        for c in cycles:
            created = datetime.combine(c.starts - timedelta(days=3), time(8), LOCAL)
            closed_at = (
                datetime.combine(c.follow_up_on + timedelta(days=2), time(15), LOCAL)
                if c.phase == Phase.CLOSED
                else None
            )
            facilitator = rng.choice(c.members) if c.members and rng.random() < 0.2 else None
            rows.append(
                (
                    c.id,
                    c.unit.id,
                    c.leader_id,
                    facilitator,
                    campaigns[c.campaign].id if c.campaign is not None else None,
                    self.template.id,
                    self.template.version,
                    c.deep,
                    c.phase.value,
                    c.starts,
                    c.ends,
                    c.meeting_at,
                    "Mødelokalet" if c.meeting_at else None,
                    c.follow_up_on,
                    closed_at,
                    c.previous_id,
                    created,
                    created,
                )
            )
        self.counts["cycles"] = self.copier.copy(
            "cycles",
            (
                "id",
                "unit_id",
                "leader_id",
                "facilitator_id",
                "campaign_id",
                "template_id",
                "template_version",
                "include_subunits",
                "phase",
                "preparation_starts_on",
                "preparation_ends_on",
                "meeting_at",
                "meeting_place",
                "follow_up_on",
                "closed_at",
                "previous_cycle_id",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        self._write_prompts(cycles)
        self._write_phase_changes(cycles)

    def _write_prompts(self, cycles: list[PlannedCycle]) -> None:
        """The default template's prompts, snapshotted per cycle by the product's own code."""
        from web.cycles.services.cycles import snapshot_prompts

        snapshot = snapshot_prompts(self.template)
        first = self.copier.reserve("cycle_prompts", len(cycles) * len(snapshot))
        self.prompt_ids = {}
        rows = []
        for i, c in enumerate(cycles):
            base = first + i * len(snapshot)
            self.prompt_ids[c.id] = list(range(base, base + len(snapshot)))
            rows.extend(
                (
                    base + j,
                    c.id,
                    p.position,
                    p.kind.value,
                    p.text_da,
                    p.text_en,
                    p.help_da,
                    p.help_en,
                )
                for j, p in enumerate(snapshot)
            )
        self.counts["cycle_prompts"] = self.copier.copy(
            "cycle_prompts",
            ("id", "cycle_id", "position", "kind", "text_da", "text_en", "help_da", "help_en"),
            rows,
        )

    def _write_phase_changes(self, cycles: list[PlannedCycle]) -> None:
        def rows() -> Iterator[tuple]:
            for c in cycles:
                order = list(Phase)
                for step in range(order.index(c.phase)):
                    at = datetime.combine(c.ends + timedelta(days=3 + 30 * step), time(9), LOCAL)
                    yield (
                        c.id,
                        order[step].value,
                        order[step + 1].value,
                        c.leader_id,
                        min(at, self.now),
                    )

        self.copier.copy(
            "cycle_phase_changes",
            ("cycle_id", "from_phase", "to_phase", "changed_by_id", "changed_at"),
            rows(),
            counted=False,
        )
