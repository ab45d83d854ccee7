from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from web.commands import tenant_named
from web.extensions import db
from web.orgs import services
from web.orgs.models import ProvisioningSource
from web.tenancy import tenant_scope

orgs_cli = AppGroup("orgs", help="The organisation tree and its people.")


@orgs_cli.command("import")
@click.argument("tenant_slug")
@click.option("--units", "units_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--people", "people_path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--memberships",
    "memberships_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Further memberships: subject,unit_external_id,unit_role, one per row.",
)
@click.option(
    "--complete",
    is_flag=True,
    help="The files are the whole organisation: people absent from them leave, "
    "empty units absent from them are archived.",
)
@click.option("--dry-run", is_flag=True, help="Only print what the import would change.")
def import_command(
    tenant_slug: str,
    units_path: str | None,
    people_path: str | None,
    memberships_path: str | None,
    complete: bool,
    dry_run: bool,
) -> None:
    """Import org units, people and memberships from CSV. Any problem writes nothing at all."""
    tenant = tenant_named(tenant_slug)
    if not (units_path or people_path or memberships_path):
        raise click.UsageError("Give --units, --people and/or --memberships.")
    files = {
        key: _read(path) if path else None
        for key, path in (
            ("units", units_path),
            ("people", people_path),
            ("memberships", memberships_path),
        )
    }
    with tenant_scope(tenant.id):
        try:
            # First pass: validate everything and print the summary, writing nothing.
            plan = services.import_org(**files, complete=complete, dry_run=True)
            for line in plan.summary.lines():
                click.echo(line)
            if dry_run:
                db.session.rollback()
                click.echo("Dry run: nothing was written.")
                return
            with click.progressbar(length=plan.units + plan.people, label="Importing") as bar:
                result = services.import_org(**files, complete=complete, progress=bar.update)
        except services.CsvImportError as exc:
            db.session.rollback()
            services.record_run(
                ProvisioningSource.CSV, ok=False, complete=complete, errors=exc.problems
            )
            db.session.commit()
            raise click.ClickException(
                "Nothing was imported:\n" + "\n".join(exc.problems)
            ) from None
        services.record_run(
            ProvisioningSource.CSV, ok=True, complete=complete, summary=result.summary.as_dict()
        )
        db.session.commit()
    click.echo(
        f"Imported {result.units} units, {result.people} people, "
        f"{result.memberships} memberships into {tenant.slug}."
    )


def _read(path: str) -> services.CsvFile:
    try:
        return services.CsvFile(Path(path).name, Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not UTF-8 text.") from None
