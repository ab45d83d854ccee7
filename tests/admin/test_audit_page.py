"""The audit log for people (issue 19, point 4): event names and details in words, filters by
person, kind and days, paging that keeps the filters, and CSV/XLSX exports that are audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from web.audit import present
from web.audit.models import AuditEntry
from web.audit.services import record
from web.extensions import db
from web.tenancy import tenant_scope
from web.users.models import TenantRoleName

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log(make):
    tenant = make.tenant("logby")
    admin = make.user(tenant, "Adam Admin", roles=(TenantRoleName.ADMIN,))
    søren = make.user(tenant, "Søren Ærø")
    with make.scope(tenant):
        record("auth.login", actor=søren, roles=["admin", "admin"], units=["T1"], unknown_units=[])
        record("auth.roles_changed", actor=søren, added=["hr"], removed=[])
        record("sso.settings_updated", actor=admin, changed=["issuer", "client_id"])
        db.session.add(
            AuditEntry(
                event="auth.logout",
                actor_id=søren.id,
                created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC),
                details={},
            )
        )  # 16 January in Copenhagen
        db.session.commit()
    return tenant, admin, søren


def page(client, query="") -> tuple[int, str]:
    reply = client.get(f"/t/logby/admin/audit{query}")
    return reply.status_code, reply.get_data(as_text=True)


def rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""
    return [
        [
            re.sub(r"\s+", " ", re.sub("<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_events_and_details_are_in_words(client, login, log):
    _, admin, _ = log
    login(admin)
    status, html = page(client)
    assert status == 200
    by_event = {r[1]: r for r in rows(html)}
    assert by_event["Logget ind"][2] == "Søren Ærø"
    assert by_event["Logget ind"][3] == "Roller: administrator. Enheder: T1."  # once, no list
    assert by_event["Roller ændret"][3] == "Fik: HR."
    assert by_event["Login-opsætning ændret"][3] == "Ændrede felter: issuer, client_id."
    assert "auth.login" not in html.split("<tbody>")[1] and "['admin'" not in html
    for cell in ("Tidspunkt", "Hændelse", "Hvem", "Detaljer", "Fra"):  # labels when stacked
        assert f'data-title="{cell}"' in html


def test_filters_by_person_kind_and_days(client, login, log):
    _, admin, søren = log
    login(admin)
    _, html = page(client, f"?person={søren.id}")
    assert {r[1] for r in rows(html)} == {"Logget ind", "Roller ændret", "Logget ud"}
    _, html = page(client, "?event=auth.roles_changed")
    assert [r[1] for r in rows(html)] == ["Roller ændret"]
    _, html = page(client, "?since=2026-01-16&until=2026-01-16")  # a Copenhagen day
    assert [r[1] for r in rows(html)] == ["Logget ud"]
    _, html = page(client, "?until=2026-01-15")
    assert rows(html) == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?event=auth.", "event", "Vælg en af hændelserne på listen."),
        ("?since=2026-02-30", "since", None),
        ("?since=2026-03-02&until=2026-03-01", "until", "Slutdatoen skal ligge på eller efter"),
        ("?person=abc", "person", None),
        ("?format=pdf", "format", "Vælg CSV eller XLSX."),
    ],
)
def test_a_bad_filter_is_refused_with_a_message(client, login, log, query, field, message):
    login(log[1])
    status, html = page(client, query)
    assert status == 422
    assert f'href="#{field}"' in html
    if message:
        assert message in html
    assert rows(html) == []


def test_paging_keeps_the_filters(client, login, log, make, monkeypatch):
    tenant, admin, søren = log
    monkeypatch.setattr("web.admin.views.AUDIT_PAGE", 2)
    login(admin)
    _, html = page(client, f"?person={søren.id}")
    assert len(rows(html)) == 2
    older = re.search(r'href="([^"]+)">Ældre hændelser', html).group(1).replace("&amp;", "&")
    assert f"person={søren.id}" in older
    second = client.get(older).get_data(as_text=True)
    assert [r[1] for r in rows(second)] == ["Logget ind"]  # newest first, by when written
    assert "Ældre hændelser" not in second and "Side 2" not in second
    newest = re.search(r'href="([^"]+)">Nyeste hændelser', second).group(1).replace("&amp;", "&")
    assert f"person={søren.id}" in newest and "before=" not in newest
    assert rows(client.get(newest).get_data(as_text=True)) == rows(html)


def test_csv_and_xlsx_exports_keep_words_letters_and_dates_and_are_audited(client, login, log, app):
    tenant, admin, søren = log
    login(admin)
    reply = client.get(f"/t/logby/admin/audit?person={søren.id}&format=csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    assert 'filename="revisionslog.csv"' in reply.headers["Content-Disposition"]
    raw = reply.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 (æøå) only with the BOM
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == ["Tidspunkt", "Hændelse", "Hvem", "Detaljer", "Fra", "Hændelseskode"]
    assert {r[2] for r in table[1:]} == {"Søren Ærø"}
    assert ["2026-01-16 00:30:00", "Logget ud"] in [r[:2] for r in table]  # Copenhagen time

    reply = client.get(f"/t/logby/admin/audit?person={søren.id}&format=xlsx")
    assert reply.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(reply.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Tidspunkt", "Hændelse", "Hvem")
    logout = next(v for v in values if v[1] == "Logget ud")
    assert logout[0] == datetime(2026, 1, 16, 0, 30)  # noqa: DTZ001 - Excel dates are naive, in Copenhagen time
    assert logout[2] == "Søren Ærø"

    with app.app_context(), tenant_scope(tenant.id):
        exports = db.session.scalars(
            select(AuditEntry).where(AuditEntry.event == "audit.exported").order_by(AuditEntry.id)
        ).all()
    assert [(e.actor_id, e.details["format"], e.details["rows"]) for e in exports] == [
        (admin.id, "csv", 3),
        (admin.id, "xlsx", 3),
    ]


def test_an_export_filtered_by_event_kind_is_audited_with_its_filters(client, login, log, app):
    """The filter named ``event`` is a detail of the export's own entry, not its event."""
    tenant, admin, søren = log
    login(admin)
    for fmt in ("csv", "xlsx"):
        reply = client.get(f"/t/logby/admin/audit?event=auth.logout&person={søren.id}&format={fmt}")
        assert reply.status_code == 200, fmt
    with app.app_context(), tenant_scope(tenant.id):
        exports = db.session.scalars(
            select(AuditEntry).where(AuditEntry.event == "audit.exported").order_by(AuditEntry.id)
        ).all()
    assert [(e.details["format"], e.details["rows"], e.details["event"]) for e in exports] == [
        ("csv", 1, "auth.logout"),
        ("xlsx", 1, "auth.logout"),
    ]


def test_only_admins_see_or_export_the_log(client, login, log):
    login(log[2])
    assert client.get("/t/logby/admin/audit?format=csv").status_code == 403


def test_every_event_the_code_records_has_a_name():
    """An independent check: the event codes written in the source, each with a label."""
    codes = set()
    for path in (ROOT / "web").rglob("*.py"):
        codes |= set(
            re.findall(r'\b(?:record|_audit|audit)\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text())
        )
    assert codes, "no record() calls found"
    assert codes <= set(present.EVENT_LABELS), sorted(codes - set(present.EVENT_LABELS))


def test_the_log_in_english(client, login, log):
    login(log[1])
    client.post("/lang/en", data={"next": "/"})
    _, html = page(client)
    assert "Signed in" in html and "Roles: administrator. Units: T1." in html
    assert "Logget ind" not in html
