"""The organisation tree and its people: queries and the CSV import."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from web.audit.services import record as audit
from web.errors import InputError
from web.extensions import db
from web.inputs import has_controls
from web.orgs.models import Membership, MembershipRole, OrgUnit, UnitKind
from web.users.models import RoleSource, TenantRole, TenantRoleName, User

UNIT_COLUMNS = ("external_id", "name", "kind", "parent_external_id")
PEOPLE_COLUMNS = ("subject", "email", "display_name", "locale", "unit_external_id", "unit_role",
                  "tenant_roles")
MAX_NAME = 200


class CsvImportError(InputError):
    """The CSV files are malformed; ``problems`` names each line and what is wrong.

    An ``InputError`` about the file as a whole (``FORM``: every problem, one per line), so a
    caller that knows only the vocabulary of ``web.errors`` reports it too.
    """

    def __init__(self, problems: list[str]):
        super().__init__({}, "\n".join(problems))
        self.problems = problems


@dataclass
class UnitRow:
    line: int
    external_id: str
    name: str
    kind: UnitKind
    parent_external_id: str | None


@dataclass
class PersonRow:
    line: int
    subject: str
    email: str | None
    display_name: str
    locale: str | None
    unit_external_id: str | None
    unit_role: MembershipRole | None
    tenant_roles: list[TenantRoleName] = field(default_factory=list)


@dataclass
class ImportResult:
    units: int
    people: int
    memberships: int


def descendant_ids(unit_ids: Iterable[int]) -> set[int]:
    """The given units and every unit below them (a recursive CTE, one query)."""
    from web.tenancy import current_tenant_id

    ids = list(unit_ids)
    if not ids:
        return set()
    tenant_id = current_tenant_id()
    if tenant_id is None:  # the scoping hook refuses it, as any query outside a tenant
        tree = select(OrgUnit.id).where(OrgUnit.id.in_(ids)).cte("tree", recursive=True)
        tree = tree.union_all(select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
        return set(db.session.scalars(select(tree.c.id)))
    # Every leader's page asks this: a statement built once, naming the tenant itself.
    return set(db.session.scalars(_descendants_statement(), {"ids": ids, "tenant": tenant_id},
                                  execution_options={"skip_tenant_scope": True}))


@functools.cache
def _descendants_statement():
    units = OrgUnit.__table__
    tenant = bindparam("tenant")
    tree = select(units.c.id).where(units.c.id.in_(bindparam("ids", expanding=True)),
                                    units.c.tenant_id == tenant).cte("tree", recursive=True)
    child = units.alias("child_units")
    tree = tree.union_all(select(child.c.id).where(child.c.parent_id == tree.c.id,
                                                   child.c.tenant_id == tenant))
    return select(tree.c.id)


def parse_units(text: str) -> list[UnitRow]:
    rows, problems = [], []
    for line, record in _records(text, UNIT_COLUMNS, _("enheder"), problems):
        ext, name = record["external_id"].strip(), record["name"].strip()
        kind_raw = record["kind"].strip().lower()
        if not ext:
            problems.append(_("Linje %(line)s: external_id mangler.", line=line))
        if not name or len(name) > MAX_NAME:
            problems.append(_("Linje %(line)s: navnet skal være 1-%(max)s tegn.", line=line,
                              max=MAX_NAME))
        if kind_raw not in {k.value for k in UnitKind}:
            problems.append(_("Linje %(line)s: ukendt type '%(kind)s' (brug %(kinds)s).",
                              line=line, kind=kind_raw, kinds=", ".join(k.value for k in UnitKind)))
            continue
        parent = record["parent_external_id"].strip() or None
        rows.append(UnitRow(line, ext, name, UnitKind(kind_raw), parent))
    _check_unit_tree(rows, problems)
    if problems:
        raise CsvImportError(problems)
    return rows


def parse_people(text: str, known_units: set[str]) -> list[PersonRow]:
    rows, problems, seen = [], [], {}
    for line, record in _records(text, PEOPLE_COLUMNS, _("personer"), problems):
        subject = record["subject"].strip()
        name = record["display_name"].strip()
        email = record["email"].strip() or None
        locale = record["locale"].strip() or None
        unit = record["unit_external_id"].strip() or None
        role_raw = record["unit_role"].strip().lower() or None
        if not subject:
            problems.append(_("Linje %(line)s: subject mangler.", line=line))
        elif subject in seen:
            problems.append(_("Linje %(line)s: subject '%(subject)s' står også på linje "
                              "%(other)s.", line=line, subject=subject, other=seen[subject]))
        seen.setdefault(subject, line)
        if not name or len(name) > MAX_NAME:
            problems.append(_("Linje %(line)s: navnet skal være 1-%(max)s tegn.", line=line,
                              max=MAX_NAME))
        if email is not None and ("@" not in email or len(email) > 320):
            problems.append(_("Linje %(line)s: '%(email)s' er ikke en e-mailadresse.", line=line,
                              email=email))
        if locale not in (None, "da", "en"):
            problems.append(_("Linje %(line)s: sprog skal være da eller en.", line=line))
        if unit is not None and unit not in known_units:
            problems.append(_("Linje %(line)s: enheden '%(unit)s' findes ikke.", line=line,
                              unit=unit))
        if role_raw not in (None, *(r.value for r in MembershipRole)):
            problems.append(_("Linje %(line)s: rollen i enheden skal være employee eller "
                              "leader.", line=line))
            role_raw = None
        roles = []
        for raw in filter(None, (r.strip().lower() for r in record["tenant_roles"].split(";"))):
            if raw not in {r.value for r in TenantRoleName}:
                problems.append(_("Linje %(line)s: ukendt rolle '%(role)s'.", line=line,
                                  role=raw))
            else:
                roles.append(TenantRoleName(raw))
        unit_role = MembershipRole(role_raw) if role_raw else (
            MembershipRole.EMPLOYEE if unit else None)
        rows.append(PersonRow(line, subject, email, name, locale, unit, unit_role, roles))
    if problems:
        raise CsvImportError(problems)
    return rows


def import_org(units_csv: str, people_csv: str | None = None,
               progress: Callable[[int], None] | None = None) -> ImportResult:
    """Validate both files completely, then upsert units and people. Flushes; never commits."""
    existing_units = {u.external_id: u for u in db.session.scalars(select(OrgUnit))}
    unit_rows = parse_units(units_csv)
    known = set(existing_units) | {r.external_id for r in unit_rows}
    people_rows = parse_people(people_csv, known) if people_csv is not None else []
    step = progress or (lambda n: None)

    units = dict(existing_units)
    for row in unit_rows:
        unit = units.get(row.external_id)
        if unit is None:
            unit = OrgUnit(external_id=row.external_id)
            db.session.add(unit)
            units[row.external_id] = unit
        unit.name, unit.kind = row.name, row.kind
        step(1)
    for row in unit_rows:
        units[row.external_id].parent = units[row.parent_external_id] if row.parent_external_id \
            else None
    db.session.flush()

    users = {u.subject: u for u in db.session.scalars(select(User))}
    memberships = 0
    for row in people_rows:
        user = users.get(row.subject)
        if user is None:
            user = User(subject=row.subject)
            db.session.add(user)
            users[row.subject] = user
        user.email, user.display_name, user.locale = row.email, row.display_name, row.locale
        user.is_active = True
        db.session.flush()
        _replace_imported(user, row, units)
        memberships += 1 if row.unit_external_id else 0
        step(1)
    db.session.flush()
    return ImportResult(units=len(unit_rows), people=len(people_rows), memberships=memberships)


def _replace_imported(user: User, row: PersonRow, units: dict[str, OrgUnit]) -> None:
    """Imported memberships and roles mirror the file; those granted in the app are kept."""
    before = {r.role for r in user.roles}
    for m in db.session.scalars(select(Membership).filter_by(user_id=user.id,
                                                             source=RoleSource.IMPORT)):
        db.session.delete(m)
    for r in [r for r in user.roles if r.source == RoleSource.IMPORT]:
        user.roles.remove(r)
    db.session.flush()
    if row.unit_external_id:
        db.session.add(Membership(user_id=user.id, unit_id=units[row.unit_external_id].id,
                                  role=row.unit_role, source=RoleSource.IMPORT))
    for role in row.tenant_roles:
        user.roles.append(TenantRole(role=role, source=RoleSource.IMPORT))
    after = {r.role for r in user.roles}
    if after != before:
        audit("auth.roles_changed", target=user, source=RoleSource.IMPORT.value,
              added=sorted(r.value for r in after - before),
              removed=sorted(r.value for r in before - after))


def _records(text: str, columns: Sequence[str], what: str, problems: list[str]):
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        problems.append(_("Linje 1: kolonner mangler i filen med %(what)s: %(cols)s.", what=what,
                          cols=", ".join(missing)))
        return
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(v is None for v in record.values()):
                problems.append(_("Linje %(line)s: forkert antal felter.", line=line))
                continue
            # Names go into mail headers and everything into PostgreSQL (which cannot store
            # NUL): a field with a control character or a line break is refused, not guessed.
            bad = [name for name, value in record.items() if has_controls(value)]
            if bad:
                problems.append(_("Linje %(line)s: %(fields)s indeholder tegn, der ikke er "
                                  "tilladt (kontroltegn eller linjeskift).", line=line,
                                  fields=", ".join(bad)))
                continue
            yield line, record
    except csv.Error as exc:
        problems.append(_("Linje %(line)s: %(error)s", line=reader.line_num, error=str(exc)))


def _check_unit_tree(rows: list[UnitRow], problems: list[str]) -> None:
    by_ext: dict[str, UnitRow] = {}
    for row in rows:
        if row.external_id in by_ext:
            problems.append(_("Linje %(line)s: external_id '%(ext)s' står også på linje "
                              "%(other)s.", line=row.line, ext=row.external_id,
                              other=by_ext[row.external_id].line))
        by_ext.setdefault(row.external_id, row)
    existing = set(db.session.scalars(select(OrgUnit.external_id)))
    for row in rows:
        parent = row.parent_external_id
        if parent and parent not in by_ext and parent not in existing:
            problems.append(_("Linje %(line)s: overordnet enhed '%(parent)s' findes ikke.",
                              line=row.line, parent=parent))
    for row in rows:
        seen, node = set(), row
        while node is not None and node.parent_external_id:
            if node.external_id in seen:
                problems.append(_("Linje %(line)s: enheden ligger under sig selv.",
                                  line=row.line))
                break
            seen.add(node.external_id)
            node = by_ext.get(node.parent_external_id)
