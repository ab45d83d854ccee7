"""Start-up fails fast, naming every missing or malformed variable."""

import re
from pathlib import Path

import pytest

from web import config, create_app
from web.config import SETTINGS, ConfigError


def load(env):
    cfg = {}
    config.load(cfg, environ=env)
    return cfg


def test_production_without_secrets_names_each_missing_variable():
    with pytest.raises(ConfigError) as err:
        load({"AKTOR_ENV": "production"})
    message = str(err.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in message


def test_malformed_values_are_named_and_secrets_not_echoed():
    with pytest.raises(ConfigError) as err:
        load(
            {
                "DATABASE_URL": "mysql://x",
                "SMTP_PORT": "abc",
                "SMTP_USE_TLS": "maybe",
                "SMTP_PASSWORD": "",
                "AKTOR_ENV": "staging",
            }
        )
    message = str(err.value)
    assert "DATABASE_URL: expected a URL starting with one of" in message
    assert "SMTP_PORT: expected a whole number" in message
    assert "SMTP_USE_TLS: expected true or false" in message
    assert "AKTOR_ENV: expected one of development, production, test" in message


def test_secret_values_are_masked_in_errors():
    with pytest.raises(ConfigError) as err:
        load(
            {
                "AKTOR_ENV": "production",
                "SMTP_PORT": "x",
                "SECRET_KEY": "s3cret",
                "DATABASE_URL": "postgresql+psycopg://h/db",
                "REDIS_URL": "redis://h",
            }
        )
    assert "s3cret" not in str(err.value)


def test_create_app_fails_fast(monkeypatch):
    monkeypatch.setenv("AKTOR_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_embedded_default_uses_sqlite_and_the_sqlalchemy_broker(tmp_path):
    cfg = load({})
    config.apply_embedded_defaults(cfg, str(tmp_path))
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/aktorskab.db"
    assert cfg["CELERY"]["broker_url"].startswith("sqla+sqlite:///")
    assert cfg["CELERY"]["result_backend"].startswith("db+sqlite:///")


def test_redis_url_drives_the_broker(tmp_path):
    cfg = load({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    config.apply_embedded_defaults(cfg, str(tmp_path))
    assert cfg["CELERY"]["broker_url"] == "redis://127.0.0.1:6379/3"


def test_readme_documents_every_variable():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert documented == {s.env for s in SETTINGS}
