"""``python bench/generate.py SLUG``: a municipality at benchmark scale, in its own database.

    python bench/generate.py bench --employees 50000 --units 2000 --seed 1 [--scale 0.5]

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

import random
from dataclasses import asdict, dataclass
from datetime import date, datetime

import click
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from bench.generator.builder import LOCAL, Builder
from web.cycles.models import Contribution, Cycle
from web.extensions import db
from web.tenancy import current_tenant_id, tenant_scope

GENERATOR_VERSION = 1
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/aktorskab_bench"


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
@click.option(
    "--fanout",
    is_flag=True,
    help="Only people in teams, each team with one cycle whose preparation opens "
    "--as-of: one reminder per person (the reminder benchmark).",
)
@click.option("--replace", is_flag=True, help="Delete a tenant with this slug first.")
@click.option(
    "--database-url",
    envvar="BENCH_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="Target database; its name must contain 'bench'.",
)
def generate_command(
    slug: str,
    employees: int,
    units: int,
    cycles: int,
    contributions: int,
    actions: int,
    examples: int,
    scale: float,
    seed: int,
    as_of,
    fanout: bool,
    replace: bool,
    database_url: str,
) -> None:
    """Generate a benchmark municipality (in its own database, never the app's)."""
    import flask_migrate

    from web import create_app

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        raise click.ClickException(
            "--database-url must be a PostgreSQL database whose name "
            "contains 'bench' (generated data never goes elsewhere)."
        )
    created = ensure_database(database_url)
    # One transaction of COPYs (1,000,000 contributions with their foreign keys checked): the
    # web tier's 30 s statement timeout ends it on a loaded machine, so none applies here.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATABASE_STATEMENT_TIMEOUT_MS": 0})
    sizes = Sizes(employees, units, cycles, contributions, actions, examples).scaled(scale)
    on = as_of.date() if as_of else datetime.now(LOCAL).date()
    with app.app_context():
        flask_migrate.upgrade()
        summary = generate(
            slug,
            sizes,
            seed=seed,
            as_of=on,
            fanout=fanout,
            replace=replace,
            params={"scale": scale},
        )
        vacuum_analyze()
    click.echo(
        f"{'Created' if created else 'Reused'} database {url.database}; tenant {slug}: "
        + ", ".join(f"{v:,} {k}" for k, v in summary.items())
    )


def ensure_database(database_url: str) -> bool:
    """Create the target database if it does not exist yet; True if it was created."""
    import psycopg

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{url.database}"')  # name checked by the caller
    return True


def vacuum_analyze() -> None:
    """Fresh statistics and visibility maps, so the planner sees the data as it is."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


# --- generation -------------------------------------------------------------------------------


def generate(
    slug: str,
    sizes: Sizes,
    *,
    seed: int,
    as_of: date,
    fanout: bool = False,
    replace: bool = False,
    params: dict | None = None,
) -> dict[str, int]:
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
    settings = {
        "k_threshold": 5,
        "generated": {
            **asdict(sizes),
            "seed": seed,
            "as_of": as_of.isoformat(),
            "fanout": fanout,
            "version": GENERATOR_VERSION,
            **(params or {}),
        },
    }
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


# --- checks -----------------------------------------------------------------------------------

# (child table, column, parent table): every reference the generator writes.
REFERENCES = [
    ("memberships", "user_id", "users"),
    ("memberships", "unit_id", "org_units"),
    ("cycles", "unit_id", "org_units"),
    ("cycles", "leader_id", "users"),
    ("cycle_prompts", "cycle_id", "cycles"),
    ("contributions", "cycle_id", "cycles"),
    ("contributions", "prompt_id", "cycle_prompts"),
    ("contributions", "author_id", "users"),
    ("participations", "user_id", "users"),
    ("cycle_members", "cycle_id", "cycles"),
    ("cycle_members", "user_id", "users"),
    ("actions", "cycle_id", "cycles"),
    ("actions", "owner_id", "users"),
    ("examples", "unit_id", "org_units"),
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
        crossed = db.session.execute(
            text(
                f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{column} "  # noqa: S608
                "WHERE c.tenant_id = :t AND p.tenant_id <> :t"
            ),
            {"t": tenant_id},
        ).scalar()
        if crossed:
            raise RuntimeError(f"{crossed} {child}.{column} point into another tenant")
