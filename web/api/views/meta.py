"""The OpenAPI document and the caller's own identity."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from web.api import bp, openapi
from web.api import schemas as s
from web.api.auth import csrf_token_for_session
from web.api.routing import operation
from web.extensions import db
from web.orgs.models import Membership, OrgUnit
from web.users import services as users
from web.users.models import User


@operation(bp, "GET", "/openapi.json", tag="meta", summary="This document", public=True)
def openapi_json(user: User | None) -> dict:
    return openapi.document()


@operation(
    bp,
    "GET",
    "/me",
    tag="meta",
    summary="The caller",
    description="Who is calling, their roles and units, and how they authenticated; "
    "with a session, the CSRF token that writes need.",
    response=s.MeOut,
)
def me(user: User) -> s.MeOut:
    return _me(user)


@operation(
    bp,
    "PATCH",
    "/me",
    tag="meta",
    summary="Change the caller's own settings",
    description="The language the caller reads the product in (``chosen_locale``), as on the "
    "personal settings page; the answer is the caller as GET /me shows them.",
    body=s.MePatch,
    response=s.MeOut,
)
def update_me(user: User, body: s.MePatch) -> s.MeOut:
    if "chosen_locale" in body.model_fields_set:
        users.choose_language(user, body.chosen_locale or "")
    return _me(user)


def _me(user: User) -> s.MeOut:
    memberships = db.session.execute(
        select(Membership.role, OrgUnit.id, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Membership.unit_id)
        .where(Membership.user_id == user.id)
        .order_by(OrgUnit.name, OrgUnit.id)
    ).all()
    return s.MeOut(
        id=user.id,
        display_name=user.display_name,
        email=user.email,
        locale=user.locale,
        chosen_locale=user.chosen_locale,
        roles=sorted({r.role for r in user.roles}),
        units=[
            s.MembershipOut(unit=s.UnitRef(id=unit_id, name=name), role=role)
            for role, unit_id, name in memberships
        ],
        auth=g.api_auth,
        csrf_token=csrf_token_for_session(),
    )
