"""The inspirationskatalog for every employee, its PDF, and HR's review pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from web.audit.services import record
from web.auth.session import require_user
from web.collections import services
from web.collections.export import collection_pdf
from web.collections.models import TEXT_FIELDS, CollectionEntry, EntryStatus
from web.errors import Refusal
from web.examples.models import ExampleKind
from web.extensions import db
from web.forms import form_page, saved
from web.permissions import Permission, require
from web.tasking import enqueue_after_commit
from web.tenancy import get_or_404
from web.themes.tasks import embed_entry

bp = Blueprint(
    "collections",
    __name__,
    url_prefix="/inspiration",
    template_folder="templates",
    static_folder="static",
)

GROUPINGS = ("expectation", "kkc", "olfa")


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "kind_headings": services.KIND_HEADINGS,
        "finding_labels": {**services.FINDING_LABELS, "possible": services.POSSIBLE_LABEL},
        "status_labels": services.STATUS_LABELS,
    }


# --- the published collection (every employee of the tenant) ------------------------------------


@bp.get("/")
def index():
    require_user()
    query, by, kind = _filters()
    entries = services.published_entries(query=query, kind=kind)
    return render_template(
        "collections/index.html",
        groups=services.grouped(entries, by),
        show_similar=True,
        query=query or "",
        by=by,
        kind=kind,
        total=len(entries),
        groupings=_grouping_labels(),
    )


@bp.get("/katalog.pdf")
def export():
    user = require_user()
    query, by, kind = _filters()
    entries = services.published_entries(query=query, kind=kind)
    pdf = collection_pdf(
        g.tenant,
        services.grouped(entries, by),
        by=by,
        query=query,
        kind_label=str(services.KIND_HEADINGS[kind]) if kind else None,
    )
    record(
        "collections.exported",
        actor=user,
        entries=len(entries),
        group=by,
        kind=kind.value if kind else None,
        searched=bool(query),
    )
    db.session.commit()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="inspirationskatalog.pdf"'},
    )


def _filters() -> tuple[str | None, str, ExampleKind | None]:
    by = request.args.get("group", "expectation")
    kind = request.args.get("kind") or None
    return (
        request.args.get("q", "").strip()[:200] or None,
        by if by in GROUPINGS else "expectation",
        ExampleKind(kind) if kind in {k.value for k in ExampleKind} else None,
    )


def _grouping_labels() -> list[tuple[str, str]]:
    return [("expectation", _("De fire forventninger")), ("kkc", _("KKC")), ("olfa", _("OLFA"))]


# --- HR's review -------------------------------------------------------------------------------


@bp.get("/review")
def review():
    user = require_user()
    require(user, Permission.CURATE_COLLECTIONS)
    raw = request.args.get("status", EntryStatus.PENDING.value)
    status = EntryStatus(raw) if raw in {s.value for s in EntryStatus} else EntryStatus.PENDING
    return render_template(
        "collections/review.html",
        status=status,
        counts=services.review_counts(),
        entries=services.review_queue(status),
    )


@bp.route("/review/<int:entry_id>", methods=["GET", "POST"])
def review_entry(entry_id: int):
    user = require_user()
    entry = get_or_404(CollectionEntry, entry_id)
    require(user, Permission.CURATE_COLLECTIONS)
    if request.method == "GET":
        return _review_form(entry, {name: getattr(entry, name) or "" for name in TEXT_FIELDS})
    decision = request.form.get("decision")
    form = request.form
    try:
        if decision in {"save", "save_approve"}:
            services.save_entry(
                user,
                entry,
                revision=form.get("revision"),
                title=form.get("title"),
                text=form.get("text"),
                lesson=form.get("lesson"),
                approve=decision == "save_approve",
                decisions=services.parse_decisions(form.items(multi=True)),
            )
        elif decision == "reject":
            services.reject_entry(
                user, entry, revision=form.get("revision"), reason=form.get("reason")
            )
        else:
            abort(400)
    except Refusal as exc:
        return _review_form(entry, form, exc.errors)
    record(f"collections.entry_{entry.status.value}", actor=user, target=entry, decision=decision)
    # Approved: embedded as it now stands; edited back to pending or rejected: its vector goes.
    enqueue_after_commit(embed_entry, g.tenant.id, entry.id)
    return saved(_DONE[entry.status](), url_for(".review"))


def _review_form(entry: CollectionEntry, values, errors: dict[str, str] | None = None):
    return form_page(
        "collections/review_entry.html", errors, item=services.review_item(entry), values=values
    )


_DONE = {
    EntryStatus.APPROVED: lambda: _("Eksemplet er godkendt og offentliggjort i kataloget."),
    EntryStatus.REJECTED: lambda: _("Eksemplet er afvist; det offentliggøres ikke."),
    EntryStatus.PENDING: lambda: _("Ændringerne er gemt; eksemplet venter på godkendelse."),
}


@bp.post("/review/compile")
def compile_now():
    user = require_user()
    require(user, Permission.CURATE_COLLECTIONS)
    from web.collections.tasks import compile_collection

    enqueue_after_commit(compile_collection, g.tenant.id)
    return saved(
        _("Kataloget opdateres nu med de tilbudte eksempler. Det tager et øjeblik."),
        url_for(".review"),
    )
