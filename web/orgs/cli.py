from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from web.extensions import db
from web.orgs import services
from web.tenancy import tenant_scope
from web.tenants.services import get_by_slug

orgs_cli = AppGroup("orgs", help="The organisation tree and its people.")


@orgs_cli.command("import")
@click.argument("tenant_slug")
@click.option("--units", "units_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--people", "people_path", type=click.Path(exists=True, dir_okay=False))
def import_command(tenant_slug: str, units_path: str, people_path: str | None) -> None:
    """Import org units (and people) from CSV. A malformed file writes nothing at all."""
    tenant = get_by_slug(tenant_slug)
    if tenant is None:
        raise click.ClickException(f"No tenant '{tenant_slug}'.")
    units_csv = _read(units_path)
    people_csv = _read(people_path) if people_path else None
    total = units_csv.count("\n") + (people_csv.count("\n") if people_csv else 0)
    with tenant_scope(tenant.id), click.progressbar(length=total, label="Importing") as bar:
        try:
            result = services.import_org(units_csv, people_csv, progress=bar.update)
            db.session.commit()
        except services.CsvImportError as exc:
            db.session.rollback()
            raise click.ClickException("Nothing was imported:\n" + "\n".join(exc.problems)) \
                from None
    click.echo(f"Imported {result.units} units, {result.people} people, "
               f"{result.memberships} memberships into {tenant.slug}.")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not UTF-8 text.") from None
