"""Configuration: code defaults overridden by environment variables.

Every variable the product reads is declared once in ``SETTINGS``; the README's configuration
table is checked against this list by a test. Parsing happens in ``load`` so that a missing or
malformed value stops the process at start-up with a message that names the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A configuration variable is missing or malformed."""


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in schemes:
            raise ValueError(f"expected a URL starting with one of {', '.join(schemes)}")
        return value

    return parse


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _mail_from(value: str) -> str:
    """``Name <address>`` or an address alone; the address ASCII (reminders use no SMTPUTF8)."""
    from email.utils import parseaddr

    address = parseaddr(value)[1]
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or not address.isascii():
        raise ValueError("expected an e-mail address (Name <user@example.dk> or user@example.dk)")
    return value


def _queue_kinds(value: str) -> tuple[str, ...]:
    from worker import QUEUE_KINDS

    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    unknown = [k for k in kinds if k not in QUEUE_KINDS]
    if not kinds or unknown:
        raise ValueError(f"expected queue kinds among {', '.join(QUEUE_KINDS)}, comma-separated")
    return kinds


def _send_window(value: str) -> str:
    from web.reminders.cadence import SendWindow

    SendWindow.parse(value)
    return value


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    parse: Callable[[str], Any]
    help: str
    required_in_production: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "AKTOR_ENV",
        "ENV",
        _choice("development", "production", "test"),
        "development (default), test or production; production demands the secrets below",
    ),
    Setting(
        "SECRET_KEY",
        "SECRET_KEY",
        str,
        "signs sessions and tokens; required in production",
        required_in_production=True,
    ),
    Setting(
        "DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        _url("postgresql+psycopg", "postgresql", "sqlite"),
        "postgresql+psycopg://user@host/db; default: a SQLite file in instance/",
        required_in_production=True,
    ),
    Setting(
        "DATABASE_OWNER_URL",
        "SQLALCHEMY_OWNER_URI",
        _url("postgresql+psycopg", "postgresql", "sqlite"),
        "the schema owner's connection, used only by `flask db` migrations; default: DATABASE_URL",
    ),
    Setting(
        "REDIS_URL",
        "REDIS_URL",
        _url("redis", "rediss"),
        "Celery broker and result backend; default: Celery's SQLAlchemy transport on SQLite",
        required_in_production=True,
    ),
    Setting(
        "BASE_URL",
        "BASE_URL",
        _url("http", "https"),
        "public address of the web tier, used in e-mails and SSO redirects",
    ),
    Setting(
        "CELERY_QUEUE",
        "CELERY_QUEUE",
        str,
        "name of the Celery queue tasks go to and workers read (default celery); the other "
        "queues are named after it (celery.reminders, celery.reports, celery.compilations)",
    ),
    Setting(
        "WORKER_QUEUES",
        "WORKER_QUEUES",
        _queue_kinds,
        "the queues a Celery worker consumes, comma-separated among default, reminders, "
        "reports and compilations (default: all)",
    ),
    Setting(
        "INSTANCE_PATH",
        "INSTANCE_PATH",
        str,
        "folder for the embedded SQLite files (default: instance/ in the checkout)",
    ),
    Setting(
        "LOG_LEVEL",
        "LOG_LEVEL",
        _choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "log level (default INFO)",
    ),
    Setting("SMTP_HOST", "SMTP_HOST", str, "SMTP server for reminders (default localhost)"),
    Setting("SMTP_PORT", "SMTP_PORT", _int, "SMTP port (default 8025)"),
    Setting(
        "SMTP_USE_TLS", "SMTP_USE_TLS", _bool, "STARTTLS towards the SMTP server (default false)"
    ),
    Setting("SMTP_USERNAME", "SMTP_USERNAME", str, "SMTP user name, if the server asks for one"),
    Setting("SMTP_PASSWORD", "SMTP_PASSWORD", str, "SMTP password, if the server asks for one"),
    Setting("MAIL_FROM", "MAIL_FROM", _mail_from, "sender address of e-mails"),
    Setting(
        "REMINDER_SEND_WINDOW",
        "REMINDER_SEND_WINDOW",
        _send_window,
        "when reminders go out, Europe/Copenhagen working days: HH:MM-HH:MM (default "
        "08:00-16:00) or always (no working-day or working-hours rule; tests, development)",
    ),
    Setting(
        "REMINDER_MAX_ATTEMPTS",
        "REMINDER_MAX_ATTEMPTS",
        _int,
        "delivery attempts before a reminder is marked failed (default 8)",
    ),
    Setting(
        "REMINDER_RETRY_SECONDS",
        "REMINDER_RETRY_SECONDS",
        _int,
        "first back-off after a failed attempt, doubled each time (default 60)",
    ),
    Setting(
        "REMINDER_CHUNK_SIZE",
        "REMINDER_CHUNK_SIZE",
        _int,
        "reminders one delivery task claims and sends over one SMTP connection (default 200)",
    ),
    Setting(
        "REMINDER_LEASE_SECONDS",
        "REMINDER_LEASE_SECONDS",
        _int,
        "how long a claimed chunk is reserved before it counts as abandoned (default 600)",
    ),
    Setting(
        "REMINDER_PLAN_SECONDS",
        "REMINDER_PLAN_SECONDS",
        _int,
        "how often the beat plans and sends every tenant's reminders (default 120)",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "TRUSTED_PROXIES",
        _int,
        "reverse proxies in front of the web tier whose X-Forwarded-For/-Proto/-Host "
        "headers are believed (default 0: none)",
    ),
    Setting(
        "DATABASE_STATEMENT_TIMEOUT_MS",
        "DATABASE_STATEMENT_TIMEOUT_MS",
        _int,
        "longest a database statement of the web tier may run before it is ended and the "
        "request answers 503, in milliseconds (default 30000; 0: no limit)",
    ),
    Setting(
        "WORKER_STATEMENT_TIMEOUT_MS",
        "WORKER_STATEMENT_TIMEOUT_MS",
        _int,
        "the same for Celery workers and beat (default 600000; 0: no limit)",
    ),
    Setting(
        "DATABASE_TRANSACTION_POOLER",
        "DATABASE_TRANSACTION_POOLER",
        _bool,
        "PostgreSQL is reached through a pooler in transaction mode (PgBouncer): no "
        "server-side prepared statements and no start-up options; the statement timeouts "
        "are then the database role's (ALTER ROLE ... SET statement_timeout; default false)",
    ),
    Setting(
        "OUTBOUND_ALLOWED_HOSTS",
        "OUTBOUND_ALLOWED_HOSTS",
        str,
        "hosts (host or host:port, comma-separated) that server-side requests to "
        "addresses a tenant admin entered may reach although they are not public "
        "(default: none in production; localhost, 127.0.0.1 and [::1] otherwise)",
    ),
)


