"""The weekly digest's content: a leader's open cycles at a glance.

Counts stay inside the leader's own team (how many of the members have contributed; overdue
agreements), so they never leave the team and the k-threshold for reports does not apply.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from web.cycles.models import OPEN_ACTION_STATUSES, Action, Cycle, Phase
from web.extensions import db
from web.orgs.models import Membership, MembershipRole


def digest_lines(user_id: int, links, tenant_slug: str, today: date) -> list[dict[str, Any]]:
    led = select(Membership.unit_id).where(
        Membership.user_id == user_id, Membership.role == MembershipRole.LEADER
    )
    cycles = db.session.scalars(
        select(Cycle)
        .where(Cycle.phase != Phase.CLOSED, or_(Cycle.leader_id == user_id, Cycle.unit_id.in_(led)))
        .order_by(Cycle.preparation_ends_on, Cycle.id)
    ).all()
    lines = []
    for cycle in cycles:
        overdue = (
            db.session.scalar(
                select(func.count(Action.id)).where(
                    Action.cycle_id == cycle.id,
                    Action.status.in_(OPEN_ACTION_STATUSES),
                    Action.due_on < today,
                )
            )
            or 0
        )
        lines.append(
            {
                "unit": cycle.unit.name,
                "phase": cycle.phase,
                "meeting_at": cycle.meeting_at,
                "members": cycle.member_count,
                "contributed": cycle.contributor_count,
                "overdue": overdue,
                "url": links.cycle(tenant_slug, cycle.id),
            }
        )
    return lines
