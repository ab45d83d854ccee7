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
        assert "@postgres:5432/" in env["DATABASE_URL"]
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
