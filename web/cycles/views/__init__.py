"""The cycle pages: one blueprint (``t.cycles.*``), thin views in three modules.

- ``cycle``: the cycle page, starting a cycle, its details, phase moves, the next cycle.
- ``dialogue``: the preparation form and the meeting view.
- ``admin``: templates and HR's campaigns.

The agreed actions' pages (``actions``) are a blueprint of their own (``t.actions.*``).

Each view loads its rows (by id only through ``tenancy.get_or_404``), checks a permission with
``require``, calls a service, and ends as every form does (``web.forms``): ``saved`` commits once,
flashes and redirects; ``invalid`` re-renders the form with every message at its field and answers
422, nothing written.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint
from flask_babel import get_locale

from web.cycles import labels
from web.cycles.models import (
    MAX_ANSWER,
    MAX_CONCLUSION,
    MAX_HELP,
    MAX_NAME,
    MAX_PLACE,
    MAX_PROMPT,
    MAX_REASON,
    PHASE_ORDER,
    Phase,
    PromptKind,
    Visibility,
)
from web.forms import invalid  # kept here too: the dialogue views import it from this module

bp = Blueprint("cycles", "web.cycles", template_folder="templates")

LIMITS = {
    "answer": MAX_ANSWER,
    "conclusion": MAX_CONCLUSION,
    "help": MAX_HELP,
    "name": MAX_NAME,
    "place": MAX_PLACE,
    "prompt": MAX_PROMPT,
    "reason": MAX_REASON,
}


def localized(obj: Any, field: str) -> str:
    """A prompt's text or help in the page's language, falling back to Danish."""
    if str(get_locale()) == "en":
        english = getattr(obj, f"{field}_en", None)
        if english:
            return english
    return getattr(obj, f"{field}_da", None) or ""


def prompt_groups(prompts: list[Any]) -> list[tuple[PromptKind, list[Any]]]:
    """Consecutive prompts of the same kind together, in the template's order."""
    return [(kind, list(group)) for kind, group in groupby(prompts, key=lambda p: p.kind)]


@bp.context_processor
def _cycle_helpers() -> dict[str, Any]:
    return {
        "localized": localized,
        "prompt_groups": prompt_groups,
        "Phase": Phase,
        "PHASE_ORDER": PHASE_ORDER,
        "PromptKind": PromptKind,
        "Visibility": Visibility,
        "PHASE_LABELS": labels.PHASE_LABELS,
        "VISIBILITY_LABELS": labels.VISIBILITY_LABELS,
        "PROMPT_KIND_LABELS": labels.PROMPT_KIND_LABELS,
        "PROMPT_KIND_HEADINGS": labels.PROMPT_KIND_HEADINGS,
        "ACTION_STATUS_LABELS": labels.ACTION_STATUS_LABELS,
        "LIMITS": LIMITS,
    }


from web.cycles.views import admin, cycle, dialogue  # noqa: E402  (routes register on bp)

__all__ = ["admin", "bp", "cycle", "dialogue", "invalid"]
