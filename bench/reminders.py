"""Benchmark: 50,000 due reminders through real Celery workers, Redis and an SMTP server.

Not a test. Run from the repository root::

    .venv/bin/python bench/reminders.py [--repeat 2] [--concurrency 4]

The tenant ``bench-fanout`` (``bench/generate.py --fanout``: 50,000 people in 1,799 teams, every
team with a cycle whose preparation opens on the generation day) has exactly one reminder due
per person: "preparation opened". Each run empties the tenant's outbox, starts the timer, and
sends the reminders module's own entry task, ``plan_tenant(tenant_id, now)``, to a real Celery
worker (prefork, ``--concurrency`` processes) over Redis: it plans the 50,000 outbox rows in SQL
and enqueues one ``deliver_reminders`` task per chunk (``REMINDER_CHUNK_SIZE``, 200), each of
which claims its rows and sends them over one SMTP connection. The clock stops when the SMTP
server (aiosmtpd, in a process of its own: ``bench/smtp_sink.py``) has received all 50,000.

Baseline, in the same run: a plain ``smtplib`` loop sending the very same 50,000 messages (the
bytes the server received from the product) over one connection to the same server. The ratio
is baseline time / product time (1.0: the product delivers as fast as bare smtplib sends).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import smtplib
import socket
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path
from smtp_sink import Sink, read_spool

from worker import REMINDER_WORKER_QUEUES

SLUG = "bench-fanout"
TARGET_SECONDS = 120
QUEUE = f"bench-reminders-{os.getpid()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_outbox(tenant_id: int | None = None) -> None:
    """The outbox of ``tenant_id`` empty, or every tenant's (a database of the bench's own)."""
    for table in ("reminder_day_slots", "reminder_outbox", "reminder_meetings"):
        if tenant_id is None:
            benchlib.psql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        else:
            benchlib.psql(f"DELETE FROM {table} WHERE tenant_id = %s", tenant_id)  # noqa: S608
    benchlib.psql("VACUUM ANALYZE reminder_outbox")


def mail_sink(prefix: str, queue: str, **settings: str) -> tuple[Path, Sink, dict[str, str]]:
    """A work folder, the SMTP sink in it (started) and the workers' environment: the Celery
    queue ``queue``, mail to the sink at any hour, and ``settings``."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    sink = Sink(port, workdir)
    sink.start()
    env = benchlib.app_env(
        CELERY_QUEUE=queue,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        REMINDER_SEND_WINDOW="always",
        **settings,
    )
    return workdir, sink, env


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children that are alive, from /proc."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    pids = [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    for each in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine (backends of other users included:
    run under the bench lock, this is mostly the workers' and the planner's connections)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
            if name.startswith("postgres"):
                fields = fields.split()
                total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def product_run(
    celery, tenant_id: int, now: str, sink: Sink, expected: int, phase: int, worker_pid: int
) -> dict:
    reset_outbox(tenant_id)
    sink.begin(phase)
    worker_cpu, sink_cpu = cpu_seconds(worker_pid), cpu_seconds(sink.process.pid)
    postgres_cpu, load = postgres_cpu_seconds(), os.getloadavg()[0]
    started = time.monotonic()
    plan = celery.send_task("web.reminders.tasks.plan_tenant", args=(tenant_id, now))
    planned = plan.get(timeout=600)
    planned_at = time.monotonic() - started
    last, last_change = -1, time.monotonic()
    while sink.messages.value < expected:
        if sink.messages.value != last:
            last, last_change = sink.messages.value, time.monotonic()
        elif time.monotonic() - last_change > 60:
            raise SystemExit(f"stalled at {last:,} of {expected:,} messages")
        time.sleep(0.05)
    seconds = time.monotonic() - started
    worker_cpu = cpu_seconds(worker_pid) - worker_cpu
    sink_cpu = cpu_seconds(sink.process.pid) - sink_cpu
    postgres_cpu = postgres_cpu_seconds() - postgres_cpu
    statuses = dict(
        benchlib.psql(
            "SELECT status, count(*) FROM reminder_outbox WHERE tenant_id = %s GROUP BY status",
            tenant_id,
        )
    )
    return {
        "seconds": seconds,
        "plan_seconds": planned_at,
        "planned": planned,
        "messages": sink.messages.value,
        "smtp_connections": sink.connections.value,
        "per_second": expected / seconds,
        "outbox": statuses,
        "worker_cpu_ms_per_email": worker_cpu / expected * 1000,
        "smtp_server_cpu_ms_per_email": sink_cpu / expected * 1000,
        "postgres_cpu_ms_per_email": postgres_cpu / expected * 1000,
        "load_average_at_start": load,
    }


