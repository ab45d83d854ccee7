"""Benchmark: the product's busiest pages under load, against a bare Flask + SQLAlchemy stack.

Not a test. Run from the repository root::

    .venv/bin/python bench/web.py [--duration 8] [--repeat 3] [--connections 10] [--profile]

Starts two gunicorn servers with the production settings (``web/gunicorn_conf.py``: sync
workers, (2 × cores) + 1 of them, ``GUNICORN_BIND``/``GUNICORN_WORKERS`` from the environment)
against the generated 50,000-person tenant in the benchmark database (``benchlib``): the product
(``web:create_app`` with CSRF switched off, since wrk cannot read a form's token) and the bare
stack (``bench/bare_app.py``). wrk, a separate process on loopback, loads each target in turn
with requests drawn from a few hundred prepared ones (``bench/requests.lua``), each with a
session cookie signed with the app's ``SECRET_KEY`` through Flask's own session interface:

- employee home ``/t/bench/`` as employees whose team has an open cycle;
- contribution submit ``POST /t/bench/cycles/<id>/prepare`` (nine answers) as members of a
  cycle in preparation;
- leader dashboard ``/t/bench/units`` as department leaders;
- HR overview ``/t/bench/overview`` as HR;
- bare: ``GET /items/<id>`` (one indexed SELECT) and ``POST /items`` (one INSERT).

As in production (web + worker), one real Celery worker (prefork, one process) runs against the
same database and Redis on a queue of its own for the whole run: it recomputes the HR overview
when a request finds a stale copy, and when the beat's overview entry finds a copy read lately
half stale (``web.dashboards.tasks``). The bench sends that entry's task on its schedule itself
instead of running beat, whose other entries would plan the generated tenants' reminders. The
overview's copies are dropped at the start, so the preflight request computes it (the cold
path) and the worker refreshes it during the rounds; the number of refreshes is reported.

The targets run round-robin ``--repeat`` times (so the machine's noise spreads over all of
them); the table shows the median requests/s, p50 and p99, and each page's ratio to the bare
endpoint of its kind (GET pages to the SELECT, the submit to the INSERT). ``--profile`` also
writes a pyinstrument profile of each page (in this process, through the test client) to
``bench/results/profile-<page>.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

PRODUCT_PORT, BARE_PORT = 18_401, 18_402
COOKIE = "aktorskab_session"  # web.config's SESSION_COOKIE_NAME
SLUG = "bench"
USERS_PER_PAGE = 400
QUEUE = f"bench-web-{os.getpid()}"


@dataclass
class Target:
    key: str
    label: str
    port: int
    baseline: str | None  # the bare target this page is compared with
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, path, …
    expect_status: int = 200
    runs: list[dict] = field(default_factory=list)


# --- preparing the requests --------------------------------------------------------------------


def prepare_targets(app, tenant_id: int) -> list[Target]:
    rows = benchlib.psql
    home_users = [
        r[0]
        for r in rows(
            "SELECT DISTINCT m.user_id, md5(m.user_id::text) FROM memberships m "
            "JOIN org_units u ON u.id = m.unit_id AND u.kind = 'team' "
            "JOIN cycles c ON c.unit_id = u.id AND c.phase <> 'closed' "
            "JOIN users p ON p.id = m.user_id AND p.is_active "
            "WHERE m.tenant_id = %s AND m.role = 'employee' ORDER BY 2 LIMIT %s",
            tenant_id,
            USERS_PER_PAGE,
        )
    ]
    writers = rows(
        "SELECT m.user_id, c.id, array_agg(cp.id ORDER BY cp.position), md5(m.user_id::text) "
        "FROM memberships m JOIN cycles c ON c.unit_id = m.unit_id AND c.phase = 'preparation' "
        "AND NOT c.include_subunits JOIN cycle_prompts cp ON cp.cycle_id = c.id "
        "JOIN users p ON p.id = m.user_id AND p.is_active "
        "WHERE m.tenant_id = %s AND m.role = 'employee' "
        "GROUP BY m.user_id, c.id ORDER BY 4 LIMIT %s",
        tenant_id,
        USERS_PER_PAGE,
    )
    leaders = [
        r[0]
        for r in rows(
            "SELECT m.user_id FROM memberships m JOIN org_units u ON u.id = m.unit_id "
            "WHERE m.tenant_id = %s AND m.role = 'leader' AND u.kind = 'department' "
            "ORDER BY m.user_id",
            tenant_id,
        )
    ]
    hr = [
        r[0]
        for r in rows(
            "SELECT user_id FROM tenant_roles WHERE tenant_id = %s "
            "AND role = 'hr' ORDER BY user_id",
            tenant_id,
        )
    ]
    cookies = session_cookies(
        app, tenant_id, {*home_users, *(w[0] for w in writers), *leaders, *hr}
    )
    rng = random.Random(benchlib.SEED)  # noqa: S311 - reproducible, not secret
    visibilities = ("private", "named", "anonymous")

    def answers(prompts: list[int]) -> str:
        form = {}
        for prompt in prompts:
            # "__N__": a new number in every request (bench/requests.lua), so that each
            # submit really changes the stored answers.
            form[f"answer-{prompt}"] = (
                f"Vi tager et ekstra ansvar, når borgeren har brug for "
                f"det ({rng.randrange(10_000)}, __N__)."
            )
            form[f"visibility-{prompt}"] = rng.choice(visibilities)
        return urllib.parse.urlencode(form)

    base = f"/t/{SLUG}"
    return [
        Target(
            "home",
            "Employee home",
            PRODUCT_PORT,
            "bare_select",
            [("GET", f"{base}/", cookies[u], "") for u in home_users],
        ),
        Target(
            "submit",
            "Contribution submit (9 answers)",
            PRODUCT_PORT,
            "bare_insert",
            [
                ("POST", f"{base}/cycles/{c}/prepare", cookies[u], answers(p))
                for u, c, p, _ in writers
            ],
            expect_status=302,
        ),
        Target(
            "leader",
            "Leader dashboard",
            PRODUCT_PORT,
            "bare_select",
            [("GET", f"{base}/units", cookies[u], "") for u in leaders],
        ),
        Target(
            "overview",
            "HR overview",
            PRODUCT_PORT,
            "bare_select",
            [("GET", f"{base}/overview", cookies[u], "") for u in hr],
        ),
        Target(
            "bare_select",
            "Bare: one indexed SELECT",
            BARE_PORT,
            None,
            [("GET", f"/items/{rng.randint(1, 50_000)}", "", "") for _ in range(1000)],
        ),
        Target(
            "bare_insert",
            "Bare: one INSERT",
            BARE_PORT,
            None,
            [
                (
                    "POST",
                    "/items",
                    "",
                    urllib.parse.urlencode({"name": f"Item {i}", "note": "x" * 100}),
                )
                for i in range(1000)
            ],
            expect_status=302,
        ),
    ]


def session_cookies(app, tenant_id: int, user_ids: set[int]) -> dict[int, str]:
    """A signed session cookie per user, made by Flask's own session interface."""
    from sqlalchemy import select

    from web.auth.session import session_payload
    from web.extensions import db
    from web.tenancy import tenant_scope
    from web.users.models import User

    serializer = app.session_interface.get_signing_serializer(app)
    with app.app_context(), tenant_scope(tenant_id):
        users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
        # As a browser's cookie looks after its first page: signed in, permanent, and holding
        # the CSRF token the logout form put there (else every response would set a new one).
        return {
            u.id: serializer.dumps(
                {**session_payload(u), "_permanent": True, "csrf_token": secrets.token_hex(20)}
            )
            for u in users
        }