class Defaults:
    ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    BASE_URL = "http://127.0.0.1:5000"
    LOG_LEVEL = "INFO"
    SMTP_HOST = "localhost"
    SMTP_PORT = 8025
    SMTP_USE_TLS = False
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    MAIL_FROM = "Aktørskab <no-reply@aktorskab.local>"
    REMINDER_SEND_WINDOW = "08:00-16:00"
    REMINDER_MAX_ATTEMPTS = 8
    REMINDER_RETRY_SECONDS = 60
    REMINDER_CHUNK_SIZE = 200
    REMINDER_LEASE_SECONDS = 600
    REMINDER_PLAN_SECONDS = 120
    TRUSTED_PROXIES = 0
    DATABASE_STATEMENT_TIMEOUT_MS = 30_000
    WORKER_STATEMENT_TIMEOUT_MS = 600_000
    DATABASE_TRANSACTION_POOLER = False
    WORKER_QUEUES: tuple[str, ...] = ()  # every queue (worker.QUEUE_KINDS)
    PROCESS_KIND = "web"  # worker.main: "worker" (web.timeouts)
    # Sessions (web.auth.session): idle and absolute timeouts in seconds.
    AUTH_IDLE_TIMEOUT = 60 * 60
    AUTH_ABSOLUTE_TIMEOUT = 12 * 60 * 60

    BABEL_DEFAULT_LOCALE = "da"
    BABEL_DEFAULT_TIMEZONE = "Europe/Copenhagen"
    LANGUAGES = ("da", "en")

    # Not Flask's "session": the dev identity provider (a Flask app too) sets that one, and
    # cookies are kept per host, not per port, so on 127.0.0.1 each would overwrite the other.
    SESSION_COOKIE_NAME = "aktorskab_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024


def load(
    app_config: dict[str, Any],
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> None:
    """Fill ``app_config`` from defaults, then the environment, then explicit overrides."""
    environ = os.environ if environ is None else environ
    for name in dir(Defaults):
        if name.isupper():
            app_config[name] = getattr(Defaults, name)

    problems: list[str] = []
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None or raw == "":
            continue
        try:
            app_config[setting.key] = setting.parse(raw)
        except ValueError as exc:
            problems.append(f"{setting.env}: {exc} (got {_shown(setting, raw)!r})")
    app_config.update(overrides or {})
    for key, value in _by_environment(app_config["ENV"]).items():
        app_config.setdefault(key, value)

    if app_config["ENV"] == "production":
        for setting in SETTINGS:
            if setting.required_in_production and not app_config.get(setting.key):
                problems.append(f"{setting.env}: required when AKTOR_ENV=production")
    if problems:
        raise ConfigError("Configuration error:\n  " + "\n  ".join(problems))


def _by_environment(env: str) -> dict[str, Any]:
    """Defaults that differ in tests, where each test makes its own tenants and rows and signs
    in many times from 127.0.0.1: no per-process tenant copies (web.tenancy), no cached
    overview (web.dashboards.tasks), no rate limits (web.security)."""
    testing = env == "test"
    return {
        "TENANT_CACHE_SECONDS": 0 if testing else 5,
        "OVERVIEW_CACHE_SECONDS": 0 if testing else 60,
        "RATELIMIT_ENABLED": not testing,
    }


def _shown(setting: Setting, raw: str) -> str:
    return "***" if "SECRET" in setting.env or "PASSWORD" in setting.env else raw


def apply_embedded_defaults(app_config: dict[str, Any], instance_path: str) -> None:
    """Without a database or Redis, run on SQLite files so that nothing needs a server."""
    instance = Path(instance_path)
    if not app_config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'aktorskab.db'}"
    if not app_config.get("SECRET_KEY"):
        # Only reachable outside production (load() refuses production without it).
        app_config["SECRET_KEY"] = "dev-only-insecure-secret"  # noqa: S105

    redis_url = app_config.get("REDIS_URL")
    celery = dict(app_config.get("CELERY") or {})
    if redis_url:
        celery.setdefault("broker_url", redis_url)
        celery.setdefault("result_backend", redis_url)
    else:
        instance.mkdir(parents=True, exist_ok=True)
        celery.setdefault("broker_url", f"sqla+sqlite:///{instance / 'celery-broker.db'}")
        celery.setdefault("result_backend", f"db+sqlite:///{instance / 'celery-results.db'}")
    app_config["CELERY"] = celery
    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
