"""The team's examples: the list, one, recording, editing, offering for sharing.

An example is seen only by its team (``Permission.VIEW_EXAMPLE``); for anyone else it does not
exist (404). Only its author edits it or offers it; offering is the author's consent that HR may
anonymise and review it for the cross-team collections.
"""

from __future__ import annotations

from web.api import bp, present
from web.api import schemas as s
from web.api.errors import ApiError
from web.api.routing import operation
from web.examples import services
from web.examples.models import Example
from web.permissions import Permission, can
from web.tenancy import get_or_404
from web.users.models import User

PER_PAGE = 20


def _visible(user: User, example_id: int, **_checked: object) -> Example:
    """The example, or 404 for anyone outside its team (also for a permission beyond seeing)."""
    example = get_or_404(Example, example_id)
    if not can(user, Permission.VIEW_EXAMPLE, example):
        raise ApiError(404, "not_found")
    return example


@operation(
    bp,
    "GET",
    "/examples",
    tag="examples",
    summary="The examples of the caller's teams",
    description="Newest first, 20 per page, with each author's name (the team's view).",
    permission=Permission.VIEW_EXAMPLE,
    rows=True,
    query=s.ExampleListQuery,
    response=s.ExamplePage,
)
def list_examples(user: User, query: s.ExampleListQuery) -> s.ExamplePage:
    items, more = services.team_examples(user, page=query.page, per_page=PER_PAGE)
    return s.ExamplePage(
        items=[present.example(i, user) for i in items], next_page=query.page + 1 if more else None
    )


@operation(
    bp,
    "GET",
    "/examples/<int:example_id>",
    tag="examples",
    summary="One example",
    permission=Permission.VIEW_EXAMPLE,
    load=_visible,
    response=s.ExampleOut,
)
def get_example(user: User, example: Example) -> s.ExampleOut:
    return present.example(services.team_example(example), user)


@operation(
    bp,
    "POST",
    "/examples",
    tag="examples",
    summary="Record an example",
    description="A good example, or a lesson (then `lesson` is required), for a team the "
    "caller is a member of. It stays in the team unless `offer` is true.",
    permission=Permission.RECORD_EXAMPLE,
    load=lambda user, body: body.unit_id,
    body=s.ExampleCreate,
    response=s.ExampleOut,
    status=201,
)
def create_example(user: User, unit_id: int, body: s.ExampleCreate) -> s.ExampleOut:
    example = services.record_example(
        user, unit_id=body.unit_id, cycle_id=body.cycle_id, offer=body.offer, **_content(body)
    )
    return present.example(services.team_example(example), user)


@operation(
    bp,
    "PUT",
    "/examples/<int:example_id>",
    tag="examples",
    summary="Change an example (its author)",
    description="Replaces its content. Offered and changed, the offer covers the new text.",
    permission=Permission.EDIT_EXAMPLE,
    load=_visible,
    body=s.ExampleUpdate,
    response=s.ExampleOut,
)
def update_example(user: User, example: Example, body: s.ExampleUpdate) -> s.ExampleOut:
    offer = example.is_offered if body.offer is None else body.offer
    services.update_example(user, example, offer=offer, **_content(body))
    return present.example(services.team_example(example), user)


@operation(
    bp,
    "POST",
    "/examples/<int:example_id>/offer",
    tag="examples",
    summary="Offer an example for sharing across teams (its author's consent)",
    description="HR anonymises and reviews it before anyone outside the team sees it.",
    permission=Permission.EDIT_EXAMPLE,
    load=_visible,
    response=s.ExampleOut,
)
def offer_example(user: User, example: Example) -> s.ExampleOut:
    return _set_offer(user, example, offer=True)


@operation(
    bp,
    "DELETE",
    "/examples/<int:example_id>/offer",
    tag="examples",
    summary="Withdraw the offer (the example stays in the team)",
    permission=Permission.EDIT_EXAMPLE,
    load=_visible,
    response=s.ExampleOut,
)
def withdraw_offer(user: User, example: Example) -> s.ExampleOut:
    return _set_offer(user, example, offer=False)


def _set_offer(user: User, example: Example, *, offer: bool) -> s.ExampleOut:
    services.update_example(
        user,
        example,
        kind=example.kind,
        title=example.title,
        text=example.text,
        lesson=example.lesson,
        expectations=example.expectations,
        kkc=example.kkc,
        olfa=example.olfa,
        offer=offer,
    )
    return present.example(services.team_example(example), user)


def _content(body: s.ExampleUpdate) -> dict[str, object]:
    return {
        "kind": body.kind,
        "title": body.title,
        "text": body.text,
        "lesson": body.lesson,
        "expectations": body.expectations,
        "kkc": body.kkc,
        "olfa": body.olfa,
    }
