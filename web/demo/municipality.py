"""The demo municipality, modelled on the memo's: areas, departments, teams and their people.

Loaded through the same CSV import that real tenants use, so the demo files double as examples
of the import format.
"""

from __future__ import annotations

from pathlib import Path

from web.cycles.services.templates import ensure_default_template
from web.demo.sso import configure_demo_sso
from web.orgs.services import import_org
from web.tenancy import tenant_scope
from web.tenants import services

DEMO_SLUG = "demo"
DEMO_NAME = "Demokommune"
DATA = Path(__file__).parent / "data"
DEMO_VALUES = ["Tillid", "Udvikling", "Fællesskab", "Ordentlighed"]


def load_demo() -> dict:
    tenant = services.get_by_slug(DEMO_SLUG) or services.create_tenant(
        DEMO_SLUG, DEMO_NAME, "da", settings={"k_threshold": 5, "values": DEMO_VALUES}
    )
    with tenant_scope(tenant.id):
        result = import_org(
            (DATA / "units.csv").read_text(encoding="utf-8"),
            (DATA / "people.csv").read_text(encoding="utf-8"),
        )
        ensure_default_template()  # the memo's dialogue guide
        # Log in through the dev identity provider that `make run` starts (web/demo/sso.py).
        configure_demo_sso()
    load_saml_demo()
    return {
        "slug": tenant.slug,
        "units": result.units,
        "people": result.people,
        "tenant_id": tenant.id,
    }


def load_saml_demo() -> None:
    """The second demo municipality: the same org, logging in with SAML (web/demo/saml.py)."""
    from web.demo.saml import DEMO_SAML_NAME, DEMO_SAML_SLUG, configure_demo_saml

    tenant = services.get_by_slug(DEMO_SAML_SLUG) or services.create_tenant(
        DEMO_SAML_SLUG, DEMO_SAML_NAME, "da", settings={"k_threshold": 5, "values": DEMO_VALUES}
    )
    with tenant_scope(tenant.id):
        import_org(
            (DATA / "units.csv").read_text(encoding="utf-8"),
            (DATA / "people.csv").read_text(encoding="utf-8"),
        )
        ensure_default_template()
        configure_demo_saml()
