"""Participation per cycle, kept at write time so no page counts members when it is read.

Two counters on ``Cycle`` (see README, "Mine enheder"):

- ``member_count``: the people the cycle asks — every active person with a membership in a unit
  the cycle covers *when its preparation opens* (the cycle is created in preparation), fixed in
  ``cycle_members``; and anyone who contributes after joining one of those units later, added
  with their first answer. Leavers stay counted: they were asked.
- ``contributor_count``: the members (in ``cycle_members``) with a ``Participation`` row, so
  it never exceeds ``member_count``.

Both are kept by one ``after_flush`` listener, in the transaction that inserts the cycle or
inserts/deletes the Participation, so every path that does so through the ORM (services, the
API, the demo data, the tests' factories) keeps them right without calling anything. Increments
are ``SET n = n + k`` on the cycle row, never a recount: two first answers committed at once
both count (PostgreSQL re-reads the locked row; SQLite writes one at a time). Bulk writers that
bypass the ORM (the COPY-based generator) call ``rebuild`` afterwards; the migration that added
the counters fills them the same way.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, and_, delete, event, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from web.cycles.models import Cycle, CycleMember, Participation
from web.orgs.models import Membership, OrgUnit
from web.users.models import User


def covered_members(cycle_ids: Select | Collection[int]) -> Select:
    """SELECT (tenant_id, cycle_id, user_id): the active members of the units each cycle covers
    today (its unit, and the units below it if it includes sub-units)."""
    anchor = select(
        Cycle.id.label("cycle_id"),
        Cycle.unit_id.label("unit_id"),
        Cycle.include_subunits.label("deep"),
    ).where(Cycle.id.in_(cycle_ids))
    tree = anchor.cte("covered_units", recursive=True)
    child = aliased(OrgUnit)
    tree = tree.union_all(
        select(tree.c.cycle_id, child.id, tree.c.deep)
        .select_from(tree)
        .join(child, child.parent_id == tree.c.unit_id)
        .where(tree.c.deep)
    )
    return (
        select(Membership.tenant_id, tree.c.cycle_id, Membership.user_id)
        .select_from(tree)
        .join(Membership, Membership.unit_id == tree.c.unit_id)
        .join(User, and_(User.id == Membership.user_id, User.is_active.is_(True)))
        .distinct()
    )


_MEMBER_COLUMNS = ("tenant_id", "cycle_id", "user_id")
_PENDING = "tally_counts"  # session.info: figures to show once the flush is done


def _members_in(cycles=Cycle):
    return (
        select(func.count())
        .select_from(CycleMember)
        .where(CycleMember.cycle_id == cycles.id)
        .correlate(cycles)
        .scalar_subquery()
    )


def _contributors_in(cycles=Cycle):
    """Participations of the cycle's members (a row of anyone else is not counted)."""
    return (
        select(func.count())
        .select_from(Participation)
        .join(
            CycleMember,
            and_(
                CycleMember.cycle_id == Participation.cycle_id,
                CycleMember.user_id == Participation.user_id,
            ),
        )
        .where(Participation.cycle_id == cycles.id)
        .correlate(cycles)
        .scalar_subquery()
    )


def rebuild(cycle_ids: Select | Collection[int], session: Session) -> None:
    """Fix the member sets and both counters of ``cycle_ids`` from the rows as they are now
    (today's members; the figures the dashboard counted before there were counters).

    For writers that bypass the ORM (the generator's COPY). Not for concurrent use: it counts.
    """
    conn = session.connection()
    conn.execute(delete(CycleMember).where(CycleMember.cycle_id.in_(cycle_ids)))
    conn.execute(insert(CycleMember).from_select(_MEMBER_COLUMNS, covered_members(cycle_ids)))
    conn.execute(
        update(Cycle)
        .where(Cycle.id.in_(cycle_ids))
        .values(
            member_count=_members_in(),
            contributor_count=_contributors_in(),
            updated_at=Cycle.updated_at,
        )
    )


