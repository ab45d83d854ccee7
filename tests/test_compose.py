"""docker-compose.yml holds the whole stack; no Docker engine runs here, so check its structure."""

from pathlib import Path

import yaml

from web.config import SETTINGS

ROOT = Path(__file__).parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_images():
    services = compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat"):
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_app_services_are_wired_by_environment():
    services = compose()["services"]
    known = {s.env for s in SETTINGS}
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["AKTOR_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        # The web nodes through the pooler (which then must be told), the workers directly.
        through_pooler = "@pgbouncer:5432/" in env["DATABASE_URL"]
        assert through_pooler == (name == "web"), name
        assert through_pooler or "@postgres:5432/" in env["DATABASE_URL"]
        assert (env.get("DATABASE_TRANSACTION_POOLER") == "true") == through_pooler
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert "SECRET_KEY" in env
        assert set(env) <= known, set(env) - known
        assert "postgres" in services[name]["depends_on"] or "redis" in services[name]["depends_on"]


def test_commands_point_at_real_entry_points():
    services = compose()["services"]
    assert "web:create_app()" in " ".join(services["web"]["command"])
    assert (ROOT / "web" / "gunicorn_conf.py").exists()
    for name in ("worker", "beat"):
        assert services[name]["command"][:3] == ["celery", "-A", "worker.main"]


def test_web_nodes_behind_the_balancer_and_the_pooler(app):
    """Two web nodes, no published port of their own: the balancer publishes 8000, checks every
    replica's /healthz (an endpoint that exists) and needs no sticky sessions; PgBouncer pools
    by transaction towards PostgreSQL as the app's role."""
    services = compose()["services"]
    assert services["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in services["web"]
    balancer = services["balancer"]
    assert balancer["image"].startswith("haproxy:") and balancer["ports"] == ["8000:8000"]
    source = balancer["volumes"][0].split(":")[0]
    config = (ROOT / source).read_text()
    assert "balance roundrobin" in config and "cookie" not in config
    assert "server-template web " in config and " web:8000 " in config
    assert "option httpchk GET /healthz" in config
    # One proxy in front: the web nodes read the client's address from its X-Forwarded-For.
    assert "option forwardfor" in config
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"
    assert "/healthz" in {rule.rule for rule in app.url_map.iter_rules()}
    pooler = services["pgbouncer"]["environment"]
    assert pooler["POOL_MODE"] == "transaction"
    assert pooler["DATABASE_URL"].startswith("postgres://aktorskab_app:")
    assert "@postgres:5432/aktorskab" in pooler["DATABASE_URL"]
