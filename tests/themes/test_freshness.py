"""The search's kept matrix and its stamp (migration 0026): an unchanged tenant costs one
primary-key lookup, and every change the matrix is made of renews the stamp, in the changing
transaction, whoever writes. (A worker's change seen by this process's next search:
tests/themes/test_worker.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text

from tests.querycount import count_queries
from web.collections.models import CollectionEntry
from web.examples.models import Example
from web.extensions import db
from web.tenancy import tenant_scope
from web.themes import embeddings, search
from web.themes.models import EntryEmbedding


@pytest.fixture
def embedded(town, approved, scope):
    with scope(town.tenant):
        assert embeddings.backfill() == 12
        db.session.commit()
    return approved


def _example_of(entry_id: int) -> Example:
    entry = db.session.get(CollectionEntry, entry_id)
    return db.session.get(Example, entry.example_id)


def test_an_unchanged_tenant_does_no_scan(town, embedded, scope):
    with scope(town.tenant):
        first = search.by_meaning("vagtplan")
        with count_queries() as queries:
            again = search.by_meaning("vagtplan")
            similar = search.similar(embedded["vagt"][0])
    assert again == first and len(similar) == 5
    assert queries.count == 2, str(queries)  # one lookup per search
    assert all(
        "FROM search_versions" in s and "WHERE search_versions.tenant_id" in s
        for s in queries.statements
    ), str(queries)


def test_every_change_of_the_matrix_renews_the_stamp_and_nothing_else_does(
    town, embedded, scope, make
):
    with scope(town.tenant):
        stamps = [search.version()]

        def renewed() -> bool:
            db.session.flush()
            stamps.append(search.version())
            return stamps[-1] != stamps[-2]

        assert stamps[0] is not None
        assert search.by_meaning("vagtplan")  # the matrix kept
        entry = db.session.get(CollectionEntry, embedded["vagt"][0])
        entry.title = "Ny titel"
        assert renewed()  # an entry's edit (HR)
        _example_of(embedded["vagt"][1]).text = "Teamet har skrevet eksemplet om."
        assert renewed()  # a team's edit of its offered example: the entry is hidden
        assert embedded["vagt"][1] not in [i for i, _ in search.by_meaning("vagtplan", n=12)]
        hidden = make.example(town.tenant, town.team, town.author, title="Kladde", text="Kladde.")
        db.session.flush()
        assert not renewed()  # an example nobody offered: no entry can come from it
        hidden.text = "Kladde igen."
        assert not renewed()
        db.session.execute(
            delete(EntryEmbedding).where(EntryEmbedding.entry_id == embedded["moeder"][0])
        )
        assert renewed()  # a vector gone (SQL, not the ORM)
        assert embedded["moeder"][0] not in [i for i, _ in search.by_meaning("møder", n=12)]
        db.session.execute(
            delete(Example).where(Example.id == _example_of(embedded["moeder"][1]).id)
        )
        assert renewed()  # a foreign key's cascade (the entry and its vector go with it)
        db.session.commit()
    with scope(town.neighbour):
        other = search.version()
    with scope(town.tenant):
        entry = db.session.get(CollectionEntry, embedded["vagt"][2])
        entry.title = "Endnu en titel"
        db.session.commit()
    with scope(town.neighbour):
        assert search.version() == other  # one tenant's change is not another's


@pytest.mark.postgres("the stamp's trigger is deferred to the commit on PostgreSQL only")
def test_the_stamp_is_renewed_at_commit_under_the_rows_own_tenant(town, embedded, scope):
    with scope(town.tenant):
        before = search.version()
        db.session.execute(text("SET CONSTRAINTS ALL DEFERRED"))  # as outside the test suite
        db.session.get(CollectionEntry, embedded["vagt"][0]).title = "Ny titel"
        db.session.flush()
        assert search.version() == before  # not before the commit: no lock held meanwhile
        with tenant_scope(town.neighbour.id):  # the transaction moves to another tenant
            db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # what the commit does
            setting = db.session.scalar(text("SELECT current_setting('app.tenant_id')"))
            assert setting == str(town.neighbour.id)  # the trigger's own scope undone
        assert search.version() != before
