"""The live meeting at size (issue 22): 30 participants in one meeting, 100 meetings at once.

Every open view polls ``/live/state`` once a second, sending the poll ticket (ETag) of its last
answer, and fetches the board only when the version moved. An unchanged meeting is answered
304 before Flask (``web.meetings.polls``: the ticket's signature and one read of the version,
from Redis with ``BENCH_REDIS_URL``, else the SQLite row); every ``TICKET_SECONDS`` a view's
poll goes the whole way (session, user, cycle, permission, version) for a new ticket. What that
costs, measured in this process through the WSGI stack (the test client), against the bare
read itself as the baseline in the same run:

- one meeting, 30 participants: each joins, adds a thought, places 3 votes; every poll of all
  30 between the writes (the worst case: every poll sees a change and fetches the board);
- 100 meetings of 30 at once: 3,000 polls a second are needed at one poll per view per second;
  how many one core answers, and the board fetch.

    .venv/bin/python bench/meeting.py [--meetings 100] [--participants 30]

Runs on the embedded default (a SQLite file in a temporary folder) unless BENCH_DATABASE_URL
names a PostgreSQL database whose name contains "bench" (an empty one: the script migrates it),
with BENCH_REDIS_URL for the versions in Redis:

    createdb -h 127.0.0.1 -U postgres aktorskab_bench_live
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/aktorskab_bench_live \
      BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/meeting.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask import template_rendered  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from tests.factories import Factory  # noqa: E402
from web import create_app  # noqa: E402
from web.auth.session import session_payload  # noqa: E402
from web.cycles.models import Cycle, Phase  # noqa: E402
from web.extensions import db  # noqa: E402
from web.meetings import polls  # noqa: E402
from web.meetings import services as live  # noqa: E402
from web.tenancy import tenant_scope  # noqa: E402


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def build(app, meetings: int, participants: int):
    make = Factory(app)
    tenant = make.tenant("bench-live")
    rows = []
    for m in range(meetings):
        team = make.unit(tenant, f"Team {m}")
        leader = make.user(tenant, f"Leder {m}", leader_of=team)
        people = [make.user(tenant, f"Ansat {m}-{p}", unit=team) for p in range(participants)]
        cycle = make.started_cycle(tenant, team, leader, phase=Phase.MEETING)
        with app.test_request_context(), tenant_scope(tenant.id):
            meeting = live.start_meeting(leader, db.session.get(Cycle, cycle.id))
            db.session.commit()
            rows.append((cycle.id, meeting.id, leader, people))
    return tenant, rows


class Caller:
    """One browser's requests straight into the WSGI stack (what a web node's worker runs:
    the live-poll middleware, then Flask), timed without a test client around them. Keeps
    the session cookie as the answers rewrite it, as a browser does."""

    def __init__(self, app, user):
        self.app = app
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(session_payload(user))
        self.name = app.config["SESSION_COOKIE_NAME"]
        self.cookie = client.get_cookie(self.name).value
        self.ticket: str | None = None

    def call(self, path: str, *, method: str = "GET", headers=None, data=None):
        """(seconds, status, headers, body)"""
        builder = EnvironBuilder(path=path, method=method, headers=headers or {}, data=data)
        environ = builder.get_environ()
        builder.close()
        environ["HTTP_COOKIE"] = f"{self.name}={self.cookie}"
        seen = {}

        def start_response(status, response_headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            seen["headers"] = dict(response_headers)
            for name, value in response_headers:
                if name.lower() == "set-cookie" and value.startswith(f"{self.name}="):
                    self.cookie = value.split(";", 1)[0].removeprefix(f"{self.name}=")

        t0, c0 = time.perf_counter(), time.process_time()
        answer = self.app(environ, start_response)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        self.cpu = time.process_time() - c0  # this process's CPU (threads: all of them)
        return time.perf_counter() - t0, seen["status"], seen["headers"], body


def one_meeting(app, base: str, leader, people, meeting_id: int, changes: int):
    """Every participant joins; then ``changes`` changes (thoughts, named and anonymous, each
    by the next participant), and after each, every view (the facilitator's presenter view
    and the 30 participants') polls with its ticket, fetches the board with it when the
    version moved, and polls once more (unchanged: 304). Times split by how each request was
    answered; renders of the board counted."""
    views = [(Caller(app, leader), f"{base}/present")]
    views += [(Caller(app, p), base) for p in people]
    for caller, _page in views[1:]:
        assert caller.call(f"{base}/join", method="POST", headers={"X-Live": "1"})[1] == 200
    renders = []

    def rendered(sender, template, context, **extra):
        if template.name == "meetings/_board.html":
            renders.append(1)

    times = {
        k: []
        for k in (
            "write",
            "full poll",
            "moved poll",
            "304 poll",
            "board rendered",
            "board shared",
            "board full path",
        )
    }
    cpu = {k: [] for k in times}

    def note(kind: str, spent: float, who: Caller) -> None:
        times[kind].append(spent)
        cpu[kind].append(who.cpu)

    for caller, _page in views:  # first poll: the whole way, a ticket
        spent, status, headers, body = caller.call(f"{base}/state")
        assert status == 200, status
        note("full poll", spent, caller)
        caller.ticket = headers["ETag"]
        caller.version = json.loads(body)["version"]
    page0 = views[1][0].call(f"{base}?fragment=1")[3].decode()
    prompt_id = re.search(r'data-prompt-id="(\d+)"', page0)[1]
    template_rendered.connect(rendered, app)
    try:
        for n in range(changes):
            writer = views[1 + n % (len(views) - 1)][0]
            spent, status, _h, body = writer.call(
                f"{base}/card",
                method="POST",
                headers={"X-Live": "1"},
                data={
                    "prompt_id": prompt_id,
                    "text": f"Tanke {n}",
                    "visibility": "anonymous" if n % 2 else "named",
                },
            )
            assert status == 200, body[:300]
            note("write", spent, writer)
            for caller, page in views:
                spent, status, headers, body = caller.call(
                    f"{base}/state", headers={"If-None-Match": caller.ticket}
                )
                if status == 304:
                    note("304 poll", spent, caller)
                    continue
                note("moved poll", spent, caller)
                caller.ticket = headers["ETag"]
                before = len(renders)
                spent, status, headers, body = caller.call(
                    f"{page}?fragment=1", headers={"X-Live-Ticket": caller.ticket}
                )
                assert status == 200, status
                assert f"Tanke {n}".encode() in body
                caller.ticket = headers["ETag"]
                note("board rendered" if len(renders) > before else "board shared", spent, caller)
                spent, status, headers, body = caller.call(
                    f"{base}/state", headers={"If-None-Match": caller.ticket}
                )
                assert status == 304, status
                note("304 poll", spent, caller)
        # The board the whole way, kept rendering or not (the changer's own refresh, a view
        # whose ticket expired): without a ticket.
        for caller, page in views:
            spent, status, _h, _b = caller.call(f"{page}?fragment=1")
            note("board full path", spent, caller)
    finally:
        template_rendered.disconnect(rendered, app)
    return views, times, cpu, len(renders)


def convergence(app, base: str, leader, people, seconds: float, every: float) -> dict:
    """Real concurrency in this process: every view a thread polling at 0.75-1.25 s (as
    live.js), the facilitator's thread making a change every ``every`` seconds; for each
    change and view, the time from the change's answer to that view holding the board of
    that version (or a later one)."""
    import random
    import threading

    views = [(Caller(app, p), base) for p in people] + [(Caller(app, leader), f"{base}/present")]
    committed: dict[int, float] = {}
    lags: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    facilitator = views[-1][0]
    page = facilitator.call(f"{base}/present?fragment=1")[3].decode()
    prompts = re.findall(r'name="prompt_id" value="(\d+)"', page)

    def view(caller, page):
        _spent, _status, headers, body = caller.call(f"{base}/state")
        caller.ticket, known = headers["ETag"], json.loads(body)["version"]
        time.sleep(random.uniform(0, 1))  # noqa: S311 (a jitter, not a secret)
        while time.perf_counter() < stop + 2:
            _s, status, headers, body = caller.call(
                f"{base}/state", headers={"If-None-Match": caller.ticket}
            )
            if status == 200:
                caller.ticket = headers["ETag"]
                version = json.loads(body)["version"]
                if version != known:
                    _s, status, headers, body = caller.call(
                        f"{page}?fragment=1", headers={"X-Live-Ticket": caller.ticket}
                    )
                    caller.ticket = headers.get("ETag", caller.ticket)
                    got = int(re.search(rb'data-version="(\d+)"', body)[1])
                    now = time.perf_counter()
                    with lock:
                        for v, at in committed.items():
                            if known < v <= got:
                                lags.append(now - at)
                    known = got
            time.sleep(random.uniform(0.75, 1.25))  # noqa: S311

    renders: list[int] = []

    def rendered(sender, template, context, **extra):
        if template.name == "meetings/_board.html":
            renders.append(1)

    threads = [threading.Thread(target=view, args=v, daemon=True) for v in views[:-1]]
    for t in threads:
        t.start()
    template_rendered.connect(rendered, app)
    time.sleep(1.5)
    n = 0
    while time.perf_counter() < stop:
        started = time.perf_counter()
        _s, status, _h, body = facilitator.call(
            f"{base}/step",
            method="POST",
            headers={"X-Live": "1"},
            data={"prompt_id": prompts[n % len(prompts)], "view": "present"},
        )
        assert status == 200, body[:200]
        with lock:
            committed[json.loads(body)["version"]] = time.perf_counter()
        n += 1
        time.sleep(max(0.0, every - (time.perf_counter() - started)))
    for t in threads:
        t.join()
    template_rendered.disconnect(rendered, app)
    expected = n * len(threads)
    return {
        "views": len(threads),
        "changes": n,
        "a change every s": every,
        "seen (change, view)": len(lags),
        "expected (change, view)": expected,
        "lag median ms": ms(statistics.median(lags)),
        "lag p95 ms": ms(sorted(lags)[int(len(lags) * 0.95)]),
        "lag max ms": ms(max(lags)),
        "within 2 s": all(lag < 2 for lag in lags) and len(lags) == expected,
        # One view kind (the members'): 1 per change when the first fetch kept it in time.
        "board renderings per change": round(len(renders) / n, 2),
    }


def rate(callers, path_of, headers_of, rounds: int) -> tuple[float, float, dict]:
    """Requests one core answers per second, round-robin: by wall time and by this process's
    CPU time, both summed over the requests themselves (not the loop that builds them)."""
    answered: dict[int, int] = {}
    wall = cpu = 0.0
    for i in range(rounds):
        caller = callers[i % len(callers)]
        spent, status, headers, _b = caller.call(path_of(caller), headers=headers_of(caller))
        wall, cpu = wall + spent, cpu + caller.cpu
        answered[status] = answered.get(status, 0) + 1
        if status == 200 and "ETag" in headers:  # as live.js does: the session moved on
            caller.ticket = headers["ETag"]
    return rounds / wall, rounds / cpu, answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--changes", type=int, default=30, help="in the one meeting measured")
    parser.add_argument("--change-every", type=float, default=5.0, help="s, per meeting")
    parser.add_argument("--converge-seconds", type=float, default=30.0)
    parser.add_argument("--converge-every", type=float, default=2.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    if not url.startswith("sqlite") and "bench" not in url:
        sys.exit("BENCH_DATABASE_URL must name a database whose name contains 'bench'")
    redis_url = os.environ.get("BENCH_REDIS_URL") or None
    app = create_app(
        {
            "ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "REDIS_URL": redis_url,
            "WTF_CSRF_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        upgrade()
    load = [round(x, 1) for x in os.getloadavg()]
    started = time.perf_counter()
    tenant, rows = build(app, args.meetings, args.participants)
    print(
        f"built {args.meetings} meetings x {args.participants} in "
        f"{time.perf_counter() - started:.0f} s on {url.split(':')[0]}",
        flush=True,
    )
    slug = tenant.slug
    cycle_id, meeting_id, leader, people = rows[0]
    base = f"/t/{slug}/cycles/{cycle_id}/live"
    load_one = [round(x, 1) for x in os.getloadavg()]
    _views, times, cpu, renders = one_meeting(app, base, leader, people, meeting_id, args.changes)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items() if v}

    # --- the baseline: the bare primary-key read the poll makes ----------------------------
    with app.app_context(), tenant_scope(tenant.id):
        bare = statistics.median(timed(lambda: live.current_version(meeting_id), 3000))

    # --- convergence: a second meeting, its views polling in threads --------------------
    cid2, _mid2, leader2, people2 = rows[1 % len(rows)]
    load_converge = [round(x, 1) for x in os.getloadavg()]
    converged = convergence(
        app,
        f"/t/{slug}/cycles/{cid2}/live",
        leader2,
        people2,
        args.converge_seconds,
        args.converge_every,
    )
    print(json.dumps(converged), flush=True)

    # --- 100 meetings at once: polls round-robin over one view of every meeting ---------
    pollers = []
    for cid, _mid, _l, ppl in rows:
        caller = Caller(app, ppl[-1])
        caller.path = f"/t/{slug}/cycles/{cid}/live/state"
        caller.ticket = caller.call(caller.path)[2]["ETag"]
        pollers.append(caller)
    rounds = 3000
    load_many = [round(x, 1) for x in os.getloadavg()]
    full_rate, full_cpu_rate, _ = rate(pollers, lambda c: c.path, lambda c: {}, rounds)
    for caller in pollers:  # fresh tickets (the sessions may have moved on)
        caller.ticket = caller.call(caller.path)[2]["ETag"]
    cheap_rate, cheap_cpu_rate, answered = rate(
        pollers, lambda c: c.path, lambda c: {"If-None-Match": c.ticket}, rounds
    )

    views = args.meetings * (args.participants + 1)  # each member's and the presenter view
    per_meeting = views / args.meetings
    renewals = views / polls.TICKET_SECONDS  # polls the whole way for a new ticket
    kinds = renders / args.changes  # renderings per change (one per view kind here)

    def cores(m: dict, cheap: float, full: float, every: float) -> tuple[float, float]:
        """(now, before) for per-request costs ``m``, the round-robin rates and a change
        every ``every`` seconds in each meeting."""
        change_rate = args.meetings / every  # changes a second, all meetings
        moved = change_rate * per_meeting  # polls that see a change, a second
        unchanged = views - moved - renewals
        now = (
            unchanged / cheap
            + moved * m["moved poll"]
            + renewals / full
            + change_rate
            * (m["write"] + kinds * m["board rendered"] + (per_meeting - kinds) * m["board shared"])
        )
        # Before: a moved poll and every board fetch went the whole way through Flask.
        before = (
            unchanged / cheap
            + (moved + renewals) / full
            + change_rate * (m["write"] + per_meeting * m["board full path"])
        )
        return now, before

    change_rate = args.meetings / args.change_every
    moved = change_rate * per_meeting
    unchanged = views - moved - renewals
    wall_now, wall_before = cores(med, cheap_rate, full_rate, args.change_every)
    cpu_now, cpu_before = cores(med_cpu, cheap_cpu_rate, full_cpu_rate, args.change_every)
    by_rate = {
        f"a change every {every:g} s: wall / this process's CPU": [
            round(cores(med, cheap_rate, full_rate, every)[0], 2),
            round(cores(med_cpu, cheap_cpu_rate, full_cpu_rate, every)[0], 2),
        ]
        for every in (2, 5, 15, 30, 60)
    }
    polls_alone_cpu = (views - renewals) / cheap_cpu_rate + renewals / full_cpu_rate
    result = {
        "load average (1, 5, 15 min) at start": load,
        "load average before the one meeting": load_one,
        "load average before convergence": load_converge,
        "load average before the 100 meetings": load_many,
        "load average at end": [round(x, 1) for x in os.getloadavg()],
        "database": url.split(":")[0],
        "versions and renderings from": "redis" if redis_url else "database row, files",
        "baseline: bare PK read median ms": ms(bare),
        "one meeting": {
            "views": len(_views),
            "changes": args.changes,
            "board renderings per change": round(kinds, 2),
            **{f"{k} median ms": ms(v) for k, v in med.items()},
            **{f"{k} / bare read": round(v / bare, 1) for k, v in med.items()},
            **{f"{k} median ms, this process's CPU": ms(v) for k, v in med_cpu.items()},
            **{f"{k} count": len(v) for k, v in times.items()},
        },
        "convergence": converged,
        "many meetings": {
            "meetings": args.meetings,
            "views": views,
            "a change every s per meeting": args.change_every,
            "changes per s": change_rate,
            "polls per s: unchanged / moved / whole way": [
                round(unchanged),
                round(moved),
                round(renewals),
            ],
            "full polls answered per s, one core (wall)": round(full_rate),
            "304 polls answered per s, one core (wall)": round(cheap_rate),
            "304 polls per s of this process's CPU": round(cheap_cpu_rate),
            "of the 304 round answered 304 / 200": [answered.get(304, 0), answered.get(200, 0)],
            "ticket seconds": polls.TICKET_SECONDS,
            "full polls per s of this process's CPU": round(full_cpu_rate),
            "cores needed (wall)": round(wall_now, 2),
            "cores needed before, same run (wall)": round(wall_before, 2),
            "cores needed (this process's CPU)": round(cpu_now, 2),
            "cores needed before, same run (this process's CPU)": round(cpu_before, 2),
            "cores needed by change rate": by_rate,
            "cores, polls alone (no change), this process's CPU": round(polls_alone_cpu, 2),
            "cores, polls alone (no change)": round(
                (views - renewals) / cheap_rate + renewals / full_rate, 2
            ),
        },
    }
    print(json.dumps(result, indent=2))
    name = "meeting.json" if url.startswith("sqlite") else "meeting-postgresql.json"
    out = REPO / "bench" / "results" / name
    out.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)  # the SQLite file and the kept renderings


if __name__ == "__main__":
    main()
