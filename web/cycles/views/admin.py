"""Templates (HR and tenant admins) and campaigns (HR)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _

from web.auth.session import require_user
from web.cycles import forms
from web.cycles.labels import PHASE_LABELS
from web.cycles.models import PHASE_ORDER, Campaign, DialogueTemplate
from web.cycles.services import campaigns
from web.cycles.services import templates as template_service
from web.cycles.views import bp
from web.errors import Refusal
from web.forms import form_page, invalid, saved
from web.inputs import text
from web.models import today as local_today
from web.permissions import Permission, require
from web.tablefilters import OneOf, export, read_filters
from web.tenancy import get_or_404

BLANK_ROWS = 1  # empty prompt rows offered on the template form


@bp.get("/templates")
def templates():
    user = require_user()
    require(user, Permission.MANAGE_TEMPLATES)
    return render_template("cycles/templates.html", templates=template_service.list_templates())


@bp.post("/templates/<int:template_id>/copy")
def template_copy(template_id: int):
    user = require_user()
    require(user, Permission.MANAGE_TEMPLATES)
    template = get_or_404(DialogueTemplate, template_id)
    copy = template_service.copy_template(user, template)
    return saved(
        _("Skabelonen er kopieret. Ret kopien herunder."),
        url_for(".template_edit", template_id=copy.id),
    )


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
def template_edit(template_id: int):
    user = require_user()
    require(user, Permission.MANAGE_TEMPLATES)
    template = get_or_404(DialogueTemplate, template_id)
    if request.method == "GET":
        rows = [
            forms.PromptRow(
                i,
                p.id,
                p.kind.value,
                p.text_da,
                p.text_en or "",
                p.help_da or "",
                p.help_en or "",
                str(i + 1),
            )
            for i, p in enumerate(template.prompts)
        ]
        return _template_form(template, template.name, rows)

    rows = forms.template_rows(request.form)
    name = request.form.get("name", "")
    if request.form.get("action") == "add":
        # Another empty row; nothing is saved until the form is submitted with "Gem".
        return _template_form(template, name, rows, extra=BLANK_ROWS)
    errors: dict[str, str] = {}
    prompts, indexes = forms.prompts_from_rows(errors, rows)
    if not errors:
        try:
            template_service.update_template(
                user, template, name, prompts, make_default=bool(request.form.get("make_default"))
            )
        except Refusal as exc:
            errors = forms.reindex_errors(exc.errors, indexes)
    if errors:
        return _template_form(template, name, rows, errors)
    return saved(
        _(
            "Skabelonen er gemt (version %(version)s). Igangværende forløb beholder deres "
            "spørgsmål.",
            version=template.version,
        ),
        url_for(".template_edit", template_id=template.id),
    )


def _template_form(
    template: DialogueTemplate,
    name: str,
    rows: list[forms.PromptRow],
    errors: dict[str, str] | None = None,
    *,
    extra: int = BLANK_ROWS,
):
    start = max((r.index for r in rows), default=-1) + 1
    blanks = [
        forms.PromptRow(start + i, None, "next_step", "", "", "", "", "") for i in range(extra)
    ]
    return form_page(
        "cycles/template_edit.html", errors, template=template, name=name, rows=[*rows, *blanks]
    )


@bp.get("/campaigns")
def campaign_list():
    user = require_user()
    require(user, Permission.START_CAMPAIGN)
    return render_template("cycles/campaigns.html", campaigns=campaigns.list_campaigns())


CAMPAIGN_FILTERS = {"name": text(200), "phase": OneOf(lambda: [p.value for p in PHASE_ORDER])}


@bp.get("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int):
    """The campaign's cycles: by unit name and phase; CSV/XLSX."""
    user = require_user()
    require(user, Permission.START_CAMPAIGN)
    campaign = get_or_404(Campaign, campaign_id)
    flt = read_filters(request.args, CAMPAIGN_FILTERS)
    context = {
        "campaign": campaign,
        "args": request.args,
        "phase_options": [(p.value, PHASE_LABELS[p]) for p in PHASE_ORDER],
    }
    if flt.errors:
        return invalid("cycles/campaign.html", flt.errors, cycles=[], total=0, **context)
    every = campaigns.campaign_cycles(campaign)
    needle = flt["name"].casefold() if flt["name"] else None
    rows = [
        (cycle, unit_name, leader_name)
        for cycle, unit_name, leader_name in every
        if (needle is None or needle in unit_name.casefold())
        and (flt["phase"] is None or cycle.phase.value == flt["phase"])
    ]
    if flt.fmt:
        header = [
            _("Enhed"),
            _("Leder"),
            _("Fase"),
            _("Forberedelsen slutter"),
            _("Dialogmøde"),
            _("Opfølgning"),
        ]
        return export(
            flt,
            "kampagner",
            header,
            [
                (
                    unit_name,
                    leader_name,
                    str(PHASE_LABELS[cycle.phase]),
                    cycle.preparation_ends_on,
                    cycle.meeting_at,
                    cycle.follow_up_on,
                )
                for cycle, unit_name, leader_name in rows
            ],
            sheet=campaign.name,
        )
    return render_template(
        "cycles/campaign.html", errors={}, cycles=rows, total=len(every), **context
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    user = require_user()
    require(user, Permission.START_CAMPAIGN)
    context = {"tree": campaigns.unit_tree(), "templates": template_service.list_templates()}
    if request.method == "GET":
        today = local_today()
        default = context["templates"][0].id if context["templates"] else ""
        form = {
            "template_id": str(default),
            "preparation_starts_on": today.isoformat(),
            "preparation_ends_on": (today + timedelta(days=14)).isoformat(),
        }
        return render_template(
            "cycles/campaign_new.html", form=form, chosen=set(), errors={}, plan=None, **context
        )

    chosen = forms.parse_ids(request.form.getlist("units"))
    errors: dict[str, str] = {}
    template_id = forms.parse_int(request.form, "template_id")
    template = get_or_404(DialogueTemplate, template_id) if template_id is not None else None
    dates = forms.parse_dates(errors, request.form, with_meeting=False)
    page = {"form": request.form, "chosen": set(chosen), **context}
    if request.form.get("action") == "preview":
        plan = campaigns.plan_campaign(chosen) if chosen else None
        if not chosen:
            errors["units"] = _("Vælg mindst én enhed.")
        return form_page("cycles/campaign_new.html", errors, plan=plan, **page)
    if not errors:
        try:
            result = campaigns.start_campaign(
                user, request.form.get("name", ""), template, chosen, dates
            )
        except Refusal as exc:
            errors = exc.errors
    else:  # the dates could not be read: say what else is missing too
        if not request.form.get("name", "").strip():
            errors["name"] = _("Skal udfyldes.")
        if template is None:
            errors["template_id"] = _("Vælg en skabelon.")
        if not chosen:
            errors["units"] = _("Vælg mindst én enhed.")
    if errors:
        plan = campaigns.plan_campaign(chosen) if chosen and "units" not in errors else None
        return invalid("cycles/campaign_new.html", errors, plan=plan, **page)
    done = saved(
        _("Kampagnen er startet med %(count)s forløb.", count=len(result.cycles)),
        url_for(".campaign_detail", campaign_id=result.campaign.id),
    )
    # Saved and on its way to the campaign's page; what was left out is said after the news.
    skipped = [u.name for u in result.plan.without_leader]
    if skipped:
        flash(
            _(
                "Disse teams har ingen leder og fik derfor intet forløb: %(units)s.",
                units=", ".join(skipped),
            ),
            "info",
        )
    busy = [u.name for u in result.plan.with_open_cycle]
    if busy:
        flash(
            _(
                "Disse teams har allerede et forløb i gang og fik ikke et nyt: %(units)s.",
                units=", ".join(busy),
            ),
            "info",
        )
    return done
