"""Row-level security through PgBouncer in transaction pooling (issue 20).

With ``pool_mode = transaction`` every transaction may run on another server connection, and
one server connection serves many clients in turn. The tenant is set inside each transaction
(``set_config('app.tenant_id', ..., true)``, ``web.tenancy``), never on the connection, so it
ends with the transaction and cannot be seen by the next client on that server connection.
Here a real PgBouncer (Debian's) runs on loopback with ONE server connection for the
application's role, so that every client below shares it.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.services import APP_DATABASE_URL, PRODUCTION_REDIS_URL, Process, free_port
from web.extensions import db
from web.tenancy import tenant_scope

pytestmark = pytest.mark.postgres("PgBouncer in front of PostgreSQL")

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture(scope="module")
def pgbouncer():
    """PgBouncer on a free loopback port, transaction pooling, one server connection; the
    URL of the test database through it, as the application's role."""
    if not os.path.exists(PGBOUNCER):
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    url = make_url(APP_DATABASE_URL)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="aktor-pgbouncer-"))
    (folder / "users.txt").write_text(f'"{url.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(f"""\
[databases]
{url.database} = host=127.0.0.1 port={url.port or 5432} dbname={url.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 1
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 50
server_reset_query =
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
""")
    args = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(folder, "postgres")
        for child in folder.iterdir():
            shutil.chown(child, "postgres")
        args[1:1] = ["-u", "postgres"]
    process = Process(args, dict(os.environ), folder / "stdout.log")
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.popen.poll() is not None or time.monotonic() > deadline:
                process.stop()
                raise RuntimeError("pgbouncer did not start:\n" + process.output()) from None
            time.sleep(0.1)
    yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    process.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def two_tenants(committed_make):
    a, b = committed_make.tenant("bouncer-a"), committed_make.tenant("bouncer-b")
    committed_make.user(a, "Alma Pool", unit=committed_make.unit(a, "Team A"))
    committed_make.user(b, "Bent Pool", unit=committed_make.unit(b, "Team B"))
    return a, b


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_tenant_set_in_one_transaction_is_gone_for_the_next_client(pgbouncer, two_tenants):
    a, b = two_tenants
    names = "SELECT display_name FROM users ORDER BY 1"
    with (
        psycopg.connect(_dsn(pgbouncer), prepare_threshold=None) as first,
        psycopg.connect(_dsn(pgbouncer), prepare_threshold=None) as second,
    ):
        for _ in range(3):
            with first.transaction():
                first.execute("SELECT set_config('app.tenant_id', %s, true)", (str(a.id),))
                assert [r[0] for r in first.execute(names)] == ["Alma Pool"]
                backend = first.execute("SELECT pg_backend_pid()").fetchone()[0]
            with second.transaction():
                # The same server connection, right after the first client's transaction.
                assert second.execute("SELECT pg_backend_pid()").fetchone()[0] == backend
                assert second.execute(names).fetchall() == []
                second.execute("SELECT set_config('app.tenant_id', %s, true)", (str(b.id),))
                assert [r[0] for r in second.execute(names)] == ["Bent Pool"]
            with first.transaction():
                assert first.execute(names).fetchall() == []  # not b's, not a's any more


def test_the_app_through_pgbouncer_sees_only_its_scope(pgbouncer, two_tenants):
    """Two app instances (two pools) interleave tenants over PgBouncer's one server connection,
    through the ORM and its tenant scope, more often than psycopg's prepare threshold (5)."""
    from web import create_app

    a, b = two_tenants
    config = {
        "ENV": "production",
        "SECRET_KEY": "x",
        "REDIS_URL": PRODUCTION_REDIS_URL,
        "SQLALCHEMY_DATABASE_URI": pgbouncer,
        "DATABASE_TRANSACTION_POOLER": True,
    }
    apps = [create_app(config), create_app(config)]
    try:
        for i in range(12):
            for app, tenant, name in ((apps[0], a, "Alma Pool"), (apps[1], b, "Bent Pool")):
                with app.app_context(), tenant_scope(tenant.id):
                    seen = db.session.execute(text("SELECT display_name FROM users")).scalars()
                    assert list(seen) == [name], i
                    db.session.commit()
            with apps[i % 2].app_context():
                assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 0
                db.session.commit()
    finally:
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_without_the_pooler_setting_the_app_cannot_connect(pgbouncer):
    """The statement timeout's start-up option is refused by PgBouncer: the setting is needed
    (and the timeout then belongs to the database role)."""
    from web import create_app

    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "x",
            "REDIS_URL": PRODUCTION_REDIS_URL,
            "SQLALCHEMY_DATABASE_URI": pgbouncer,
        }
    )
    with app.app_context():
        with pytest.raises(Exception, match="unsupported startup parameter"):
            db.session.execute(text("SELECT 1"))
        db.session.remove()
        db.engine.dispose()
