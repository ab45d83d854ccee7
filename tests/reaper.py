"""Processes the tests start die with the test run, even when pytest itself is killed.

Two mechanisms (Linux):

- every process ``tests.services`` starts gets a parent-death signal
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)`` in its ``preexec_fn``): when pytest dies, the kernel
  kills it;
- the parent-death signal is not inherited by its own children (gunicorn's workers, honcho's
  processes, which even start sessions of their own), so every process also carries
  ``AKTOR_TEST_RUN=<run id>`` in its environment, which all its descendants inherit; one
  watchdog per run (``python -m tests.reaper RUN_ID``, this module) waits for the end of a pipe
  that only pytest holds open and then SIGKILLs every process still carrying the mark.

A normal end of the run (or a crash, or ``kill -9``) closes the pipe alike.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

RUN_MARK = "AKTOR_TEST_RUN"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn``: the kernel sends SIGKILL to this child when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def marked(run_id: str) -> list[int]:
    """The processes (other than this one) whose environment carries ``run_id``'s mark."""
    needle = f"{RUN_MARK}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_marked(run_id: str) -> int:
    """SIGKILL every process of the run, until none is left (a fork may race the first pass)."""
    killed = 0
    for _ in range(20):
        pids = marked(run_id)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
    return killed


def main(run_id: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C of the run is pytest's to handle
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while sys.stdin.buffer.read(4096):  # returns b"" only when the run's end of the pipe closed
        pass
    kill_marked(run_id)


if __name__ == "__main__":
    main(sys.argv[1])
