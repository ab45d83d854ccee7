"""The demo's commands: ``flask demo`` and the demo tenants' ``flask sso demo``,
``flask sso keycloak-realm`` and ``flask sso saml-demo``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from web.auth.cli import _errors, sso_cli
from web.auth.services import update_settings
from web.commands import tenant_named
from web.errors import InputError
from web.extensions import db
from web.tenancy import tenant_scope


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load (or refresh) the demo municipality; running it twice changes nothing."""
    from web.demo import municipality

    summary = municipality.load_demo()
    db.session.commit()
    click.echo(
        f"Demo tenant '{summary['slug']}': {summary['units']} units, {summary['people']} people."
    )


@sso_cli.command("demo")
@click.option("--issuer", required=True, help="Where the demo's provider runs, e.g. Keycloak.")
@click.option("--discovery-url", help="When the app reaches the provider at another address.")
@click.option("--allow-http", is_flag=True, help="Plain http to a provider not on loopback.")
def point_demo_command(issuer: str, discovery_url: str | None, allow_http: bool) -> None:
    """Point the demo tenant at another provider with the demo's client and claims (Keycloak)."""
    from web.demo.municipality import DEMO_SLUG
    from web.demo.sso import demo_settings

    tenant = tenant_named(DEMO_SLUG)
    data = demo_settings(issuer)
    data.discovery_url = discovery_url
    data.is_plain_http_allowed = allow_http
    with tenant_scope(tenant.id):
        try:
            update_settings(data)
            db.session.commit()
        except InputError as exc:
            db.session.rollback()
            raise click.ClickException(_errors(exc)) from None
    click.echo(f"The demo tenant now logs in through {issuer}.")


@sso_cli.command("keycloak-realm")
def keycloak_realm_command() -> None:
    """Print the demo's Keycloak realm (deploy/keycloak/aktorskab-demo-realm.json)."""
    import json

    from web.demo.sso import keycloak_realm

    click.echo(json.dumps(keycloak_realm(), indent=2, ensure_ascii=False))


@sso_cli.command("saml-demo")
@click.option(
    "--idp-url",
    default="http://127.0.0.1:9500",
    show_default=True,
    help="Where the demo's samlify IdP runs (tests/auth/saml_node_idp/idp.mjs).",
)
@click.option(
    "--files",
    type=click.Path(file_okay=False),
    default=None,
    help="The IdP's key, certificate and accounts (default: instance/saml-demo).",
)
def saml_demo_command(idp_url: str, files: str | None) -> None:
    """Point the SAML demo tenant (demo-saml) at the samlify IdP."""
    from pathlib import Path

    from web.demo.saml import DEMO_SAML_SLUG, configure_demo_saml

    tenant = tenant_named(DEMO_SAML_SLUG)
    with tenant_scope(tenant.id):
        try:
            configure_demo_saml(idp_url.rstrip("/"), Path(files) if files else None, force=True)
            db.session.commit()
        except InputError as exc:
            db.session.rollback()
            raise click.ClickException(_errors(exc)) from None
    click.echo(f"The SAML demo tenant now logs in through {idp_url}.")