def _open_preparation(session: Session, cycle_ids: list[int]) -> dict[int, tuple[int, int]]:
    conn = session.connection()
    conn.execute(insert(CycleMember).from_select(_MEMBER_COLUMNS, covered_members(cycle_ids)))
    rows = conn.execute(
        update(Cycle)
        .where(Cycle.id.in_(cycle_ids))
        .values(member_count=_members_in(), updated_at=Cycle.updated_at)
        .returning(Cycle.id, Cycle.member_count, Cycle.contributor_count)
    )
    return {cycle_id: (members, contributors) for cycle_id, members, contributors in rows}


def _in_set(cycle_id: int, user_ids: list[int]):
    """How many of ``user_ids`` are in the cycle's member set (a scalar subquery)."""
    if not user_ids:
        return 0
    return (
        select(func.count())
        .select_from(CycleMember)
        .where(CycleMember.cycle_id == cycle_id, CycleMember.user_id.in_(user_ids))
        .scalar_subquery()
    )


def _count_participations(
    session: Session, added: dict[int, list[int]], removed: dict[int, list[int]]
) -> dict[int, tuple[int, int]]:
    """Apply a flush's new and deleted Participation rows (user ids by cycle) to the counters.

    Only the user's own transactions change whether they are in a cycle's member set (and
    ``save_answers`` holds a lock on the user), so reading the set here cannot race.
    """
    conn = session.connection()
    counts = {}
    for cycle_id in sorted(added.keys() | removed.keys()):  # one lock order: no deadlock
        joined = 0
        if added.get(cycle_id):
            # Who joined one of the cycle's units after preparation opened is asked from their
            # first answer on.
            joiners = covered_members([cycle_id]).subquery()
            joined = len(
                conn.execute(
                    insert(CycleMember)
                    .from_select(
                        _MEMBER_COLUMNS,
                        select(joiners.c.tenant_id, joiners.c.cycle_id, joiners.c.user_id).where(
                            joiners.c.user_id.in_(added[cycle_id]),
                            ~exists().where(
                                CycleMember.cycle_id == cycle_id,
                                CycleMember.user_id == joiners.c.user_id,
                            ),
                        ),
                    )
                    .returning(CycleMember.user_id)
                ).all()
            )
        plus, minus = added.get(cycle_id, []), removed.get(cycle_id, [])
        row = conn.execute(
            update(Cycle)
            .where(Cycle.id == cycle_id)
            .values(
                member_count=Cycle.member_count + joined,
                contributor_count=Cycle.contributor_count
                + _in_set(cycle_id, plus)
                - _in_set(cycle_id, minus),
                updated_at=Cycle.updated_at,
            )  # a contribution is not an edit of the cycle
            .returning(Cycle.member_count, Cycle.contributor_count)
        ).one_or_none()
        if row is not None:  # None: the cycle went in the same flush
            counts[cycle_id] = tuple(row)
    return counts


@event.listens_for(Session, "after_flush")
def _keep_counts(session: Session, flush_context) -> None:
    new_cycles = [o.id for o in session.new if isinstance(o, Cycle)]
    added: dict[int, list[int]] = {}
    removed: dict[int, list[int]] = {}
    for rows, objects in ((added, session.new), (removed, session.deleted)):
        for o in objects:
            if isinstance(o, Participation):
                rows.setdefault(o.cycle_id, []).append(o.user_id)
    if not (new_cycles or added or removed):
        return
    counts = _open_preparation(session, new_cycles) if new_cycles else {}
    counts |= _count_participations(session, added, removed)
    session.info.setdefault(_PENDING, {}).update(counts)


@event.listens_for(Session, "after_flush_postexec")
def _show_counts(session: Session, flush_context) -> None:
    # The cycles in this session learn their new figures without another SELECT. (Not in
    # after_flush: the flush then commits the objects' own values over them.)
    for cycle_id, (members, contributors) in session.info.pop(_PENDING, {}).items():
        cycle = session.identity_map.get(identity_key(Cycle, cycle_id))
        if cycle is not None:
            set_committed_value(cycle, "member_count", members)
            set_committed_value(cycle, "contributor_count", contributors)
