"""The tenant admin's writes outside SSO settings: placing users in units."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import SelectChoice

from web.audit.services import record
from web.extensions import db
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.users.models import RoleSource, User


def units_by_path() -> list[SelectChoice]:
    """Every unit that is not archived as a choice labelled "Top / Area / Department", sorted
    by that path; same-named siblings carry their external id, so the admin can tell them
    apart."""
    units = {u.id: u for u in db.session.scalars(select(OrgUnit))}

    def path(unit: OrgUnit, depth: int = 0) -> str:
        parent = units.get(unit.parent_id) if unit.parent_id else None
        return (path(parent, depth + 1) + " / " if parent and depth < 50 else "") + unit.name

    live = [u for u in units.values() if u.archived_at is None]
    labels = {u.id: path(u) for u in live}
    twice = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    paths = sorted(
        (
            (f"{labels[u.id]} ({u.external_id})" if labels[u.id] in twice else labels[u.id], u.id)
            for u in live
        ),
        key=lambda pair: pair[0],
    )
    return [SelectChoice(unit_id, label) for label, unit_id in paths]


def place_user(user: User, unit: OrgUnit, role: MembershipRole, actor: User) -> Membership:
    """Give ``user`` a membership granted in the app (kept across logins). Flushes."""
    membership = db.session.scalar(
        select(Membership).filter_by(user_id=user.id, unit_id=unit.id, role=role)
    )
    if membership is None:
        membership = Membership(user_id=user.id, unit_id=unit.id, role=role, source=RoleSource.APP)
        db.session.add(membership)
        db.session.flush()
    record("admin.user_placed", actor=actor, target=user, unit=unit.external_id, role=role.value)
    return membership
