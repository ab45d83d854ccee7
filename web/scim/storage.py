"""scim2-server's storage interface over the tenant's tables (users, scim_groups).

scim2-server parses and validates every request, applies PATCH and PUT to the stored
resource, evaluates ETags and builds every answer; this storage only reads a resource, finds
resources and writes a resource's whole new state, in Aktørskab's terms
(``web.scim.services``). It runs inside the request's tenant scope, so another tenant's rows
are not found (and, on PostgreSQL, are refused by row-level security as well).

Search: a filter ``attr eq "value"`` on ``userName``, ``externalId`` or ``displayName`` (what
Entra ID sends before it creates anything) is one query comparing the lower-cased column (the
attributes are not case-exact, RFC 7643 §4.1.1), so only the matching rows are loaded; any
other filter is evaluated by scim2-models on the tenant's resources of that type.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from scim2_models import (
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import func, select

from web.extensions import db
from web.inputs import email_address, one_line
from web.orgs.services import leave
from web.scim import services
from web.scim.models import ScimGroup, ScimGroupMember
from web.scim.schema import ENTERPRISE, GROUP, USER, provider
from web.users.models import User

MAX_NAME = 200
MAX_SUBJECT = 255
_FAST = {
    "User": {
        "username": User.subject,
        "externalid": User.external_id,
        "displayname": User.display_name,
    },
    "Group": {"displayname": ScimGroup.display_name, "externalid": ScimGroup.external_id},
}


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _version(body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f'W/"{digest[:16]}"'


def _erased(user: User) -> bool:
    from web.gdpr.services import ERASED_SUBJECT_PREFIX

    return user.subject.startswith(ERASED_SUBJECT_PREFIX)


def _visible_users():
    from web.gdpr.services import ERASED_SUBJECT_PREFIX

    return select(User).where(~User.subject.startswith(ERASED_SUBJECT_PREFIX))


def _deleted(user: User) -> bool:
    return bool((user.scim_data or {}).get("deleted"))


class TenantStorage(ScimStorage):
    """The storage of one request (the tenant is the request's scope)."""

    def __init__(self) -> None:
        self.provider = provider()

    # --- resources from rows ---------------------------------------------------------------

    def model(self, name: str) -> type[Resource[Any]]:
        return self.provider.model_for(name)

    def user_body(self, user: User) -> dict[str, Any]:
        data = user.scim_data or {}
        emails = data.get("emails") or (
            [{"value": user.email, "type": "work", "primary": True}] if user.email else None
        )
        body: dict[str, Any] = {"schemas": [USER], "id": str(user.id), "userName": user.subject}
        # A user SCIM wrote shows what SCIM sent (a removed displayName or active stays
        # removed, though the app still names the person and treats them as active); anyone
        # else shows what the app holds.
        provisioned = user.scim_data is not None
        if not provisioned or data.get("displayName"):
            body["displayName"] = user.display_name
        if not provisioned or "active" in data or not user.is_active:
            body["active"] = bool(user.is_active)
        if user.external_id:
            body["externalId"] = user.external_id
        if data.get("name"):
            body["name"] = data["name"]
        if emails:
            body["emails"] = emails
        language = data.get("preferredLanguage") or user.locale
        if language:
            body["preferredLanguage"] = language
        groups = db.session.execute(
            select(ScimGroup.id, ScimGroup.display_name)
            .join(ScimGroupMember)
            .where(ScimGroupMember.user_id == user.id)
            .order_by(ScimGroup.id)
        ).all()
        if groups:
            body["groups"] = [
                {"value": str(gid), "display": name, "$ref": f"Groups/{gid}"}
                for gid, name in groups
            ]
        if data.get("department"):
            body["schemas"].append(ENTERPRISE)
            body[ENTERPRISE] = {"department": data["department"]}
        modified = (
            datetime.fromisoformat(data["modified"]) if data.get("modified") else user.created_at
        )
        body["meta"] = {
            "resourceType": "User",
            "created": _iso(user.created_at),
            "lastModified": _iso(modified),
            "version": _version({k: v for k, v in body.items() if k != "meta"}),
        }
        return body

    def group_body(self, group: ScimGroup) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [GROUP],
            "id": str(group.id),
            "displayName": group.display_name,
        }
        if group.external_id:
            body["externalId"] = group.external_id
        members = db.session.execute(
            select(User.id, User.display_name)
            .join(ScimGroupMember)
            .where(ScimGroupMember.group_id == group.id)
            .order_by(User.id)
        ).all()
        if members:
            body["members"] = [
                {"value": str(uid), "$ref": f"Users/{uid}"} for uid, _name in members
            ]
        body["meta"] = {
            "resourceType": "Group",
            "created": _iso(group.created_at),
            "lastModified": _iso(group.updated_at),
            "version": _version({k: v for k, v in body.items() if k != "meta"}),
        }
        return body

    def resource(self, name: str, row: User | ScimGroup) -> Resource[Any]:
        body = self.user_body(row) if name == "User" else self.group_body(row)
        return self.model(name).model_validate(body)

    def row(self, name: str, resource_id: str) -> User | ScimGroup:
        if not resource_id.isdigit() or len(resource_id) > 9:
            raise NotFoundException(detail=f"{name} {resource_id} not found")
        model = User if name == "User" else ScimGroup
        row = db.session.get(model, int(resource_id))
        if row is None or (name == "User" and (_deleted(row) or _erased(row))):
            raise NotFoundException(detail=f"{name} {resource_id} not found")
        return row

    # --- the interface ---------------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        return self.resource(resource_type.name, self.row(resource_type.name, resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        found: list[Resource[Any]] = []
        for resource_type in resource_types:
            found += self._search_one(resource_type.name, search_request.filter)
        found.sort(key=lambda r: (r.meta.resource_type, int(r.id)))
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        return SearchPage(len(found), found[start:stop])

    def _search_one(self, name: str, scim_filter: ScimFilter[Any] | None) -> list[Resource]:
        query = _visible_users() if name == "User" else select(ScimGroup)
        fast = self._fast_equality(name, scim_filter)
        if fast is not None:
            column, value = fast
            query = query.where(func.lower(column) == value.lower())
        rows = [r for r in db.session.scalars(query) if not (name == "User" and _deleted(r))]
        resources = [self.resource(name, row) for row in rows]
        if scim_filter is not None:
            resources = [r for r in resources if _matches(scim_filter, r)]
        return resources

    @staticmethod
    def _fast_equality(name: str, scim_filter: ScimFilter[Any] | None):
        if scim_filter is None:
            return None
        node = scim_filter.ast
        if (
            not isinstance(node, Comparison)
            or node.op != CompareOperator.eq
            or not isinstance(node.value, str)
        ):
            return None
        attr = str(node.attr_path).rsplit(":", 1)[-1].lower()
        column = _FAST.get(name, {}).get(attr)
        return (column, node.value) if column is not None else None

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        data = resource.model_dump()
        if resource_type.name == "User":
            subject = self._user_name(data)
            user = db.session.scalar(
                select(User).where(func.lower(User.subject) == subject.lower())
            )
            if user is not None and not _deleted(user):
                raise UniquenessException(detail=f"userName {subject} is taken")
            if user is None:
                user = User(subject=subject, display_name=subject, is_active=True)
                db.session.add(user)
            else:
                user.scim_data = {}
            db.session.flush()
            self._write_user(user, data, creating=True)
            return self.resource("User", user)
        group = ScimGroup(display_name="")
        self._write_group(group, data, creating=True)
        return self.resource("Group", group)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        name = resource_type.name
        row = self.row(name, str(resource.id))
        self._check_version(name, row, expected_version)
        data = resource.model_dump()
        if name == "User":
            self._write_user(row, data)
        else:
            self._write_group(row, data)
        return self.resource(name, row)

    def delete(
        self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None
    ) -> None:
        name = resource_type.name
        row = self.row(name, resource_id)
        self._check_version(name, row, expected_version)
        if name == "Group":
            services.delete_group(row)
            return
        leave(row, "scim")
        for member in db.session.scalars(
            select(ScimGroupMember).where(ScimGroupMember.user_id == row.id)
        ):
            db.session.delete(member)
        row.scim_data = {**(row.scim_data or {}), "deleted": True}
        db.session.flush()

    def _check_version(self, name: str, row: User | ScimGroup, expected: str | None) -> None:
        if expected is None:
            return
        current = self.resource(name, row).meta.version
        if current != expected:
            raise PreconditionFailedException(detail="the resource has changed")

    # --- writing -----------------------------------------------------------------------------

    @staticmethod
    def _user_name(data: dict[str, Any]) -> str:
        subject = data.get("userName")
        if (
            not isinstance(subject, str)
            or not subject.strip()
            or len(subject) > MAX_SUBJECT
            or one_line(subject) != subject
        ):
            raise InvalidValueException(detail="userName must be 1-255 characters on one line")
        return subject

    def _write_user(self, user: User, data: dict[str, Any], creating: bool = False) -> None:
        subject = self._user_name(data)
        if subject != user.subject:
            taken = db.session.scalar(
                select(User.id).where(
                    func.lower(User.subject) == subject.lower(), User.id != user.id
                )
            )
            if taken is not None:
                raise UniquenessException(detail=f"userName {subject} is taken")
            user.subject = subject
        name = data.get("name") or None
        display = one_line(
            data.get("displayName")
            or (name or {}).get("formatted")
            or " ".join(
                p for p in ((name or {}).get("givenName"), (name or {}).get("familyName")) if p
            )
            or subject
        )[:MAX_NAME].strip()
        emails = data.get("emails") or []
        primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
        email = None
        if primary is not None and primary.get("value"):
            email = email_address(primary["value"])
            if email is None:
                raise InvalidValueException(detail=f"{primary['value']!r} is not an e-mail address")
        language = data.get("preferredLanguage")
        locale = (
            language[:2].lower()
            if isinstance(language, str) and language[:2].lower() in ("da", "en")
            else None
        )
        extension = data.get(ENTERPRISE) or {}
        user.display_name = display or subject[:MAX_NAME]
        user.email = email
        user.locale = locale
        user.external_id = data.get("externalId") or None
        user.scim_data = {
            key: value
            for key, value in (
                ("name", name),
                ("emails", emails or None),
                ("preferredLanguage", language),
                ("displayName", bool(data.get("displayName"))),
                ("active", data.get("active") is not None),
                ("department", extension.get("department")),
                ("modified", datetime.now(UTC).isoformat()),
            )
            if value
        }
        db.session.flush()
        active = data.get("active")
        if active is False and user.is_active:
            leave(user, "scim")
        elif active is not False and not user.is_active:
            user.is_active = True
            db.session.flush()
            services.apply_groups({user.id})
        elif creating:
            services.apply_groups({user.id})

    def _write_group(self, group: ScimGroup, data: dict[str, Any], creating: bool = False) -> None:
        display = data.get("displayName")
        if (
            not isinstance(display, str)
            or not display.strip()
            or len(display) > 255
            or one_line(display) != display
        ):
            raise InvalidValueException(detail="displayName must be 1-255 characters on one line")
        taken = db.session.scalar(
            select(ScimGroup.id).where(
                func.lower(ScimGroup.display_name) == display.lower(),
                ScimGroup.id != (group.id or 0),
            )
        )
        if taken is not None:
            raise UniquenessException(detail=f"displayName {display} is taken")
        group.display_name = display
        group.external_id = data.get("externalId") or None
        group.updated_at = datetime.now(UTC)
        if creating:
            db.session.add(group)
        db.session.flush()
        wanted = set()
        for member in data.get("members") or []:
            value = str(member.get("value") or "")
            try:
                user = self.row("User", value)
            except NotFoundException:
                raise InvalidValueException(detail=f"no user {value}") from None
            wanted.add(user.id)
        services.set_members(group, wanted)


def _matches(scim_filter: ScimFilter[Any], resource: Resource[Any]) -> bool:
    try:
        return bool(scim_filter.match(resource))
    except (TypeError, ValueError):
        return False
