"""``flask collections compile SLUG``: compile a tenant's collection now, in this process."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from web.collections import compilation
from web.commands import percent_bar, tenant_named
from web.extensions import db
from web.tenancy import tenant_scope

collections_cli = AppGroup("collections", help="The inspirationskatalog (collections).")


@collections_cli.command("compile")
@click.argument("tenant_slug")
def compile_command(tenant_slug: str) -> None:
    """Compile the offered examples of a tenant into entries for HR's review."""
    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id), percent_bar("Compiling") as progress:
        result = compilation.compile_collection(progress=progress)
        db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in result.as_dict().items()))
