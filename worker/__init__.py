"""The Celery application, bound to the Flask app (Flask's ``celery_init_app`` pattern).

Tasks live in the domain packages (``web/<area>/tasks.py``) and are registered with
``@shared_task``. Each runs inside ``app.app_context()``; a task that touches tenant data takes
``tenant_id`` as its first argument and enters ``tenant_scope`` through ``TenantTask``.
"""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import celeryd_after_setup
from flask import Flask
from kombu import Queue

TASK_MODULES = [
    "web.ops.tasks",
    "web.reminders.tasks",
    "web.collections.tasks",
    "web.themes.tasks",
    "web.reports.tasks",
    "web.gdpr.tasks",
    "web.dashboards.tasks",
    "web.auth.tasks",
]

# The queues, by what must not wait for what: a national report run (a PDF per tenant, minutes)
# or a compilation (the themes' embedding, the examples' redaction) must not hold up a reminder,
# nor the 15-second refresh of HR's overview. Every task goes to the queue of its package; what
# no route names goes to "default" (heartbeat, retention, SAML metadata, HR's overview copies).
# Planning reminders has a queue of its own: a pass plans every tenant in seconds, and it must
# not wait behind the thousands of deliveries the previous pass queued (a FIFO queue did that:
# 1,100 s late with the whole country's reminders queued, bench/README.md). The reminder
# workers consume both; each worker takes from its queues in turn, so a planning task is next.
QUEUE_KINDS = ("default", "planning", "reminders", "reports", "compilations")
# What a reminder worker group consumes (docker-compose's worker-reminders and the Procfile say
# the same in their WORKER_QUEUES), for the scripts and tests that start one.
REMINDER_WORKER_QUEUES = "planning,reminders"
TASK_ROUTES = {
    # Exact names first: Celery matches them before any pattern.
    "web.reminders.tasks.plan_all_tenants": "planning",
    "web.reminders.tasks.plan_tenant": "planning",
    "web.reminders.tasks.*": "reminders",
    "web.reports.tasks.*": "reports",
    "web.collections.tasks.*": "compilations",
    "web.themes.tasks.*": "compilations",
}


def queue_name(base: str, kind: str) -> str:
    """The broker's name of a queue kind: ``base`` (CELERY_QUEUE) itself for the default one,
    ``base.kind`` for the others, so that deployments or test runs sharing a Redis never mix."""
    return base if kind == "default" else f"{base}.{kind}"


def task_routes(base: str) -> dict[str, dict[str, str]]:
    return {pattern: {"queue": queue_name(base, kind)} for pattern, kind in TASK_ROUTES.items()}


BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "web.ops.tasks.heartbeat", "schedule": 300.0},
    # Plans every tenant's due reminders and sends them; retries and the 08:00 window wait for
    # this, so it runs often. Idempotent: two beats, or a late run, send nothing twice.
    "reminders-plan": {"task": "web.reminders.tasks.plan_all_tenants", "schedule": 120.0},
    # Offered examples → redacted entries for HR's review (one task per tenant); hourly, and on
    # demand from HR's review page.
    "collections-compile": {
        "task": "web.collections.tasks.compile_all_collections",
        "schedule": 3600.0,
    },
    # Vectors of approved entries that have none, an older text or an older model's (one task
    # per tenant); approvals and edits are embedded at once by their own task.
    "themes-backfill": {"task": "web.themes.tasks.backfill_all", "schedule": 3600.0},
    # The HR overview copies read within the last hour are recomputed once half their
    # OVERVIEW_CACHE_SECONDS old, so HR normally finds a fresh one (web.dashboards.tasks).
    "dashboards-overview-refresh": {
        "task": "web.dashboards.tasks.refresh_read_overviews",
        "schedule": 15.0,
    },
    # Daily check of every tenant's Hovedudvalg meeting dates (a report lead days before each).
    "reports-schedule": {
        "task": "web.reports.tasks.schedule_all_reports",
        "schedule": crontab(hour=6, minute=15),
    },
    # Nightly retention: personal data of cycles closed longer ago than each tenant's
    # retention_months is pseudonymised (one task per tenant; idempotent).
    # Each SAML tenant's IdP metadata (keys, endpoints) read again from its URL.
    "saml-metadata-refresh": {
        "task": "web.auth.tasks.refresh_all_saml_metadata",
        "schedule": 3600.0,
    },
    # Each OpenID tenant's discovery and JWKS, kept only when sign-in keeps working.
    "oidc-keys-refresh": {"task": "web.auth.tasks.refresh_all_oidc_keys", "schedule": 3600.0},
    "gdpr-retention": {
        "task": "web.gdpr.tasks.pseudonymise_all_tenants",
        "schedule": crontab(hour=3, minute=30),
    },
}


def beat_schedule(plan_seconds: float) -> dict[str, dict]:
    """The schedule, with the reminder planner's interval from REMINDER_PLAN_SECONDS."""
    schedule = dict(BEAT_SCHEDULE)
    schedule["reminders-plan"] = {
        **BEAT_SCHEDULE["reminders-plan"],
        "schedule": float(plan_seconds),
    }
    return schedule


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    base = app.config.get("CELERY_QUEUE") or "celery"
    celery.config_from_object(
        {
            "task_serializer": "json",
            "result_serializer": "json",
            "accept_content": ["json"],
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "Europe/Copenhagen",
            "beat_schedule": beat_schedule(app.config["REMINDER_PLAN_SECONDS"]),
            "include": TASK_MODULES,
            **app.config["CELERY"],
            "task_default_queue": base,
            "task_routes": task_routes(base),
            # A worker started without WORKER_QUEUES consumes every queue (one worker is enough
            # for `make test` and a small deployment); with it, only the kinds it names.
            "task_queues": [Queue(queue_name(base, kind)) for kind in QUEUE_KINDS],
        }
    )
    consumed = app.config.get("WORKER_QUEUES")
    if consumed and app.config.get("PROCESS_KIND") == "worker":
        names = [queue_name(base, kind) for kind in consumed]

        @celeryd_after_setup.connect(weak=False)
        def _consume_only(sender, instance, **_kwargs) -> None:
            instance.app.amqp.queues.select(names)

    celery.set_default()
    app.extensions["celery"] = celery
    return celery
