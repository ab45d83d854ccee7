"""A tenant created by the operator's command starts with the memo's dialogue guide."""

from __future__ import annotations

from sqlalchemy import select

from web.cycles.models import DialogueTemplate
from web.cycles.services.templates import DEFAULT_PROMPTS, DEFAULT_TEMPLATE_NAME
from web.extensions import db
from web.tenancy import tenant_scope
from web.tenants.services import get_by_slug


def test_flask_tenants_create_seeds_the_memos_guide(app, db_session):
    result = app.test_cli_runner().invoke(args=["tenants", "create", "nyby", "Nyby Kommune"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tenant = get_by_slug("nyby")
        with tenant_scope(tenant.id):
            templates = db.session.scalars(select(DialogueTemplate)).all()
            assert [(t.name, t.is_default) for t in templates] == [(DEFAULT_TEMPLATE_NAME, True)]
            assert [p.text_da for p in templates[0].prompts] == [p.text_da for p in DEFAULT_PROMPTS]