# --- servers ----------------------------------------------------------------------------------


def start_server(app_spec: str, port: int, log: Path) -> subprocess.Popen:
    env = benchlib.app_env(GUNICORN_BIND=f"127.0.0.1:{port}", CELERY_QUEUE=QUEUE)
    env.pop("GUNICORN_WORKERS", None)  # the production rule: (2 × cores) + 1
    with log.open("wb") as errors:
        return subprocess.Popen(  # noqa: S603 - our own fixed command
            [str(benchlib.BIN / "gunicorn"), "-c", "web/gunicorn_conf.py", app_spec],
            cwd=benchlib.REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(120):
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=30).read()  # noqa: S310 - loopback only
            return
        except OSError:  # not listening yet, or still starting
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def overview_refreshes(log: Path) -> list[float]:
    """Seconds each overview refresh took in the worker (its log's "succeeded in" lines)."""
    return [
        float(seconds)
        for seconds in re.findall(
            r"refresh_overview\[[^]]+\] succeeded in ([\d.]+)s", log.read_text(errors="replace")
        )
    ]


def drop_overview_copies(app, tenant_id: int) -> None:
    """A cold start, as after a deploy with an empty Redis: no copy of the tenant's overview."""
    from web import cache
    from web.dashboards import tasks

    with app.app_context():
        client = cache._client()
        copies = cache._full_key(tasks.cache_key(tenant_id, "*", "*"))
        for key in client.scan_iter(match=f"{copies}*"):  # the copies and their locks
            client.delete(key)


