"""``flask themes backfill SLUG`` and ``flask themes compute SLUG START END``."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from web.commands import percent_bar, tenant_named
from web.extensions import db
from web.tenancy import tenant_scope
from web.themes import embeddings, services

themes_cli = AppGroup("themes", help="Themes across the collection's entries (local model).")


@themes_cli.command("backfill")
@click.argument("tenant_slug")
def backfill_command(tenant_slug: str) -> None:
    """Embed every approved entry whose vector is missing, stale or of an older model."""
    with tenant_scope(tenant_named(tenant_slug).id), percent_bar("Embedding") as progress:
        count = embeddings.backfill(progress=progress)
        db.session.commit()
    click.echo(f"embedded: {count}")


@themes_cli.command("compute")
@click.argument("tenant_slug")
@click.argument("start", type=click.DateTime(["%Y-%m-%d"]))
@click.argument("end", type=click.DateTime(["%Y-%m-%d"]))
def compute_command(tenant_slug: str, start, end) -> None:
    """Recompute the themes of the entries approved from START to END (dates, inclusive)."""
    first: date = start.date()
    last: date = end.date()
    with tenant_scope(tenant_named(tenant_slug).id):
        themes = services.compute(first, last)
        db.session.commit()
        for theme in themes:
            click.echo(f"{len(theme.entry_ids):5d}  {services.label(theme)}")
