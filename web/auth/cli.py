"""``flask sso``: configure a tenant's identity provider from the command line.

The first admin of a new municipality cannot log in before SSO is set up, so an operator
configures it here; afterwards the tenant admin edits it on the admin page.
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from web.auth.models import OIDC_FIELDS, ROLE_KEYS, UnitClaimKind
from web.auth.services import (
    SettingsInput,
    current_settings,
    parse_values,
    update_settings,
)
from web.commands import tenant_named
from web.errors import InputError
from web.extensions import db
from web.tenancy import tenant_scope

sso_cli = AppGroup("sso", help="A tenant's single sign-on (OpenID Connect).")


def _errors(exc: InputError) -> str:
    return "\n".join(f"{field}: {message}" for field, message in exc.errors.items())


@sso_cli.command("configure")
@click.argument("tenant_slug")
@click.option("--issuer", required=True, help="The provider's issuer, exactly as it names itself.")
@click.option("--discovery-url", help="Default: ISSUER/.well-known/openid-configuration.")
@click.option("--client-id", required=True)
@click.option(
    "--client-secret-env",
    metavar="VAR",
    help="Name of an environment variable holding the client secret (kept if omitted).",
)
@click.option("--scopes", default="openid profile email", show_default=True)
@click.option("--email-claim", default="email", show_default=True)
@click.option("--name-claim", default="name", show_default=True)
@click.option("--unit-claim", help="Claim with the org unit (external id or path).")
@click.option(
    "--unit-claim-kind",
    type=click.Choice([k.value for k in UnitClaimKind]),
    default=UnitClaimKind.EXTERNAL_ID.value,
    show_default=True,
)
@click.option("--roles-claim", default="groups", show_default=True)
@click.option("--leader-values", default="", help="Comma-separated claim values meaning leader.")
@click.option("--hr-values", default="")
@click.option("--hovedudvalg-values", default="")
@click.option("--admin-values", default="")
@click.option(
    "--allow-http",
    is_flag=True,
    help="Allow plain http to a provider that is not on loopback (a lab setup).",
)
@click.option("--no-check", is_flag=True, help="Do not fetch the provider's metadata now.")
def configure_command(
    tenant_slug: str,
    issuer: str,
    discovery_url: str | None,
    client_id: str,
    client_secret_env: str | None,
    scopes: str,
    email_claim: str,
    name_claim: str,
    unit_claim: str | None,
    unit_claim_kind: str,
    roles_claim: str,
    leader_values: str,
    hr_values: str,
    hovedudvalg_values: str,
    admin_values: str,
    allow_http: bool,
    no_check: bool,
) -> None:
    """Set TENANT_SLUG's identity provider and claim mapping."""
    tenant = tenant_named(tenant_slug)
    secret = None
    if client_secret_env:
        secret = os.environ.get(client_secret_env)
        if not secret:
            raise click.ClickException(f"${client_secret_env} is empty or not set.")
    given = {
        "leader": leader_values,
        "hr": hr_values,
        "hovedudvalg": hovedudvalg_values,
        "admin": admin_values,
    }
    data = SettingsInput(
        issuer=issuer,
        discovery_url=discovery_url,
        client_id=client_id,
        client_secret=secret,
        scopes=scopes,
        email_claim=email_claim,
        name_claim=name_claim,
        unit_claim=unit_claim,
        unit_claim_kind=UnitClaimKind(unit_claim_kind),
        roles_claim=roles_claim or None,
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
    click.echo(
        f"SSO for {tenant.slug}: {settings.issuer} (client {settings.client_id}, "
        f"settings version {settings.version})."
    )


@sso_cli.command("show")
@click.argument("tenant_slug")
def show_command(tenant_slug: str) -> None:
    """Print TENANT_SLUG's SSO settings (never the secret)."""
    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id):
        settings = current_settings()
        if settings is None:
            raise click.ClickException(f"{tenant.slug} has no SSO settings.")
        for name in (*OIDC_FIELDS, "is_plain_http_allowed", "version"):
            # The discovery address in use: the one given, else the issuer's well-known one.
            shown = "discovery_document_url" if name == "discovery_url" else name
            click.echo(f"{shown}: {getattr(settings, shown)}")
        click.echo(
            "client_secret: " + ("(stored)" if settings.client_secret_encrypted else "(none)")
        )


@sso_cli.command("saml-keys")
@click.argument("tenant_slug")
@click.argument("action", type=click.Choice(["list", "create", "import", "activate", "retire"]))
@click.argument("key_id", type=int, required=False)
@click.option("--key-file", type=click.File("r"), help="import: the PEM private key.")
@click.option("--cert-file", type=click.File("r"), help="import: its PEM certificate (OCES3).")
def saml_keys_command(
    tenant_slug: str, action: str, key_id: int | None, key_file, cert_file
) -> None:
    """TENANT_SLUG's SAML SP keys. Rollover: create (or import an OCES3 pair), published
    beside the signing key; wait for the IdP to read the metadata; activate ID; retire the
    old ID."""
    from web.auth.saml import keys

    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id):
        try:
            if action == "import":
                if key_file is None or cert_file is None:
                    raise click.ClickException("import needs --key-file and --cert-file.")
                try:
                    key = keys.import_pair(key_file.read(), cert_file.read())
                except keys.KeyUnusable as exc:
                    raise click.ClickException(str(exc)) from None
                click.echo(
                    f"Key {key.id} imported"
                    + (" and signing." if key.is_signing else ": published, not yet signing.")
                )
            elif action == "create":
                key = keys.create(f"Aktørskab {tenant.slug}")
                click.echo(
                    f"Key {key.id} created"
                    + (" and signing." if key.is_signing else ": published, not yet signing.")
                )
            elif action in ("activate", "retire"):
                if key_id is None:
                    raise click.ClickException(f"{action} needs a KEY_ID.")
                getattr(keys, action)(key_id)
                click.echo(f"Key {key_id} {action}d.")
            db.session.commit()
        except LookupError:
            db.session.rollback()
            raise click.ClickException(
                f"No published key {key_id} that can be {action}d "
                "(the signing key cannot be retired)."
            ) from None
        for key in keys.published():
            click.echo(
                f"{key.id}\t{'signing' if key.is_signing else 'published'}\t"
                f"created {key.created_at:%Y-%m-%d %H:%M}"
            )