@contextlib.contextmanager
def overview_beat(celery):
    """Send the beat's overview entry on its schedule (only that entry; see the docstring)."""
    from worker import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["dashboards-overview-refresh"]
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(entry["schedule"]):
            celery.send_task(entry["task"])

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def preflight(target: Target, app) -> None:
    """One request of each kind by hand: the right status, and the signed-in page (not the
    login page) — so the load never measures an error page."""
    opener = urllib.request.build_opener(NoRedirect)
    method, path, cookie, body = target.requests[0]
    request = urllib.request.Request(
        f"http://127.0.0.1:{target.port}{path}",
        method=method,
        data=body.encode() if body else None,
        headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {},
    )
    try:
        response = opener.open(request, timeout=60)
        status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode(errors="replace")
    if status != target.expect_status:
        raise SystemExit(
            f"{target.label}: {method} {path} answered {status}, expected "
            f"{target.expect_status}:\n{text[:2000]}"
        )
    if method == "GET" and target.port == PRODUCT_PORT and 'class="logout"' not in text:
        raise SystemExit(f"{target.label}: the page does not show a signed-in user")


# --- wrk --------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def run_wrk(target: Target, seconds: int, connections: int, workdir: Path) -> dict:
    result = wrk(f"http://127.0.0.1:{target.port}", target.requests, seconds, connections, workdir)
    settle(target.port)
    return result


def wrk(
    url: str,
    requests: list[tuple[str, str, str, str]],
    seconds: int,
    connections: int,
    workdir: Path,
    *,
    timeout: str = "10s",
    during=None,
) -> dict:
    """wrk over ``requests`` (bench/requests.lua, signed in with ``COOKIE``); ``during(seconds)``
    runs in a thread meanwhile. The load average before is part of the result."""
    path = workdir / f"requests-{time.monotonic_ns()}.tsv"
    path.write_text("".join("\t".join(r) + "\n" for r in requests))
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        timeout,
        "-s",
        str(benchlib.REPO / "bench" / "requests.lua"),
        url,
        "--",
        str(path),
        COOKIE,
    ]
    load = os.getloadavg()[0]
    thread = None
    if during is not None:
        thread = threading.Thread(target=during, args=(seconds,), daemon=True)
        thread.start()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if thread is not None:
        thread.join()
    path.unlink()
    return {**parse_wrk(output), "loadavg_1m_before": round(load, 2)}


def settle(port: int, timeout: float = 120) -> None:
    """Wait until the server has worked off what wrk left queued (sync workers finish every
    accepted request even after wrk hung up), so one target's backlog never slows the next."""
    probe = "/healthz" if port == PRODUCT_PORT else "/items/1"
    settle_url(f"http://127.0.0.1:{port}{probe}", timeout)


