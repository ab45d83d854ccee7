"""The country (issue 20 point 1): 98 generated municipalities in one bench database.

    .venv/bin/python bench/country.py [--only N]

Sizes spread like Denmark's municipalities' staff (``country_sizes``): one of 45,000 people,
four of 16,000-28,000, fifteen of 5,500-11,000, seventy-three of 1,500-5,000 and five small
islands of 300-900; about 497,000 people in all. Every other count (units, cycles,
contributions, actions, examples) scales with the people, as ``Sizes().scaled``. The tenants
are ``land-01`` … ``land-98``, generated in one process with ``bench.generator.generate`` (one
transaction each, the largest first) only when missing or generated with other parameters, so
later runs reuse them, as ``benchlib.ensure_tenant`` does for ``bench``. ``--only N`` builds
just the first N (a quick check).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import datetime

import benchlib

from bench.generator import GENERATOR_VERSION, Sizes

SEED = 20


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


def tenants() -> dict[str, float]:
    """slug → the generator's scale (people / 50,000)."""
    return {
        f"land-{i + 1:02d}": people / Sizes().employees for i, people in enumerate(country_sizes())
    }


def sizes(scale: float) -> Sizes:
    """The bench municipality's proportions; the smallest (under 1,000 people) with 10 % fewer
    contributions, which their few cycles would otherwise not have room for."""
    sized = Sizes().scaled(scale)
    if sized.employees < 1_000:
        sized = replace(sized, contributions=round(sized.contributions * 0.9))
    return sized


def expected(scale: float, index: int) -> dict:
    return {
        **sizes(scale).__dict__,
        "seed": SEED + index,
        "fanout": False,
        "version": GENERATOR_VERSION,
        "scale": scale,
    }


def ensure_country(only: int | None = None) -> dict[str, float]:
    """Generate what is missing; returns seconds per generated tenant."""
    from bench.generator import LOCAL, generate, vacuum_analyze
    from web import create_app

    benchlib.ensure_schema()
    app = create_app({**benchlib.app_config(), "SQLALCHEMY_DATABASE_URI": benchlib.OWNER_URL})
    took: dict[str, float] = {}
    with app.app_context():
        for index, (slug, scale) in enumerate(list(tenants().items())[:only]):
            want = expected(scale, index)
            found = benchlib.generated_with(slug)
            if found and all(found.get(k) == v for k, v in want.items()):
                continue
            started = time.monotonic()
            generate(
                slug,
                sizes(scale),
                seed=SEED + index,
                as_of=datetime.now(LOCAL).date(),
                replace=found is not None,
                params={"scale": scale},
            )
            took[slug] = time.monotonic() - started
            print(f"{slug}: {sizes(scale).employees:,} people in {took[slug]:.0f} s", flush=True)
        if took:
            vacuum_analyze()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, help="only the first N municipalities")
    args = parser.parse_args()
    load = benchlib.machine()["loadavg_1m_at_start"]
    started = time.monotonic()
    took = ensure_country(args.only)
    total = time.monotonic() - started
    print(
        f"{len(took)} generated, the rest reused; {total:.0f} s in all "
        f"(load average {load} at start)"
    )
    benchlib.save(
        "country",
        {"generated_s": took, "total_s": total, "people": sum(country_sizes()[: args.only])},
    )


if __name__ == "__main__":
    main()
