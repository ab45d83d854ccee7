"""The organisation tree and its people: queries, the one writer of parents, and the CSV import.

The import reads up to three files (``units.csv``, ``people.csv`` and the optional
``memberships.csv`` for every membership beyond a person's first), validates all of them
completely against each other and against what the tenant already holds, and only then
writes, and then only the rows that change. Every problem names its file and line. A
*complete* import says the files are the whole organisation: people absent from them leave
(``leave``, the same path SCIM's ``active: false`` and DELETE take) and empty units absent
from them are archived.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from web.audit.services import record as audit
from web.errors import Conflict, InputError
from web.extensions import db
from web.inputs import email_address, has_controls
from web.models import utcnow
from web.orgs.models import (
    Membership,
    MembershipRole,
    OrgUnit,
    ProvisioningRun,
    ProvisioningSource,
    UnitKind,
)
from web.users.models import RoleSource, TenantRole, TenantRoleName, User

UNIT_COLUMNS = ("external_id", "name", "kind", "parent_external_id")
PEOPLE_COLUMNS = (
    "subject",
    "email",
    "display_name",
    "locale",
    "unit_external_id",
    "unit_role",
    "tenant_roles",
)
MEMBERSHIP_COLUMNS = ("subject", "unit_external_id", "unit_role")
MAX_NAME = 200
PROVISIONED = RoleSource.IMPORT  # memberships and roles a file (or SCIM) says


class CsvImportError(InputError):
    """The CSV files are malformed; ``problems`` names each file, line and what is wrong.

    An ``InputError`` about the files as a whole (``FORM``: every problem, one per line), so a
    caller that knows only the vocabulary of ``web.errors`` reports it too.
    """

    def __init__(self, problems: list[str]):
        super().__init__({}, "\n".join(problems))
        self.problems = problems


class UnitCycle(Conflict):
    """Writing this parent would put a unit under itself."""


# --- queries ---------------------------------------------------------------------------------


def descendant_ids(unit_ids: Iterable[int]) -> set[int]:
    """The given units and every unit below them (a recursive CTE, one query).

    ``UNION`` rather than ``UNION ALL``: the walk stops at a unit it has seen, so even a tree
    damaged from outside the app cannot make it run forever.
    """
    from web.tenancy import current_tenant_id

    ids = list(unit_ids)
    if not ids:
        return set()
    tenant_id = current_tenant_id()
    if tenant_id is None:  # the scoping hook refuses it, as any query outside a tenant
        tree = select(OrgUnit.id).where(OrgUnit.id.in_(ids)).cte("tree", recursive=True)
        tree = tree.union(select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
        return set(db.session.scalars(select(tree.c.id)))
    # Every leader's page asks this: a statement built once, naming the tenant itself.
    return set(
        db.session.scalars(
            _descendants_statement(),
            {"ids": ids, "tenant": tenant_id},
            execution_options={"skip_tenant_scope": True},
        )
    )


@functools.cache
def _descendants_statement():
    units = OrgUnit.__table__
    tenant = bindparam("tenant")
    tree = (
        select(units.c.id)
        .where(units.c.id.in_(bindparam("ids", expanding=True)), units.c.tenant_id == tenant)
        .cte("tree", recursive=True)
    )
    child = units.alias("child_units")
    tree = tree.union(
        select(child.c.id).where(child.c.parent_id == tree.c.id, child.c.tenant_id == tenant)
    )
    return select(tree.c.id)


def ancestor_ids(unit_id: int) -> set[int]:
    """``unit_id`` and every unit above it (one query; stops at a unit it has seen)."""
    up = (
        select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id == unit_id).cte("up", recursive=True)
    )
    up = up.union(select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id == up.c.parent_id))
    return set(db.session.scalars(select(up.c.id)))


def set_parent(unit: OrgUnit, parent: OrgUnit | None) -> None:
    """The one writer of ``OrgUnit.parent_id``: refuses a parent that is the unit or below it.

    On PostgreSQL a trigger (migration 0012) refuses the same even for SQL written outside the
    app; this check is what SQLite has, and gives the translated message on both.
    """
    if parent is None:
        unit.parent = None
        return
    if unit.id is not None:
        db.session.flush()
        if parent.id is not None and unit.id in ancestor_ids(parent.id):
            raise UnitCycle(
                _(
                    "Enheden %(unit)s kan ikke ligge under %(parent)s, som ligger under den.",
                    unit=unit.name,
                    parent=parent.name,
                )
            )
    unit.parent = parent


# --- the leaving path ------------------------------------------------------------------------


def leave(user: User, source: str, actor: User | None = None) -> bool:
    """A person has left the organisation (a complete import, SCIM ``active: false``/DELETE).

    They are deactivated (no login, no reminders, no longer counted among a unit's members)
    and their provisioned memberships and roles end; what they wrote, their actions and the
    history stay, and are pseudonymised by the retention rules like anyone's. Memberships and
    roles granted in the app are kept, so reactivating them restores what the admin gave.
    False when they had already left.
    """
    if not user.is_active:
        return False
    user.is_active = False
    ended = list(
        db.session.scalars(select(Membership).filter_by(user_id=user.id, source=PROVISIONED))
    )
    for membership in ended:
        db.session.delete(membership)
    roles = [r for r in user.roles if r.source == PROVISIONED]
    for role in roles:
        user.roles.remove(role)
    db.session.flush()
    audit(
        "user.left",
        actor=actor,
        target=user,
        source=source,
        memberships_ended=len(ended),
        roles_ended=sorted(r.role.value for r in roles),
    )
    return True


# --- parsing ---------------------------------------------------------------------------------


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
    tenant_roles: list[TenantRoleName] = field(default_factory=list)


@dataclass
class MembershipRow:
    file: str
    line: int
    subject: str
    unit_external_id: str
    role: MembershipRole | None


@dataclass
class CsvFile:
    """One file of an import: the name its messages use, and its text."""

    name: str
    text: str


class Problems:
    """The problems found so far, each as "file, linje N: what"."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, line: int | str, message: str) -> None:
        self.items.append(
            _("%(file)s, linje %(line)s: %(message)s", file=file, line=line, message=message)
        )

    def __bool__(self) -> bool:
        return bool(self.items)


def _records(source: CsvFile, columns: Sequence[str], problems: Problems):
    reader = csv.DictReader(io.StringIO(source.text.lstrip("\ufeff")))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        problems.add(source.name, 1, str(exc))
        return
    missing = [c for c in columns if c not in fieldnames]
    if missing:
        problems.add(source.name, 1, _("kolonner mangler: %(cols)s.", cols=", ".join(missing)))
        return
    try:
        for record in reader:
            line = reader.line_num
            if None in record or any(v is None for v in record.values()):
                problems.add(source.name, line, _("forkert antal felter."))
                continue
            # Names go into mail headers and everything into PostgreSQL (which cannot store
            # NUL): a field with a control character or a line break is refused, not guessed.
            bad = [name for name, value in record.items() if has_controls(value)]
            if bad:
                problems.add(
                    source.name,
                    line,
                    _(
                        "%(fields)s indeholder tegn, der ikke er tilladt (kontroltegn eller "
                        "linjeskift).",
                        fields=", ".join(bad),
                    ),
                )
                continue
            yield line, {k: v.strip() for k, v in record.items()}
    except csv.Error as exc:
        problems.add(source.name, reader.line_num, str(exc))


def parse_units(source: CsvFile, problems: Problems) -> list[UnitRow]:
    rows = []
    for line, record in _records(source, UNIT_COLUMNS, problems):
        ext, name, kind_raw = record["external_id"], record["name"], record["kind"].lower()
        ok = True
        if not ext:
            problems.add(source.name, line, _("external_id mangler."))
            ok = False
        if not name or len(name) > MAX_NAME:
            problems.add(source.name, line, _("navnet skal være 1-%(max)s tegn.", max=MAX_NAME))
            ok = False
        if kind_raw not in {k.value for k in UnitKind}:
            problems.add(
                source.name,
                line,
                _(
                    "ukendt type '%(kind)s' (brug %(kinds)s).",
                    kind=kind_raw,
                    kinds=", ".join(k.value for k in UnitKind),
                ),
            )
            ok = False
        if ok:
            rows.append(
                UnitRow(line, ext, name, UnitKind(kind_raw), record["parent_external_id"] or None)
            )
    return rows


def _role(raw: str, source: CsvFile, line: int, problems: Problems) -> MembershipRole | None:
    if raw.lower() in {r.value for r in MembershipRole}:
        return MembershipRole(raw.lower())
    problems.add(source.name, line, _("rollen i enheden skal være employee eller leader."))
    return None


def parse_people(
    source: CsvFile, problems: Problems
) -> tuple[list[PersonRow], list[MembershipRow]]:
    rows, memberships, seen = [], [], {}
    for line, record in _records(source, PEOPLE_COLUMNS, problems):
        subject, name = record["subject"], record["display_name"]
        ok = True
        if not subject:
            problems.add(source.name, line, _("subject mangler."))
            ok = False
        elif subject in seen:
            problems.add(
                source.name,
                line,
                _(
                    "subject '%(subject)s' står også på linje %(other)s (en persons øvrige "
                    "enheder hører i filen med medlemskaber).",
                    subject=subject,
                    other=seen[subject],
                ),
            )
            ok = False
        seen.setdefault(subject, line)
        if not name or len(name) > MAX_NAME:
            problems.add(source.name, line, _("navnet skal være 1-%(max)s tegn.", max=MAX_NAME))
        email = None
        if record["email"]:
            email = email_address(record["email"])
            if email is None:
                problems.add(
                    source.name,
                    line,
                    _("'%(email)s' er ikke en e-mailadresse.", email=record["email"]),
                )
        locale = record["locale"] or None
        if locale not in (None, "da", "en"):
            problems.add(source.name, line, _("sprog skal være da eller en."))
        roles = []
        for raw in filter(None, (r.strip().lower() for r in record["tenant_roles"].split(";"))):
            if raw not in {r.value for r in TenantRoleName}:
                problems.add(source.name, line, _("ukendt rolle '%(role)s'.", role=raw))
            elif TenantRoleName(raw) not in roles:
                roles.append(TenantRoleName(raw))
        unit = record["unit_external_id"]
        role = _role(record["unit_role"] or "employee", source, line, problems)
        if unit and subject:  # role None: refused above, the unit is still checked
            memberships.append(MembershipRow(source.name, line, subject, unit, role))
        elif record["unit_role"] and not unit:
            problems.add(source.name, line, _("en rolle i enheden kræver en enhed."))
        if ok:
            rows.append(PersonRow(line, subject, email, name, locale, roles))
    return rows, memberships


def parse_memberships(source: CsvFile, problems: Problems) -> list[MembershipRow]:
    rows = []
    for line, record in _records(source, MEMBERSHIP_COLUMNS, problems):
        subject, unit = record["subject"], record["unit_external_id"]
        if not subject:
            problems.add(source.name, line, _("subject mangler."))
        if not unit:
            problems.add(source.name, line, _("unit_external_id mangler."))
        role = _role(record["unit_role"] or "employee", source, line, problems)
        if subject and unit:
            rows.append(MembershipRow(source.name, line, subject, unit, role))
    return rows


# --- checking the whole -----------------------------------------------------------------------


def check_tree(
    source: CsvFile,
    rows: list[UnitRow],
    existing: dict[str, OrgUnit],
    complete: bool,
    problems: Problems,
) -> None:
    """Duplicates, unknown parents and cycles of the tree the import would leave.

    The tree checked is the database's with the file laid over it, so a file cannot close a
    cycle through units it does not list. A cycle is reported once, with the lines that form it.
    """
    by_ext: dict[str, UnitRow] = {}
    for row in rows:
        if row.external_id in by_ext:
            problems.add(
                source.name,
                row.line,
                _(
                    "external_id '%(ext)s' står også på linje %(other)s.",
                    ext=row.external_id,
                    other=by_ext[row.external_id].line,
                ),
            )
        by_ext.setdefault(row.external_id, row)
    # external id → parent external id, after the import.
    parents: dict[str, str | None] = (
        {}
        if complete
        else {
            ext: (u.parent.external_id if u.parent is not None else None)
            for ext, u in existing.items()
            if u.archived_at is None
        }
    )
    parents.update({ext: row.parent_external_id for ext, row in by_ext.items()})
    for row in rows:
        parent = row.parent_external_id
        if parent and parent not in parents:
            problems.add(
                source.name,
                row.line,
                _("overordnet enhed '%(parent)s' findes ikke.", parent=parent)
                if parent not in existing or not complete
                else _(
                    "overordnet enhed '%(parent)s' står ikke i filen, og en komplet "
                    "import arkiverer den.",
                    parent=parent,
                ),
            )
    reported: set[str] = set()
    for start in by_ext:
        path, node = [], start
        while node is not None and node not in reported and node not in path:
            path.append(node)
            node = parents.get(node)
        if node is None or node in reported:
            reported.update(path)
            continue
        cycle = path[path.index(node) :]
        reported.update(path)
        lines = sorted(by_ext[ext].line for ext in cycle if ext in by_ext)
        names = " → ".join([*cycle, cycle[0]])
        problems.add(
            source.name,
            ", ".join(map(str, lines)),
            _(
                "enhederne danner en ring (%(units)s): en enhed kan ikke ligge under sig selv.",
                units=names,
            ),
        )


# --- the import --------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import does (or, with ``dry_run``, would do)."""

    units_new: int = 0
    units_changed: int = 0
    units_unchanged: int = 0
    units_archived: int = 0
    units_kept_not_empty: list[str] = field(default_factory=list)
    people_new: int = 0
    people_changed: int = 0
    people_unchanged: int = 0
    people_leaving: int = 0
    memberships_added: int = 0
    memberships_ended: int = 0
    memberships_unchanged: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        s = self
        out = [
            _(
                "Enheder: %(new)s nye, %(changed)s ændrede, %(same)s uændrede, %(archived)s "
                "arkiveres.",
                new=s.units_new,
                changed=s.units_changed,
                same=s.units_unchanged,
                archived=s.units_archived,
            ),
            _(
                "Personer: %(new)s nye, %(changed)s ændrede, %(same)s uændrede, %(leaving)s "
                "forlader organisationen.",
                new=s.people_new,
                changed=s.people_changed,
                same=s.people_unchanged,
                leaving=s.people_leaving,
            ),
            _(
                "Medlemskaber: %(added)s nye, %(ended)s ophører, %(same)s uændrede.",
                added=s.memberships_added,
                ended=s.memberships_ended,
                same=s.memberships_unchanged,
            ),
        ]
        if s.units_kept_not_empty:
            out.append(
                _(
                    "Ikke arkiveret, fordi de ikke er tomme: %(units)s.",
                    units=", ".join(s.units_kept_not_empty),
                )
            )
        return out


@dataclass
class ImportResult:
    summary: ImportSummary
    units: int
    people: int
    memberships: int


def import_org(
    units: CsvFile | str | None,
    people: CsvFile | str | None = None,
    memberships: CsvFile | str | None = None,
    *,
    complete: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every file completely, then write what changes. Flushes; never commits.

    Raises ``CsvImportError`` with every problem of every file before anything is written.
    With ``dry_run`` nothing is written at all (the summary says what would change).
    """
    units, people, memberships = (
        CsvFile(name, f) if isinstance(f, str) else f
        for name, f in (
            ("units.csv", units),
            ("people.csv", people),
            ("memberships.csv", memberships),
        )
    )
    if complete and (units is None or people is None):
        raise CsvImportError([_("En komplet import kræver både enheder og personer.")])
    problems = Problems()
    existing_units = {u.external_id: u for u in db.session.scalars(select(OrgUnit))}
    unit_rows = parse_units(units, problems) if units is not None else []
    if units is not None:
        check_tree(units, unit_rows, existing_units, complete, problems)
    person_rows, member_rows = parse_people(people, problems) if people else ([], [])
    if memberships is not None:
        member_rows += parse_memberships(memberships, problems)

    file_units = {r.external_id for r in unit_rows}
    live = file_units | (
        {ext for ext, u in existing_units.items() if u.archived_at is None}
        if not complete
        else set()
    )
    users = {u.subject: u for u in db.session.scalars(select(User))}
    file_people = {r.subject for r in person_rows}
    desired: dict[str, set[tuple[str, MembershipRole]]] = {}
    first_line: dict[tuple[str, str, MembershipRole], str] = {}
    for m in member_rows:
        where = f"{m.file}:{m.line}"
        ok = True
        if m.unit_external_id not in live:
            problems.add(
                m.file, m.line, _("enheden '%(unit)s' findes ikke.", unit=m.unit_external_id)
            )
            ok = False
        if m.subject not in file_people and (complete or m.subject not in users):
            problems.add(
                m.file, m.line, _("personen '%(subject)s' findes ikke.", subject=m.subject)
            )
            ok = False
        key = (m.subject, m.unit_external_id, m.role)
        if key in first_line:
            problems.add(
                m.file, m.line, _("samme medlemskab står også i %(other)s.", other=first_line[key])
            )
            ok = False
        first_line.setdefault(key, where)
        if ok and m.role is not None:
            desired.setdefault(m.subject, set()).add((m.unit_external_id, m.role))
    if problems:
        raise CsvImportError(problems.items)

    summary = ImportSummary()
    step = progress or (lambda n: None)
    write = not dry_run

    # Units: create, update what changed, then parents from the root down (never a cycle on
    # the way, so the trigger and ``set_parent`` see a tree at every step).
    all_units = dict(existing_units)
    for row in unit_rows:
        unit = all_units.get(row.external_id)
        if unit is None:
            summary.units_new += 1
            unit = OrgUnit(external_id=row.external_id, name=row.name, kind=row.kind)
            if write:
                db.session.add(unit)
            all_units[row.external_id] = unit
            continue
        parent = unit.parent.external_id if unit.parent is not None else None
        if (unit.name, unit.kind, parent, unit.archived_at) == (
            row.name,
            row.kind,
            row.parent_external_id,
            None,
        ):
            summary.units_unchanged += 1
        else:
            summary.units_changed += 1
            if write:
                unit.name, unit.kind, unit.archived_at = row.name, row.kind, None
    if write:
        db.session.flush()
        for row in _root_first(unit_rows):
            unit = all_units[row.external_id]
            parent = all_units[row.parent_external_id] if row.parent_external_id else None
            if unit.parent is not parent:
                set_parent(unit, parent)
            step(1)
        db.session.flush()

    # People and their provisioned memberships and roles: only what changes is written.
    for row in person_rows:
        user = users.get(row.subject)
        want = desired.get(row.subject, set())
        if user is None:
            summary.people_new += 1
            summary.memberships_added += len(want)
            if write:
                user = User(
                    subject=row.subject,
                    email=row.email,
                    display_name=row.display_name,
                    locale=row.locale,
                )
                db.session.add(user)
                db.session.flush()
                _sync_provisioned(user, want, row.tenant_roles, all_units)
            step(1)
            continue
        held = {
            (m.unit.external_id, m.role): m
            for m in db.session.scalars(
                select(Membership).filter_by(user_id=user.id, source=PROVISIONED)
            )
        }
        roles = {r.role for r in user.roles if r.source == PROVISIONED}
        same = (
            (user.email, user.display_name, user.locale, user.is_active)
            == (row.email, row.display_name, row.locale, True)
            and set(held) == want
            and roles == set(row.tenant_roles)
        )
        summary.memberships_added += len(want - set(held))
        summary.memberships_ended += len(set(held) - want)
        summary.memberships_unchanged += len(want & set(held))
        if same:
            summary.people_unchanged += 1
        else:
            summary.people_changed += 1
            if write:
                user.email, user.display_name, user.locale = row.email, row.display_name, row.locale
                user.is_active = True
                _sync_provisioned(user, want, row.tenant_roles, all_units, held)
        step(1)
    # Extra memberships of people not in people.csv (a partial import).
    for subject, want in desired.items():
        if subject in file_people:
            continue
        user = users[subject]
        held = {
            (m.unit.external_id, m.role): m
            for m in db.session.scalars(
                select(Membership).filter_by(user_id=user.id, source=PROVISIONED)
            )
        }
        summary.memberships_added += len(want - set(held))
        summary.memberships_unchanged += len(want & set(held))
        if write and want - set(held):
            _add_memberships(user, want - set(held), all_units)

    if complete:
        leaving = [u for s, u in users.items() if s not in file_people and u.is_active]
        summary.people_leaving = len(leaving)
        if write:
            for user in leaving:
                leave(user, ProvisioningSource.CSV.value)
        _archive_absent(existing_units, file_units, summary, write)
    if write:
        db.session.flush()
    member_count = sum(len(w) for w in desired.values())
    return ImportResult(
        summary=summary, units=len(unit_rows), people=len(person_rows), memberships=member_count
    )


def _root_first(rows: list[UnitRow]) -> list[UnitRow]:
    by_ext = {r.external_id: r for r in rows}
    done: set[str] = set()
    ordered: list[UnitRow] = []

    def visit(row: UnitRow) -> None:
        if row.external_id in done:
            return
        done.add(row.external_id)
        parent = by_ext.get(row.parent_external_id or "")
        if parent is not None:
            visit(parent)
        ordered.append(row)

    for row in rows:
        visit(row)
    return ordered


def _archive_absent(
    existing: dict[str, OrgUnit], listed: set[str], summary: ImportSummary, write: bool
) -> None:
    """Units a complete import no longer lists: archived when nobody active is in them and
    no unit that stays is below them; otherwise kept, and named in the summary."""
    absent = [u for ext, u in existing.items() if ext not in listed and u.archived_at is None]
    if not absent:
        return
    if write:
        db.session.flush()
    ids = {u.id for u in absent}
    occupied = set(
        db.session.scalars(
            select(Membership.unit_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.unit_id.in_(ids), User.is_active.is_(True))
        )
    )
    staying_children = set(
        db.session.scalars(
            select(OrgUnit.parent_id).where(OrgUnit.parent_id.in_(ids), OrgUnit.id.not_in(ids))
        )
    )
    now = utcnow()
    for unit in absent:
        if unit.id in occupied or unit.id in staying_children:
            summary.units_kept_not_empty.append(unit.external_id)
        else:
            summary.units_archived += 1
            if write:
                unit.archived_at = now


def _sync_provisioned(
    user: User,
    want: set[tuple[str, MembershipRole]],
    roles: list[TenantRoleName],
    units: dict[str, OrgUnit],
    held: dict[tuple[str, MembershipRole], Membership] | None = None,
) -> None:
    """The user's provisioned memberships and roles become ``want``/``roles``; rows that stay
    are not touched (their ids stay), those granted in the app are kept."""
    held = held or {}
    for key, membership in held.items():
        if key not in want:
            db.session.delete(membership)
    _add_memberships(user, want - set(held), units)
    set_provisioned_roles(user, set(roles), RoleSource.IMPORT.value)


def _add_memberships(
    user: User, keys: Iterable[tuple[str, MembershipRole]], units: dict[str, OrgUnit]
) -> None:
    for ext, role in sorted(keys):
        db.session.add(
            Membership(user_id=user.id, unit_id=units[ext].id, role=role, source=PROVISIONED)
        )


def set_provisioned_roles(
    user: User,
    roles: set[TenantRoleName],
    source: str,
    *,
    managed: set[TenantRoleName] | None = None,
) -> None:
    """The user's provisioned tenant roles become ``roles`` (of those the source ``managed``
    gives, when it manages only some); audited when they change."""
    before = {r.role for r in user.roles}
    held = {r.role: r for r in user.roles if r.source == PROVISIONED}
    for role, row in held.items():
        if role not in roles and (managed is None or role in managed):
            user.roles.remove(row)
    for role in sorted(roles - set(held)):
        user.roles.append(TenantRole(role=role, source=PROVISIONED))
    after = {r.role for r in user.roles}
    if after != before:
        audit(
            "auth.roles_changed",
            target=user,
            source=source,
            added=sorted(r.value for r in after - before),
            removed=sorted(r.value for r in before - after),
        )


# --- the record of runs ------------------------------------------------------------------------


def record_run(
    source: ProvisioningSource,
    *,
    ok: bool,
    complete: bool = False,
    summary: dict | None = None,
    errors: list[str] | None = None,
) -> ProvisioningRun:
    run = ProvisioningRun(
        source=source,
        ok=ok,
        complete=complete,
        summary=summary or {},
        errors=list(errors or [])[:500],
    )
    db.session.add(run)
    db.session.flush()
    return run


def last_runs() -> dict[ProvisioningSource, ProvisioningRun]:
    """The latest run per source (the admin's provisioning page): one query per source."""
    runs = {}
    for source in ProvisioningSource:
        run = db.session.scalar(
            select(ProvisioningRun)
            .where(ProvisioningRun.source == source)
            .order_by(ProvisioningRun.id.desc())
            .limit(1)
        )
        if run is not None:
            runs[source] = run
    return runs
