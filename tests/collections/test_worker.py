"""A real Celery worker compiles the collection: beat's fan-out, one task per tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.services import (
    celery_worker,
    wait_for,
    worker_env,
)
from web.collections.models import CollectionEntry, EntryStatus
from web.collections.tasks import compile_all_collections
from web.examples.models import ExampleKind
from web.extensions import db
from web.orgs.models import UnitKind
from web.tenancy import tenant_scope

pytestmark = pytest.mark.worker


def test_the_worker_compiles_every_tenants_collection(app, committed_make, tmp_path):
    tenants = []
    for slug, name in (("solby", "Hanne Jensen"), ("nabo", "Kirsten Berg")):
        tenant = committed_make.tenant(slug)
        team = committed_make.unit(tenant, "Team", UnitKind.TEAM)
        author = committed_make.user(tenant, name, unit=team)
        committed_make.example(
            tenant,
            team,
            author,
            kind=ExampleKind.LESSON,
            is_offered=True,
            title=f"{name}s forsøg",
            text=f"{name} ringede fra 12345678.",
            lesson="Spørg først.",
        )
        tenants.append(tenant)
    celery = app.extensions["celery"]
    celery.control.purge()
    worker = celery_worker(
        worker_env(),
        tmp_path / "worker.log",
    )

    def entries(tenant) -> list[CollectionEntry]:
        with app.app_context(), tenant_scope(tenant.id):
            rows = list(db.session.scalars(select(CollectionEntry)))
            db.session.remove()
            return rows

    try:
        with app.app_context():
            assert compile_all_collections.delay().get(timeout=60) >= 2
        wait_for(lambda: all(entries(t) for t in tenants), 60, "both collections compiled")
    finally:
        worker.stop()
    assert "web.collections.tasks.compile_collection" in worker.output()
    [ours], [theirs] = entries(tenants[0]), entries(tenants[1])
    assert (ours.title, ours.text) == ("[navn] forsøg", "[navn] ringede fra [telefon].")
    assert (theirs.title, theirs.text) == ("[navn] forsøg", "[navn] ringede fra [telefon].")
    assert ours.status == theirs.status == EntryStatus.PENDING
