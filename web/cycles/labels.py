"""Translated labels for the cycle flow's enums (the memo's own vocabulary: web/vocabulary.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from web.cycles.models import ActionStatus, Phase, PromptKind, Visibility

PHASE_LABELS = {
    Phase.PREPARATION: _l("Forberedelse"),
    Phase.MEETING: _l("Dialogmøde"),
    Phase.AGREEMENTS: _l("Aftaler"),
    Phase.FOLLOW_UP: _l("Opfølgning"),
    Phase.CLOSED: _l("Afsluttet"),
}

VISIBILITY_LABELS = {
    Visibility.PRIVATE: _l("Privat – kun mig"),
    Visibility.NAMED: _l("Til mit team med mit navn"),
    Visibility.ANONYMOUS: _l("Til mit team uden navn (anonymt)"),
}

PROMPT_KIND_LABELS = {
    PromptKind.SENTENCE: _l("Færdiggør sætningen"),
    PromptKind.NEXT_STEP: _l("Næste skridt"),
}

PROMPT_KIND_HEADINGS = {
    PromptKind.SENTENCE: _l("Færdiggør sætningerne"),
    PromptKind.NEXT_STEP: _l(
        "Hvad bør være vores næste skridt i arbejdet med aktørskab i vores arbejdsfællesskab?"
    ),
}

ACTION_STATUS_LABELS = {
    ActionStatus.PLANNED: _l("Planlagt"),
    ActionStatus.IN_PROGRESS: _l("I gang"),
    ActionStatus.DONE: _l("Gennemført"),
    ActionStatus.DROPPED: _l("Opgivet"),
}
