"""What the benchmark scripts share: paths, the bench database, the generated tenants, results.

Not a benchmark itself (``make bench`` runs the scripts listed in the Makefile). Importing it
puts the repository root on ``sys.path``, so each script runs alone as
``.venv/bin/python bench/NAME.py``.

The data lives in its own database (``BENCH_DATABASE_URL``, default ``aktorskab_bench`` on the
local PostgreSQL), never the test or development one. ``ensure_tenant`` generates a tenant with
``bench/generate.py`` only when it is missing or was generated with other parameters, so one
``make bench`` run (and every later one) reuses the same rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# First on the path, always: bench/web.py must never shadow the ``web`` package.
sys.path[:] = [str(REPO), *(p for p in sys.path if p != str(REPO))]

from sqlalchemy.engine import make_url  # noqa: E402

from bench.generator import DEFAULT_DATABASE_URL, GENERATOR_VERSION, Sizes  # noqa: E402
from web.rls import APP_ROLE  # noqa: E402

BIN = REPO / ".venv" / "bin"
RESULTS = REPO / "bench" / "results"
# The schema owner's connection (generation, migrations, set-up) and the application's: the
# web servers and workers connect as the non-owner role that row-level security binds, as in
# production (web/rls.py).
OWNER_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
DATABASE_URL = (
    make_url(OWNER_URL).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)
)
# Redis database 14 (the tests use 15) and queues of its own: the bench never meets a test
# run's tasks or keys.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET_KEY = "bench-only-secret-not-for-production"  # noqa: S105
SEED = 1

# slug → generator options. "bench" is the 50,000-person municipality of the issue.
TENANTS: dict[str, dict] = {
    "bench": {"scale": 1.0},
    "bench-half": {"scale": 0.5},  # the report's "doubling the data" comparison
    "bench-fanout": {"scale": 1.0, "fanout": True},  # 50,000 reminders due at once
}


def app_env(**extra: str) -> dict[str, str]:
    """Environment for every process the benchmarks start (web, workers, flask commands)."""
    env = dict(os.environ)
    env.update(
        {
            "AKTOR_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": DATABASE_URL,
            "DATABASE_OWNER_URL": OWNER_URL,
            "REDIS_URL": REDIS_URL,
            "FLASK_APP": "web",
            "LOG_LEVEL": "WARNING",
            "BENCH_DATABASE_URL": OWNER_URL,
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env


def app_config() -> dict:
    """``create_app`` overrides for an app in the benchmark process itself."""
    return {
        "ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "SQLALCHEMY_OWNER_URI": OWNER_URL,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }


def psql(sql: str, *params) -> list[tuple]:
    """Run one statement in the bench database (autocommit, so VACUUM works too)."""
    import psycopg

    url = make_url(OWNER_URL).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def generated_with(slug: str) -> dict | None:
    try:
        rows = psql("SELECT settings -> 'generated' FROM tenants WHERE slug = %s", slug)
    except Exception:  # no database or no schema yet
        return None
    return rows[0][0] if rows else None


def expected_parameters(slug: str) -> dict:
    options = TENANTS[slug]
    scale = options.get("scale", 1.0)
    return {
        **Sizes().scaled(scale).__dict__,
        "seed": SEED,
        "fanout": options.get("fanout", False),
        "version": GENERATOR_VERSION,
        "scale": scale,
    }


def ensure_schema() -> None:
    """The bench database at the newest migration (as its owner; a no-op when it is)."""
    from bench.generator import ensure_database

    ensure_database(OWNER_URL)
    subprocess.run(  # noqa: S603 - our own flask, fixed arguments
        [str(BIN / "flask"), "db", "upgrade"],
        check=True,
        cwd=REPO,
        env=app_env(),
        stdout=subprocess.DEVNULL,
    )


def ensure_tenant(slug: str) -> dict:
    """The generated tenant ``slug``: reused when its parameters match, else (re)generated."""
    ensure_schema()
    expected = expected_parameters(slug)
    found = generated_with(slug)
    if found and all(found.get(k) == v for k, v in expected.items()):
        print(f"Reusing tenant {slug} (generated {found['as_of']}, seed {found['seed']})")
        return found
    options = TENANTS[slug]
    command = [
        str(BIN / "python"),
        str(REPO / "bench" / "generate.py"),
        slug,
        "--seed",
        str(SEED),
        "--scale",
        str(options.get("scale", 1.0)),
        "--replace",
        "--database-url",
        OWNER_URL,
    ]
    if options.get("fanout"):
        command.append("--fanout")
    print("Generating:", " ".join(command[1:]))
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=REPO, env=app_env())  # noqa: S603
    print(f"Generated {slug} in {time.monotonic() - started:.0f} s")
    found = generated_with(slug)
    assert found is not None
    return found


def tenant_id(slug: str) -> int:
    return psql("SELECT id FROM tenants WHERE slug = %s", slug)[0][0]


def machine() -> dict:
    load = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "loadavg_1m_at_start": round(load[0], 2),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"Results written to {path.relative_to(REPO)}")
    return path


# A page's requests/s against its bare endpoint's: 0.5 (issue 8), the leader dashboard 0.25
# (issue 12: it aggregates over the units below the leader), the employee home 0.25 (issue 20
# point 4, which restates the pages' targets; the submit stays at 0.5).
RATIO_TARGETS = {"leader": 0.25, "home": 0.25}
DEFAULT_RATIO_TARGET = 0.5


def ratio_target(key: str) -> float:
    return RATIO_TARGETS.get(key, DEFAULT_RATIO_TARGET)


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """min–max of the repetitions, for the noise note."""

    def shown(v: float) -> str:
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 1 else f"{v:.2f}"

    return f"{shown(min(values))}–{shown(max(values))}"


def start_worker(
    env: dict[str, str],
    queues: str | None,
    concurrency: int,
    log: Path,
    loglevel: str = "WARNING",
    name: str | None = None,
) -> subprocess.Popen:
    """The product's Celery worker (prefork) on the queue kinds ``queues`` (WORKER_QUEUES;
    None: all) of env's CELERY_QUEUE, in its own process group; ``name``: its node name (two
    worker groups on one host need two)."""
    if queues:
        env = {**env, "WORKER_QUEUES": queues}
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own fixed command
            [
                str(BIN / "python"),
                "-m",
                "celery",
                "-A",
                "worker.main",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--loglevel={loglevel}",
                *([f"--hostname={name}@%h"] if name else []),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen, timeout: float = 60) -> None:
    """SIGTERM to the process group (a server or worker with its children), then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def drop_queue(queue: str) -> None:
    """What a run left in Redis for its workers' queue ``queue`` (every key naming it); nothing
    when Redis is away."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
