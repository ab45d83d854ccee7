"""``flask collections compile SLUG``: compile a tenant's collection now, in this process."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from web.collections import compilation
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.services import get_by_slug

collections_cli = AppGroup("collections", help="The inspirationskatalog (collections).")


@collections_cli.command("compile")
@click.argument("tenant_slug")
def compile_command(tenant_slug: str) -> None:
    """Compile the offered examples of a tenant into entries for HR's review."""
    tenant = get_by_slug(tenant_slug)
    if tenant is None:
        raise click.ClickException(f"No tenant '{tenant_slug}'.")
    with tenant_scope(tenant.id), click.progressbar(length=100, label="Compiling") as bar:
        state = {"shown": 0}

        def progress(done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            bar.update(percent - state["shown"])
            state["shown"] = percent

        result = compilation.compile_collection(progress=progress)
        db.session.commit()
        bar.update(100 - state["shown"])
    click.echo(", ".join(f"{k}: {v}" for k, v in result.as_dict().items()))
