"""Templates: the memo's guide as the default, copying and editing, and the cycle's snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.cycles.models import DialogueTemplate, PromptKind, TemplatePrompt
from web.cycles.services import templates as svc
from web.errors import InputError
from web.extensions import db

MEMO_SENTENCES = [
    "Vi sætter særligt vores ekspertise og talenter i spil, når …",
    "Vi tager et ekstra ansvar, når …",
    "Vi kan øve os i at blive gode aktører ved at …",
    "Vi kan begynde i det små med at gå til opgaverne på en ny måde, når …",
    "Vi fremmer hinandens aktørskab i arbejdet ved at …",
]
MEMO_NEXT_STEPS = [
    "Hvilke rammer og strukturer skal vi arbejde i?",
    "Hvilke gode eksempler på aktørskab kan vi komme i tanke om?",
    "Er der eksempler, hvor aktørskab ikke er gået som forventet, og hvad kan vi lære af det?",
    "Hvornår taler vi videre om aktørskab og vores erfaringer?",
]


def test_default_template_is_the_memos_guide_word_for_word(scoped):
    template = svc.ensure_default_template()
    assert template.is_default and template.version == 1
    sentences = [p.text_da for p in template.prompts if p.kind == PromptKind.SENTENCE]
    next_steps = [p.text_da for p in template.prompts if p.kind == PromptKind.NEXT_STEP]
    assert sentences == MEMO_SENTENCES
    assert next_steps == MEMO_NEXT_STEPS
    assert [p.position for p in template.prompts] == list(range(1, 10))
    assert all(p.text_en and p.help_da and p.help_en for p in template.prompts)


def test_seeding_is_idempotent_and_per_tenant(scoped, make):
    first = svc.ensure_default_template()
    assert svc.ensure_default_template().id == first.id
    assert db.session.scalar(select(func.count(DialogueTemplate.id))) == 1
    other = make.template(scoped.stranger_tenant)
    assert other.id != first.id and other.tenant_id == scoped.stranger_tenant.id


def test_copy_keeps_prompts_and_starts_at_version_one(scoped):
    original = svc.ensure_default_template()
    copy = svc.copy_template(scoped.hr, original)
    assert copy.id != original.id and not copy.is_default and copy.version == 1
    assert copy.name == f"Kopi af {original.name}"
    assert [(p.kind, p.text_da, p.help_en) for p in copy.prompts] == [
        (p.kind, p.text_da, p.help_en) for p in original.prompts
    ]
    assert {p.id for p in copy.prompts}.isdisjoint({p.id for p in original.prompts})


def _inputs(template):
    return [
        svc.PromptInput(p.kind, p.text_da, p.text_en or "", p.help_da or "", p.help_en or "", p.id)
        for p in template.prompts
    ]


def test_edit_reorders_adds_removes_and_bumps_version(scoped):
    template = svc.copy_template(scoped.hr, svc.ensure_default_template())
    prompts = _inputs(template)
    removed = prompts.pop(0)
    prompts.reverse()
    prompts.append(
        svc.PromptInput(
            PromptKind.NEXT_STEP, "  Hvad gør vi i morgen?  ", "What do we do tomorrow?"
        )
    )
    svc.update_template(scoped.hr, template, "Vores guide", prompts)
    db.session.expire_all()
    assert template.version == 2 and template.name == "Vores guide"
    texts = [p.text_da for p in template.prompts]
    assert texts[0] == MEMO_NEXT_STEPS[-1]
    assert texts[-1] == "Hvad gør vi i morgen?"
    assert removed.text_da not in texts and len(texts) == 9
    assert db.session.get(TemplatePrompt, removed.id) is None


def test_saving_without_changes_keeps_the_version(scoped):
    template = svc.ensure_default_template()
    svc.update_template(scoped.hr, template, template.name, _inputs(template))
    assert template.version == 1


def test_make_default_moves_the_default(scoped):
    original = svc.ensure_default_template()
    copy = svc.copy_template(scoped.hr, original)
    svc.update_template(scoped.hr, copy, copy.name, _inputs(copy), make_default=True)
    assert copy.is_default and not original.is_default
    assert svc.default_template().id == copy.id


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("", None, "name"),
        ("x" * 201, None, "name"),
        ("Ok", {"text_da": ""}, "prompt-2-text_da"),
        ("Ok", {"text_da": "x" * 501}, "prompt-2-text_da"),
        ("Ok", {"text_en": "x" * 501}, "prompt-2-text_en"),
        ("Ok", {"help_da": "x" * 2001}, "prompt-2-help_da"),
        ("Ok", {"kind": None}, "prompt-2-kind"),
    ],
)
def test_bad_template_input_writes_nothing(scoped, name, change, field):
    template = svc.copy_template(scoped.hr, svc.ensure_default_template())
    before = [(p.id, p.text_da) for p in template.prompts]
    prompts = _inputs(template)
    if change:
        values = {**prompts[2].__dict__, **change}
        prompts[2] = svc.PromptInput(**values)
    prompts[0] = svc.PromptInput(PromptKind.SENTENCE, "Ændret tekst", id=prompts[0].id)
    with pytest.raises(InputError) as exc:
        svc.update_template(scoped.hr, template, name, prompts)
    assert field in exc.value.errors
    db.session.expire_all()
    assert [(p.id, p.text_da) for p in template.prompts] == before
    assert template.version == 1


def test_a_template_needs_a_prompt_and_only_its_own(scoped):
    template = svc.ensure_default_template()
    copy = svc.copy_template(scoped.hr, template)
    with pytest.raises(InputError) as exc:
        svc.update_template(scoped.hr, template, "Tom", [])
    assert "_form" in exc.value.errors
    foreign = _inputs(copy)[:1]
    with pytest.raises(InputError) as exc:
        svc.update_template(scoped.hr, template, "Fremmed", foreign)
    assert "_form" in exc.value.errors


def test_editing_a_template_never_changes_a_running_cycle(scoped, make):
    w = scoped
    template = svc.copy_template(w.hr, svc.ensure_default_template())
    cycle = make.started_cycle(w.tenant, w.team, w.leader, template=template)
    snapshot = [(p.kind, p.text_da, p.text_en, p.help_da) for p in cycle.prompts]
    assert cycle.template_version == 1

    prompts = _inputs(template)
    prompts[0] = svc.PromptInput(PromptKind.SENTENCE, "En helt ny sætning …", id=prompts[0].id)
    del prompts[-1]
    svc.update_template(w.hr, template, "Ny udgave", prompts)
    db.session.commit()
    db.session.expire_all()

    assert template.version == 2
    assert [(p.kind, p.text_da, p.text_en, p.help_da) for p in cycle.prompts] == snapshot
    assert cycle.template_version == 1
    later = make.started_cycle(w.tenant, w.other_team, w.other_leader, template=template)
    assert later.template_version == 2
    assert later.prompts[0].text_da == "En helt ny sætning …" and len(later.prompts) == 8
