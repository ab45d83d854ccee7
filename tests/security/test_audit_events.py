"""Security-relevant events land in the audit log: exports, downloads, approvals, role changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.collections.town import offered
from web.audit.models import AuditEntry
from web.collections.models import CollectionEntry
from web.extensions import db
from web.reports.models import Report, ReportStatus, ReportTrigger


def events(make, tenant, prefix: str = "") -> list[AuditEntry]:
    with make.scope(tenant):
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.event.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def entry_id(town, make, compiled) -> int:
    offered(make, town)
    compiled()
    with make.scope(town.tenant):
        return db.session.scalars(select(CollectionEntry.id)).one()


def test_approval_and_rejection_are_recorded(town, make, login, entry_id):
    hr = login(town.hr)
    assert (
        hr.post(
            f"/t/solby/inspiration/review/{entry_id}",
            data={
                "decision": "save_approve",
                "revision": 1,
                "title": "[navn] morgenmøde",
                "text": "En kollega tog ordet.",
                "lesson": "",
            },
        ).status_code
        == 302
    )
    assert (
        hr.post(
            f"/t/solby/inspiration/review/{entry_id}",
            data={"decision": "reject", "revision": 2, "reason": "Alligevel ikke"},
        ).status_code
        == 302
    )
    # A refused decision records nothing.
    assert (
        hr.post(
            f"/t/solby/inspiration/review/{entry_id}", data={"decision": "reject", "revision": 1}
        ).status_code
        == 422
    )
    found = events(make, town.tenant, "collections.entry_")
    assert [(e.event, e.actor_id, e.target_id) for e in found] == [
        ("collections.entry_approved", town.hr.id, entry_id),
        ("collections.entry_rejected", town.hr.id, entry_id),
    ]


def test_the_catalogue_pdf_is_an_export(town, make, login):
    response = login(town.colleague).get("/t/solby/inspiration/katalog.pdf?q=morgen")
    assert response.status_code == 200
    [entry] = events(make, town.tenant, "collections.exported")
    assert entry.actor_id == town.colleague.id
    assert entry.details == {"entries": 0, "group": "expectation", "kind": None, "searched": True}


def test_report_downloads_are_recorded(town, make, login):
    with make.scope(town.tenant):
        report = Report(
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            trigger=ReportTrigger.ON_DEMAND,
            status=ReportStatus.DONE,
            html="<html><body>rapport</body></html>",
            pdf=b"%PDF-1.7 rapport",
        )
        db.session.add(report)
        db.session.flush()
    client = login(town.hovedudvalg)
    assert client.get(f"/t/solby/reports/{report.id}/rapport.pdf").status_code == 200
    assert client.get(f"/t/solby/reports/{report.id}/rapport.html").status_code == 200
    found = events(make, town.tenant, "reports.")
    assert [(e.event, e.actor_id, e.target_id, e.details["format"]) for e in found] == [
        ("reports.downloaded", town.hovedudvalg.id, report.id, "pdf"),
        ("reports.downloaded", town.hovedudvalg.id, report.id, "html"),
    ]


def test_role_changes_by_import_are_recorded(town, make, ctx):
    from web.orgs.services import import_org
    from web.tenancy import tenant_scope

    units = "external_id,name,kind,parent_external_id\nx1,Stab,department,\n"

    def people(roles: str) -> str:
        return (
            "subject,email,display_name,locale,unit_external_id,unit_role,tenant_roles\n"
            f"imp-1,imp@example.org,Ida Import,da,x1,employee,{roles}\n"
        )

    with tenant_scope(town.tenant.id):
        import_org(units, people("hr"))
        import_org(units, people("hr"))  # unchanged: nothing recorded
        import_org(units, people("admin;hovedudvalg"))
        db.session.commit()
    found = events(make, town.tenant, "auth.roles_changed")
    assert [(e.details["added"], e.details["removed"], e.details["source"]) for e in found] == [
        (["hr"], [], "import"),
        (["admin", "hovedudvalg"], ["hr"], "import"),
    ]
