"""Benchmark: the country's mixed workload through a real balancer and pooler (issue 20 point 2).

Not a test. Run from the repository root, on the country's data (``bench/country.py``)::

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_national \\
        .venv/bin/python bench/national.py [--duration 15] [--repeat 2] [--warm 60]

What runs, all on loopback, each in its own temporary folder and process group (every process
ends when the script ends, is interrupted or is killed: the children also get SIGKILL from the
kernel when this process dies, ``die_with_parent``):

- **PgBouncer** (Debian's), ``pool_mode = transaction``, its own ``pgbouncer.ini``; the web
  nodes and the worker reach PostgreSQL only through it, as the application's role, with
  ``DATABASE_TRANSACTION_POOLER`` set (the tenant is set per transaction, so row-level security
  holds through it: ``tests/test_pgbouncer.py``);
- **two web nodes** of the product (gunicorn, ``web/gunicorn_conf.py``, ``--workers`` sync
  workers each) and two of the bare stack (``bench/bare_app.py``), through the same pooler;
- **HAProxy** (Debian's) in front: one frontend for the product's nodes, one for the bare
  nodes; round robin, no sticky sessions; health checks on ``/healthz`` every second (three
  failed take a node out); a request whose connection fails (a node that stopped listening) is
  retried on the other node
  (``retry-on conn-failure empty-response``, ``option redispatch``); each answer names its node
  in ``X-Served-By``;
- one Celery worker (prefork ×1) on a queue of this run, as production runs beside the web tier.

The workload (``bench/requests.lua``, wrk on loopback): requests across all 98 municipalities in
proportion to their people; within a tenant the employee home (35 %), the contribution submit
(15 %), the leader dashboard (15 %), the HR overview (5 %) and API reads (``GET
/api/v1/cycles`` with the session, 30 %). The bare baseline behind the same balancer and pooler
gets the same mix of kinds: every GET a primary-key SELECT, every submit an INSERT. Phases:
warm-up (every tenant equally, ``--warm`` seconds; RSS per web process measured before and
after), then the product and the bare mix alternately ``--repeat`` times (``--repeat 0``: none;
results then in ``national-failover.json``), then two failover runs: the product mix while
node 2's gunicorn is sent SIGTERM a third of the way in (a deploy's stop), and again after
node 2 was started anew, with SIGKILL (a crash); each counts every answer that was not 2xx/3xx
and every socket error, and HAProxy's retries and redispatches per node.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

from bench import web as bench_web

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
COOKIE = bench_web.COOKIE
# Two nodes on 2 busy cores: a request may wait longer for a worker than bench/web.py's 10 s.
WRK_TIMEOUT = "20s"
QUEUE = f"bench-national-{os.getpid()}"
# Shares of the mix within a tenant (the five kinds).
MIX = {"home": 0.35, "submit": 0.15, "leader": 0.15, "overview": 0.05, "api": 0.30}
USERS_PER_KIND = 12  # distinct users per tenant and kind
LINES = 12_000  # prepared requests in the weighted mix
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn``: the kernel sends SIGKILL to the child when this process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{process.args[0]} did not listen on {port}:\n"
                    + log.read_text(errors="replace")[-3000:]
                ) from None
            time.sleep(0.1)


# --- the stack ----------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen
    log: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    """PgBouncer, web nodes and HAProxy on loopback; ``stop`` (or the ``with``) ends them all.

    ``database_url``: PostgreSQL as the application's role (``postgresql+psycopg://…``);
    ``env``: the environment of the nodes (without DATABASE_URL, which points at the pooler).
    """

    database_url: str
    env: dict[str, str]
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aktor-national-")))
    processes: list[subprocess.Popen] = field(default_factory=list)
    nodes: dict[str, list[Node]] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)  # group → health-check path
    frontends: dict[str, int] = field(default_factory=dict)
    pooler_port: int = 0

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def spawn(self, args: list[str], log: Path, env: dict[str, str] | None = None, **kw):
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                args,
                cwd=benchlib.REPO,
                env=env or dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
                **kw,
            )
        self.processes.append(process)
        return process

    # PgBouncer ---------------------------------------------------------------------------------

    def start_pooler(self, pool_size: int = 8) -> str:
        """PgBouncer in transaction pooling in front of the database; returns the URL through
        it (the same user and database)."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        folder = self.workdir / "pgbouncer"
        folder.mkdir()
        self.pooler_port = free_port()
        users = {url.username, "postgres"}
        (folder / "users.txt").write_text("".join(f'"{u}" ""\n' for u in sorted(users)))
        (folder / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={url.host or "127.0.0.1"} port={url.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.pooler_port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
server_reset_query =
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
""")
        args = [PGBOUNCER, str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root: its own folder, postgres's
            self.workdir.chmod(0o711)
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres")
            args[1:1] = ["-u", "postgres"]
        log = folder / "stdout.log"
        process = self.spawn(args, log)
        wait_listening(self.pooler_port, process, log)
        return self.pooled_url()

    def pooled_url(self) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url).set(host="127.0.0.1", port=self.pooler_port)
        return url.render_as_string(hide_password=False)

    # web nodes ---------------------------------------------------------------------------------

    def start_nodes(
        self, group: str, app_spec: str, count: int, workers: int, check: str = "/healthz"
    ) -> list[Node]:
        env = {
            **self.env,
            "DATABASE_URL": self.pooled_url(),
            "DATABASE_TRANSACTION_POOLER": "1",
            "GUNICORN_WORKERS": str(workers),
        }
        nodes = []
        for i in range(count):
            port = free_port()
            log = self.workdir / f"{group}-{i + 1}.log"
            command = [str(benchlib.BIN / "gunicorn"), "-c", "web/gunicorn_conf.py", app_spec]
            node_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
            process = self.spawn(command, log, node_env)
            nodes.append(Node(f"{group}-{i + 1}", port, process, log, command, node_env))
        for node in nodes:
            wait_listening(node.port, node.process, node.log, timeout=180)
        self.nodes[group], self.checks[group] = nodes, check
        return nodes

    def restart_node(self, group: str, index: int) -> Node:
        """Start a stopped node again on its port; returns once HAProxy sees it up."""
        node = self.nodes[group][index]
        node.process.wait(timeout=60)
        node.process = self.spawn(node.args, node.log, node.env)
        wait_listening(node.port, node.process, node.log, timeout=180)
        self.wait_healthy()
        return node

    # HAProxy -----------------------------------------------------------------------------------

    def start_balancer(self) -> dict[str, int]:
        """HAProxy with one frontend per group of nodes; returns group → frontend port."""
        folder = self.workdir / "haproxy"
        folder.mkdir()
        sections = []
        for group, nodes in self.nodes.items():
            self.frontends[group] = free_port()
            servers = "\n".join(f"    server {n.name} 127.0.0.1:{n.port}" for n in nodes)
            sections.append(f"""\
frontend {group}
    bind 127.0.0.1:{self.frontends[group]}
    default_backend {group}-nodes

backend {group}-nodes
    balance roundrobin
    option httpchk GET {self.checks[group]}
    http-check expect status 200
    # A busy node answers its check late (sync workers: the check waits its turn), so a
    # check may take 5 s; three failed in a row take a node out, two good bring it back.
    default-server check inter 1s fall 3 rise 2
    http-response set-header X-Served-By %s
{servers}
""")
        (folder / "haproxy.cfg").write_text(
            f"""\
global
    maxconn 2000
    stats socket {folder / "haproxy.sock"} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    timeout check 5s
    # A node that stopped listening (or hung up before answering): the request goes to
    # the other node. Only connection failures and empty answers: a request a node
    # started to answer is never sent twice.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

"""
            + "\n".join(sections)
        )
        log = folder / "haproxy.log"
        process = self.spawn([HAPROXY, "-db", "-f", str(folder / "haproxy.cfg")], log)
        for port in self.frontends.values():
            wait_listening(port, process, log)
        self.wait_healthy()
        return self.frontends

    def server_stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's ``show stat`` per server (requests, retries, redispatches, 5xx, status)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.workdir / "haproxy" / "haproxy.sock"))
            s.sendall(b"show stat\n")
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        lines = raw.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        names = {n.name for nodes in self.nodes.values() for n in nodes}
        while time.monotonic() < deadline:
            stats = self.server_stats()
            if all(stats.get(n, {}).get("status") == "UP" for n in names):
                return
            time.sleep(0.2)
        raise RuntimeError(f"HAProxy does not see every node up: {self.server_stats()}")

    def url(self, group: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.frontends[group]}{path}"

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to every process group at once, then SIGKILL to what is left after
        ``timeout`` seconds (gunicorn finishes its requests in up to 20)."""
        running = [p for p in self.processes if p.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- memory -------------------------------------------------------------------------------------


def worker_memory(node: Node) -> list[dict[str, int]]:
    """RSS and PSS (kB) of each gunicorn worker of ``node`` (the master's children)."""
    pid = node.process.pid
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    measured = []
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
            rollup = Path(f"/proc/{child}/smaps_rollup").read_text()
        except OSError:
            continue

        def field_kb(text: str, name: str) -> int:
            line = next(line for line in text.splitlines() if line.startswith(name + ":"))
            return int(line.split()[1])

        measured.append(
            {
                "pid": int(child),
                "rss_kb": field_kb(status, "VmRSS"),
                "pss_kb": field_kb(rollup, "Pss"),
            }
        )
    return measured


def memory(stack: Stack, group: str = "product") -> dict:
    per_node = {n.name: worker_memory(n) for n in stack.nodes[group]}
    rss = [w["rss_kb"] for ws in per_node.values() for w in ws]
    pss = [w["pss_kb"] for ws in per_node.values() for w in ws]
    return {
        "workers": len(rss),
        "rss_mb_max": round(max(rss) / 1024, 1) if rss else None,
        "rss_mb_median": round(benchlib.median(rss) / 1024, 1) if rss else None,
        "pss_mb_median": round(benchlib.median(pss) / 1024, 1) if pss else None,
        "per_node": per_node,
    }


# --- the workload -------------------------------------------------------------------------------


@dataclass
class Tenant:
    slug: str
    id: int
    people: int
    requests: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)


def country_tenants() -> list[Tenant]:
    rows = benchlib.psql(
        "SELECT t.slug, t.id, count(u.id) FROM tenants t JOIN users u ON u.tenant_id = t.id "
        "WHERE t.slug LIKE 'land-%%' GROUP BY t.slug, t.id ORDER BY t.slug"
    )
    if not rows:
        raise SystemExit("no land-NN tenants: run bench/country.py first (with --scale)")
    return [Tenant(slug, tid, people) for slug, tid, people in rows]


def _sampled(sql: str) -> dict[int, list[tuple]]:
    """``sql`` selects (tenant_id, sort key, …); the first USERS_PER_KIND rows per tenant."""
    rows = benchlib.psql(
        f"SELECT * FROM (SELECT q.*, row_number() OVER (PARTITION BY q.tenant_id "  # noqa: S608
        f"ORDER BY q.sort_key) AS n FROM ({sql}) q) s WHERE s.n <= %s",
        USERS_PER_KIND,
    )
    found: dict[int, list[tuple]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[2:-1])
    return found


def prepare_requests(app, tenants: list[Tenant]) -> None:
    """Each tenant's prepared requests per kind (as bench/web.py's, for every tenant)."""
    home = _sampled(
        "SELECT DISTINCT m.tenant_id, md5(m.user_id::text) AS sort_key, m.user_id "
        "FROM memberships m JOIN org_units u ON u.id = m.unit_id AND u.kind = 'team' "
        "JOIN cycles c ON c.unit_id = u.id AND c.phase <> 'closed' "
        "JOIN users p ON p.id = m.user_id AND p.is_active WHERE m.role = 'employee'"
    )
    writers = _sampled(
        "SELECT m.tenant_id, md5(m.user_id::text) AS sort_key, m.user_id, c.id, "
        "array_agg(cp.id ORDER BY cp.position) FROM memberships m "
        "JOIN cycles c ON c.unit_id = m.unit_id AND c.phase = 'preparation' "
        "AND NOT c.include_subunits JOIN cycle_prompts cp ON cp.cycle_id = c.id "
        "JOIN users p ON p.id = m.user_id AND p.is_active WHERE m.role = 'employee' "
        "GROUP BY m.tenant_id, m.user_id, c.id"
    )
    leaders = _sampled(
        "SELECT DISTINCT m.tenant_id, md5(m.user_id::text) AS sort_key, m.user_id "
        "FROM memberships m JOIN org_units u ON u.id = m.unit_id "
        "JOIN users p ON p.id = m.user_id AND p.is_active "
        "WHERE m.role = 'leader' AND u.kind = 'department'"
    )
    hr = _sampled(
        "SELECT r.tenant_id, md5(r.user_id::text) AS sort_key, r.user_id FROM tenant_roles r "
        "JOIN users p ON p.id = r.user_id AND p.is_active WHERE r.role = 'hr'"
    )
    rng = random.Random(benchlib.SEED)  # noqa: S311 - reproducible, not secret
    for tenant in tenants:
        ids = {
            row[0] for source in (home, writers, leaders, hr) for row in source.get(tenant.id, [])
        }
        cookies = bench_web.session_cookies(app, tenant.id, ids)
        base = f"/t/{tenant.slug}"

        def form(prompts: list[int]) -> str:
            return urllib.parse.urlencode(
                {
                    **{
                        f"answer-{p}": f"Et ekstra ansvar ({rng.randrange(10_000)}, __N__)."
                        for p in prompts
                    },
                    **{f"visibility-{p}": rng.choice(("private", "named")) for p in prompts},
                }
            )

        tenant.requests = {
            "home": [("GET", f"{base}/", cookies[u], "") for (u,) in home.get(tenant.id, [])],
            "submit": [
                ("POST", f"{base}/cycles/{c}/prepare", cookies[u], form(p))
                for u, c, p in writers.get(tenant.id, [])
            ],
            "leader": [
                ("GET", f"{base}/units", cookies[u], "") for (u,) in leaders.get(tenant.id, [])
            ],
            "overview": [
                ("GET", f"{base}/overview", cookies[u], "") for (u,) in hr.get(tenant.id, [])
            ],
            "api": [
                ("GET", f"{base}/api/v1/cycles", cookies[u], "") for (u,) in home.get(tenant.id, [])
            ],
        }


def weighted_mix(tenants: list[Tenant], lines: int = LINES) -> list[tuple[str, str, str, str]]:
    """Requests in proportion to the tenants' people, within a tenant to ``MIX``."""
    total = sum(t.people for t in tenants)
    mix = []
    for tenant in tenants:
        for kind, share in MIX.items():
            choices = tenant.requests.get(kind) or []
            if not choices:
                continue
            count = max(1, round(lines * share * tenant.people / total))
            mix.extend(choices[i % len(choices)] for i in range(count))
    return mix


def uniform_mix(tenants: list[Tenant]) -> list[tuple[str, str, str, str]]:
    """Every tenant and kind alike (the warm-up: every tenant reaches every worker)."""
    return [r for t in tenants for kind in MIX for r in (t.requests.get(kind) or [])[:2]]


def bare_mix(mix: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The product's mix with each GET a primary-key SELECT and each POST an INSERT."""
    rng = random.Random(benchlib.SEED)  # noqa: S311
    body = urllib.parse.urlencode({"name": "Item", "note": "x" * 100})
    return [
        ("GET", f"/items/{rng.randint(1, 50_000)}", "", "")
        if method == "GET"
        else ("POST", "/items", "", body)
        for method, *_ in mix
    ]


def refreshed(app, requests: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The same sessions, seen now (the idle timeout never expires them mid-run)."""
    serializer = app.session_interface.get_signing_serializer(app)
    now, fresh, seen = int(time.time()), [], {}
    for method, path, cookie, body in requests:
        if cookie and cookie not in seen:
            payload = serializer.loads(cookie)
            payload["seen_at"] = now
            seen[cookie] = serializer.dumps(payload)
        fresh.append((method, path, seen.get(cookie, cookie), body))
    return fresh


def preflight(stack: Stack, tenant: Tenant) -> None:
    """One request of each kind through the balancer: the right status and a signed-in page."""
    opener = urllib.request.build_opener(bench_web.NoRedirect)
    for kind, requests in tenant.requests.items():
        if not requests:
            continue
        method, path, cookie, body = requests[0]
        request = urllib.request.Request(  # noqa: S310 - loopback, our own URL
            stack.url("product", path),
            method=method,
            data=body.replace("__N__", "0").encode() if body else None,
            headers={"Cookie": f"{COOKIE}={cookie}"},
        )
        try:
            response = opener.open(request, timeout=60)
            status, text, location = response.status, response.read().decode(), None
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
            location = exc.headers.get("Location")
        expected = 302 if method == "POST" else 200
        if status != expected or (location and "/auth/" in location):
            raise SystemExit(f"{kind}: {method} {path} answered {status} {location}\n{text[:1500]}")
        if kind == "api":
            json.loads(text)
        elif method == "GET" and 'class="logout"' not in text:
            raise SystemExit(f"{kind}: {path} does not show a signed-in user")


def served_by(url: str, count: int) -> Counter[str]:
    """Which node answered each of ``count`` requests (HAProxy's ``X-Served-By``)."""
    seen: Counter[str] = Counter()
    for _ in range(count):
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            seen[response.headers.get("X-Served-By", "?")] += 1
    return seen


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--connections", type=int, default=12)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per node")
    parser.add_argument("--pool-size", type=int, default=8, help="PgBouncer server connections")
    parser.add_argument("--warm", type=int, default=60, help="seconds of the uniform warm-up")
    parser.add_argument("--failover", type=int, default=24, help="seconds of the failover run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    # SIGTERM ends the run like Ctrl-C: the finally below stops every process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Also when started in the background, where the shell ignores SIGINT for us.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    import bare_app

    from web import create_app

    machine = benchlib.machine()
    tenants = country_tenants()
    people = sum(t.people for t in tenants)
    print(
        f"{len(tenants)} tenants, {people:,} people; load average {machine['loadavg_1m_at_start']}"
    )
    bare_app.prepare(benchlib.OWNER_URL, benchlib.APP_ROLE)
    app = create_app({**benchlib.app_config(), "WTF_CSRF_ENABLED": False, "CELERY_QUEUE": QUEUE})
    prepare_requests(app, tenants)
    missing = Counter(k for t in tenants for k in MIX if not t.requests.get(k))
    if missing:
        print("kinds missing in some (small) tenants:", dict(missing))
    env = benchlib.app_env(CELERY_QUEUE=QUEUE)
    results: dict = {
        "settings": vars(args),
        "tenants": len(tenants),
        "people": people,
        "loadavg_1m_at_run_start": machine["loadavg_1m_at_start"],
    }
    with Stack(benchlib.DATABASE_URL, env) as stack:
        stack.start_pooler(args.pool_size)
        stack.start_nodes("product", "web:create_app({'WTF_CSRF_ENABLED': False})", 2, args.workers)
        stack.start_nodes("bare", "bench.bare_app:create_app()", 2, args.workers, "/items/1")
        stack.start_balancer()
        worker_env = {**env, "DATABASE_URL": stack.pooled_url(), "DATABASE_TRANSACTION_POOLER": "1"}
        stack.spawn(
            [
                *(str(benchlib.BIN / "python"), "-m", "celery", "-A", "worker.main", "worker"),
                *("--pool=prefork", "--concurrency=1", "--without-gossip", "--without-mingle"),
                "--loglevel=WARNING",
            ],
            stack.workdir / "worker.log",
            {**worker_env, "WORKER_QUEUES": "default"},
        )
        print("served by:", dict(served_by(stack.url("product", "/healthz"), 6)))
        for tenant in tenants[:3] + tenants[-3:]:
            preflight(stack, tenant)
        results["memory_started"] = memory(stack)
        warm = bench_web.wrk(
            stack.url("product"),
            refreshed(app, uniform_mix(tenants)),
            args.warm,
            args.connections,
            stack.workdir,
            timeout=WRK_TIMEOUT,
        )
        bench_web.settle_url(stack.url("product", "/healthz"))
        results["warm"] = warm
        results["memory_warmed"] = memory(stack)
        print(
            f"warm-up: {warm['requests']:,} requests over {len(tenants)} tenants "
            f"(~{warm['requests'] / results['memory_warmed']['workers']:.0f} per worker), "
            f"bad {warm['bad_status']}; RSS per worker median "
            f"{results['memory_started']['rss_mb_median']} → "
            f"{results['memory_warmed']['rss_mb_median']} MB"
        )
        mix = weighted_mix(tenants)
        baseline = bare_mix(mix)
        runs: dict[str, list[dict]] = {"product": [], "bare": []}
        for round_ in range(args.repeat):
            for group, requests in (("product", refreshed(app, mix)), ("bare", baseline)):
                result = bench_web.wrk(
                    stack.url(group),
                    requests,
                    args.duration,
                    args.connections,
                    stack.workdir,
                    timeout=WRK_TIMEOUT,
                )
                bench_web.settle_url(
                    stack.url(group, "/healthz" if group == "product" else "/items/1")
                )
                runs[group].append(result)
                print(
                    f"  round {round_ + 1} {group:8} {result['rps']:7.1f} req/s  "
                    f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                    f"bad {result['bad_status']}  socket errors {result['socket_errors']}"
                )
        results["runs"] = runs
        results["memory_loaded"] = memory(stack)
        for how in ("SIGTERM", "SIGKILL"):
            if how == "SIGKILL":  # node 2 back, then killed outright (a crash, not a deploy)
                stack.restart_node("product", 1)
            key = "failover" if how == "SIGTERM" else "failover_kill"
            results[key] = stop_under_load(stack, refreshed(app, mix), args, how)
            print(f"{key}: {json.dumps(results[key]['servers'])}")
            print(
                f"  {results[key]['requests']:,} requests, {results[key]['rps']:.1f} req/s, "
                f"non-2xx/3xx {results[key]['bad_status']}, "
                f"socket errors {results[key]['socket_errors']}"
            )
        results["refused"] = refused(stack)
    benchlib.drop_queue(QUEUE)
    report(results, machine)


COUNTERS = (
    "stot",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "wretr",
    "wredis",
    "econ",
    "eresp",
)


def stop_under_load(stack: Stack, requests: list, args, how: str) -> dict:
    """The mix for ``--failover`` seconds; node 2 gets ``how`` a third of the way in. Returns
    wrk's figures and HAProxy's counters per node over the run."""
    before = stack.server_stats()
    victim = stack.nodes["product"][1]

    def stop_node(seconds: int) -> None:
        time.sleep(seconds / 3)
        os.killpg(victim.process.pid, getattr(signal, how))

    result = bench_web.wrk(
        stack.url("product"),
        requests,
        args.failover,
        args.connections,
        stack.workdir,
        timeout=WRK_TIMEOUT,
        during=stop_node,
    )
    after = stack.server_stats()
    servers = {
        name: {
            key: int(after[name].get(key) or 0) - int(before[name].get(key) or 0)
            for key in COUNTERS
        }
        | {"status": after[name]["status"]}
        for name in (n.name for n in stack.nodes["product"])
    }
    return {**result, "stopped": victim.name, "signal": how, "servers": servers}


def refused(stack: Stack, limit: int = 20) -> dict:
    """The product nodes' answers that were not 2xx/3xx (gunicorn's access log), by status,
    with a few of the request lines."""
    statuses: Counter[str] = Counter()
    lines = []
    for node in stack.nodes["product"]:
        for line in node.log.read_text(errors="replace").splitlines():
            found = re.search(r'"([A-Z]+ \S+) HTTP/[\d.]+" (\d{3}) ', line)
            if found and found.group(2)[0] in "45":
                statuses[found.group(2)] += 1
                if len(lines) < limit:
                    lines.append(f"{node.name} {found.group(2)} {found.group(1)}")
    return {"statuses": dict(statuses), "requests": lines}


def report(results: dict, machine: dict) -> None:
    product = results["runs"]["product"]
    bare = results["runs"]["bare"]
    if not product:  # --repeat 0: the warm-up and the failover runs only
        benchlib.save("national-failover", results)
        return
    rps = benchlib.median([r["rps"] for r in product])
    bare_rps = benchlib.median([r["rps"] for r in bare])
    results["summary"] = {
        "rps": rps,
        "rps_spread": benchlib.spread([r["rps"] for r in product]),
        "p50_ms": benchlib.median([r["p50_ms"] for r in product]),
        "p99_ms": benchlib.median([r["p99_ms"] for r in product]),
        "errors": sum(r["bad_status"] + r["socket_errors"] for r in product),
        "bare_rps": bare_rps,
        "bare_p50_ms": benchlib.median([r["p50_ms"] for r in bare]),
        "bare_p99_ms": benchlib.median([r["p99_ms"] for r in bare]),
        "ratio": rps / bare_rps,
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }
    s = results["summary"]
    print(
        f"\nmixed workload: {s['rps']:.1f} req/s ({s['rps_spread']}), p50 {s['p50_ms']:.0f} ms, "
        f"p99 {s['p99_ms']:.0f} ms, errors {s['errors']}; bare {s['bare_rps']:.1f} req/s; "
        f"ratio {s['ratio']:.2f} (target 0.25: {'met' if s['ratio'] >= 0.25 else 'NOT MET'}); "
        f"load average {machine['loadavg_1m_at_start']} at start, {s['loadavg_1m_at_end']} at end"
    )
    benchlib.save("national", results)


if __name__ == "__main__":
    main()
