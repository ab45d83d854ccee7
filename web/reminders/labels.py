"""Translated names of reminder kinds and cycle phases, for the e-mails and the pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from web.cycles.models import Phase
from web.reminders.models import OutboxStatus, ReminderKind

KIND_LABELS = {
    ReminderKind.PREPARATION_OPENED: _l("Forberedelsen er åbnet"),
    ReminderKind.PREPARATION_CLOSING: _l("Forberedelsen lukker snart"),
    ReminderKind.MEETING_INVITATION: _l("Invitation til dialogmøde"),
    ReminderKind.MEETING_UPDATED: _l("Dialogmødet er ændret"),
    ReminderKind.FOLLOW_UP_COMING: _l("Opfølgningen nærmer sig"),
    ReminderKind.ACTION_DUE_SOON: _l("En handling skal snart være klar"),
    ReminderKind.ACTION_OVERDUE: _l("En handling er over tid"),
    ReminderKind.WEEKLY_DIGEST: _l("Ugens overblik"),
}

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Venter"),
    OutboxStatus.SENDING: _l("Sendes"),
    OutboxStatus.SENT: _l("Sendt"),
    OutboxStatus.FAILED: _l("Fejlet"),
    OutboxStatus.CANCELLED: _l("Annulleret"),
}

PHASE_LABELS = {
    Phase.PREPARATION: _l("Forberedelse"),
    Phase.MEETING: _l("Dialogmøde"),
    Phase.AGREEMENTS: _l("Aftaler"),
    Phase.FOLLOW_UP: _l("Opfølgning"),
    Phase.CLOSED: _l("Afsluttet"),
}