def settle_url(url: str, timeout: float = 120) -> None:
    """Until ``url`` has answered quickly three times in a row."""
    deadline, quick = time.monotonic() + timeout, 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=timeout).read()  # noqa: S310 - loopback
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0


def parse_wrk(output: str) -> dict:
    def latency(percent: str) -> float:
        value, unit = re.search(
            rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE
        ).groups()
        return float(value) * UNITS[unit]

    slowest = re.search(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\s", output, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": latency("50"),
        "p90_ms": latency("90"),
        "p99_ms": latency("99"),
        # The slowest request: one request computing the overview would show here first.
        "max_ms": float(slowest.group(1)) * UNITS[slowest.group(2)],
        "bad_status": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
    }


# --- CPU per request, in this process ---------------------------------------------------------


def app_cpu_ms(
    app, bare, targets: list[Target], count: int = 100
) -> tuple[dict[str, float], dict[str, float | None]]:
    """CPU milliseconds per request inside the application (Flask test client, no HTTP, no
    gunicorn) and in PostgreSQL for it (the backends of this process's connections, from
    /proc): measures that the machine's other load hardly moves, unlike requests/s."""
    measured, database = {}, {}
    for target in targets:
        client = (app if target.port == PRODUCT_PORT else bare).test_client()
        for i in range(count + 5):
            method, path, cookie, body = target.requests[i % len(target.requests)]
            if cookie:
                client.set_cookie(COOKIE, cookie)
            if i == 5:
                started, db_started = time.process_time(), backend_cpu_s()
            response = client.open(
                path,
                method=method,
                data=body.replace("__N__", str(i)),
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code == target.expect_status, (target.key, response.status)
        measured[target.key] = (time.process_time() - started) / count * 1000
        db_now = backend_cpu_s()
        database[target.key] = (
            None if db_now is None or db_started is None else (db_now - db_started) / count * 1000
        )
    return measured, database


_backend_pids: set[int] = set()


def track_backends() -> None:
    """Note the PostgreSQL backend of every connection this process opens from now on."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _remember(dbapi_connection, record) -> None:
        _backend_pids.add(dbapi_connection.info.backend_pid)


def backend_cpu_s() -> float | None:
    """CPU seconds the noted backends have used (None where /proc cannot tell: PostgreSQL
    elsewhere)."""
    ticks, seen = 0, False
    for pid in _backend_pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks, seen = ticks + int(fields[11]) + int(fields[12]), True  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK") if seen else None


# --- the floor: what every signed-in page costs before it does anything ------------------------

FLOOR_LAYOUT = "{% extends 'base.html' %}{% block content %}<h1>Tom side</h1>{% endblock %}"


def add_floor_pages(app) -> None:
    """Two tenant pages for the in-process measurement only (never served by gunicorn here):
    one answers the signed-in user's id, one renders an empty page in the product's layout.
    Everything a real page pays before its own work — tenant, session, user with roles and
    memberships, row-level security, rate limiter, headers (and the layout with its menu) —
    and nothing else."""
    from flask import g, render_template

    layout = app.jinja_env.from_string(FLOOR_LAYOUT)
    app.add_url_rule(
        "/t/<tenant>/bench-floor", endpoint="t.bench_floor", view_func=lambda: str(g.user.id)
    )
    app.add_url_rule(
        "/t/<tenant>/bench-layout",
        endpoint="t.bench_layout",
        view_func=lambda: render_template(layout),
    )


def floor_cpu_ms(app, home: Target, count: int = 300) -> dict[str, float]:
    client = app.test_client()
    measured = {}
    for key, path in (
        ("signed_in", f"/t/{SLUG}/bench-floor"),
        ("layout", f"/t/{SLUG}/bench-layout"),
    ):
        for i in range(count + 10):
            client.set_cookie(COOKIE, home.requests[i % len(home.requests)][2])
            if i == 10:
                started = time.process_time()
            assert client.get(path).status_code == 200, path
        measured[key] = (time.process_time() - started) / count * 1000
    return measured


# --- profiles ---------------------------------------------------------------------------------


def write_profiles(app, targets: list[Target], count: int = 30) -> None:
    """pyinstrument over ``count`` requests of each page, in this process (test client)."""
    from pyinstrument import Profiler

    for target in targets:
        if target.port != PRODUCT_PORT:
            continue
        client = app.test_client()
        profiler = Profiler(interval=0.0005)
        for i in range(count + 3):
            method, path, cookie, body = target.requests[i % len(target.requests)]
            client.set_cookie(COOKIE, cookie)
            if i == 3:
                profiler.start()
            client.open(
                path,
                method=method,
                data=body.replace("__N__", str(i)),
                content_type="application/x-www-form-urlencoded",
            )
        profiler.stop()
        path = benchlib.RESULTS / f"profile-{target.key}.txt"
        path.write_text(profiler.output_text(unicode=False, color=False))
        print(f"Profile of {target.label} ({count} requests): {path.relative_to(benchlib.REPO)}")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--pages",
        default="",
        help="comma-separated page keys (home, submit, leader, overview) to "
        "measure alone, each with its bare endpoint in the same rounds; "
        "writes bench/results/web-<keys>.json instead of web.json",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="only the in-process CPU per request and the floor (no servers, "
        "no wrk): for profiling; writes bench/results/web_cpu.json",
    )
    args = parser.parse_args()
    track_backends()
    if args.in_process:
        in_process(args)
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    import bare_app

    app, tenant_id, targets, by_key = set_up(args.pages)
    workdir = Path(tempfile.mkdtemp(prefix="aktor-bench-web-"))
    logs = {
        "product": workdir / "product.log",
        "bare": workdir / "bare.log",
        "worker": workdir / "worker.log",
    }
    drop_overview_copies(app, tenant_id)
    # The product's worker, one process, as production runs beside the web tier.
    worker = benchlib.start_worker(
        benchlib.app_env(CELERY_QUEUE=QUEUE), "default", 1, logs["worker"], loglevel="INFO"
    )
    stack = contextlib.ExitStack()
    servers = {
        "product": start_server(
            "web:create_app({'WTF_CSRF_ENABLED': False})", PRODUCT_PORT, logs["product"]
        ),
        "bare": start_server("bench.bare_app:create_app()", BARE_PORT, logs["bare"]),
    }
    try:
        app.extensions["celery"].send_task("web.ops.tasks.heartbeat").get(timeout=120)
        stack.enter_context(overview_beat(app.extensions["celery"]))
        wait_ready(f"http://127.0.0.1:{PRODUCT_PORT}/healthz", servers["product"], logs["product"])
        wait_ready(f"http://127.0.0.1:{BARE_PORT}/items/1", servers["bare"], logs["bare"])
        for target in targets:
            preflight(target, app)
        print(
            f"wrk: 2 threads, {args.connections} connections, {args.duration} s per run, "
            f"{args.repeat} rounds; gunicorn: {os.cpu_count() * 2 + 1} sync workers each; "
            f"one Celery worker (prefork x1)"
        )
        for target in targets:  # warm every worker: templates, catalogues, pools, caches
            run_wrk(target, 3, args.connections, workdir)
        for round_ in range(args.repeat):
            for target in targets:
                if target.port == PRODUCT_PORT:  # fresh "seen_at" in the cookies
                    target.requests = refreshed(app, tenant_id, target)
                result = run_wrk(target, args.duration, args.connections, workdir)
                target.runs.append(result)
                print(
                    f"  round {round_ + 1} {target.label:34} {result['rps']:8.1f} req/s  "
                    f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                    f"max {result['max_ms']:7.1f} ms"
                    + (f"  BAD {result['bad_status']}" if result["bad_status"] else "")
                )
    finally:
        stack.close()
        for process in servers.values():
            benchlib.stop_process(process, timeout=30)
        benchlib.stop_process(worker)
        benchlib.drop_queue(QUEUE)
    refreshes = overview_refreshes(logs["worker"])
    print(
        f"HR overview refreshed by the worker {len(refreshes)} times"
        + (f" ({', '.join(f'{s:.1f}' for s in refreshes)} s each)" if refreshes else "")
    )
    for name, log in logs.items():
        tail = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if ("Traceback" in line or "ERROR" in line) and "was sent SIGTERM" not in line
        ]
        if tail:
            print(f"{name} server logged errors ({log}):", *tail[:5], sep="\n  ")
    os.environ["DATABASE_URL"] = benchlib.DATABASE_URL
    cpu, db_cpu = app_cpu_ms(app, bare_app.create_app(), targets)
    floor = floor_cpu_ms(app, signed_in(targets))
    if args.profile:
        write_profiles(app, targets)
    benchlib.drop_queue(QUEUE)  # what those in-process requests may have sent to the stopped worker
    report(targets, by_key, args, cpu, db_cpu, refreshes, floor)


def set_up(pages: str = ""):
    """The generated tenant, the bare stack's table, the product app in this process (with the
    floor pages) and the prepared requests (only ``pages`` and their bare endpoints, if
    given)."""
    import bare_app

    from web import create_app

    benchlib.ensure_tenant(SLUG)
    tenant_id = benchlib.tenant_id(SLUG)
    bare_app.prepare(benchlib.OWNER_URL, benchlib.APP_ROLE)
    app = create_app({**benchlib.app_config(), "WTF_CSRF_ENABLED": False, "CELERY_QUEUE": QUEUE})
    add_floor_pages(app)
    targets = prepare_targets(app, tenant_id)
    if pages:
        chosen = set(pages.split(","))
        unknown = chosen - {t.key for t in targets if t.baseline}
        if unknown:
            raise SystemExit(f"--pages: unknown {', '.join(sorted(unknown))}")
        chosen |= {t.baseline for t in targets if t.key in chosen}
        targets = [t for t in targets if t.key in chosen]
    return app, tenant_id, targets, {t.key: t for t in targets}


def signed_in(targets: list[Target]) -> Target:
    """The target whose sessions the floor pages use: the employee home's if measured."""
    product = [t for t in targets if t.port == PRODUCT_PORT and t.requests[0][0] == "GET"]
    return next((t for t in product if t.key == "home"), product[0])


