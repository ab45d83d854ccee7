"""What people did in the generated cycles: contributions, participations, conclusions,
actions, examples (see ``bench.generator``). A mixin of ``builder.Builder``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from web.cycles.models import ActionStatus, Phase
from web.vocabulary import KKC, OLFA, Expectation

if TYPE_CHECKING:
    from bench.generator.builder import PlannedCycle

LOCAL = ZoneInfo("Europe/Copenhagen")
PROMPTS_PER_CYCLE_MAX = 0.95  # at most this share of (member, prompt) slots is answered


class Activity:
    # --- contributions and participations -----------------------------------------------------

    def write_contributions(self, cycles: list[PlannedCycle]) -> None:
        quota = self._contribution_quota(cycles)
        rng, texts = self.rng, self.texts
        participations: list[tuple[int, int]] = []

        def rows() -> Iterator[tuple]:
            for c, n in zip(cycles, quota, strict=True):
                if not n:
                    continue
                prompts = self.prompt_ids[c.id]
                people = math.ceil(n / (len(prompts) * PROMPTS_PER_CYCLE_MAX))
                people = max(people, round(len(c.members) * 0.8))
                authors = rng.sample(c.members, min(len(c.members), people))
                slots = rng.sample(range(len(authors) * len(prompts)), n)
                sealed = c.phase != Phase.PREPARATION
                seal_at = c.meeting_at or self.now
                anonymous = []
                written = set()
                for slot in slots:
                    author, prompt = authors[slot // len(prompts)], prompts[slot % len(prompts)]
                    written.add(author)
                    roll = rng.random()
                    visibility = "private" if roll < 0.3 else "named" if roll < 0.8 else "anonymous"
                    at = datetime.combine(
                        c.starts + timedelta(days=rng.randrange(10)),
                        time(rng.randrange(7, 20), rng.randrange(60)),
                        LOCAL,
                    )
                    at = min(at, self.now)
                    if visibility == "anonymous" and sealed:
                        anonymous.append(
                            (c.id, prompt, None, visibility, texts.answer(), seal_at, seal_at)
                        )
                    else:
                        yield c.id, prompt, author, visibility, texts.answer(), at, at
                rng.shuffle(anonymous)  # sealed: no author, one timestamp, random order
                yield from anonymous
                participations.extend((c.id, a) for a in sorted(written))

        self.counts["contributions"] = self.copier.copy(
            "contributions",
            (
                "cycle_id",
                "prompt_id",
                "author_id",
                "visibility",
                "text",
                "created_at",
                "updated_at",
            ),
            rows(),
        )
        self.counts["participations"] = self.copier.copy(
            "participations", ("cycle_id", "user_id"), participations, counted=False
        )
        self._write_conclusions(cycles)

    def _contribution_quota(self, cycles: list[PlannedCycle]) -> list[int]:
        """Contributions per cycle, proportional to its members (fewer while preparing),
        adding up to exactly --contributions."""
        total = self.sizes.contributions
        room = [int(len(c.members) * len(self.prompts) * PROMPTS_PER_CYCLE_MAX) for c in cycles]
        if total > sum(room):
            raise click.ClickException(
                f"--contributions {total:,} needs more people or cycles (room for {sum(room):,})"
            )
        weight = [
            r * (0.5 if c.phase == Phase.PREPARATION else 1.0)
            for r, c in zip(room, cycles, strict=True)
        ]
        scale = total / sum(weight)
        quota = [min(r, int(w * scale)) for r, w in zip(room, weight, strict=True)]
        spare = sorted(range(len(cycles)), key=lambda i: quota[i] - room[i])
        missing = total - sum(quota)
        while missing:
            for i in spare:
                if missing and quota[i] < room[i]:
                    quota[i] += 1
                    missing -= 1
        return quota

    def _write_conclusions(self, cycles: list[PlannedCycle]) -> None:
        done = (Phase.AGREEMENTS, Phase.FOLLOW_UP, Phase.CLOSED)

        def rows() -> Iterator[tuple]:
            for c in cycles:
                if c.phase in done:
                    for prompt in self.prompt_ids[c.id]:
                        yield (
                            c.id,
                            prompt,
                            self.texts.answer(),
                            c.leader_id,
                            c.meeting_at,
                            c.meeting_at,
                        )

        self.copier.copy(
            "conclusions",
            ("cycle_id", "prompt_id", "text", "recorded_by_id", "created_at", "updated_at"),
            rows(),
            counted=False,
        )

    # --- actions ------------------------------------------------------------------------------

    STATUS_WEIGHTS = {
        Phase.AGREEMENTS: (
            (ActionStatus.PLANNED, 0.6),
            (ActionStatus.IN_PROGRESS, 0.35),
            (ActionStatus.DONE, 0.05),
        ),
        Phase.FOLLOW_UP: (
            (ActionStatus.PLANNED, 0.2),
            (ActionStatus.IN_PROGRESS, 0.3),
            (ActionStatus.DONE, 0.4),
            (ActionStatus.DROPPED, 0.1),
        ),
        Phase.CLOSED: (
            (ActionStatus.IN_PROGRESS, 0.1),
            (ActionStatus.DONE, 0.7),
            (ActionStatus.DROPPED, 0.2),
        ),
    }

    def write_actions(self, cycles: list[PlannedCycle]) -> None:
        rng = self.rng
        eligible = [c for c in cycles if c.phase in self.STATUS_WEIGHTS and c.members]
        owners = rng.choices(eligible, [len(c.members) for c in eligible], k=self.sizes.actions)
        expectations, kkcs = list(Expectation), list(KKC)

        def rows() -> Iterator[tuple]:
            for c in owners:
                statuses, weights = zip(*self.STATUS_WEIGHTS[c.phase], strict=True)
                status = rng.choices(statuses, weights)[0]
                followed = c.phase != Phase.AGREEMENTS and status == ActionStatus.DONE
                yield (
                    c.id,
                    self.texts.action(),
                    rng.choice(c.members),
                    c.ends + timedelta(days=rng.randint(7, 120)),
                    status.value,
                    rng.choice(expectations).value if rng.random() < 0.7 else None,
                    rng.choice(kkcs).value if rng.random() < 0.6 else None,
                    self.texts.answer() if followed else None,
                    self.texts.answer() if followed and rng.random() < 0.6 else None,
                    c.meeting_at,
                    c.meeting_at,
                )

        self.counts["actions"] = self.copier.copy(
            "actions",
            (
                "cycle_id",
                "text",
                "owner_id",
                "due_on",
                "status",
                "expectation",
                "kkc",
                "outcome",
                "learning",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    # --- examples -----------------------------------------------------------------------------

    def write_examples(self, cycles: list[PlannedCycle]) -> None:
        rng, n = self.rng, self.sizes.examples
        teams = [t for t in self.of_kind("team") if t.members]
        chosen = rng.choices(teams, [len(t.members) for t in teams], k=n)
        first = self.copier.reserve("examples", n)
        expectations, kkcs, olfas = list(Expectation), list(KKC), list(OLFA)
        tags: list[tuple[int, str]] = []

        def rows() -> Iterator[tuple]:
            for i, team in enumerate(chosen):
                example_id = first + i
                lesson = rng.random() < 0.25
                offered = rng.random() < 0.15
                at = self.now - timedelta(days=rng.randrange(365), minutes=rng.randrange(600))
                names = [self.names[m] for m in rng.sample(team.members, min(3, len(team.members)))]
                for e in rng.sample(expectations, rng.randint(1, 2)):
                    tags.append((example_id, e.value))
                cycle = self.latest_cycle.get(team.id) if rng.random() < 0.4 else None
                yield (
                    example_id,
                    team.id,
                    cycle,
                    rng.choice(team.members),
                    "lesson" if lesson else "good",
                    self.texts.title(),
                    self.texts.example(names),
                    self.texts.answer() if lesson else None,
                    rng.choice(kkcs).value if rng.random() < 0.7 else None,
                    rng.choice(olfas).value if rng.random() < 0.7 else None,
                    at + timedelta(days=1) if offered else None,
                    at,
                    at,
                )

        self.counts["examples"] = self.copier.copy(
            "examples",
            (
                "id",
                "unit_id",
                "cycle_id",
                "author_id",
                "kind",
                "title",
                "text",
                "lesson",
                "kkc",
                "olfa",
                "offered_at",
                "created_at",
                "updated_at",
            ),
            rows(),
        )
        self.copier.copy("example_expectations", ("example_id", "expectation"), tags, counted=False)
