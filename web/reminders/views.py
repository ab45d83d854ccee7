"""Reminder pages: the unsubscribe link, and failed reminders for admins and leaders."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from web.cycles.models import Cycle
from web.extensions import csrf, db
from web.forms import invalid, saved
from web.inputs import Day, read_ids
from web.models import utcnow
from web.orgs.models import OrgUnit
from web.permissions import Permission, can, led_unit_ids, require
from web.reminders import services
from web.reminders.labels import KIND_LABELS, STATUS_LABELS
from web.reminders.models import OutboxStatus, ReminderKind, ReminderOutbox
from web.reminders.tasks import plan_tenant
from web.reminders.unsubscribe import InvalidToken, read_token, unsubscribe
from web.tablefilters import EXPORT_MAX, OneOf, day_start, export, read_filters
from web.tasking import enqueue_after_commit
from web.teams.models import TeamsWebhook
from web.users.models import User

bp = Blueprint("reminders", __name__, url_prefix="/reminders", template_folder="templates")
FAILED_PAGE = 200
PROGRESS_DAYS = 7


def _bad_link():
    return render_template(
        "errors/error.html",
        code=400,
        title=_("Linket virker ikke"),
        message=_(
            "Linket til at afmelde påmindelser er ugyldigt. Kopiér hele linket fra "
            "e-mailen, eller afmeld fra en nyere påmindelse."
        ),
    ), 400


# The token is the credential (mail clients post RFC 8058 one-click unsubscribes without a
# session or a CSRF token), so this route is exempt from CSRF.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt
def unsubscribe_link(token: str):
    try:
        wish = read_token(token, g.tenant_id)
    except InvalidToken:
        return _bad_link()
    if request.method == "POST":
        unsubscribe(wish)
        db.session.commit()
        return render_template("reminders/unsubscribed.html", kind=KIND_LABELS[wish.kind])
    return render_template("reminders/unsubscribe.html", kind=KIND_LABELS[wish.kind], token=token)


def _may_see_failed():
    user = g.get("user")
    if can(user, Permission.ADMINISTER):
        return user, None
    require(user, Permission.LEAD_UNITS)
    return user, led_unit_ids(user)


FAILED_FILTERS = {
    "kind": OneOf(lambda: [k.value for k in ReminderKind]),
    "since": Day,
    "until": Day,
}


@bp.get("/failed")
def failed():
    """Failed reminders, newest first: by kind and the day of the last attempt; CSV/XLSX."""
    user, led = _may_see_failed()
    flt = read_filters(request.args, FAILED_FILTERS)
    context = {
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "may_retry": led is None,
        "args": request.args,
        "kind_options": [(k.value, KIND_LABELS[k]) for k in ReminderKind],
    }
    if flt.errors:
        return invalid(
            "reminders/failed.html", flt.errors, rows=[], counts=None, progress=None, **context
        )
    unit = aliased(OrgUnit)
    query = (
        select(ReminderOutbox, User, unit.name, TeamsWebhook)
        .outerjoin(User, User.id == ReminderOutbox.recipient_id)
        .outerjoin(TeamsWebhook, TeamsWebhook.id == ReminderOutbox.webhook_id)
        .outerjoin(Cycle, Cycle.id == ReminderOutbox.cycle_id)
        .outerjoin(unit, unit.id == Cycle.unit_id)
        .where(ReminderOutbox.status == OutboxStatus.FAILED)
        .order_by(ReminderOutbox.updated_at.desc(), ReminderOutbox.id.desc())
    )
    if led is not None:
        query = query.where(or_(Cycle.unit_id.in_(led), Cycle.leader_id == user.id))
    if flt["kind"]:
        query = query.where(ReminderOutbox.kind == ReminderKind(flt["kind"]))
    if flt["since"]:
        query = query.where(ReminderOutbox.updated_at >= day_start(flt["since"]))
    if flt["until"]:
        query = query.where(ReminderOutbox.updated_at < day_start(flt["until"] + timedelta(days=1)))
    if flt.fmt:
        header = [
            _("Modtager"),
            _("E-mail"),
            _("Påmindelse"),
            _("Enhed"),
            _("Forsøg"),
            _("Seneste forsøg"),
            _("Seneste fejl"),
        ]
        rows = [
            (
                person.display_name if person else _("Teams-kanal"),
                person.email if person else hook.host,
                str(KIND_LABELS[row.kind]),
                unit_name,
                row.attempts,
                row.updated_at,
                row.last_error,
            )
            for row, person, unit_name, hook in db.session.execute(query.limit(EXPORT_MAX))
        ]
        return export(flt, "fejlede-paamindelser", header, rows, sheet=_("Fejlede påmindelser"))
    rows = db.session.execute(query.limit(FAILED_PAGE)).all()
    counts = (
        services.status_counts(g.tenant_id, since=utcnow() - timedelta(days=PROGRESS_DAYS))
        if led is None
        else None
    )
    return render_template(
        "reminders/failed.html",
        rows=rows,
        counts=counts,
        progress=_progress(counts),
        errors={},
        **context,
    )


def _progress(counts: dict[OutboxStatus, int] | None) -> int | None:
    """Share of the week's reminders that are settled (sent, failed or cancelled), in percent."""
    if not counts:
        return None
    total = sum(counts.values())
    open_ = counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING]
    return round(100 * (total - open_) / total) if total else 100


@bp.post("/failed/retry")
def retry():
    require(g.get("user"), Permission.ADMINISTER)
    ids = read_ids(request.form.getlist("outbox_id"))
    count = services.retry_failed(g.tenant_id, ids, utcnow())
    if count:
        enqueue_after_commit(plan_tenant, g.tenant_id)
    return saved(
        ngettext("%(num)s påmindelse prøves igen.", "%(num)s påmindelser prøves igen.", count),
        url_for(".failed"),
    )
