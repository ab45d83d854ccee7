"""Retention: personal data of cycles closed longer ago than the tenant's setting is
pseudonymised by a nightly task; aggregates stay."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.gdpr.teams import answers
from web.audit.models import AuditEntry
from web.cycles.models import Action, Contribution, Participation, Visibility
from web.examples.models import Example
from web.extensions import db
from web.gdpr import services, tasks
from web.tenants.models import Tenant


def state(make, tenant):
    with make.scope(tenant):
        contributions = {
            c.id: (c.author_id, c.text) for c in db.session.scalars(select(Contribution))
        }
        actions = {a.id: a.owner_id for a in db.session.scalars(select(Action))}
        examples = {e.id: e.author_id for e in db.session.scalars(select(Example))}
        participations = db.session.scalar(select(func.count(Participation.id)))
    return contributions, actions, examples, participations


def test_old_cycles_are_pseudonymised_recent_ones_kept(team, make, app):
    old = answers(make, team.tenant, team.old, team.anna, "gammel")
    recent = answers(make, team.tenant, team.recent, team.anna, "ny")
    old_action = make.action(team.tenant, team.old, team.anna)
    recent_action = make.action(team.tenant, team.recent, team.anna)
    old_example = make.example(team.tenant, team.unit, team.anna, cycle_id=team.old.id)
    make.participation(team.tenant, team.old, team.anna)
    make.participation(team.tenant, team.old, team.bo)

    with app.app_context():
        counts = tasks.pseudonymise_tenant(team.tenant.id)
    assert counts == {
        "private_texts_deleted": 1,
        "answers_unlinked": 3,
        "actions_unowned": 1,
        "examples_unlinked": 1,
        "conclusions_unlinked": 0,
        "phase_changes_unlinked": 0,
    }
    contributions, actions, examples, participations = state(make, team.tenant)
    assert contributions[old[Visibility.PRIVATE]] == (None, "")
    assert contributions[old[Visibility.NAMED]] == (None, "gammel named")
    assert contributions[old[Visibility.ANONYMOUS]] == (None, "gammel anonymous")
    for visibility, row_id in recent.items():
        assert contributions[row_id] == (team.anna.id, f"ny {visibility.value}")
    assert actions == {old_action.id: None, recent_action.id: team.anna.id}
    assert examples[old_example.id] is None
    assert participations == 2  # aggregates are kept
    with make.scope(team.tenant):
        [entry] = db.session.scalars(
            select(AuditEntry).filter_by(event="gdpr.retention_applied")
        ).all()
    assert entry.details["answers_unlinked"] == 3 and entry.details["retention_months"] == 36

    # Idempotent: a second run changes and records nothing.
    with app.app_context():
        assert not any(tasks.pseudonymise_tenant(team.tenant.id).values())


def test_the_tenants_setting_decides(team, make, app):
    recent = answers(make, team.tenant, team.recent, team.anna, "ny")
    with app.app_context():
        tenant = db.session.get(Tenant, team.tenant.id)
        tenant.settings = {"retention_months": 3}  # below the floor of 6: 6 months apply
        db.session.commit()
        assert services.retention_months(tenant) == 6
        assert tasks.pseudonymise_tenant(team.tenant.id)["answers_unlinked"] == 0
        tenant.settings = {"retention_months": "nonsense"}
        db.session.commit()
        assert services.retention_months(tenant) == services.DEFAULT_RETENTION_MONTHS
    contributions, *_ = state(make, team.tenant)
    assert contributions[recent[Visibility.NAMED]][0] == team.anna.id


def test_the_beat_fans_out_one_task_per_tenant(team, app):
    from worker import BEAT_SCHEDULE, TASK_MODULES

    assert "web.gdpr.tasks" in TASK_MODULES
    assert BEAT_SCHEDULE["gdpr-retention"]["task"] == "web.gdpr.tasks.pseudonymise_all_tenants"
    sent = []
    original = tasks.pseudonymise_tenant.delay
    tasks.pseudonymise_tenant.delay = lambda tenant_id: sent.append(tenant_id)
    try:
        with app.app_context():
            assert tasks.pseudonymise_all_tenants() == len(sent) >= 2
    finally:
        tasks.pseudonymise_tenant.delay = original
    assert {team.tenant.id, team.neighbour.id} <= set(sent)
