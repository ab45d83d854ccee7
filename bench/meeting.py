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
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from tests.factories import Factory  # noqa: E402
from web import create_app  # noqa: E402
from web.auth.session import session_payload  # noqa: E402
from web.cycles.models import Cycle, Phase  # noqa: E402
from web.extensions import db  # noqa: E402
from web.meetings import polls  # noqa: E402
from web.meetings import services as live  # noqa: E402
from web.meetings.models import LiveMeeting  # noqa: E402
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


def client_for(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(session_payload(user))
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--participants", type=int, default=30)
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
    load = round(os.getloadavg()[0], 1)
    started = time.perf_counter()
    tenant, rows = build(app, args.meetings, args.participants)
    print(
        f"built {args.meetings} meetings x {args.participants} in "
        f"{time.perf_counter() - started:.0f} s on {url.split(':')[0]}"
    )
    slug = tenant.slug

    # --- one meeting, every participant writes, everyone polls after every write ----------
    cycle_id, meeting_id, leader, people = rows[0]
    base = f"/t/{slug}/cycles/{cycle_id}/live"
    clients = [client_for(app, p) for p in people]
    facilitator = client_for(app, leader)
    for c in clients:
        assert c.get(base).status_code == 200
        assert c.post(f"{base}/join", headers={"X-Live": "1"}).status_code == 200
    prompt_id = None
    with app.app_context(), tenant_scope(tenant.id):
        prompt_id = db.session.get(LiveMeeting, meeting_id).current_prompt_id
    writes, full_polls, cheap_polls, boards = [], [], [], []
    seen = dict.fromkeys(range(len(clients)), 0)
    tickets: dict[int, str] = {}

    def everyone_polls():
        """Each view polls twice, as a second passes after a write: the first poll sees the
        change (the whole way, a new ticket, then the board), the second is unchanged (304)."""
        for i, c in enumerate(clients):
            for _ in range(2):
                headers = {"If-None-Match": tickets[i]} if i in tickets else {}
                t0 = time.perf_counter()
                reply = c.get(f"{base}/state", headers=headers)
                spent = time.perf_counter() - t0
                if reply.status_code == 304:
                    cheap_polls.append(spent)
                    continue
                full_polls.append(spent)
                tickets[i] = reply.headers["ETag"]
                version = reply.get_json()["version"]
                if version != seen[i]:
                    t0 = time.perf_counter()
                    assert c.get(f"{base}?fragment=1").status_code == 200
                    boards.append(time.perf_counter() - t0)
                    seen[i] = version

    for n, c in enumerate(clients):
        t0 = time.perf_counter()
        r = c.post(
            f"{base}/card",
            data={
                "prompt_id": str(prompt_id),
                "text": f"Tanke {n}",
                "visibility": "anonymous" if n % 2 else "named",
            },
            headers={"X-Live": "1"},
        )
        writes.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.get_data(as_text=True)[:300]
    everyone_polls()
    facilitator.post(f"{base}/open-voting", data={"votes": "3"}, headers={"X-Live": "1"})
    board = clients[0].get(f"{base}?fragment=1").get_data(as_text=True)
    import re

    card_ids = re.findall(r'data-card-id="(\d+)"', board)
    for n, c in enumerate(clients):
        for k in range(3):
            t0 = time.perf_counter()
            r = c.post(
                f"{base}/vote",
                data={"card_id": card_ids[(n + k) % len(card_ids)]},
                headers={"X-Live": "1"},
            )
            writes.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
        everyone_polls()
    with app.app_context(), tenant_scope(tenant.id):
        total = sum(
            db.session.scalars(
                select(live.LiveCard.votes).where(live.LiveCard.meeting_id == meeting_id)
            )
        )
    assert total == 3 * len(clients), total

    # --- the baseline: the bare primary-key read the poll makes ----------------------------
    with app.app_context(), tenant_scope(tenant.id):
        bare = timed(lambda: live.current_version(meeting_id), 3000)

    # --- 100 meetings at once: polls round-robin over every meeting's participants ---------
    pollers = []
    for cid, _mid, _l, ppl in rows:
        c = client_for(app, ppl[0])
        path = f"/t/{slug}/cycles/{cid}/live/state"
        pollers.append((path, c, c.get(path).headers["ETag"]))
    rounds = 3000

    answered = {200: 0, 304: 0}

    def round_robin(with_ticket: bool) -> float:
        t0 = time.perf_counter()
        for i in range(rounds):
            n = i % len(pollers)
            path, c, ticket = pollers[n]
            reply = c.get(path, headers={"If-None-Match": ticket} if with_ticket else {})
            if with_ticket:
                answered[reply.status_code] += 1
                if reply.status_code == 200:  # as live.js does: the session moved on
                    pollers[n] = (path, c, reply.headers["ETag"])
            else:
                assert reply.status_code == 200, reply.status_code
        return rounds / (time.perf_counter() - t0)

    full_rate = round_robin(False)
    for n, (path, c, _t) in enumerate(pollers):  # fresh tickets (the sessions' last-seen moved)
        pollers[n] = (path, c, c.get(path).headers["ETag"])
    cheap_rate = round_robin(True)
    needed = args.meetings * args.participants
    # Per view and second: one poll; one in TICKET_SECONDS of them the whole way.
    full_share = 1 / polls.TICKET_SECONDS
    cores = needed * ((1 - full_share) / cheap_rate + full_share / full_rate)
    board_ms = statistics.median(boards)
    # A busy meeting: a change every 5 s (thoughts, groupings, steps; votes tell no view),
    # each fetched once by each of its 30 views.
    board_cores = args.meetings * args.participants / 5 * board_ms

    result = {
        "load average at start": load,
        "load average at end": round(os.getloadavg()[0], 1),
        "database": url.split(":")[0],
        "versions from": "redis" if redis_url else "database",
        "one meeting": {
            "participants": len(clients),
            "writes": len(writes),
            "write median ms": ms(statistics.median(writes)),
            "write p95 ms": ms(sorted(writes)[int(len(writes) * 0.95)]),
            "full poll median ms": ms(statistics.median(full_polls)),
            "304 poll median ms": ms(statistics.median(cheap_polls)),
            "board fetch median ms": ms(board_ms),
            "full polls": len(full_polls),
            "304 polls": len(cheap_polls),
            "board fetches": len(boards),
        },
        "baseline": {"bare PK read median ms": ms(statistics.median(bare))},
        "ratio full poll / bare read": round(
            statistics.median(full_polls) / statistics.median(bare), 1
        ),
        "ratio 304 poll / bare read": round(
            statistics.median(cheap_polls) / statistics.median(bare), 2
        ),
        "many meetings": {
            "meetings": args.meetings,
            "views": needed,
            "polls needed per s": needed,
            "full polls answered per s, one core": round(full_rate),
            "304 polls answered per s, one core": round(cheap_rate),
            "of those polls answered 304 / 200": [answered[304], answered[200]],
            "ticket seconds": polls.TICKET_SECONDS,
            "cores needed at 1 poll/s": round(cores, 2),
            "cores needed before (every poll the whole way)": round(needed / full_rate, 2),
            "cores for board fetches, a change every 5 s per meeting": round(board_cores, 2),
        },
    }
    import json

    print(json.dumps(result, indent=2))
    name = "meeting.json" if url.startswith("sqlite") else "meeting-postgresql.json"
    out = REPO / "bench" / "results" / name
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
