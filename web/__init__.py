"""The Aktørskab web application."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request

from web import config, extensions, logs, tablelabels
from web.i18n import cached_date_filters, install_template_gettext, select_locale


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    import os

    instance_path = (overrides or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None)
    config.load(app.config, overrides=overrides)
    config.apply_embedded_defaults(app.config, app.instance_path)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(_repo_path(app, "translations")))
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    if app.config["TRUSTED_PROXIES"] > 0:
        # Behind a load balancer the connection comes from the proxy: the client's address (rate
        # limits, audit log) and the original scheme and host come from its headers, believed
        # for exactly as many proxies as are configured (more would let a client forge them).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from web import tenancy, timeouts

    timeouts.engine_options(app.config)
    tenancy.engine_options(app.config)
    logs.init_app(app)
    _import_models()
    extensions.db.init_app(app)
    with app.app_context():
        tenancy.init_engine(extensions.db.engine)
    extensions.migrate.init_app(
        app,
        extensions.db,
        directory=str(_repo_path(app, "migrations")),
        render_as_batch=True,
        compare_type=True,
    )
    extensions.babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(cached_date_filters())
    install_template_gettext(app)
    extensions.csrf.init_app(app)

    from worker import celery_init_app

    celery_init_app(app)
    from web.reminders import hooks

    hooks.register()  # plan a tenant's reminders right after a commit that moved its dates
    _init_auth(app)
    _register_blueprints(app)
    _init_security(app)
    _register_errors(app)
    _register_cli(app)
    _register_template_helpers(app)
    tablelabels.install(app)
    _configure_sqlite(app)
    from web.meetings import polls

    polls.init_app(app)  # the live meeting's unchanged polls, answered before Flask
    return app


def _repo_path(app: Flask, name: str):
    from pathlib import Path

    return Path(app.root_path).parent / name


# Every module that defines tables, so metadata (and Alembic) always sees the whole schema.
MODEL_MODULES = (
    "web.tenants.models",
    "web.users.models",
    "web.orgs.models",
    "web.cycles.models",
    "web.examples.models",
    "web.auth.models",
    "web.audit.models",
    "web.teams.models",
    "web.reminders.models",
    "web.collections.models",
    "web.reports.models",
    "web.themes.models",
    "web.api.models",
    "web.scim.models",
    "web.meetings.models",
)


def _import_models() -> None:
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)


def _init_auth(app: Flask) -> None:
    from web import auth

    auth.init_app(app)


def _init_security(app: Flask) -> None:
    from web import security

    security.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from web import tenancy
    from web.admin.views import bp as admin_bp
    from web.api import bp as api_bp
    from web.api.pages import bp as api_tokens_bp
    from web.auth.views import bp as auth_bp
    from web.collections.views import bp as collections_bp
    from web.cycles.views import bp as cycles_bp
    from web.cycles.views.actions import bp as actions_bp
    from web.dashboards.views import bp as dashboards_bp
    from web.examples.views import bp as examples_bp
    from web.gdpr.views import bp as gdpr_bp
    from web.meetings.views import bp as live_bp
    from web.ops.views import bp as ops_bp
    from web.reminders.views import bp as reminders_bp
    from web.reports.views import bp as reports_bp
    from web.scim.admin import bp as scim_admin_bp
    from web.scim.views import bp as scim_bp
    from web.teams.views import bp as teams_bp
    from web.teams.views import unit_bp as unit_teams_bp
    from web.tenants.views import bp as tenant_home_bp
    from web.tenants.views import public_bp
    from web.themes.views import bp as themes_bp
    from web.users.views import bp as users_bp

    tenant_bp = tenancy.make_tenant_blueprint(
        children=[
            tenant_home_bp,
            auth_bp,
            admin_bp,
            cycles_bp,
            actions_bp,
            examples_bp,
            dashboards_bp,
            reminders_bp,
            collections_bp,
            themes_bp,
            reports_bp,
            api_bp,
            api_tokens_bp,
            gdpr_bp,
            scim_bp,
            scim_admin_bp,
            live_bp,
            teams_bp,
            unit_teams_bp,
            users_bp,
        ]
    )
    for bp in (ops_bp, public_bp, tenant_bp):
        app.register_blueprint(bp)


def _register_errors(app: Flask) -> None:
    """Every error answered by web.errorpages (translated, with the headers, never failing),
    and the request guard that refuses forbidden characters before any view runs."""
    from web import errorpages, requestguard

    errorpages.init_app(app)
    requestguard.init_app(app)


def _register_cli(app: Flask) -> None:
    from web.auth.cli import sso_cli  # (web.demo.cli adds the demo tenants' commands)
    from web.collections.cli import collections_cli
    from web.demo.cli import demo_command
    from web.gdpr import cli as gdpr_cli  # noqa: F401  (adds `flask tenants offboard`)
    from web.i18n_cli import translations_cli
    from web.orgs.cli import orgs_cli
    from web.reminders.cli import reminders_cli
    from web.reports.cli import reports_cli
    from web.tenants.cli import tenants_cli
    from web.themes.cli import themes_cli

    app.cli.add_command(tenants_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(translations_cli)
    app.cli.add_command(sso_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(collections_cli)
    app.cli.add_command(themes_cli)
    app.cli.add_command(reports_cli)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from web import navigation
    from web.permissions import Permission, can

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        user = g.get("user")
        return {
            "current_tenant": g.get("tenant"),
            "current_user": user,
            "current_locale": str(get_locale()),
            "nav_items": navigation.items_for(user) if g.get("tenant") else [],
            "user_nav_items": navigation.user_items_for(user) if g.get("tenant") else [],
            "is_current_nav": lambda item: navigation.is_current(item, request.endpoint),
            "can": lambda permission, obj=None: can(user, Permission(permission), obj),
        }

    app.jinja_env.globals["fixed_url"] = navigation.fixed_url


def _configure_sqlite(app: Flask) -> None:
    """Let web, worker and beat share one SQLite file: WAL and a busy timeout."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = extensions.db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    from web import timeouts

    timeouts.init_sqlite(app, engine)
