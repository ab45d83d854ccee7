"""``flask tenants offboard SLUG --yes``: delete a municipality and everything it has."""

from __future__ import annotations

import click

from web.commands import tenant_named
from web.extensions import db
from web.gdpr import offboarding
from web.tenants.cli import tenants_cli


@tenants_cli.command("offboard")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def offboard_command(slug: str, yes: bool) -> None:
    """Delete the tenant SLUG: all of its data, its SSO settings and secrets. Irreversible."""
    tenant = tenant_named(slug)
    if not yes:
        click.confirm(
            f"Delete '{tenant.name}' (/t/{slug}/) and ALL of its data for good?", abort=True
        )
    tables = offboarding.tenant_tables()
    with click.progressbar(length=len(tables), label=f"Offboarding {slug}") as bar:
        counts = offboarding.offboard(tenant, progress=lambda _table: bar.update(1))
    db.session.commit()
    click.echo(f"Deleted tenant {slug}: {sum(counts.values())} rows in {len(counts)} tables.")