@sso_cli.command("saml-configure")
@click.argument("tenant_slug")
@click.option("--metadata-url", help="The IdP's metadata URL (re-read on a schedule).")
@click.option("--metadata-file", type=click.File("r"), help="The IdP's metadata, uploaded.")
@click.option(
    "--preset",
    type=click.Choice(["context-handler", "adfs", "entra"]),
    help="Ready attribute mapping.",
)
@click.option("--name-attribute")
@click.option("--email-attribute")
@click.option("--unit-attribute")
@click.option(
    "--unit-kind",
    type=click.Choice([k.value for k in UnitClaimKind]),
    default=UnitClaimKind.EXTERNAL_ID.value,
    show_default=True,
)
@click.option("--roles-attribute")
@click.option("--privileges-attribute")
@click.option("--leader-values", default=None)
@click.option("--hr-values", default=None)
@click.option("--hovedudvalg-values", default=None)
@click.option("--admin-values", default=None)
@click.option(
    "--loa",
    type=click.Choice(["Low", "Substantial", "High"]),
    default="Substantial",
    show_default=True,
    help="The NSIS level of assurance required.",
)
def saml_configure_command(
    tenant_slug: str,
    metadata_url: str | None,
    metadata_file,
    preset: str | None,
    name_attribute: str | None,
    email_attribute: str | None,
    unit_attribute: str | None,
    unit_kind: str,
    roles_attribute: str | None,
    privileges_attribute: str | None,
    leader_values: str | None,
    hr_values: str | None,
    hovedudvalg_values: str | None,
    admin_values: str | None,
    loa: str,
) -> None:
    """Switch TENANT_SLUG to SAML 2.0 with the IdP's metadata and an attribute mapping."""
    from web.auth.saml import keys
    from web.auth.saml.services import PRESETS, SamlInput, update_saml_settings

    tenant = tenant_named(tenant_slug)
    base = dict(PRESETS.get(preset or "", {}))
    given = {
        "leader": leader_values,
        "hr": hr_values,
        "hovedudvalg": hovedudvalg_values,
        "admin": admin_values,
    }
    role_values = {
        key: parse_values(given[key])
        if given[key] is not None
        else base.get("role_values", {}).get(key, [])
        for key in ROLE_KEYS
    }
    data = SamlInput(
        metadata_url=metadata_url,
        metadata_xml=metadata_file.read() if metadata_file else None,
        name_attribute=name_attribute or base.get("name_claim") or SamlInput.name_attribute,
        email_attribute=email_attribute or base.get("email_claim") or SamlInput.email_attribute,
        unit_attribute=unit_attribute or base.get("unit_claim"),
        unit_kind=UnitClaimKind(unit_kind),
        roles_attribute=roles_attribute or base.get("roles_claim"),
        privileges_attribute=privileges_attribute or base.get("privileges_attribute"),
        role_values=role_values,
        required_loa=loa,
    )
    with tenant_scope(tenant.id):
        try:
            settings = update_saml_settings(data)
            if not keys.published():
                keys.create(f"Aktørskab {tenant.slug}")
            db.session.commit()
        except InputError as exc:
            db.session.rollback()
            raise click.ClickException(_errors(exc)) from None
    click.echo(
        f"SAML for {tenant.slug}: IdP {settings.issuer} (settings version "
        f"{settings.version}). SP metadata: {_sp_metadata_url(tenant.slug)}"
    )


def _sp_metadata_url(slug: str) -> str:
    from flask import current_app

    return f"{current_app.config['BASE_URL'].rstrip('/')}/t/{slug}/auth/saml/metadata"


@sso_cli.command("versions")
@click.argument("tenant_slug")
def versions_command(tenant_slug: str) -> None:
    """List TENANT_SLUG's SSO versions, newest first (never a secret)."""
    from web.auth import versions

    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id):
        rows = versions.all_versions()
        db.session.commit()  # the first version of settings made before versions existed
        if not rows:
            raise click.ClickException(f"{tenant.slug} has no SSO settings.")
        for version in rows:
            tested = (
                "passed"
                if version.test_passed
                else (
                    "failed: " + str((version.test_result or {}).get("reason"))
                    if version.tested_at
                    else "not tested"
                )
            )
            who = version.created_by.display_name if version.created_by else version.source
            click.echo(
                f"{version.number}\t{version.status.value}\t{version.protocol.value}\t"
                f"{version.created_at:%Y-%m-%d %H:%M}\t{who}\t{tested}\t"
                f"changed: {', '.join(version.changed) or '-'}"
            )


@sso_cli.command("rollback")
@click.argument("tenant_slug")
def rollback_command(tenant_slug: str) -> None:
    """Put TENANT_SLUG's previous SSO version in force again."""
    from web.auth import versions

    tenant = tenant_named(tenant_slug)
    with tenant_scope(tenant.id):
        try:
            version = versions.rollback(actor=None)
        except versions.VersionRefused:
            db.session.rollback()
            raise click.ClickException(f"{tenant.slug} has no earlier SSO version.") from None
        db.session.commit()
    click.echo(
        f"SSO for {tenant.slug}: version {version.number} is in force again "
        f"({version.protocol.value})."
    )