def baseline_run(sink: Sink, spool: Path, port: int, phase: int) -> dict:
    messages = list(read_spool(spool))
    sink.begin(phase)
    sink_cpu = cpu_seconds(sink.process.pid)
    started, cpu = time.monotonic(), time.process_time()
    smtp = smtplib.SMTP("127.0.0.1", port)
    for mail_from, rcpt, data in messages:
        smtp.sendmail(mail_from, rcpt, data)
    smtp.quit()
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    sink_cpu = cpu_seconds(sink.process.pid) - sink_cpu
    while sink.messages.value < len(messages):  # the last reply came after the count
        time.sleep(0.01)
    return {
        "seconds": seconds,
        "messages": len(messages),
        "per_second": len(messages) / seconds,
        "mean_bytes": sum(len(m[2]) for m in messages) // max(1, len(messages)),
        "sender_cpu_ms_per_email": cpu / len(messages) * 1000,
        "smtp_server_cpu_ms_per_email": sink_cpu / len(messages) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    # As docker-compose.yml runs the worker: 2 × cores processes (the work mostly waits).
    parser.add_argument("--concurrency", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()

    generated = benchlib.ensure_tenant(SLUG)
    tenant_id = benchlib.tenant_id(SLUG)
    expected = generated["employees"]
    # Planned at 10:00 on the day the tenant was generated (its cycles open that day).
    now = datetime.combine(
        datetime.fromisoformat(generated["as_of"]).date(),
        clock_time(10),
        ZoneInfo("Europe/Copenhagen"),
    ).isoformat()
    workdir, sink, env = mail_sink("aktor-bench-reminders-", QUEUE)
    from web import create_app

    app = create_app({**benchlib.app_config(), "CELERY_QUEUE": QUEUE})
    celery = app.extensions["celery"]
    worker = benchlib.start_worker(
        env, f"default,{REMINDER_WORKER_QUEUES}", args.concurrency, workdir / "worker.log"
    )
    product, baseline = [], []
    try:
        celery.send_task("web.ops.tasks.heartbeat").get(timeout=120)  # the worker is up
        print(
            f"{expected:,} reminders, worker: prefork x{args.concurrency}, chunk "
            f"{app.config['REMINDER_CHUNK_SIZE']}, SMTP sink on port {sink.port}"
        )
        for round_ in range(args.repeat):
            run = product_run(
                celery, tenant_id, now, sink, expected, phase=2 * round_ + 1, worker_pid=worker.pid
            )
            product.append(run)
            print(
                f"  round {round_ + 1} product:  {run['seconds']:6.1f} s "
                f"({run['per_second']:,.0f}/s; planning {run['plan_seconds']:.1f} s, "
                f"{run['smtp_connections']} SMTP connections; CPU per e-mail: workers "
                f"{run['worker_cpu_ms_per_email']:.2f} ms, PostgreSQL "
                f"{run['postgres_cpu_ms_per_email']:.2f} ms, SMTP server "
                f"{run['smtp_server_cpu_ms_per_email']:.2f} ms; load average "
                f"{run['load_average_at_start']:.2f} at start)"
            )
            base = baseline_run(sink, sink.spool(1), sink.port, phase=2 * round_ + 2)
            baseline.append(base)
            print(
                f"  round {round_ + 1} baseline: {base['seconds']:6.1f} s "
                f"({base['per_second']:,.0f}/s; sender's CPU "
                f"{base['sender_cpu_ms_per_email']:.2f} ms per e-mail)"
            )
    finally:
        benchlib.stop_process(worker)
        sink.stop()
        reset_outbox(tenant_id)
        benchlib.drop_queue(QUEUE)
    for spool in workdir.glob("spool-*.bin"):
        spool.unlink()

    product_s = benchlib.median([r["seconds"] for r in product])
    baseline_s = benchlib.median([r["seconds"] for r in baseline])
    ratio = baseline_s / product_s
    print()
    print(
        f"Product (Celery x{args.concurrency}, chunks over reused connections): "
        f"{product_s:.1f} s median ({benchlib.spread([r['seconds'] for r in product])} s), "
        f"target <= {TARGET_SECONDS} s: {'met' if product_s <= TARGET_SECONDS else 'NOT MET'}"
    )
    print(f"Baseline (smtplib, one connection): {baseline_s:.1f} s median")
    print(
        f"Ratio baseline/product: {ratio:.2f}, target >= 0.5: "
        f"{'met' if ratio >= 0.5 else 'NOT MET'}"
    )
    benchlib.save(
        "reminders",
        {
            "reminders": expected,
            "concurrency": args.concurrency,
            "chunk_size": app.config["REMINDER_CHUNK_SIZE"],
            "product_seconds": product_s,
            "baseline_seconds": baseline_s,
            "ratio": ratio,
            "product_runs": product,
            "baseline_runs": baseline,
        },
    )


if __name__ == "__main__":
    main()
