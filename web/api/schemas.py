"""The API's request and response bodies: pydantic models, also the OpenAPI components.

Request bodies (``Body``) are validated strictly at the edge with the documented limits;
response bodies (``Out``) are built by ``web.api.present`` from the rows, field by field, so
nothing is exposed by accident. An anonymous answer is its own model with nothing but its
text: there is no author field to leave empty.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from web.api.validation import Body, Out, Query
from web.cycles.models import (
    MAX_ACTION,
    MAX_ANSWER,
    MAX_CONCLUSION,
    MAX_PLACE,
    MAX_REASON,
    ActionStatus,
    Phase,
    PromptKind,
    Visibility,
)
from web.cycles.services.actions import MAX_FOLLOW_UP
from web.examples.models import MAX_TEXT, MAX_TITLE, ExampleKind
from web.examples.services import Expectations
from web.inputs import Day, Id, Moment, text
from web.orgs.models import MembershipRole
from web.users.models import TenantRoleName
from web.vocabulary import KKC, OLFA, Expectation

MAX_PAGE = 10_000

Place = text(MAX_PLACE)
Reason = text(MAX_REASON)
Answer = text(MAX_ANSWER, required=True)
ConclusionText = text(MAX_CONCLUSION)
ActionText = text(MAX_ACTION, required=True)
Outcome = text(MAX_FOLLOW_UP, required=True)
Learning = text(MAX_FOLLOW_UP)
Title = text(MAX_TITLE, required=True)
ExampleText = text(MAX_TEXT, required=True)
Lesson = text(MAX_TEXT)
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]


# --- errors ---------------------------------------------------------------------------------


class ErrorCode(enum.StrEnum):
    """The stable machine codes of the API's errors."""

    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_TOKEN = "invalid_token"  # noqa: S105  (an error code, not a secret)
    FORBIDDEN = "forbidden"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_FAILED = "validation_failed"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"


class ErrorDetail(Out):
    code: ErrorCode
    message: str = Field(description="Translated into the request's language")
    fields: dict[str, str] = Field(
        default_factory=dict, description="A translated message per bad field (422 only)"
    )


class Error(Out):
    error: ErrorDetail


# --- shared references ------------------------------------------------------------------------


class UnitRef(Out):
    id: int
    name: str


class PersonRef(Out):
    id: int
    display_name: str


# --- cycles -----------------------------------------------------------------------------------


class PromptOut(Out):
    id: int
    position: int
    kind: PromptKind
    text_da: str
    text_en: str | None
    help_da: str | None
    help_en: str | None


class PhaseMovesOut(Out):
    forward: Phase | None = Field(description="The next phase, if any")
    back: Phase | None = Field(description="The previous phase (a reason is required)")


class CyclePermissionsOut(Out):
    manage: bool
    facilitate: bool
    contribute: bool
    view_team_answers: bool


class CycleOut(Out):
    id: int
    unit: UnitRef
    leader: PersonRef | None
    facilitator: PersonRef | None
    campaign_id: int | None
    phase: Phase
    include_subunits: bool
    preparation_starts_on: date
    preparation_ends_on: date
    meeting_at: datetime | None
    meeting_place: str | None
    follow_up_on: date | None
    closed_at: datetime | None
    previous_cycle_id: int | None
    created_at: datetime
    updated_at: datetime


class CycleDetailOut(CycleOut):
    prompts: list[PromptOut]
    moves: PhaseMovesOut
    permissions: CyclePermissionsOut


class CyclePage(Out):
    items: list[CycleOut]
    next_page: int | None


class CycleListQuery(Query):
    phase: Phase | None = None
    page: PageNumber = 1


class CycleCreate(Body):
    unit_id: Id = Field(description="A unit the caller leads (or one below it)")
    template_id: Id | None = Field(None, description="Default: the tenant's default template")
    preparation_starts_on: Day
    preparation_ends_on: Day
    meeting_at: Moment | None = None
    meeting_place: Place | None = None
    follow_up_on: Day | None = None
    include_subunits: bool = False


class PhaseMove(Body):
    to_phase: Phase = Field(description="One step forward, or one step back with a reason")
    reason: Reason | None = None
    from_phase: Phase | None = Field(
        None,
        description="The phase the caller saw; if the cycle "
        "has moved since, the move is refused "
        "(409)",
    )


# --- contributions, shared answers, conclusions -----------------------------------------------


class ContributionOut(Out):
    id: int
    cycle_id: int
    prompt_id: int
    text: str
    visibility: Visibility
    created_at: datetime
    updated_at: datetime


