"""For every units file, laid over every existing tree: the import either refuses with one
message per cycle (and writes nothing) or leaves exactly the file's tree, with no cycle.

The independent check finds the units on cycles by peeling: in a graph where every unit has at
most one parent, the units left after repeatedly removing those no other unit points at are
exactly the units on cycles; each cycle is one connected group of them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from web.extensions import db
from web.orgs.models import OrgUnit
from web.orgs.services import CsvFile, CsvImportError, descendant_ids, import_org

IDS = [f"u{i}" for i in range(8)]


def cycles_of(parents: dict[str, str | None]) -> int:
    alive = set(parents)
    while True:
        pointed = {parents[u] for u in alive if parents[u] in alive}
        leaves = alive - pointed
        if not leaves:
            break
        alive -= leaves
    groups, seen = 0, set()
    for unit in alive:
        if unit in seen:
            continue
        groups += 1
        node = unit
        while node not in seen:
            seen.add(node)
            node = parents[node]
    return groups


def units_csv(parents: dict[str, str | None]) -> str:
    rows = [f"{u},Enhed {u},team,{p or ''}" for u, p in parents.items()]
    return "external_id,name,kind,parent_external_id\n" + "\n".join(rows) + "\n"


trees = st.dictionaries(
    st.sampled_from(IDS), st.none() | st.sampled_from(IDS), min_size=1, max_size=8
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(existing=trees, update=trees)
def test_imports_never_leave_a_cycle(make, scope, existing, update):
    tenant = make.tenant()
    with scope(tenant):
        # The existing tree: a file without cycles or unknown parents (any other is refused).
        base = {u: (p if p in existing and p != u else None) for u, p in existing.items()}
        if cycles_of(base) == 0:
            import_org(CsvFile("units.csv", units_csv(base)))
        else:
            base = {}
        db.session.flush()
        merged = {**base, **update}
        unknown = any(p is not None and p not in merged for p in update.values())
        expected_cycles = 0 if unknown else cycles_of(merged)
        before = {
            u.external_id: (u.parent.external_id if u.parent else None)
            for u in db.session.scalars(select(OrgUnit))
        }
        try:
            import_org(CsvFile("units.csv", units_csv(update)))
            problems = None
        except CsvImportError as exc:
            problems = exc.problems
        if problems is not None:
            rings = [p for p in problems if "ring" in p]
            assert unknown or len(rings) == expected_cycles > 0, problems
            db.session.expire_all()
            after = {
                u.external_id: (u.parent.external_id if u.parent else None)
                for u in db.session.scalars(select(OrgUnit))
            }
            assert after == before  # nothing written
        else:
            assert not unknown and expected_cycles == 0
            db.session.expire_all()
            after = {
                u.external_id: (u.parent.external_id if u.parent else None)
                for u in db.session.scalars(select(OrgUnit))
            }
            assert after == merged
            ids = [u.id for u in db.session.scalars(select(OrgUnit))]
            assert descendant_ids(ids) == set(ids)
        db.session.rollback()
