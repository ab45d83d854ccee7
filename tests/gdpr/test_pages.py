"""Privacy and accessibility pages in the footer, editable per tenant by its admin."""

from __future__ import annotations

from sqlalchemy import select

from web.audit.models import AuditEntry
from web.extensions import db
from web.tenants.models import Tenant


def test_default_pages_in_both_languages_and_the_footer(team, client, login):
    page = client.get("/t/solby/privacy").get_data(as_text=True)
    assert "Solby Kommune er dataansvarlig" in page and "36 måneder" in page
    english = client.get("/t/solby/privacy", headers={"Accept-Language": "en"})
    assert "Solby Kommune is the data controller" in english.get_data(as_text=True)
    assert "WCAG 2.1" in client.get("/t/solby/accessibility").get_data(as_text=True)
    home = client.get("/t/solby/").get_data(as_text=True)
    assert 'href="/t/solby/privacy"' in home and 'href="/t/solby/accessibility"' in home
    assert "/t/solby/my-data" not in home
    assert 'href="/t/solby/my-data"' in login(team.anna).get("/t/solby/").get_data(as_text=True)


def test_admin_edits_the_texts_and_retention(team, make, client, login):
    admin = login(team.admin)
    form = admin.get("/t/solby/admin/privacy").get_data(as_text=True)
    assert "Opbevaringsperiode" in form and "Solby Kommune er dataansvarlig" in form
    saved = admin.post(
        "/t/solby/admin/privacy",
        data={
            "retention_months": "24",
            "privacy_text_da": "Vores tekst.\n\n<script>alert(1)</script>",
            "privacy_text_en": "",
            "accessibility_text_da": "",
            "accessibility_text_en": "",
            "accessibility_url": "https://was.digst.dk/solby",
        },
    )
    assert saved.status_code == 302
    assert "Indstillingerne er gemt." in admin.get(saved.location).get_data(as_text=True)
    same = admin.post(
        "/t/solby/admin/privacy",
        data={
            "retention_months": "24",
            "privacy_text_da": "Vores tekst.\n\n<script>alert(1)</script>",
            "accessibility_url": "https://was.digst.dk/solby",
        },
    )
    assert same.status_code == 302
    assert "Intet er ændret." in admin.get(same.location).get_data(as_text=True)
    page = client.get("/t/solby/privacy").get_data(as_text=True)
    assert "<p>Vores tekst.</p>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    # English falls back to the tenant's Danish text.
    assert "Vores tekst." in client.get(
        "/t/solby/privacy", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert 'href="https://was.digst.dk/solby"' in client.get("/t/solby/").get_data(as_text=True)
    with make.scope(team.tenant):
        tenant = db.session.get(Tenant, team.tenant.id)
        assert tenant.settings["retention_months"] == 24
        entry = db.session.scalars(
            select(AuditEntry).filter_by(event="gdpr.settings_updated")
        ).one()
    assert entry.details["changed"] == ["accessibility_url", "privacy_text", "retention_months"]


def test_bad_input_changes_nothing(team, make, login):
    admin = login(team.admin)
    refused = admin.post(
        "/t/solby/admin/privacy",
        data={
            "retention_months": "2",
            "privacy_text_da": "x" * 20_001,
            "accessibility_url": "javascript:alert(1)",
        },
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "mellem 6 og 120" in body and "Højst 20000 tegn" in body
    assert "begynder med https://" in body
    with make.scope(team.tenant):
        assert db.session.get(Tenant, team.tenant.id).settings == {}


def test_only_the_admin_edits(team, login):
    assert login(team.leader).get("/t/solby/admin/privacy").status_code == 403
    assert (
        login(team.leader)
        .post("/t/solby/admin/privacy", data={"retention_months": "12"})
        .status_code
        == 403
    )