def in_process(args) -> None:
    """The CPU columns alone, with the bare endpoints' beside them in the same run."""
    import bare_app

    app, tenant_id, targets, _ = set_up(args.pages)
    os.environ["DATABASE_URL"] = benchlib.DATABASE_URL
    for target in targets:
        if target.port == PRODUCT_PORT:
            target.requests = refreshed(app, tenant_id, target)
    cpu, db_cpu = app_cpu_ms(app, bare_app.create_app(), targets)
    floor = floor_cpu_ms(app, signed_in(targets))
    if args.profile:
        write_profiles(app, targets)
        write_floor_profile(app, signed_in(targets))
    benchlib.drop_queue(QUEUE)
    bare = cpu["bare_select"]
    print(f"load average at start {benchlib.machine()['loadavg_1m_at_start']}")
    for t in targets:
        db = db_cpu[t.key]
        print(
            f"{t.label:36} CPU {cpu[t.key]:6.2f} ms ({cpu[t.key] / bare:5.2f} x the bare "
            f"SELECT)  DB {db if db is None else round(db, 2)} ms"
        )
    for key, value in floor.items():
        print(f"floor {key:10} {value:6.2f} ms ({value / bare:5.2f} x the bare SELECT)")
    benchlib.save(
        results_name("web_cpu", args),
        {"app_cpu_ms": cpu, "db_cpu_ms": db_cpu, "floor_cpu_ms": floor},
    )


