"""Translated names of reminder kinds and outbox statuses, for the e-mails and the pages
(the cycle phases' names are ``web.cycles.labels.PHASE_LABELS``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    ReminderKind.SSO_REFRESH_KEPT: _l("Fælles login: nye nøgler ikke taget i brug"),
    ReminderKind.SSO_LOGIN_FAILURES: _l("Fælles login: log-ins afvises"),
}

STATUS_LABELS = {
    OutboxStatus.PENDING: _l("Venter"),
    OutboxStatus.SENDING: _l("Sendes"),
    OutboxStatus.SENT: _l("Sendt"),
    OutboxStatus.FAILED: _l("Fejlet"),
    OutboxStatus.CANCELLED: _l("Annulleret"),
}
