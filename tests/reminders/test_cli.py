"""``flask reminders run SLUG``: plan and send a tenant's due reminders in this process."""

from __future__ import annotations

from tests.reminders.teams import NOW, make_team, outbox
from web.extensions import db
from web.reminders.models import OutboxStatus


def test_reminders_run_sends_every_due_reminder_once_chunk_by_chunk(
    app, make, monkeypatch, smtp_server
):
    team = make_team(make)
    make.user(team.tenant, unit=team.unit)
    monkeypatch.setitem(app.config, "REMINDER_CHUNK_SIZE", 2)  # three chunks for five rows
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    runner = app.test_cli_runner()
    args = ["reminders", "run", team.tenant.slug, "--now", NOW.isoformat()]

    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "due now: 5" in first.output and "sent: 5," in first.output
    assert len(smtp_server.messages) == 5
    with app.app_context():
        assert {r.status for r in outbox(team.tenant.id)} == {OutboxStatus.SENT}
        db.session.remove()

    again = runner.invoke(args=args)
    assert again.exit_code == 0, again.output
    assert "due now: 0" in again.output and "sent: 0," in again.output
    assert len(smtp_server.messages) == 5


def test_reminders_run_names_an_unknown_tenant(app, db_session):
    result = app.test_cli_runner().invoke(args=["reminders", "run", "ukendt"])
    assert result.exit_code == 1 and "No tenant 'ukendt'." in result.output
