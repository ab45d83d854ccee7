"""The country (issue 20 point 1): 98 generated municipalities in one bench database.

    .venv/bin/python bench/country.py [--only N] [--scale 0.05]

Sizes spread like Denmark's municipalities' staff (``country_sizes``): one of 45,000 people,
four of 16,000-28,000, fifteen of 5,500-11,000, seventy-three of 1,500-5,000 and five small
islands of 300-900; about 497,000 people in all. Every other count (units, cycles,
contributions, actions, examples) scales with the people, as ``Sizes().scaled``. The tenants
are ``land-01`` … ``land-98``, generated in one process with ``bench.generator.generate`` (one
transaction each, the largest first) only when missing or generated with other parameters, so
later runs reuse them, as ``benchlib.ensure_tenant`` does for ``bench``. ``--only N`` builds
just the first N (a quick check). ``--scale F`` builds the same 98 at F times their size (never
under ``SMALLEST`` people, which the four-level tree needs): ``--scale 0.05`` is the country at
1/20 (about 25,000 people), for a shared machine; a tenant is regenerated when its scale differs.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from datetime import datetime

import benchlib

from bench.generator import GENERATOR_VERSION, Sizes

SEED = 20
# The fewest people a scaled municipality gets: 8 units in four levels (bench.generator.builder).
SMALLEST = 200


def country_sizes() -> list[int]:
    """People per municipality, largest first (98 of them)."""

    def spread(first: int, last: int, count: int) -> list[int]:
        step = (first - last) / (count - 1)
        return [int(round(first - i * step, -1)) for i in range(count)]

    return [
        45_000,
        28_000,
        24_000,
        20_000,
        16_000,
        *spread(11_000, 5_500, 15),
        *spread(5_000, 1_500, 73),
        900,
        700,
        500,
        400,
        300,
    ]


def tenants(scale: float = 1.0) -> dict[str, float]:
    """slug → the generator's scale (people / 50,000), the country at ``scale`` of its size."""
    return {
        f"land-{i + 1:02d}": scaled_people(people, scale) / Sizes().employees
        for i, people in enumerate(country_sizes())
    }


def scaled_people(people: int, scale: float) -> int:
    return people if scale == 1.0 else max(SMALLEST, round(people * scale))


def sizes(scale: float) -> Sizes:
    """The bench municipality's proportions; the smallest (under 1,000 people) with 10 % fewer
    contributions (35 % under 300), which their few cycles would otherwise not have room for."""
    sized = Sizes().scaled(scale)
    if sized.employees < 1_000:
        # Under 300 (only in a scaled country, --scale) the few cycles leave less room still.
        share = 0.9 if sized.employees >= 300 else 0.65
        sized = replace(sized, contributions=round(sized.contributions * share))
    return sized


def expected(scale: float, index: int, fanout: bool = False) -> dict:
    return {
        **sizes(scale).__dict__,
        "seed": SEED + index,
        "fanout": fanout,
        "version": GENERATOR_VERSION,
        "scale": scale,
    }


def ensure_country(
    only: int | None = None, scale: float = 1.0, fanout: bool = False
) -> dict[str, float]:
    """Generate what is missing; returns seconds per generated tenant. ``fanout``: each
    municipality shaped like ``bench-fanout`` (every team's cycle opens today, so exactly one
    reminder is due per person: bench/national_reminders.py), in a database of its own."""
    from bench.generator import LOCAL, generate, vacuum_analyze
    from web import create_app

    benchlib.ensure_schema()
    app = create_app({**benchlib.app_config(), "SQLALCHEMY_DATABASE_URI": benchlib.OWNER_URL})
    took: dict[str, float] = {}
    with app.app_context():
        for index, (slug, share) in enumerate(list(tenants(scale).items())[:only]):
            want = expected(share, index, fanout)
            found = benchlib.generated_with(slug)
            if found and all(found.get(k) == v for k, v in want.items()):
                continue
            started = time.monotonic()
            generate(
                slug,
                sizes(share),
                seed=SEED + index,
                as_of=datetime.now(LOCAL).date(),
                fanout=fanout,
                replace=found is not None,
                params={"scale": share},
            )
            took[slug] = time.monotonic() - started
            print(f"{slug}: {sizes(share).employees:,} people in {took[slug]:.0f} s", flush=True)
        if took:
            vacuum_analyze()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, help="only the first N municipalities")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="every municipality at this share of its size"
    )
    parser.add_argument(
        "--fanout",
        action="store_true",
        help="every person due one reminder today (for bench/national_reminders.py)",
    )
    args = parser.parse_args()
    load = benchlib.machine()["loadavg_1m_at_start"]
    started = time.monotonic()
    took = ensure_country(args.only, args.scale, args.fanout)
    total = time.monotonic() - started
    print(
        f"{len(took)} generated, the rest reused; {total:.0f} s in all "
        f"(load average {load} at start, {os.getloadavg()[0]:.2f} at the end)"
    )
    benchlib.save(
        "country-fanout" if args.fanout else "country",
        {
            "scale": args.scale,
            "fanout": args.fanout,
            "load_average_at_start": load,
            "load_average_at_end": os.getloadavg()[0],
            "generated_s": took,
            "total_s": total,
            "people": sum(scaled_people(p, args.scale) for p in country_sizes()[: args.only]),
        },
    )


if __name__ == "__main__":
    main()
