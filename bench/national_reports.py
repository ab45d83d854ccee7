"""Benchmark: every tenant's Hovedudvalg report in one run on the reports queue, with the
reminders queue's latency probed meanwhile (issue 20 point 3, second half).

Not a test. Run from the repository root on the country (``bench/country.py``)::

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_country \\
        .venv/bin/python bench/national_reports.py [--report-concurrency 2]

Two worker groups as docker-compose.yml runs them: one on the reports queue
(WORKER_QUEUES=reports), one on the reminders queue alone. For each of the 98 tenants a report
of the last 365 days is asked for (``reports.services.request_report``, as HR's button does)
and its ``generate_report`` task sent; the clock runs from the first send until every report is
done (or failed). Meanwhile a probe: every ``--probe-every`` seconds one ``deliver_reminders``
for a tenant with nothing due (a claim that finds nothing) is sent to the reminders queue and
its result awaited; the latency is enqueue → result (an upper bound of enqueue → start; the
task itself takes a few ms). Baseline, in the same run: the same probe with the workers idle,
before the reports are sent. The reports are deleted afterwards (their published groups would
otherwise constrain the next run's anonymity audit).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

QUEUE = f"bench-national-reports-{os.getpid()}"
TARGET_SECONDS = 30 * 60
PROBE = "web.reminders.tasks.deliver_reminders"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median_ms": benchlib.median(values) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": max(values) * 1000,
    }


class Probe(threading.Thread):
    """One probe reminder task at a time, every ``every`` seconds, until stopped."""

    def __init__(self, celery, tenant_id: int, every: float) -> None:
        super().__init__(daemon=True)
        self.celery, self.tenant_id, self.every = celery, tenant_id, every
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            sent = time.monotonic()
            self.celery.send_task(PROBE, args=(self.tenant_id,)).get(timeout=600)
            self.latencies.append(time.monotonic() - sent)
            self.stop.wait(max(0.0, self.every - (time.monotonic() - sent)))


def request_reports(app, tenants: list[tuple[int, str]]) -> list[tuple[int, int]]:
    from web.extensions import db
    from web.reports import services
    from web.tenancy import tenant_scope

    made = []
    with app.app_context():
        today = services.today()
        for tenant_id, _ in tenants:
            with tenant_scope(tenant_id):
                report = services.request_report(
                    None, period_start=today - timedelta(days=365), period_end=today, locale="da"
                )
                db.session.commit()
                made.append((tenant_id, report.id))
        db.session.remove()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-concurrency", type=int, default=2)
    parser.add_argument("--reminder-concurrency", type=int, default=1)
    parser.add_argument("--probe-every", type=float, default=2.0)
    parser.add_argument("--baseline-probes", type=int, default=20)
    parser.add_argument("--timeout", type=int, default=45 * 60)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]

    tenants = [
        (tid, slug)
        for tid, slug in benchlib.psql("SELECT id, slug FROM tenants ORDER BY id")
        if slug.startswith("land-")
    ]
    people = benchlib.psql(
        "SELECT count(*) FROM users u JOIN tenants t ON t.id = u.tenant_id "
        "WHERE t.slug LIKE 'land-%%'"
    )[0][0]
    workdir = Path(tempfile.mkdtemp(prefix="aktor-bench-national-reports-"))
    env = benchlib.app_env(CELERY_QUEUE=QUEUE)
    from web import create_app

    app = create_app({**benchlib.app_config(), "CELERY_QUEUE": QUEUE})
    celery = app.extensions["celery"]
    groups = {
        "reports": benchlib.start_worker(
            env, "reports", args.report_concurrency, workdir / "reports.log", name="reports"
        ),
        "reminders": benchlib.start_worker(
            env, "reminders", args.reminder_concurrency, workdir / "reminders.log", name="remind"
        ),
    }
    report_ids: list[int] = []
    result: dict = {}
    try:
        deadline = time.monotonic() + 120
        while not {"reports", "remind"} <= {
            name.split("@")[0] for reply in celery.control.ping(timeout=1.0) or [] for name in reply
        }:
            if time.monotonic() > deadline:
                raise SystemExit("the worker groups did not answer")
        probe_tenant = tenants[-1][0]
        celery.send_task(PROBE, args=(probe_tenant,)).get(timeout=120)  # warm
        idle = []
        for _ in range(args.baseline_probes):
            sent = time.monotonic()
            celery.send_task(PROBE, args=(probe_tenant,)).get(timeout=120)
            idle.append(time.monotonic() - sent)
            time.sleep(0.2)
        load_run = os.getloadavg()[0]
        made = request_reports(app, tenants)
        report_ids = [rid for _, rid in made]
        probe = Probe(celery, probe_tenant, args.probe_every)
        started = time.monotonic()
        for tenant_id, report_id in made:
            celery.send_task("web.reports.tasks.generate_report", args=(tenant_id, report_id))
        probe.start()
        while True:
            state = dict(
                benchlib.psql(
                    "SELECT status, count(*) FROM reports WHERE id = ANY(%s) GROUP BY status",
                    report_ids,
                )
            )
            if state.get("done", 0) + state.get("failed", 0) >= len(report_ids):
                break
            if time.monotonic() - started > args.timeout:
                print(f"  timed out: {state}")
                break
            time.sleep(1.0)
        seconds = time.monotonic() - started
        probe.stop.set()
        probe.join(60)
        load_end = os.getloadavg()[0]
        runs = benchlib.psql(
            "SELECT t.slug, r.duration_ms, r.status FROM report_runs r "
            "JOIN tenants t ON t.id = r.tenant_id WHERE r.report_id = ANY(%s)",
            report_ids,
        )
        durations = sorted((ms or 0) / 1000 for _, ms, _ in runs)
        base, during = summary(idle), summary(probe.latencies)
        result = {
            "tenants": len(tenants),
            "people": people,
            "report_concurrency": args.report_concurrency,
            "reminder_concurrency": args.reminder_concurrency,
            "load_average_at_start": load_start,
            "load_average_at_run_start": load_run,
            "load_average_at_end": load_end,
            "seconds": seconds,
            "target_seconds": TARGET_SECONDS,
            "reports": state,
            "report_seconds_sum": sum(durations),
            "report_seconds_median": benchlib.median(durations) if durations else None,
            "report_seconds_max": max(durations, default=None),
            "slowest": sorted(runs, key=lambda r: -(r[1] or 0))[:3],
            "probe_baseline": base,
            "probe_during_reports": during,
        }
        print(
            f"{len(tenants)} reports ({people:,} people): {seconds:.0f} s (target "
            f"{TARGET_SECONDS} s: {'met' if seconds <= TARGET_SECONDS else 'NOT MET'}); "
            f"{state}; per report median {result['report_seconds_median']:.1f} s, max "
            f"{result['report_seconds_max']:.1f} s"
        )
        print(f"  reminder probe, idle:          {base}")
        print(f"  reminder probe, during reports: {during}")
    finally:
        for process in groups.values():
            benchlib.stop_process(process)
        if report_ids:
            benchlib.psql("DELETE FROM reports WHERE id = ANY(%s)", report_ids)
        benchlib.drop_queue(QUEUE)
    if result:
        benchlib.save("national-reports", result)


if __name__ == "__main__":
    main()
