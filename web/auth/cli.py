"""``flask sso``: configure a tenant's identity provider from the command line.

The first admin of a new municipality cannot log in before SSO is set up, so an operator
configures it here; afterwards the tenant admin edits it on the admin page.
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from web.auth.models import ROLE_KEYS, UnitClaimKind
from web.auth.services import (
    SettingsInput,
    current_settings,
    parse_values,
    update_settings,
)
from web.errors import InputError
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.services import get_by_slug

sso_cli = AppGroup("sso", help="A tenant's single sign-on (OpenID Connect).")


def _errors(exc: InputError) -> str:
    return "\n".join(f"{field}: {message}" for field, message in exc.errors.items())


def _tenant(slug: str):
    tenant = get_by_slug(slug)
    if tenant is None:
        raise click.ClickException(f"No tenant '{slug}'.")
    return tenant


@sso_cli.command("configure")
@click.argument("tenant_slug")
@click.option("--issuer", required=True, help="The provider's issuer, exactly as it names itself.")
@click.option("--discovery-url", help="Default: ISSUER/.well-known/openid-configuration.")
@click.option("--client-id", required=True)
@click.option("--client-secret-env", metavar="VAR",
              help="Name of an environment variable holding the client secret (kept if omitted).")
@click.option("--scopes", default="openid profile email", show_default=True)
@click.option("--email-claim", default="email", show_default=True)
@click.option("--name-claim", default="name", show_default=True)
@click.option("--unit-claim", help="Claim with the org unit (external id or path).")
@click.option("--unit-claim-kind", type=click.Choice([k.value for k in UnitClaimKind]),
              default=UnitClaimKind.EXTERNAL_ID.value, show_default=True)
@click.option("--roles-claim", default="groups", show_default=True)
@click.option("--leader-values", default="", help="Comma-separated claim values meaning leader.")
@click.option("--hr-values", default="")
@click.option("--hovedudvalg-values", default="")
@click.option("--admin-values", default="")
@click.option("--allow-http", is_flag=True,
              help="Allow plain http to a provider that is not on loopback (a lab setup).")
@click.option("--no-check", is_flag=True, help="Do not fetch the provider's metadata now.")
def configure_command(tenant_slug: str, issuer: str, discovery_url: str | None, client_id: str,
                      client_secret_env: str | None, scopes: str, email_claim: str,
                      name_claim: str, unit_claim: str | None, unit_claim_kind: str,
                      roles_claim: str, leader_values: str, hr_values: str,
                      hovedudvalg_values: str, admin_values: str, allow_http: bool,
                      no_check: bool) -> None:
    """Set TENANT_SLUG's identity provider and claim mapping."""
    tenant = _tenant(tenant_slug)
    secret = None
    if client_secret_env:
        secret = os.environ.get(client_secret_env)
        if not secret:
            raise click.ClickException(f"${client_secret_env} is empty or not set.")
    given = {"leader": leader_values, "hr": hr_values, "hovedudvalg": hovedudvalg_values,
             "admin": admin_values}
    data = SettingsInput(
        issuer=issuer, discovery_url=discovery_url, client_id=client_id, client_secret=secret,
        scopes=scopes, email_claim=email_claim, name_claim=name_claim, unit_claim=unit_claim,
        unit_claim_kind=UnitClaimKind(unit_claim_kind), roles_claim=roles_claim or None,
        role_values={key: parse_values(given[key]) for key in ROLE_KEYS},
        is_plain_http_allowed=allow_http,
    )
    with tenant_scope(tenant.id):
        try:
            settings = update_settings(data, check_provider=not no_check)
            db.session.commit()
        except InputError as exc:
            db.session.rollback()
            raise click.ClickException(_errors(exc)) from None
    click.echo(f"SSO for {tenant.slug}: {settings.issuer} (client {settings.client_id}, "
               f"settings version {settings.version}).")


@sso_cli.command("show")
@click.argument("tenant_slug")
def show_command(tenant_slug: str) -> None:
    """Print TENANT_SLUG's SSO settings (never the secret)."""
    tenant = _tenant(tenant_slug)
    with tenant_scope(tenant.id):
        settings = current_settings()
        if settings is None:
            raise click.ClickException(f"{tenant.slug} has no SSO settings.")
        for name in ("issuer", "discovery_document_url", "client_id", "scopes", "email_claim",
                     "name_claim", "unit_claim", "unit_claim_kind", "roles_claim",
                     "role_values", "is_enabled", "is_plain_http_allowed", "version"):
            click.echo(f"{name}: {getattr(settings, name)}")
        click.echo("client_secret: " + ("(stored)" if settings.client_secret_encrypted
                                        else "(none)"))


@sso_cli.command("demo")
@click.option("--issuer", required=True, help="Where the demo's provider runs, e.g. Keycloak.")
@click.option("--discovery-url", help="When the app reaches the provider at another address.")
@click.option("--allow-http", is_flag=True, help="Plain http to a provider not on loopback.")
def point_demo_command(issuer: str, discovery_url: str | None, allow_http: bool) -> None:
    """Point the demo tenant at another provider with the demo's client and claims (Keycloak)."""
    from web.auth.demo import demo_settings
    from web.tenants.demo import DEMO_SLUG

    tenant = _tenant(DEMO_SLUG)
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

    from web.auth.demo import keycloak_realm

    click.echo(json.dumps(keycloak_realm(), indent=2, ensure_ascii=False))