def write_floor_profile(app, home: Target, count: int = 300) -> None:
    from pyinstrument import Profiler

    for key, path in (
        ("signed_in", f"/t/{SLUG}/bench-floor"),
        ("layout", f"/t/{SLUG}/bench-layout"),
    ):
        client = app.test_client()
        profiler = Profiler(interval=0.0002)
        for i in range(count + 10):
            client.set_cookie(COOKIE, home.requests[i % len(home.requests)][2])
            if i == 10:
                profiler.start()
            client.get(path)
        profiler.stop()
        out = benchlib.RESULTS / f"profile-floor-{key}.txt"
        out.write_text(profiler.output_text(unicode=False, color=False))
        print(f"Profile of the floor ({key}, {count} requests): {out.relative_to(benchlib.REPO)}")


def refreshed(app, tenant_id: int, target: Target) -> list[tuple[str, str, str, str]]:
    serializer = app.session_interface.get_signing_serializer(app)
    fresh = []
    now = int(time.time())
    for method, path, cookie, body in target.requests:
        payload = serializer.loads(cookie)
        payload["seen_at"] = now
        fresh.append((method, path, serializer.dumps(payload), body))
    return fresh


def report(
    targets: list[Target],
    by_key: dict[str, Target],
    args,
    cpu: dict[str, float],
    db_cpu: dict[str, float | None],
    refreshes: list[float],
    floor: dict[str, float],
) -> None:
    rows = []
    for t in targets:
        rps = [r["rps"] for r in t.runs]
        row = {
            "key": t.key,
            "label": t.label,
            "rps": benchlib.median(rps),
            "app_cpu_ms": cpu[t.key],
            "db_cpu_ms": db_cpu[t.key],
            "rps_spread": benchlib.spread(rps),
            "p50_ms": benchlib.median([r["p50_ms"] for r in t.runs]),
            "p99_ms": benchlib.median([r["p99_ms"] for r in t.runs]),
            "bad_status": sum(r["bad_status"] for r in t.runs),
            "socket_errors": sum(r["socket_errors"] for r in t.runs),
            "runs": t.runs,
        }
        if t.baseline:
            base = benchlib.median([r["rps"] for r in by_key[t.baseline].runs])
            row["baseline"] = t.baseline
            row["ratio"] = row["rps"] / base
        rows.append(row)
    print()
    print(
        f"{'':36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'CPU ms':>7} "
        f"{'DB ms':>6}  target"
    )
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else "-"
        db = f"{row['db_cpu_ms']:6.1f}" if row["db_cpu_ms"] is not None else f"{'-':>6}"
        print(
            f"{row['label']:36} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{ratio:>7} {row['app_cpu_ms']:7.1f} {db}  {verdict(row)}"
        )
    print(
        "CPU ms / DB ms: the application's and PostgreSQL's CPU time per request, in-process "
        "(test client); the machine's other load moves them far less than requests/s."
    )
    print(
        f"Floor of a signed-in page (in-process CPU): {floor['signed_in']:.2f} ms for an "
        f"empty response, {floor['layout']:.2f} ms in the page layout."
    )
    benchlib.save(
        results_name("web", args),
        {
            "settings": {
                "duration_s": args.duration,
                "repeat": args.repeat,
                "connections": args.connections,
                "wrk_threads": 2,
                "gunicorn_workers": os.cpu_count() * 2 + 1,
                "celery_workers": 1,
            },
            "overview_refreshes_s": refreshes,
            "floor_cpu_ms": floor,
            "rows": rows,
        },
    )


def results_name(name: str, args) -> str:
    """``web`` for every page (the table's source), ``web-leader`` for ``--pages leader``."""
    return "-".join([name, *sorted(args.pages.split(","))]) if args.pages else name


def verdict(row: dict) -> str:
    if row["key"] == "overview":
        return "met" if row["p99_ms"] < 300 else "NOT MET (p99 < 300 ms)"
    if "ratio" in row:
        target = benchlib.ratio_target(row["key"])
        return "met" if row["ratio"] >= target else f"NOT MET (ratio >= {target})"
    return ""


if __name__ == "__main__":
    main()
