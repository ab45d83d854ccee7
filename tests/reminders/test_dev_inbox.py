"""The dev inbox of ``make run``: the Procfile's ``mail`` line (maildump), a real Celery worker.

The catcher is started from the Procfile's own command (so this checks what ``make run``
starts), on free ports; the worker sends the demo team's reminders to it as ``make run`` does
(``REMINDER_SEND_WINDOW=always``), and the inbox's REST API, the one its web page reads, shows
each e-mail, the meeting invitation with its calendar file.
"""

from __future__ import annotations

import email
import os
import re
import sys
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import requests
from icalendar import Calendar

from tests.services import (
    ROOT,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    Process,
    celery_worker,
    child_env,
    free_port,
    wait_for,
)
from web.cycles.models import Cycle, Phase
from web.demo.municipality import load_demo
from web.extensions import db
from web.models import utcnow
from web.orgs.models import Membership, OrgUnit
from web.tenancy import tenant_scope
from web.users.models import User

pytestmark = pytest.mark.worker
TEAM = "bu-dag-sol"  # the demo's team of seven (test_worker.py)


def procfile_command(name: str) -> str:
    line = re.search(rf"(?m)^{name}:\s*(.+)$", (ROOT / "Procfile").read_text())
    assert line, f"no {name} process in the Procfile"
    return line.group(1)


def inbox_up(url: str, catcher: Process) -> bool:
    assert catcher.popen.poll() is None, catcher.output()
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def inbox_messages(url: str) -> list[dict]:
    try:
        return requests.get(f"{url}/messages/", timeout=5).json()["messages"]
    except requests.RequestException:
        return []


def test_make_runs_inbox_shows_the_demo_teams_reminders_with_the_invitations_ics(
    app, committed_db, tmp_path
):
    celery = app.extensions["celery"]
    celery.control.purge()
    smtp_port, web_port = free_port(), free_port()
    inbox = f"http://127.0.0.1:{web_port}"
    env = child_env(
        SMTP_PORT=str(smtp_port),
        MAIL_WEB_PORT=str(web_port),
        INSTANCE_PATH=str(tmp_path),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    catcher = Process(
        ["bash", "-c", f"exec {procfile_command('mail')}"], env, tmp_path / "maildump.log"
    )
    worker = None
    try:
        wait_for(lambda: inbox_up(inbox, catcher), 30, "the dev inbox")
        with app.app_context():
            tenant_id = load_demo()["tenant_id"]
            db.session.commit()
            with tenant_scope(tenant_id):
                unit = db.session.scalar(db.select(OrgUnit).filter_by(external_id=TEAM))
                members = set(
                    db.session.scalars(
                        db.select(User.email)
                        .join(Membership, Membership.user_id == User.id)
                        .where(Membership.unit_id == unit.id)
                    )
                )
                today = utcnow().date()
                meeting = (utcnow() + timedelta(days=10)).replace(microsecond=0)
                db.session.add(
                    Cycle(
                        unit_id=unit.id,
                        phase=Phase.PREPARATION,
                        preparation_starts_on=today,
                        preparation_ends_on=today + timedelta(days=7),
                        follow_up_on=today + timedelta(days=90),
                        meeting_at=meeting,
                        meeting_place="Sal 1",
                    )
                )
                db.session.commit()
            db.session.remove()
        assert len(members) == 7

        worker = celery_worker(
            child_env(
                DATABASE_URL=TEST_DATABASE_URL,
                REDIS_URL=TEST_REDIS_URL,
                AKTOR_ENV="test",
                SECRET_KEY="test-secret",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(smtp_port),
                REMINDER_SEND_WINDOW="always",
            ),
            tmp_path / "worker.log",
        )
        # Seven "preparation opened", seven invitations, the leader's weekly digest.
        wait_for(lambda: len(inbox_messages(inbox)) >= 15, 90, "15 e-mails in the inbox")
        listed = inbox_messages(inbox)
        assert len(listed) == 15
        assert {to for m in listed for to in m["recipients"]["to"]} == members
        invitations = [
            m
            for m in listed
            if "dialogmøde" in m["subject"].lower() or "dialogue meeting" in m["subject"].lower()
        ]
        assert len(invitations) == 7
        raw = requests.get(f"{inbox}/messages/{invitations[0]['id']}.eml", timeout=5).content
        message = email.message_from_bytes(raw, policy=policy.default)
        calendars = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
        assert len(calendars) == 1
        [event] = Calendar.from_ical(calendars[0].get_payload(decode=True)).walk("VEVENT")
        assert str(event["LOCATION"]) == "Sal 1"
        assert event.decoded("DTSTART") == meeting
        # The inbox's own page (what the newcomer opens) is served beside it.
        assert "MailDump" in requests.get(inbox, timeout=5).text
    finally:
        if worker is not None:
            worker.stop()
        catcher.stop()
