"""Processes the tests start die with the test run, even when pytest is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.services import ROOT, wait_for

INNER_TEST = """
import json, subprocess, sys, time
from pathlib import Path

from tests.services import Process, celery_worker, child_env, wait_for


def test_start_a_worker_and_wait(tmp_path):
    env = child_env(INSTANCE_PATH=str(tmp_path), SECRET_KEY="x", REDIS_URL=None)
    worker = celery_worker(env, tmp_path / "worker.log")
    # Like honcho's processes: a child that puts its own child in a session of its own.
    spawner = Process([sys.executable, "-c",
                       "import subprocess, sys, time; "
                       "p = subprocess.Popen(['sleep', '600'], start_new_session=True); "
                       "print(p.pid, flush=True); time.sleep(600)"], env, tmp_path / "s.log")
    wait_for(lambda: "ready" in worker.output(), 90, "the worker")
    wait_for(lambda: spawner.output().strip().isdigit(), 30, "the grandchild")
    pids = {"worker": worker.popen.pid, "spawner": spawner.popen.pid,
            "grandchild": int(spawner.output().strip())}
    Path(PIDS).write_text(json.dumps(pids))
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def test_a_killed_pytest_takes_its_worker_and_its_descendants_along(tmp_path):
    pids_file = tmp_path / "pids.json"
    inner = tmp_path / "inner" / "test_inner.py"
    inner.parent.mkdir()
    inner.write_text(f"PIDS = {str(pids_file)!r}\n" + textwrap.dedent(INNER_TEST))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AKTOR_TEST_RUN", None)
    log = (tmp_path / "pytest.log").open("wb")
    pytest = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(inner.parent),
            str(inner),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            lambda: pids_file.exists() or pytest.poll() is not None, 120, "the inner run's worker"
        )
        assert pids_file.exists(), (tmp_path / "pytest.log").read_text()
        pids = json.loads(pids_file.read_text())
        assert all(alive(pid) for pid in pids.values())
        pytest.send_signal(signal.SIGKILL)
        pytest.wait(10)
        wait_for(
            lambda: not any(alive(pid) for pid in pids.values()),
            5,
            f"the killed run's processes {pids} to end",
        )
    finally:
        if pytest.poll() is None:
            pytest.kill()
        log.close()
