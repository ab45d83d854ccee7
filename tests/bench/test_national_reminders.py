"""What bench/national_reminders.py counts with (issue 20 point 3): the workers' log read into
planning passes, and the sink's spool read into Message-IDs per message."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import country
import national_reminders


def line(at: str, task: str, ident: str, what: str) -> bytes:
    return f"[2026-12-08 {at}: INFO/ForkPoolWorker-1] Task {task}[{ident}] {what}: {{}}".encode()


def test_the_workers_log_gives_each_beat_tick_its_tenants_planning(tmp_path):
    base = "web.reminders.tasks."
    log = tmp_path / "worker.log"
    log.write_bytes(
        b"\n".join(
            [
                line("02:00:00,000", base + "plan_all_tenants", "t1", "succeeded in 0.1s"),
                line("02:00:01,000", base + "plan_tenant", "a", "succeeded in 0.5s"),
                line("02:00:02,500", base + "plan_tenant", "b", "succeeded in 1.5s"),
                b"[2026-12-08 02:00:03,000: WARNING/MainProcess] something else",
                line("02:00:03,000", base + "deliver_reminders", "c", "succeeded in 0.2s"),
                line("02:00:30,000", base + "plan_all_tenants", "t2", "succeeded in 0.1s"),
                line("02:00:31,000", base + "plan_tenant", "d", "succeeded in 0.2s"),
            ]
        )
    )
    events = national_reminders.task_log([log, tmp_path / "missing.log"])
    assert len(events) == 6
    started = events[0][0] - 10
    first, second = national_reminders.planning_passes(events, 2, started)
    assert first["sent_at_s"] == 10 and first["took_s"] == 2.5
    assert first["plan_task_seconds_sum"] == 2.0 and first["plan_task_seconds_max"] == 1.5
    assert second["tenants_planned"] == 1 and second["took_s"] is None  # not all planned yet


def test_the_sink_spool_is_counted_by_message_id(tmp_path):
    spool = tmp_path / "spool-1.bin"
    messages = [
        (b"<r.1@x>", b"p1@example"),
        (b"<r.2@x>", b"p2@example"),
        (b"<r.1@x>", b"p1@example"),  # the same row twice
    ]
    with spool.open("wb") as f:
        for ident, rcpt in messages:
            data = b"Subject: x\r\nMessage-ID: " + ident + b"\r\n\r\nMessage-ID: <not@header>\r\n"
            sender = b"noreply@example"
            f.write(struct.pack("!III", len(sender), len(rcpt), len(data)) + sender + rcpt + data)
    ids, recipients = national_reminders.at_the_sink(spool)
    assert ids == {"<r.1@x>": 2, "<r.2@x>": 1}
    assert recipients == {"p1@example": 2, "p2@example": 1}


def test_the_fan_out_country_is_told_apart_from_the_country():
    assert country.expected(1.0, 0)["fanout"] is False
    assert country.expected(1.0, 0, fanout=True)["fanout"] is True
