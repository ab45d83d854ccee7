"""Dialogue templates: the memo's guide as every tenant's default, copied and edited by HR."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from web.cycles.models import (
    MAX_HELP,
    MAX_NAME,
    MAX_PROMPT,
    DialogueTemplate,
    PromptKind,
    TemplatePrompt,
)
from web.errors import FORM, InputError
from web.extensions import db
from web.inputs import check_text
from web.users.models import User

DEFAULT_TEMPLATE_NAME = "Dialog om aktørskab (notatets dialogguide)"


@dataclass(frozen=True)
class PromptInput:
    """One prompt as entered on the edit form; ``id`` is None for a new prompt."""

    kind: PromptKind
    text_da: str
    text_en: str = ""
    help_da: str = ""
    help_en: str = ""
    id: int | None = None


# The memo's dialogue guide, word for word in Danish (DOMAIN.md), with an English translation
# and a short help text each. Stored per tenant, so each municipality can edit its own copy.
DEFAULT_PROMPTS: tuple[PromptInput, ...] = (
    PromptInput(
        PromptKind.SENTENCE,
        "Vi sætter særligt vores ekspertise og talenter i spil, når …",
        "We bring our expertise and talents into play especially when …",
        "Tænk på en konkret situation, hvor I brugte det, I er bedst til. Hvad gjorde det muligt?",
        "Think of a concrete situation where you used what you are best at. What made it possible?",
    ),
    PromptInput(
        PromptKind.SENTENCE,
        "Vi tager et ekstra ansvar, når …",
        "We take on extra responsibility when …",
        "Hvornår træder I til ud over det forventede – og hvad får jer til det?",
        "When do you step up beyond what is expected – and what makes you do it?",
    ),
    PromptInput(
        PromptKind.SENTENCE,
        "Vi kan øve os i at blive gode aktører ved at …",
        "We can practise becoming good actors by …",
        "Hvad kunne I prøve af i hverdagen? Brug de fire forventninger til aktørskab.",
        "What could you try out in everyday work? Use the four expectations of aktørskab.",
    ),
    PromptInput(
        PromptKind.SENTENCE,
        "Vi kan begynde i det små med at gå til opgaverne på en ny måde, når …",
        "We can start small by approaching our tasks in a new way when …",
        "Et lille, konkret første skridt er nok.",
        "A small, concrete first step is enough.",
    ),
    PromptInput(
        PromptKind.SENTENCE,
        "Vi fremmer hinandens aktørskab i arbejdet ved at …",
        "We promote each other's aktørskab in our work by …",
        "Hvordan hjælper I hinanden med at tage ansvar, initiativ og handling?",
        "How do you help each other take responsibility, initiative and action?",
    ),
    PromptInput(
        PromptKind.NEXT_STEP,
        "Hvilke rammer og strukturer skal vi arbejde i?",
        "Which frames and structures should we work within?",
        "Tænk på kurs og koordinering: hvad ligger fast, og hvad kan vi selv bestemme?",
        "Think of course and coordination: what is fixed, and what can we decide ourselves?",
    ),
    PromptInput(
        PromptKind.NEXT_STEP,
        "Hvilke gode eksempler på aktørskab kan vi komme i tanke om?",
        "Which good examples of aktørskab can we think of?",
        "Et eksempel fra jeres egen hverdag – stort eller småt.",
        "An example from your own everyday work – big or small.",
    ),
    PromptInput(
        PromptKind.NEXT_STEP,
        "Er der eksempler, hvor aktørskab ikke er gået som forventet, og hvad kan vi lære af det?",
        "Are there examples where aktørskab did not go as expected, and what can we learn from "
        "them?",
        "Psykologisk tryghed: vi ser på, hvad der skete, ikke på hvem.",
        "Psychological safety: we look at what happened, not at who.",
    ),
    PromptInput(
        PromptKind.NEXT_STEP,
        "Hvornår taler vi videre om aktørskab og vores erfaringer?",
        "When do we continue talking about aktørskab and our experiences?",
        "Foreslå et tidspunkt eller en anledning til opfølgningen.",
        "Suggest a time or an occasion for the follow-up.",
    ),
)


def list_templates() -> list[DialogueTemplate]:
    """The tenant's templates, the default first (prompts come along in one more query)."""
    return list(
        db.session.scalars(
            select(DialogueTemplate).order_by(
                DialogueTemplate.is_default.desc(), DialogueTemplate.name, DialogueTemplate.id
            )
        )
    )


def default_template() -> DialogueTemplate | None:
    """The tenant's default template (the newest marked default), or None."""
    return db.session.scalar(
        select(DialogueTemplate)
        .where(DialogueTemplate.is_default.is_(True))
        .order_by(DialogueTemplate.id.desc())
        .limit(1)
    )


