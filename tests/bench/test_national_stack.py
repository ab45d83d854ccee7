"""The national harness's moving parts (``bench/national.py``): PgBouncer in transaction pooling,
two gunicorn nodes through it and HAProxy in front, on loopback, briefly. Round robin without
sticky sessions sends requests to both nodes; ``/readyz`` reaches PostgreSQL through the pooler.
Then one node is stopped and the balancer's health check and retries keep answering from the
other."""

from __future__ import annotations

import json
import os
import signal
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.services import APP_DATABASE_URL, PRODUCTION_REDIS_URL, child_env

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import national

pytestmark = pytest.mark.postgres("PgBouncer and the web nodes run against PostgreSQL")


def test_pooler_two_nodes_and_balancer_serve_from_each_node(app):
    if not (os.path.exists(national.PGBOUNCER) and os.path.exists(national.HAPROXY)):
        pytest.skip("pgbouncer or haproxy is not installed (apt-get install pgbouncer haproxy)")
    env = child_env(
        AKTOR_ENV="production",
        SECRET_KEY="test-secret",
        REDIS_URL=PRODUCTION_REDIS_URL,
        LOG_LEVEL="WARNING",
    )
    with national.Stack(APP_DATABASE_URL, env) as stack:
        stack.start_pooler(pool_size=2)
        nodes = stack.start_nodes("product", "web:create_app()", 2, workers=1)
        stack.start_balancer()
        ready = stack.url("product", "/readyz")
        with urllib.request.urlopen(ready, timeout=30) as response:
            assert json.load(response)["checks"]["database"] == {"ok": True}
        assert national.served_by(ready, 6) == {"product-1": 3, "product-2": 3}

        os.killpg(nodes[1].process.pid, signal.SIGTERM)
        nodes[1].process.wait(timeout=30)
        # Right after the stop, before the health check has noticed: retried on product-1.
        assert national.served_by(stack.url("product", "/healthz"), 6) == {"product-1": 6}
        stats = stack.server_stats()
    assert stats["product-1"]["status"] == "UP"
