"""The SAML demo: a second demo municipality (``demo-saml``) logging in through the samlify IdP.

``flask demo`` creates the tenant (the same org as the demo) and the IdP's key pair and accounts
under ``instance/saml-demo/``; ``make run`` starts the IdP (``tests/auth/saml_node_idp/idp.mjs``,
the one the interoperability tests use) on port 9500, reading those files. The IdP's metadata is
written here from the same certificate, so the tenant can be configured before the IdP runs; its
URL is kept as well, so the hourly refresh reads the IdP's own metadata afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import current_app

from web.auth.saml import keys
from web.auth.saml.keys import generate
from web.auth.saml.services import SamlInput, update_saml_settings
from web.auth.services import current_settings
from web.demo import sso as demo

DEMO_SAML_SLUG = "demo-saml"
DEMO_SAML_NAME = "Demokommune (SAML)"
SAML_IDP_URL = "http://127.0.0.1:9500"
NAME = "https://data.gov.dk/model/core/eid/fullName"
EMAIL = "https://data.gov.dk/model/core/eid/email"
UNIT = "urn:aktorskab:demo:unit"
GROUPS = "urn:aktorskab:demo:groups"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


def files_dir() -> Path:
    return Path(current_app.instance_path) / "saml-demo"


def ensure_idp_files(folder: Path | None = None) -> Path:
    """The IdP's key, certificate and accounts (the demo people as SAML attributes)."""
    folder = folder or files_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "idp.key").exists():
        key, cert = generate("Aktørskab demo SAML IdP")
        (folder / "idp.crt").write_text(cert)
        (folder / "idp.key").touch(0o600)
        (folder / "idp.key").write_text(key)
    accounts = {
        p["sub"]: {NAME: [p["name"]], EMAIL: [p["email"]], UNIT: [p["unit"]], GROUPS: p["groups"]}
        for p in demo.demo_people()
    }
    (folder / "accounts.json").write_text(json.dumps(accounts, ensure_ascii=False, indent=1))
    return folder


def idp_metadata(base: str, cert_pem: str) -> str:
    """The samlify IdP's metadata as it publishes it (entityID, endpoints, signing key)."""
    body = "".join(line for line in cert_pem.strip().splitlines() if "-----" not in line)
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" entityID="{base}/metadata">'
        f'<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration='
        f'"urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
        f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate>"
        f"</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleLogoutService Binding="{REDIRECT}" Location="{base}/slo"/>'
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{base}/sso"/>'
        f"</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def saml_idp_url() -> str:
    """Where the Procfile's samlidp listens: port ``SAML_IDP_PORT`` (default 9500)."""
    port = os.environ.get("SAML_IDP_PORT", "").strip()
    return f"http://127.0.0.1:{port}" if port.isdigit() else SAML_IDP_URL


def configure_demo_saml(
    base: str | None = None, folder: Path | None = None, *, force: bool = False
) -> bool:
    """Point the current tenant (demo-saml) at the demo IdP (``saml_idp_url()`` unless given),
    unless an operator chose another one (``force``: all the same). Idempotent: returns whether
    anything changed."""
    base = base or saml_idp_url()
    folder = ensure_idp_files(folder)
    settings = current_settings()
    if (
        not force
        and settings is not None
        and settings.saml_metadata_url not in (None, f"{base}/metadata")
    ):
        return False
    xml = idp_metadata(base, (folder / "idp.crt").read_text())
    if settings is not None and settings.saml_metadata_xml == xml:
        return False
    update_saml_settings(
        SamlInput(
            metadata_url=f"{base}/metadata",
            metadata_xml=xml,
            name_attribute=NAME,
            email_attribute=EMAIL,
            unit_attribute=UNIT,
            roles_attribute=GROUPS,
            role_values={key: [group] for key, group in demo.DEMO_GROUPS.items()},
        )
    )
    if not keys.published():
        keys.create("Aktørskab demo-saml")
    return True