def ensure_default_template() -> DialogueTemplate:
    """The current tenant's default template, seeding the memo's guide when it has none.

    ``create_tenant`` calls it for every new tenant. Idempotent: once a tenant has any
    template, nothing is added (running ``flask demo`` twice changes nothing). Flushes; the
    caller commits.
    """
    existing = default_template()
    if existing is not None:
        return existing
    if db.session.scalar(select(func.count(DialogueTemplate.id))):
        # Templates exist but none is marked default: use the oldest rather than add another.
        first = db.session.scalar(select(DialogueTemplate).order_by(DialogueTemplate.id).limit(1))
        first.is_default = True
        db.session.flush()
        return first
    template = DialogueTemplate(name=DEFAULT_TEMPLATE_NAME, is_default=True, version=1)
    template.prompts = [_prompt_row(i, p) for i, p in enumerate(DEFAULT_PROMPTS, start=1)]
    db.session.add(template)
    db.session.flush()
    return template


def copy_template(
    actor: User, template: DialogueTemplate, name: str | None = None
) -> DialogueTemplate:
    """A new, non-default template with the same prompts, at version 1."""
    errors: dict[str, str] = {}
    name = (
        check_text(errors, "name", name, MAX_NAME)
        or _("Kopi af %(name)s", name=template.name)[:MAX_NAME]
    )
    if errors:
        raise InputError(errors)
    copy = DialogueTemplate(name=name, is_default=False, version=1)
    copy.prompts = [
        _prompt_row(
            i, PromptInput(p.kind, p.text_da, p.text_en or "", p.help_da or "", p.help_en or "")
        )
        for i, p in enumerate(template.prompts, start=1)
    ]
    db.session.add(copy)
    db.session.flush()
    return copy


def update_template(
    actor: User,
    template: DialogueTemplate,
    name: str,
    prompts: list[PromptInput],
    *,
    make_default: bool = False,
) -> DialogueTemplate:
    """Replace the template's name and prompts (in the given order); bumps ``version``.

    ``make_default`` makes this the tenant's default template (the one preselected when a cycle
    starts); a tenant always has exactly one, so the default is moved, never just removed.

    Prompts with an ``id`` update that prompt of this template, prompts without one are added,
    and the template's prompts not given are removed. Running cycles keep their own copy of the
    prompts (``CyclePrompt``), so nothing here changes them. Raises ``InputError`` (with fields
    ``name``, ``prompt-<n>-<field>`` counted from 0 in the given order) before writing.
    """
    errors: dict[str, str] = {}
    name = check_text(errors, "name", name, MAX_NAME, required=True)
    prompts = [
        PromptInput(
            p.kind,
            check_text(errors, f"prompt-{n}-text_da", p.text_da, MAX_PROMPT, required=True),
            check_text(errors, f"prompt-{n}-text_en", p.text_en, MAX_PROMPT),
            check_text(errors, f"prompt-{n}-help_da", p.help_da, MAX_HELP),
            check_text(errors, f"prompt-{n}-help_en", p.help_en, MAX_HELP),
            p.id,
        )
        for n, p in enumerate(prompts)
    ]
    own_ids = {p.id for p in template.prompts}
    for n, p in enumerate(prompts):
        if p.id is not None and p.id not in own_ids:
            errors[FORM] = _("Et af spørgsmålene hører ikke til skabelonen. Genindlæs siden.")
        if p.kind not in tuple(PromptKind):
            errors[f"prompt-{n}-kind"] = _("Vælg en type.")
    if not prompts:
        errors.setdefault(FORM, _("En skabelon skal have mindst ét spørgsmål."))
    if errors:
        raise InputError(errors)

    if make_default and not template.is_default:
        _make_default(template)
    if not _changed(template, name, prompts):
        db.session.flush()
        return template
    by_id = {p.id: p for p in template.prompts}
    kept = []
    for position, p in enumerate(prompts, start=1):
        row = by_id.get(p.id) if p.id is not None else None
        if row is None:
            row = TemplatePrompt()
        row.position, row.kind = position, p.kind
        row.text_da, row.text_en = p.text_da, p.text_en or None
        row.help_da, row.help_en = p.help_da or None, p.help_en or None
        kept.append(row)
    template.prompts = kept  # delete-orphan removes the prompts left out
    template.name = name
    template.version += 1
    db.session.flush()
    return template


def _make_default(template: DialogueTemplate) -> None:
    for other in db.session.scalars(
        select(DialogueTemplate).where(DialogueTemplate.is_default.is_(True))
    ):
        other.is_default = other.id == template.id
    template.is_default = True


def _changed(template: DialogueTemplate, name: str, prompts: list[PromptInput]) -> bool:
    current = [
        (p.id, p.kind, p.text_da, p.text_en or "", p.help_da or "", p.help_en or "")
        for p in template.prompts
    ]
    given = [(p.id, p.kind, p.text_da, p.text_en, p.help_da, p.help_en) for p in prompts]
    return template.name != name or current != given


def _prompt_row(position: int, p: PromptInput) -> TemplatePrompt:
    return TemplatePrompt(
        position=position,
        kind=p.kind,
        text_da=p.text_da,
        text_en=p.text_en or None,
        help_da=p.help_da or None,
        help_en=p.help_en or None,
    )
