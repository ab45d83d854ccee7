from __future__ import annotations

import click
from flask.cli import AppGroup

from web.extensions import db
from web.tenants import services

tenants_cli = AppGroup("tenants", help="Manage tenants (municipalities).")


@tenants_cli.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--locale", default="da", type=click.Choice(["da", "en"]), show_default=True)
def create_command(slug: str, name: str, locale: str) -> None:
    """Create a tenant reachable at /t/SLUG/."""
    try:
        tenant = services.create_tenant(slug, name, locale)
        db.session.commit()
    except services.TenantError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message or str(exc)) from None
    click.echo(f"Created tenant {tenant.slug} (id {tenant.id}): /t/{tenant.slug}/")