class ContributionList(Out):
    items: list[ContributionOut]


class ContributionCreate(Body):
    prompt_id: Id
    text: Answer
    visibility: Visibility


class ContributionUpdate(Body):
    """At least one of the fields (``minProperties``); an absent field is left as it is."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    # Not nullable: absent means unchanged, so null would be a second way to say nothing.
    text: Answer = None
    visibility: Visibility = None

    @model_validator(mode="after")
    def _something(self) -> ContributionUpdate:
        if self.text is None and self.visibility is None:
            raise PydanticCustomError("at_least_one", "at least one field")
        return self


class NamedAnswerOut(Out):
    text: str
    author_name: str


class AnonymousAnswerOut(Out):
    """An answer shown without its author: only its text, nothing that points to anyone."""

    text: str


class PromptAnswersOut(Out):
    prompt_id: int
    answers: list[NamedAnswerOut | AnonymousAnswerOut]


class SharedAnswersOut(Out):
    prompts: list[PromptAnswersOut] = Field(description="Empty lists while in preparation")


class ConclusionOut(Out):
    prompt_id: int
    text: str
    updated_at: datetime


class ConclusionList(Out):
    items: list[ConclusionOut]


class ConclusionIn(Body):
    prompt_id: Id
    text: ConclusionText = Field(description="Empty text removes the prompt's conclusion")


class ConclusionsPut(Body):
    conclusions: Annotated[list[ConclusionIn], Field(max_length=100)]


# --- actions ----------------------------------------------------------------------------------


class ActionOut(Out):
    id: int
    cycle_id: int
    text: str
    owner: PersonRef | None
    due_on: date
    status: ActionStatus
    expectation: Expectation | None
    kkc: KKC | None
    outcome: str | None
    learning: str | None
    carried_from_id: int | None
    is_overdue: bool
    created_at: datetime
    updated_at: datetime


class ActionList(Out):
    items: list[ActionOut]


class ActionCreate(Body):
    text: ActionText
    owner_id: Id = Field(description="A member of the cycle's team")
    due_on: Day = Field(description="Not before today")
    expectation: Expectation | None = None
    kkc: KKC | None = None


class StatusPut(Body):
    status: ActionStatus


class FollowUpPut(Body):
    outcome: Outcome = Field(description="What happened")
    learning: Learning | None = Field(None, description="What we learned")


# --- examples ---------------------------------------------------------------------------------


class ExampleOut(Out):
    id: int
    unit: UnitRef
    cycle_id: int | None
    kind: ExampleKind
    title: str
    text: str
    lesson: str | None
    expectations: list[Expectation]
    kkc: KKC | None
    olfa: OLFA | None
    is_offered: bool
    offered_at: datetime | None
    author_name: str | None = Field(description="Shown to the team; null when the account is gone")
    is_mine: bool
    created_at: datetime
    updated_at: datetime


class ExamplePage(Out):
    items: list[ExampleOut]
    next_page: int | None


class ExampleListQuery(Query):
    page: PageNumber = 1


class ExampleUpdate(Body):
    kind: ExampleKind
    title: Title
    text: ExampleText
    lesson: Lesson | None = Field(None, description="Required for a lesson")
    expectations: Expectations = []
    kkc: KKC | None = None
    olfa: OLFA | None = None
    offer: bool | None = Field(
        None, description="Offer for sharing across teams (consent); omitted: unchanged"
    )


class ExampleCreate(ExampleUpdate):
    unit_id: Id = Field(description="A team the caller is a member of")
    cycle_id: Id | None = Field(None, description="A cycle of that team")
    offer: bool = False


# --- the caller -------------------------------------------------------------------------------


class MembershipOut(Out):
    unit: UnitRef
    role: MembershipRole


Language = Literal["da", "en"]


class MeOut(Out):
    id: int
    display_name: str
    email: str | None
    locale: str | None = Field(description="The language of the login profile")
    chosen_locale: Language | None = Field(
        description="The language the person chose (PATCH /me); null: none of their own, so "
        "the login profile's, else the browser's"
    )
    roles: list[TenantRoleName]
    units: list[MembershipOut]
    auth: Literal["session", "token"]
    csrf_token: str | None = Field(
        description="With a session: send it as X-CSRFToken on POST, PUT, PATCH and DELETE"
    )


class MePatch(Body):
    chosen_locale: Language | None = Field(
        None,
        description="The language to read the product in; null: none of one's own (the "
        "login profile's, else the browser's). Left out: unchanged",
    )
