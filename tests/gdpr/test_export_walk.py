"""The personal-data export walks every table (web/gdpr/export.py), and erasure says what it
does with every column that links a row to a person: the same set for both (issue 15,
point 5)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.gdpr.teams import answers
from web.collections.models import CollectionEntry, EntryStatus
from web.cycles.models import Conclusion, CyclePrompt, Phase, PhaseChange
from web.examples.models import ExampleKind
from web.extensions import db
from web.gdpr.export import PERSON_COLUMNS, person_columns
from web.reminders.models import ReminderKind, ReminderOutbox
from web.reports.models import Report, ReportTrigger

# Tables that link to no person, each with the reason (the meta-test below lists the schema).
NO_PERSON_LINK = {
    "collection_entry_decisions": "HR's redact/keep decisions on a phrase of an entry",
    "redaction_erased_names": "salted hashes of erased people's name forms, no name",
    "tenants": "the municipality",
    "org_units": "the organisation's units",
    "dialogue_templates": "the tenant's question templates",
    "template_prompts": "the questions of a template",
    "cycle_prompts": "the questions of a cycle",
    "sso_settings": "the tenant's identity provider",
    "sso_pending_logins": "an unfinished login: random state, nonce and verifier; a SAML login's "
    "verified attributes only between the ACS and the hand-off, which "
    "clears them (an abandoned row is deleted after a day)",
    "sso_saml_keys": "the tenant's SAML SP key pairs, no person",
    "sso_saml_seen_assertions": "random assertion IDs until they expire (replay cache), no person",
    "sso_alerts": "what threatens the tenant's sign-in (a refusal's cause and count), no person",
    "revoked_sessions": "random ids of ended sessions",
    "report_runs": "a report's anonymised figures (no figure about fewer than k people)",
    "reminder_meetings": "a cycle's announced meeting time",
    "teams_webhooks": "a tenant's or unit's Teams channel address (encrypted), no person",
    "example_expectations": "the expectations an example illustrates",
    "collection_entry_expectations": "the same for a catalogue entry",
    "users": "the person themself: the export's profile",
    "provisioning_runs": "an import's or sync's counts and its refusals (file, line, problem)",
    "scim_groups": "the identity provider's groups and what their membership gives",
    "entry_embeddings": "vectors of approved (redacted) catalogue entries",
    "themes": "clusters of approved entries: their words and entry ids",
    "search_versions": "a tenant's random stamp, renewed when its published entries change",
    "reminder_dispatch": "a tenant's count of queued reminder deliveries per channel, no person",
    "live_cards": "a live meeting's thoughts: no user link; a named card's author name is "
    "blanked by erasure",
}


def test_every_column_that_names_a_person_is_exported_and_handled_by_erasure(app):
    with app.app_context():
        found = {(t.name, c.name) for t, cols in person_columns().items() for c in cols}
        tables = {t.name for t in db.metadata.sorted_tables}
    assert found == set(PERSON_COLUMNS), "say in PERSON_COLUMNS what erasure does with it"
    linked = {table for table, _ in found}
    assert sorted(tables - linked - set(NO_PERSON_LINK)) == []
    assert not linked & set(NO_PERSON_LINK)


def recorded_by_lars(team, make) -> None:
    """Something in every kind of table a leader writes to, and a little of Bo's."""
    answers(make, team.tenant, team.recent, team.leader, "Lars' svar")
    answers(make, team.tenant, team.recent, team.bo, "Bos svar")
    make.campaign(team.tenant, "Lars' kampagne", created_by_id=team.leader.id)
    example = make.example(team.tenant, team.unit, team.anna, title="Annas eksempel")
    now = datetime.now(UTC)
    with make.scope(team.tenant):
        prompt = db.session.scalars(select(CyclePrompt).filter_by(cycle_id=team.recent.id)).first()
        db.session.add_all(
            [
                Conclusion(
                    cycle_id=team.recent.id,
                    prompt_id=prompt.id,
                    text="Lars' konklusion",
                    recorded_by_id=team.leader.id,
                ),
                PhaseChange(
                    cycle_id=team.recent.id,
                    from_phase=Phase.AGREEMENTS,
                    to_phase=Phase.FOLLOW_UP,
                    reason="Lars rykker",
                    changed_at=now,
                    changed_by_id=team.leader.id,
                ),
                ReminderOutbox(
                    kind=ReminderKind.PREPARATION_OPENED,
                    recipient_id=team.leader.id,
                    target_id=team.recent.id,
                    due_key="lars-key",
                ),
                ReminderOutbox(
                    kind=ReminderKind.PREPARATION_OPENED,
                    recipient_id=team.bo.id,
                    target_id=team.recent.id,
                    due_key="bo-key",
                ),
                Report(
                    period_start=date(2026, 1, 1),
                    period_end=date(2026, 6, 30),
                    trigger=ReportTrigger.ON_DEMAND,
                    requested_by_id=team.leader.id,
                ),
                CollectionEntry(
                    example_id=example.id,
                    kind=ExampleKind.GOOD,
                    title="Katalog",
                    text="t",
                    source_digest="d" * 64,
                    source_updated_at=now,
                    compiled_at=now,
                    status=EntryStatus.APPROVED,
                    reviewed_by_id=team.leader.id,
                ),
            ]
        )
    make.action(team.tenant, team.recent, team.leader, text="Lars' handling")
    make.participation(team.tenant, team.recent, team.leader)


