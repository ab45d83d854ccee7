"""The HR overview's tenant-wide part, kept rendered in the cache (``web.cache``).

At 50,000 people it takes seconds to compute, so requests only read it: a stale copy is
served while ``refresh_overview`` recomputes it in the worker, and the beat's
``refresh_read_overviews`` recomputes the copies HR has read lately before they go stale, so
HR normally never sees a stale one. Only with no copy at all does a request compute it (one
request; concurrent ones wait for its copy). Without Redis, or with OVERVIEW_CACHE_SECONDS 0
(tests), every request computes it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from flask import current_app, render_template
from flask_babel import force_locale, format_percent
from flask_babel import lazy_gettext as _l

from web import cache
from web.cycles.models import PHASE_ORDER
from web.dashboards import chart, queries
from web.extensions import db
from web.orgs.models import UnitKind
from web.tasking import tenant_task
from web.tenants.models import Tenant

log = logging.getLogger(__name__)

KEY_PREFIX = "overview:"

UNIT_KIND_LABELS = {
    UnitKind.ORGANISATION: _l("Organisation"),
    UnitKind.AREA: _l("Område"),
    UnitKind.DEPARTMENT: _l("Afdeling"),
    UnitKind.TEAM: _l("Team"),
}


def cache_seconds() -> int:
    """60 s by default; 0 (no cache) in tests, so a test sees its own changes at once
    (``web.config``)."""
    return int(current_app.config["OVERVIEW_CACHE_SECONDS"])


def cache_key(tenant_id: int, locale: str, k: int) -> str:
    return f"{overview_prefix(tenant_id)}{locale}:{k}"


def overview_prefix(tenant_id: int) -> str:
    """What every cached overview of ``tenant_id`` (any language, any k) starts with."""
    return f"{KEY_PREFIX}{tenant_id}:"


def cached_overview(tenant_id: int, locale: str, k: int) -> cache.Copy:
    """The rendered body for the request (the request's tenant scope and locale are current)."""
    return cache.remember(
        cache_key(tenant_id, locale, k),
        cache_seconds(),
        lambda: overview_body(k),
        # A read sends the task at once: there is nothing to commit first (enqueue_after_commit
        # would wait for a commit that a GET never makes). No retries: if the broker is down,
        # the stale copy is served and a later request tries again.
        refresh=lambda version: refresh_overview.apply_async(
            (tenant_id, locale, k, version), retry=False
        ),
    )


def overview_body(k: int) -> str:
    """The tenant-wide part of the page, the same for every HR user of the tenant in a language
    (nothing about the signed-in user goes in here)."""
    data = queries.overview(k)
    rows = [*data.areas, *([data.merged] if data.merged else [])]
    return render_template(
        "dashboards/_overview_body.html",
        data=data,
        area_rows=rows,
        area_label=chart.area_label,
        chart_svg=chart.participation_svg(rows),
        chart_text=chart.text_alternative(rows),
        phases=PHASE_ORDER,
        percent=format_percent,
    )


@shared_task(name="web.dashboards.tasks.refresh_overview")
@tenant_task
def refresh_overview(tenant_id: int, locale: str, k: int, replacing: str | None) -> bool:
    """Recompute the copy ``replacing`` (a version, None if there was none); whoever sent this
    holds the key's lock, and ``cache.recompute`` releases it.

    Skipped when that copy was replaced meanwhile, or the tenant is gone. True if it computed."""
    key = cache_key(tenant_id, locale, k)
    if db.session.get(Tenant, tenant_id) is None:
        cache.release(key)
        return False
    with force_locale(locale):
        return cache.recompute(key, lambda: overview_body(k), replacing)


@shared_task(name="web.dashboards.tasks.refresh_read_overviews")
def refresh_read_overviews() -> int:
    """The beat's: refresh each copy read within the last hour once it is half its
    OVERVIEW_CACHE_SECONDS old (or gone), so the next read finds a fresh one. Copies nobody
    reads are left alone: the first read after a quiet spell gets the old copy at once (its age
    shown) and starts its refresh."""
    ttl = cache_seconds()
    if not cache.is_enabled(ttl):
        return 0
    due = cache.due_for_refresh(KEY_PREFIX, older_than=ttl / 2)
    for key, version in due:
        tenant_id, locale, k = key.removeprefix(KEY_PREFIX).split(":")
        try:
            refresh_overview.delay(int(tenant_id), locale, int(k), version)
        except Exception:
            cache.release(key)
            raise
    if due:
        log.info("refreshing %s overview copies", len(due))
    return len(due)
