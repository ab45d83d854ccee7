"""A real worker embeds an entry when HR approves it, and this process's next search finds it.
On the embedded backend (SQLite file + SQLAlchemy transport) that worker runs in a network
namespace of its own with no route at all (``unshare -rn``: not even loopback is up), so the
model demonstrably needs no network."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from tests.services import (
    SQLITE,
    celery_worker,
    wait_for,
    worker_env,
)
from web.collections.compilation import compile_collection
from web.collections.models import CollectionEntry
from web.collections.services import approve_entry
from web.extensions import db
from web.tasking import enqueue_after_commit
from web.tenancy import tenant_scope
from web.themes import model, search
from web.themes.models import EntryEmbedding
from web.themes.tasks import embed_entry
from web.users.models import TenantRoleName

pytestmark = pytest.mark.worker


def _no_route_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    return probe.returncode == 0


def test_an_approved_entry_is_embedded_by_the_worker(app, committed_make, tmp_path):
    tenant = committed_make.tenant("solby")
    team = committed_make.unit(tenant, "Team")
    author = committed_make.user(tenant, "Hanne Jensen", unit=team)
    hr = committed_make.user(tenant, "Henrik Rask", roles=(TenantRoleName.HR,))
    committed_make.example(
        tenant,
        team,
        author,
        is_offered=True,
        title="Egen vagtplan",
        text="Vi lægger selv vagtplanen for de næste otte uger.",
    )
    isolated = SQLITE and _no_route_available()
    celery = app.extensions["celery"]
    celery.control.purge()

    def found() -> list[int]:
        with app.app_context(), tenant_scope(tenant.id):
            hits = [entry_id for entry_id, _score in search.by_meaning("vagtplanen")]
            db.session.remove()
            return hits

    # Approved and queued before the worker starts: this process searches first and keeps the
    # tenant's matrix (no vector yet); the next search must see what the worker then writes.
    with app.app_context(), tenant_scope(tenant.id):
        compile_collection()
        entry = db.session.scalars(select(CollectionEntry)).one()
        approve_entry(hr, entry, revision=entry.revision)
        enqueue_after_commit(embed_entry, tenant.id, entry.id)
        db.session.commit()
        entry_id = entry.id
    assert found() == []
    worker = celery_worker(
        worker_env(), tmp_path / "worker.log", wrapper=("unshare", "-rn") if isolated else ()
    )

    def vector() -> EntryEmbedding | None:
        with app.app_context(), tenant_scope(tenant.id):
            row = db.session.scalar(select(EntryEmbedding))
            db.session.remove()
            return row

    try:
        wait_for(lambda: vector() is not None, 120, "the approved entry embedded")
    finally:
        worker.stop()
    # The worker's commit renewed the tenant's stamp: this process's kept matrix is replaced.
    assert found() == [entry_id]
    row = vector()
    assert row.entry_id == entry_id and row.model_version == model.MODEL_VERSION
    assert "web.themes.tasks.embed_entry" in worker.output()
    if isolated:
        assert "unshare" not in worker.output()  # it started, in its own empty namespace
