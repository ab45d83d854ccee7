"""`flask demo` seeds the memo's dialogue guide for the demo municipality, once."""

from __future__ import annotations

from sqlalchemy import select

from web.cycles.models import DialogueTemplate
from web.cycles.services import templates as svc
from web.extensions import db


def test_flask_demo_seeds_the_guide_once(app, committed_db):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    from web.tenancy import tenant_scope
    from web.tenants.models import Tenant

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).filter_by(slug="demo"))
        with tenant_scope(tenant.id):
            templates = db.session.scalars(select(DialogueTemplate)).all()
            assert [(t.name, len(t.prompts)) for t in templates] == [(svc.DEFAULT_TEMPLATE_NAME, 9)]
