"""Recording the team's examples of aktørskab, and what the team sees of them.

An example belongs to one unit (the team) and is seen by the team only: the unit's members and
leaders, and leaders above it (``Permission.VIEW_EXAMPLE``), with the author's name. Offering an
example for sharing across teams is the author's explicit consent that HR may anonymise and
review it; until HR has approved a redacted version (the collections) nothing leaves the team,
so no query here ever returns another team's examples.

Writers take the acting user, validate everything and raise ``InputError`` before writing, then
flush; the caller commits.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, bindparam, select

from web.cycles.models import Cycle
from web.cycles.services.actions import parse_choice, parse_id
from web.errors import InputError
from web.examples.models import MAX_TEXT, MAX_TITLE, Example, ExampleExpectation, ExampleKind
from web.extensions import db
from web.inputs import check_text, read, unique
from web.models import utcnow
from web.orgs.models import OrgUnit
from web.permissions import Permission, can, cycle_unit_ids, led_unit_ids, member_unit_ids
from web.users.models import User
from web.vocabulary import KKC, OLFA, Expectation

KIND_LABELS = {
    ExampleKind.GOOD: _l("Et godt eksempel på aktørskab"),
    ExampleKind.LESSON: _l("Aktørskab, der ikke gik som forventet, og det vi lærte"),
}

PAGE_SIZE = 20


@dataclass(frozen=True)
class TeamExample:
    """An example as the team sees it: with its unit's and its author's name."""

    example: Example
    unit_name: str
    author_name: str | None  # None when the author's account is gone


def recording_units(user: User) -> list[OrgUnit]:
    """The units the user may record an example for: those they are a member (or leader) of."""
    ids = member_unit_ids(user)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(OrgUnit).where(OrgUnit.id.in_(ids)).order_by(OrgUnit.name, OrgUnit.id)
        )
    )


def visible_unit_ids(user: User) -> set[int]:
    """The teams whose examples the user sees (the rule of ``Permission.VIEW_EXAMPLE``)."""
    return member_unit_ids(user) | led_unit_ids(user)


def team_examples(
    user: User, *, unit_ids: Iterable[int] | None = None, page: int = 1, per_page: int = PAGE_SIZE
) -> tuple[list[TeamExample], bool]:
    """The examples of the user's teams, newest first; and whether there is a next page.

    ``unit_ids`` narrows the teams (never widens them). One query for the page, one for the
    expectation tags.
    """
    if unit_ids is None:
        visible = visible_unit_ids(user)
    else:
        wanted = set(unit_ids)
        visible = wanted & member_unit_ids(user)
        if wanted - visible:  # the units below the ones led only when asked for
            visible |= (wanted - visible) & led_unit_ids(user)
    if not visible:
        return [], False
    page = max(1, page)
    rows = db.session.execute(
        _team_examples_statement(),
        {
            "tenant": user.tenant_id,
            "units": sorted(visible),
            "offset": (page - 1) * per_page,
            "limit": per_page + 1,
        },
        execution_options={"skip_tenant_scope": True},
    ).all()
    items = [TeamExample(ex, unit_name, author) for ex, unit_name, author in rows[:per_page]]
    return items, len(rows) > per_page


@functools.cache
def _team_examples_statement():
    """Built once, naming the tenant of each table itself (executed with
    ``skip_tenant_scope``: the scoping hook's criteria are rebuilt and re-keyed per execution;
    every employee's front page asks this)."""
    tenant = bindparam("tenant")
    return (
        select(Example, OrgUnit.name, User.display_name)
        .join(OrgUnit, and_(OrgUnit.id == Example.unit_id, OrgUnit.tenant_id == tenant))
        .outerjoin(User, and_(User.id == Example.author_id, User.tenant_id == tenant))
        .where(Example.tenant_id == tenant, Example.unit_id.in_(bindparam("units", expanding=True)))
        .order_by(Example.created_at.desc(), Example.id.desc())
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


def team_example(example: Example) -> TeamExample:
    """One example with its names (the caller has checked ``Permission.VIEW_EXAMPLE``)."""
    unit_name, author = db.session.execute(
        select(OrgUnit.name, User.display_name)
        .select_from(OrgUnit)
        .outerjoin(User, User.id == example.author_id)
        .where(OrgUnit.id == example.unit_id)
    ).one()
    return TeamExample(example, unit_name, author)


def record_example(
    user: User,
    *,
    unit_id: object,
    kind: object,
    title: str | None,
    text: str | None,
    lesson: str | None = None,
    expectations: Iterable[object] = (),
    kkc: object = None,
    olfa: object = None,
    offer: bool = False,
    cycle_id: object = None,
) -> Example:
    errors: dict[str, str] = {}
    unit = parse_id(unit_id)
    if unit_id in (None, ""):
        errors["unit_id"] = _("Vælg teamet.")
    elif unit is None or not can(user, Permission.RECORD_EXAMPLE, unit):
        errors["unit_id"] = _("Du kan kun skrive eksempler i de teams, du er med i.")
    values = _validated(
        errors,
        kind=kind,
        title=title,
        text=text,
        lesson=lesson,
        expectations=expectations,
        kkc=kkc,
        olfa=olfa,
    )
    cycle = _cycle_of_unit(errors, cycle_id, unit)
    if errors:
        raise InputError(errors)
    tags = values.pop("expectations")
    example = Example(unit_id=unit, cycle_id=cycle, author_id=user.id, **values)
    example.expectation_tags = [ExampleExpectation(expectation=e) for e in tags]
    _set_offer(example, bool(offer), changed=True)
    db.session.add(example)
    db.session.flush()
    return example


def update_example(
    user: User,
    example: Example,
    *,
    kind: object,
    title: str | None,
    text: str | None,
    lesson: str | None = None,
    expectations: Iterable[object] = (),
    kkc: object = None,
    olfa: object = None,
    offer: bool = False,
) -> Example:
    """The author edits their example; offering again covers the text as it now stands."""
    errors: dict[str, str] = {}
    values = _validated(
        errors,
        kind=kind,
        title=title,
        text=text,
        lesson=lesson,
        expectations=expectations,
        kkc=kkc,
        olfa=olfa,
    )
    if errors:
        raise InputError(errors)
    wanted = values.pop("expectations")
    changed = any(getattr(example, k) != v for k, v in values.items())
    for name, value in values.items():
        setattr(example, name, value)
    # Keep the tags that stay (the pair is unique; a delete and insert of one could collide).
    for tag in [t for t in example.expectation_tags if t.expectation not in wanted]:
        example.expectation_tags.remove(tag)
    kept = {t.expectation for t in example.expectation_tags}
    example.expectation_tags.extend(
        ExampleExpectation(expectation=e) for e in wanted if e not in kept
    )
    _set_offer(example, bool(offer), changed=changed)
    db.session.flush()
    return example


def delete_example(user: User, example: Example) -> None:
    db.session.delete(example)
    db.session.flush()


# --- validation -------------------------------------------------------------------------------


Expectations = unique(Expectation, max_length=len(Expectation))  # the API's too


def _validated(
    errors: dict[str, str], *, kind, title, text, lesson, expectations, kkc, olfa
) -> dict[str, object]:
    kind = parse_choice(errors, "kind", ExampleKind, kind, required=True)
    title = check_text(errors, "title", title, MAX_TITLE, required=True)
    text = check_text(errors, "text", text, MAX_TEXT, required=True)
    lesson = check_text(errors, "lesson", lesson, MAX_TEXT, required=kind == ExampleKind.LESSON)
    if kind == ExampleKind.LESSON and "lesson" in errors and not lesson:
        errors["lesson"] = _("Skriv, hvad I lærte af det.")
    tags = read(errors, "expectations", list(expectations or ()), Expectations) or []
    return {
        "kind": kind,
        "title": title,
        "text": text,
        "lesson": lesson or None,
        "kkc": parse_choice(errors, "kkc", KKC, kkc),
        "olfa": parse_choice(errors, "olfa", OLFA, olfa),
        "expectations": tags,
    }


def _cycle_of_unit(errors: dict[str, str], cycle_id: object, unit_id: int | None) -> int | None:
    """An optional link to the cycle the example came up in; it must be one of the team's."""
    if cycle_id in (None, ""):
        return None
    parsed = parse_id(cycle_id)
    cycle = db.session.get(Cycle, parsed) if parsed else None
    if cycle is None or unit_id is None or unit_id not in cycle_unit_ids(cycle):
        errors["cycle_id"] = _("Forløbet hører ikke til teamet.")
        return None
    return cycle.id


def _set_offer(example: Example, offer: bool, *, changed: bool) -> None:
    if not offer:
        example.offered_at = None
    elif not example.is_offered or changed:
        example.offered_at = utcnow()
