"""``flask generate SLUG``: a municipality at benchmark scale, in its own PostgreSQL database.

    flask generate bench --employees 50000 --units 2000 --seed 1 [--scale 0.5]

builds, in minutes, a tenant of N people in U units over four levels (organisation → areas →
departments → teams) with leaders, HR, Hovedudvalg members and admins; cycles in every phase
(prompts snapshotted from the default template, phase history, conclusions); contributions of
every visibility (anonymous ones sealed once the meeting started); participations; agreed
actions; examples (some offered). ``--scale`` multiplies every count, so ``--scale 0.5`` is the
same municipality at half size. The same options and seed give the same rows (dates are relative
to ``--as-of``, default today).

It never writes into the app's own database: it targets ``--database-url`` (default
``BENCH_DATABASE_URL`` or ``postgresql+psycopg://postgres@127.0.0.1:5432/aktorskab_bench``),
whose database name must contain "bench"; it creates that database and migrates it to the head.

How it stays inside the tenant scoping rules (``web.tenancy``): the tenant, its default
template and its campaigns go through the ORM inside ``tenant_scope`` like any service. The bulk
rows go through PostgreSQL's COPY, which the ORM hooks never see, so the generator stamps
``tenant_id`` itself, with ``tenancy.current_tenant_id()`` (the very value the ``before_flush``
hook would stamp), and every id it writes into a foreign key is one it created in the same
transaction for the same tenant. At the end it counts the rows back through the scoped ORM and
checks with plain SQL that no row references a row of another tenant; any mismatch rolls the
whole tenant back.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from web.cycles.models import (
    ActionStatus,
    Campaign,
    Contribution,
    Cycle,
    Phase,
)
from web.cycles.vocabulary import KKC, OLFA, Expectation
from web.extensions import db
from web.tenancy import current_tenant_id, tenant_scope
from web.tenants import generate_words as words

GENERATOR_VERSION = 1
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/aktorskab_bench"
LOCAL = ZoneInfo("Europe/Copenhagen")
PROMPTS_PER_CYCLE_MAX = 0.95  # at most this share of (member, prompt) slots is answered
OPEN_PHASES = (Phase.PREPARATION, Phase.MEETING, Phase.AGREEMENTS, Phase.FOLLOW_UP)
OPEN_PHASE_WEIGHTS = (0.30, 0.15, 0.25, 0.30)


@dataclass(frozen=True)
class Sizes:
    employees: int = 50_000
    units: int = 2_000
    cycles: int = 2_000
    contributions: int = 1_000_000
    actions: int = 100_000
    examples: int = 20_000

    def scaled(self, factor: float) -> Sizes:
        return Sizes(*(max(1, round(v * factor)) for v in asdict(self).values()))


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


# --- the command ------------------------------------------------------------------------------


@click.command("generate")
@click.argument("slug")
@click.option("--employees", default=Sizes.employees, show_default=True, help="People.")
@click.option("--units", default=Sizes.units, show_default=True, help="Org units, 4 levels.")
@click.option("--cycles", default=Sizes.cycles, show_default=True)
@click.option("--contributions", default=Sizes.contributions, show_default=True)
@click.option("--actions", default=Sizes.actions, show_default=True)
@click.option("--examples", default=Sizes.examples, show_default=True)
@click.option("--scale", default=1.0, show_default=True, help="Multiplies every count.")
@click.option("--seed", default=1, show_default=True)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="'Today' (default: today).")
@click.option("--fanout", is_flag=True,
              help="Only people in teams, each team with one cycle whose preparation opens "
                   "--as-of: one reminder per person (the reminder benchmark).")
@click.option("--replace", is_flag=True, help="Delete a tenant with this slug first.")
@click.option("--database-url", envvar="BENCH_DATABASE_URL", default=DEFAULT_DATABASE_URL,
              show_default=True, help="Target database; its name must contain 'bench'.")
def generate_command(slug: str, employees: int, units: int, cycles: int, contributions: int,
                     actions: int, examples: int, scale: float, seed: int, as_of, fanout: bool,
                     replace: bool, database_url: str) -> None:
    """Generate a benchmark municipality (in its own database, never the app's)."""
    import flask_migrate

    from web import create_app

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        raise click.ClickException("--database-url must be a PostgreSQL database whose name "
                                   "contains 'bench' (generated data never goes elsewhere).")
    created = ensure_database(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    sizes = Sizes(employees, units, cycles, contributions, actions, examples).scaled(scale)
    on = as_of.date() if as_of else datetime.now(LOCAL).date()
    with app.app_context():
        flask_migrate.upgrade()
        summary = generate(slug, sizes, seed=seed, as_of=on, fanout=fanout, replace=replace,
                           params={"scale": scale})
        vacuum_analyze()
    click.echo(f"{'Created' if created else 'Reused'} database {url.database}; tenant {slug}: "
               + ", ".join(f"{v:,} {k}" for k, v in summary.items()))


def ensure_database(database_url: str) -> bool:
    """Create the target database if it does not exist yet; True if it was created."""
    import psycopg

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (url.database,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{url.database}"')  # name checked by the caller
    return True


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps, so the planner sees the data as it is."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


# --- generation -------------------------------------------------------------------------------


def generate(slug: str, sizes: Sizes, *, seed: int, as_of: date, fanout: bool = False,
             replace: bool = False, params: dict | None = None) -> dict[str, int]:
    """Build the tenant in one transaction (rolled back on any error); returns row counts."""
    from web.cycles.services.templates import ensure_default_template
    from web.tenants.models import Tenant
    from web.tenants.services import create_tenant, get_by_slug

    existing = get_by_slug(slug)
    if existing is not None:
        if not replace:
            raise click.ClickException(f"Tenant '{slug}' exists; pass --replace to rebuild it.")
        db.session.execute(delete(Tenant).where(Tenant.id == existing.id))  # cascades
        db.session.commit()
    # One generator at a time: ids are reserved from the sequences (see Copier.reserve).
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('aktorskab-generate'))"))
    settings = {"k_threshold": 5, "generated": {
        **asdict(sizes), "seed": seed, "as_of": as_of.isoformat(), "fanout": fanout,
        "version": GENERATOR_VERSION, **(params or {})}}
    tenant = create_tenant(slug, f"Benchmark Kommune ({slug})", "da", settings=settings)
    try:
        with tenant_scope(tenant.id):
            template = ensure_default_template()
            db.session.flush()
            rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
            builder = Builder(rng, sizes, as_of, fanout, template)
            counts = builder.build()
            verify(counts)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def tree_shape(units: int) -> tuple[int, int, int]:
    """(areas, departments, teams) of a tree of ``units`` units under one organisation."""
    areas = max(2, round(units * 0.005))
    departments = max(areas, round(units * 0.095))
    teams = units - 1 - areas - departments
    if teams < departments:
        raise click.ClickException("--units is too small for four levels")
    return areas, departments, teams


class Copier:
    """COPY rows into a table, stamping the current tenant as the first column."""

    def __init__(self, progress: Callable[[int], None]):
        self.tenant_id = current_tenant_id()
        if self.tenant_id is None:
            raise RuntimeError("the generator must run inside tenant_scope()")
        self.conn = db.session.connection().connection.driver_connection
        self.progress = progress

    def reserve(self, table: str, count: int) -> int:
        """The first of ``count`` consecutive ids taken from the table's sequence.

        Safe while this transaction holds the generator's advisory lock and nothing else
        inserts into the (dedicated) database; a clash would fail the COPY, never go unseen.
        """
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
            sequence = cur.fetchone()[0]
            cur.execute("SELECT nextval(%s)", (sequence,))
            first = cur.fetchone()[0]
            cur.execute("SELECT setval(%s, %s)", (sequence, first + count - 1))
        return first

    def copy(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple],
             counted: bool = True) -> int:
        known = set(db.metadata.tables[table].c.keys())
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise RuntimeError(f"{table} has no column(s) {unknown}: update the generator")
        statement = f"COPY {table} (tenant_id, {', '.join(columns)}) FROM STDIN"
        n = 0
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row((self.tenant_id, *row))
                n += 1
                if counted and n % 10_000 == 0:
                    self.progress(10_000)
        if counted:
            self.progress(n % 10_000)
        return n


class Builder:
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
            main_rows = (s.units + s.employees + areas + departments
                         + teams * (1 + len(self.prompts)))
        else:
            main_rows = (s.units + s.employees + s.cycles * (1 + len(self.prompts))
                         + s.contributions + s.actions + s.examples)
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
        dept_units = self.units[1 + areas:]
        for i in range(teams):
            dept = dept_units[i] if i < departments else rng.choice(dept_units)
            self._add_unit(dept, "team", f"Team {rng.choice(words.TEAM_WORDS)} {i + 1}",
                           f"t-{i + 1:05d}")
        created = self.now - timedelta(days=400)
        self.counts["units"] = self.copier.copy(
            "org_units", ("id", "parent_id", "name", "kind", "external_id", "created_at"),
            ((u.id, u.parent_id, u.name, u.kind, u.external_id, created) for u in self.units))

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
        placed = list(range(len(teams))) + rng.choices(range(len(teams)), weights,
                                                       k=employees - len(teams))
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
        self.leader_of = {unit_id: first + person
                          for person, unit_id, role in memberships if role == "leader"}
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
            rows.append((first + i, f"bench-{i + 1:06d}",
                         f"p{i + 1:06d}@bench-kommune.example", name, locale, active, created))
        self.counts["users"] = self.copier.copy(
            "users", ("id", "subject", "email", "display_name", "locale", "is_active",
                      "created_at"), rows)
        self.copier.copy("tenant_roles", ("user_id", "role", "source"),
                         ((first + p, role, "import") for p, role in roles), counted=False)
        self.counts["memberships"] = self.copier.copy(
            "memberships", ("user_id", "unit_id", "role", "source", "created_at"),
            ((first + p, unit_id, role, "import", created) for p, unit_id, role in memberships),
            counted=False)
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
            plans += [(rng.choice(teams), Phase.CLOSED, False)
                      for _ in range(team_cycles - len(open_teams))]
            plans += [(rng.choice(depts), Phase.CLOSED, True)
                      for _ in range(dept_cycles - len(open_depts))]
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
        ago = {Phase.PREPARATION: (0, 10), Phase.MEETING: (17, 20), Phase.AGREEMENTS: (21, 60),
               Phase.FOLLOW_UP: (61, 190), Phase.CLOSED: (200, 360)}[phase]
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
                campaign = Campaign(name=name, template_id=self.template.id,
                                    created_by_id=self.hr_id, preparation_starts_on=starts,
                                    preparation_ends_on=starts + timedelta(days=14),
                                    follow_up_on=starts + timedelta(days=74))
                db.session.add(campaign)
                campaigns.append(campaign)
            db.session.flush()  # the ORM stamps the tenant; the cycles below refer to the ids
        rng = self.rng
        rows = []
        for c in cycles:
            created = datetime.combine(c.starts - timedelta(days=3), time(8), LOCAL)
            closed_at = (datetime.combine(c.follow_up_on + timedelta(days=2), time(15), LOCAL)
                         if c.phase == Phase.CLOSED else None)
            facilitator = rng.choice(c.members) if c.members and rng.random() < 0.2 else None
            rows.append((c.id, c.unit.id, c.leader_id, facilitator,
                         campaigns[c.campaign].id if c.campaign is not None else None,
                         self.template.id, self.template.version, c.deep, c.phase.value,
                         c.starts, c.ends, c.meeting_at, "Mødelokalet" if c.meeting_at else None,
                         c.follow_up_on, closed_at, c.previous_id, created, created))
        self.counts["cycles"] = self.copier.copy("cycles", (
            "id", "unit_id", "leader_id", "facilitator_id", "campaign_id", "template_id",
            "template_version", "include_subunits", "phase", "preparation_starts_on",
            "preparation_ends_on", "meeting_at", "meeting_place", "follow_up_on", "closed_at",
            "previous_cycle_id", "created_at", "updated_at"), rows)
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
            rows.extend((base + j, c.id, p.position, p.kind.value, p.text_da, p.text_en,
                         p.help_da, p.help_en) for j, p in enumerate(snapshot))
        self.counts["cycle_prompts"] = self.copier.copy("cycle_prompts", (
            "id", "cycle_id", "position", "kind", "text_da", "text_en", "help_da", "help_en"),
            rows)

    def _write_phase_changes(self, cycles: list[PlannedCycle]) -> None:
        def rows() -> Iterator[tuple]:
            for c in cycles:
                order = list(Phase)
                for step in range(order.index(c.phase)):
                    at = datetime.combine(c.ends + timedelta(days=3 + 30 * step), time(9), LOCAL)
                    yield (c.id, order[step].value, order[step + 1].value, c.leader_id,
                           min(at, self.now))

        self.copier.copy("cycle_phase_changes",
                         ("cycle_id", "from_phase", "to_phase", "changed_by_id", "changed_at"),
                         rows(), counted=False)

    # --- contributions and participations -----------------------------------------------------

    def write_contributions(self, cycles: list[PlannedCycle]) -> None:
        quota = self._contribution_quota(cycles)
        rng, texts = self.rng, self.texts
        participations: list[tuple[int, int]] = []

        def rows() -> Iterator[tuple]:
            for c, n in zip(cycles, quota, strict=True):
                if not n:
                    continue
                prompts = self.prompt_ids[c.id]
                people = math.ceil(n / (len(prompts) * PROMPTS_PER_CYCLE_MAX))
                people = max(people, round(len(c.members) * 0.8))
                authors = rng.sample(c.members, min(len(c.members), people))
                slots = rng.sample(range(len(authors) * len(prompts)), n)
                sealed = c.phase != Phase.PREPARATION
                seal_at = c.meeting_at or self.now
                anonymous = []
                written = set()
                for slot in slots:
                    author, prompt = authors[slot // len(prompts)], prompts[slot % len(prompts)]
                    written.add(author)
                    roll = rng.random()
                    visibility = "private" if roll < 0.3 else "named" if roll < 0.8 \
                        else "anonymous"
                    at = datetime.combine(c.starts + timedelta(days=rng.randrange(10)),
                                          time(rng.randrange(7, 20), rng.randrange(60)), LOCAL)
                    at = min(at, self.now)
                    if visibility == "anonymous" and sealed:
                        anonymous.append((c.id, prompt, None, visibility, texts.answer(),
                                          seal_at, seal_at))
                    else:
                        yield c.id, prompt, author, visibility, texts.answer(), at, at
                rng.shuffle(anonymous)  # sealed: no author, one timestamp, random order
                yield from anonymous
                participations.extend((c.id, a) for a in sorted(written))

        self.counts["contributions"] = self.copier.copy("contributions", (
            "cycle_id", "prompt_id", "author_id", "visibility", "text", "created_at",
            "updated_at"), rows())
        self.counts["participations"] = self.copier.copy(
            "participations", ("cycle_id", "user_id"), participations, counted=False)
        self._write_conclusions(cycles)

    def _contribution_quota(self, cycles: list[PlannedCycle]) -> list[int]:
        """Contributions per cycle, proportional to its members (fewer while preparing),
        adding up to exactly --contributions."""
        total = self.sizes.contributions
        room = [int(len(c.members) * len(self.prompts) * PROMPTS_PER_CYCLE_MAX) for c in cycles]
        if total > sum(room):
            raise click.ClickException(
                f"--contributions {total:,} needs more people or cycles (room for {sum(room):,})")
        weight = [r * (0.5 if c.phase == Phase.PREPARATION else 1.0)
                  for r, c in zip(room, cycles, strict=True)]
        scale = total / sum(weight)
        quota = [min(r, int(w * scale)) for r, w in zip(room, weight, strict=True)]
        spare = sorted(range(len(cycles)), key=lambda i: quota[i] - room[i])
        missing = total - sum(quota)
        while missing:
            for i in spare:
                if missing and quota[i] < room[i]:
                    quota[i] += 1
                    missing -= 1
        return quota

    def _write_conclusions(self, cycles: list[PlannedCycle]) -> None:
        done = (Phase.AGREEMENTS, Phase.FOLLOW_UP, Phase.CLOSED)

        def rows() -> Iterator[tuple]:
            for c in cycles:
                if c.phase in done:
                    for prompt in self.prompt_ids[c.id]:
                        yield (c.id, prompt, self.texts.answer(), c.leader_id, c.meeting_at,
                               c.meeting_at)

        self.copier.copy("conclusions", ("cycle_id", "prompt_id", "text", "recorded_by_id",
                                         "created_at", "updated_at"), rows(), counted=False)

    # --- actions ------------------------------------------------------------------------------

    STATUS_WEIGHTS = {
        Phase.AGREEMENTS: ((ActionStatus.PLANNED, 0.6), (ActionStatus.IN_PROGRESS, 0.35),
                           (ActionStatus.DONE, 0.05)),
        Phase.FOLLOW_UP: ((ActionStatus.PLANNED, 0.2), (ActionStatus.IN_PROGRESS, 0.3),
                          (ActionStatus.DONE, 0.4), (ActionStatus.DROPPED, 0.1)),
        Phase.CLOSED: ((ActionStatus.IN_PROGRESS, 0.1), (ActionStatus.DONE, 0.7),
                       (ActionStatus.DROPPED, 0.2)),
    }

    def write_actions(self, cycles: list[PlannedCycle]) -> None:
        rng = self.rng
        eligible = [c for c in cycles if c.phase in self.STATUS_WEIGHTS and c.members]
        owners = rng.choices(eligible, [len(c.members) for c in eligible], k=self.sizes.actions)
        expectations, kkcs = list(Expectation), list(KKC)

        def rows() -> Iterator[tuple]:
            for c in owners:
                statuses, weights = zip(*self.STATUS_WEIGHTS[c.phase], strict=True)
                status = rng.choices(statuses, weights)[0]
                followed = c.phase != Phase.AGREEMENTS and status == ActionStatus.DONE
                yield (c.id, self.texts.action(), rng.choice(c.members),
                       c.ends + timedelta(days=rng.randint(7, 120)), status.value,
                       rng.choice(expectations).value if rng.random() < 0.7 else None,
                       rng.choice(kkcs).value if rng.random() < 0.6 else None,
                       self.texts.answer() if followed else None,
                       self.texts.answer() if followed and rng.random() < 0.6 else None,
                       c.meeting_at, c.meeting_at)

        self.counts["actions"] = self.copier.copy("actions", (
            "cycle_id", "text", "owner_id", "due_on", "status", "expectation", "kkc", "outcome",
            "learning", "created_at", "updated_at"), rows())

    # --- examples -----------------------------------------------------------------------------

    def write_examples(self, cycles: list[PlannedCycle]) -> None:
        rng, n = self.rng, self.sizes.examples
        teams = [t for t in self.of_kind("team") if t.members]
        chosen = rng.choices(teams, [len(t.members) for t in teams], k=n)
        first = self.copier.reserve("examples", n)
        expectations, kkcs, olfas = list(Expectation), list(KKC), list(OLFA)
        tags: list[tuple[int, str]] = []

        def rows() -> Iterator[tuple]:
            for i, team in enumerate(chosen):
                example_id = first + i
                lesson = rng.random() < 0.25
                offered = rng.random() < 0.15
                at = self.now - timedelta(days=rng.randrange(365), minutes=rng.randrange(600))
                names = [self.names[m] for m in rng.sample(team.members,
                                                           min(3, len(team.members)))]
                for e in rng.sample(expectations, rng.randint(1, 2)):
                    tags.append((example_id, e.value))
                cycle = self.latest_cycle.get(team.id) if rng.random() < 0.4 else None
                yield (example_id, team.id, cycle, rng.choice(team.members),
                       "lesson" if lesson else "good", self.texts.title(),
                       self.texts.example(names), self.texts.answer() if lesson else None,
                       rng.choice(kkcs).value if rng.random() < 0.7 else None,
                       rng.choice(olfas).value if rng.random() < 0.7 else None,
                       offered, at + timedelta(days=1) if offered else None, at, at)

        self.counts["examples"] = self.copier.copy("examples", (
            "id", "unit_id", "cycle_id", "author_id", "kind", "title", "text", "lesson", "kkc",
            "olfa", "is_offered", "offered_at", "created_at", "updated_at"), rows())
        self.copier.copy("example_expectations", ("example_id", "expectation"), tags,
                         counted=False)


# --- checks -----------------------------------------------------------------------------------

# (child table, column, parent table): every reference the generator writes.
REFERENCES = [
    ("memberships", "user_id", "users"), ("memberships", "unit_id", "org_units"),
    ("cycles", "unit_id", "org_units"), ("cycles", "leader_id", "users"),
    ("cycle_prompts", "cycle_id", "cycles"), ("contributions", "cycle_id", "cycles"),
    ("contributions", "prompt_id", "cycle_prompts"), ("contributions", "author_id", "users"),
    ("participations", "user_id", "users"), ("actions", "cycle_id", "cycles"),
    ("actions", "owner_id", "users"), ("examples", "unit_id", "org_units"),
    ("examples", "author_id", "users"),
]


def verify(counts: dict[str, int]) -> None:
    """Count back through the scoped ORM; no row may point into another tenant."""
    tenant_id = current_tenant_id()
    for model, key in ((Cycle, "cycles"), (Contribution, "contributions")):
        seen = db.session.scalar(select(func.count()).select_from(model))
        if seen != counts.get(key, 0):
            raise RuntimeError(f"{key}: wrote {counts.get(key, 0)}, the tenant scope sees {seen}")
    for child, column, parent in REFERENCES:
        crossed = db.session.execute(text(
            f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{column} "  # noqa: S608
            "WHERE c.tenant_id = :t AND p.tenant_id <> :t"), {"t": tenant_id}).scalar()
        if crossed:
            raise RuntimeError(f"{crossed} {child}.{column} point into another tenant")
