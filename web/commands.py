"""What the ``flask`` commands share: the tenant named on the command line, and a bar in percent
for a job that reports how far it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from web.tenants.models import Tenant
from web.tenants.services import get_by_slug


def tenant_named(slug: str) -> Tenant:
    """The tenant ``slug``, or the command ends with "No tenant 'slug'." (exit status 1)."""
    tenant = get_by_slug(slug)
    if tenant is None:
        raise click.ClickException(f"No tenant '{slug}'.")
    return tenant


@contextmanager
def percent_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A bar from 0 to 100 %, moved by the callback ``progress(done, total)``; full when the
    block ends without an error. A smaller share than one shown before never moves it back."""
    with click.progressbar(length=100, label=label) as bar:
        shown = 0

        def progress(done: int, total: int) -> None:
            nonlocal shown
            percent = min(done * 100 // max(total, 1), 100)
            if percent > shown:
                bar.update(percent - shown)
                shown = percent

        yield progress
        bar.update(100 - shown)
