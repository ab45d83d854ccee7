import logging

from web.logs import FORMAT, ContextFilter


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_checks_database_broker_and_migrations(client):
    reply = client.get("/readyz")
    assert reply.status_code == 200, reply.json
    assert reply.json["status"] == "ready"
    assert set(reply.json["checks"]) == {"database", "broker", "migrations"}


def test_readyz_reports_a_broker_that_is_down(app, db_session):
    celery = app.extensions["celery"]
    original = celery.conf.broker_url
    celery.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        reply = app.test_client().get("/readyz")
    finally:
        celery.conf.broker_url = original
    assert reply.status_code == 503
    assert reply.json["checks"]["broker"]["ok"] is False
    assert reply.json["checks"]["database"]["ok"] is True


def test_request_id_is_echoed(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "req-123"}).headers["X-Request-ID"]
        == "req-123"
    )
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_log_lines_carry_request_id_and_tenant(app, client, make):
    tenant = make.tenant("logby")
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("web.tenancy")
    logger.addHandler(handler)
    try:
        with app.test_request_context(f"/t/{tenant.slug}/", headers={"X-Request-ID": "req-9"}):
            app.preprocess_request()
            logger.warning("something happened")
    finally:
        logger.removeHandler(handler)
    assert "[req-9 logby] web.tenancy: something happened" in lines[0]