def test_the_export_holds_what_they_recorded_and_the_mails_sent_to_them(team, make, login):
    recorded_by_lars(team, make)
    data = json.loads(login(team.leader).get("/t/solby/my-data.json").data)
    assert data["format"] == "aktorskab-personal-data/2"
    records = data["records"]
    for table in (
        "contributions",
        "campaigns",
        "conclusions",
        "cycle_phase_changes",
        "reminder_outbox",
        "reports",
        "collection_entries",
        "cycles",
        "memberships",
    ):
        assert table in records, table
    assert [r["row"]["due_key"] for r in records["reminder_outbox"]] == ["lars-key"]
    assert records["conclusions"][0]["row"]["text"] == "Lars' konklusion"
    assert records["conclusions"][0]["linked_by"] == ["recorded_by_id"]
    assert records["cycle_phase_changes"][0]["row"]["reason"] == "Lars rykker"
    assert records["collection_entries"][0]["linked_by"] == ["reviewed_by_id"]
    # Every exported row names them, and nothing of anyone else came along.
    body = json.dumps(records, ensure_ascii=False)
    assert "Bos svar" not in body and "bo-key" not in body and "Annas eksempel" not in body
    for rows in records.values():
        for item in rows:
            assert (
                any(item["row"].get(col) == team.leader.id for col in item["linked_by"])
                or item["row"].get("subject") == team.leader.subject
            )


def test_the_export_never_holds_a_token_digest(team, make, login):
    from web.api import tokens

    with make.scope(team.tenant):
        tokens.create_token(team.anna, "nøgle", 30)
    data = json.loads(login(team.anna).get("/t/solby/my-data.json").data)
    (token,) = data["records"]["api_tokens"]
    assert token["row"]["name"] == "nøgle" and "token_hash" not in token["row"]


def test_after_erasure_only_what_erasure_keeps_still_names_them(team, make, login):
    from web.gdpr.export import records_of
    from web.users.models import User

    recorded_by_lars(team, make)
    assert (
        login(team.admin)
        .post(f"/t/solby/admin/people/{team.leader.id}/erase", data={"confirm": "yes"})
        .status_code
        == 302
    )
    with make.scope(team.tenant):
        left = records_of(db.session.get(User, team.leader.id))
    kept = {table for (table, _), outcome in PERSON_COLUMNS.items() if outcome.startswith("kept")}
    assert set(left) <= kept, set(left) - kept
    assert "participations" in left  # what erasure keeps, the export still shows
