"""GDPR duties: retention, a person's own data, erasing a person, and the tenant's texts.

Every function runs inside the tenant's scope, flushes and leaves the commit to its caller.

- **Retention** (``pseudonymise_closed_cycles``): in cycles closed more than
  ``retention_months`` ago (tenant setting, default 36), private answers lose their text, every
  answer, example and conclusion loses its author and every action its owner. Counts stay:
  participations (who took part, never in which answer), the number of answers and actions,
  their statuses and classifications — what the reports and the overview count.
- **Access** (``export_user_data``): everything the product holds about one person, as JSON.
- **Erasure** (``erase_person``): the person's answers pseudonymised (private texts deleted),
  actions reassigned to a leader of the cycle's unit (or left without owner), examples without
  author, memberships, roles, tokens and pending e-mails deleted, the user row deactivated with
  its personal fields replaced. The row itself stays so that participation counts hold (and so
  do its Participation and cycle_members rows: the cycles' counters are not touched).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from pydantic import Field
from sqlalchemy import delete, or_, select, update

from web.api.models import ApiToken
from web.audit import retention as audit_retention
from web.audit.models import AuditEntry
from web.audit.services import record
from web.auth.models import SsoVersion
from web.collections.directory import remember_erased
from web.collections.models import CollectionEntry
from web.cycles.models import (
    Action,
    Campaign,
    Conclusion,
    Contribution,
    Cycle,
    CycleMember,
    CyclePrompt,
    Participation,
    PhaseChange,
    Visibility,
)
from web.errors import FORM, Conflict, InputError
from web.examples.models import Example
from web.extensions import db
from web.gdpr import export
from web.inputs import check_text, read
from web.meetings.models import LiveAction, LiveAttendee, LiveCard, LiveMeeting
from web.models import utcnow
from web.orgs.models import Membership, MembershipRole, OrgUnit
from web.reminders.models import ReminderDaySlot, ReminderOutbox, ReminderUnsubscribe
from web.reports.models import Report
from web.scim.models import ScimGroupMember, ScimToken
from web.tenants.models import Tenant
from web.users.models import TenantRole, User

DEFAULT_RETENTION_MONTHS = 36
MIN_RETENTION_MONTHS = 6
MAX_RETENTION_MONTHS = 120
Months = Annotated[int, Field(ge=MIN_RETENTION_MONTHS, le=MAX_RETENTION_MONTHS)]
MAX_PAGE_TEXT = 20_000
MAX_URL = 500
ERASED_NAME = "Slettet person"  # stored, not shown through gettext: the row is data
ERASED_SUBJECT_PREFIX = "erased-"
PAGES = ("privacy", "accessibility")
LOCALES = ("da", "en")


# --- the tenant's settings -----------------------------------------------------------------------


def retention_months(tenant: Tenant) -> int:
    value = (tenant.settings or {}).get("retention_months", DEFAULT_RETENTION_MONTHS)
    try:
        return min(MAX_RETENTION_MONTHS, max(MIN_RETENTION_MONTHS, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_RETENTION_MONTHS


def default_page_text(page: str, locale: str, tenant: Tenant) -> str:
    if page == "privacy":
        if locale == "en":
            return (
                f"{tenant.name} is the data controller for the personal data in Aktørskab.\n\n"
                "We process your name, e-mail address, the units you belong to and your roles, "
                "which come from the municipality's login, and what you write in the dialogue "
                "about aktørskab: your answers, the team's agreed actions and examples. The "
                "purpose is the workplace dialogue and its follow-up (the legal basis is the "
                "employer's task under the General Data Protection Regulation art. 6(1)(e) "
                "and the Danish Data Protection Act).\n\n"
                "Private answers are seen only by you. Anonymous answers are stored without "
                "your name once the dialogue meeting begins. Reports to the Hovedudvalg show "
                "numbers about at least five people and no names.\n\n"
                "Personal data in follow-up cycles closed more than "
                f"{retention_months(tenant)} months ago is pseudonymised automatically: private "
                "answers are deleted and names are removed, while the numbers are kept.\n\n"
                'You can download your own data under "My data". To have data corrected or '
                "erased, or to complain, contact your municipality's data protection officer. "
                "You can also complain to the Danish Data Protection Agency "
                "(Datatilsynet)."
            )
        return (
            f"{tenant.name} er dataansvarlig for personoplysningerne i Aktørskab.\n\n"
            "Vi behandler dit navn, din e-mailadresse, de enheder, du hører til, og dine "
            "roller, som kommer fra kommunens login, og det, du skriver i dialogen om "
            "aktørskab: dine svar, teamets aftalte handlinger og eksempler. Formålet er "
            "dialogen på arbejdspladsen og opfølgningen på den (retsgrundlaget er "
            "arbejdsgiverens opgave efter databeskyttelsesforordningens art. 6, stk. 1, "
            "litra e, og databeskyttelsesloven).\n\n"
            "Private svar ser kun du. Anonyme svar gemmes uden dit navn, når dialogmødet "
            "begynder. Rapporter til Hovedudvalget viser tal om mindst fem personer og ingen "
            "navne.\n\n"
            "Personoplysninger i opfølgningsforløb, der blev afsluttet for mere end "
            f"{retention_months(tenant)} måneder siden, pseudonymiseres automatisk: private "
            "svar slettes, og navne fjernes, mens tallene bevares.\n\n"
            'Du kan hente dine egne data under "Mine data". Vil du have oplysninger rettet '
            "eller slettet, eller vil du klage, så kontakt kommunens databeskyttelsesrådgiver. "
            "Du kan også klage til Datatilsynet."
        )
    if locale == "en":
        return (
            f"{tenant.name} wants Aktørskab to be accessible to everyone. The pages are built "
            "with Det Fælles Designsystem and aim to meet WCAG 2.1 level AA (the Danish Act "
            "on the accessibility of public sector websites and mobile applications).\n\n"
            "Charts always come with the same numbers as a table and a text description.\n\n"
            "If you meet a barrier, contact the municipality, which will help you and answer "
            "within 14 days. You can complain to the Agency for Digital Government "
            "(Digitaliseringsstyrelsen)."
        )
    return (
        f"{tenant.name} ønsker, at Aktørskab er tilgængelig for alle. Siderne er bygget med "
        "Det Fælles Designsystem og skal leve op til WCAG 2.1 niveau AA (lov om "
        "tilgængelighed af offentlige organers websteder og mobilapplikationer).\n\n"
        "Diagrammer har altid de samme tal i en tabel og en beskrivelse i tekst.\n\n"
        "Møder du en barriere, så kontakt kommunen, som hjælper dig og svarer inden for 14 "
        "dage. Du kan klage til Digitaliseringsstyrelsen."
    )


def page_text(tenant: Tenant, page: str, locale: str) -> str:
    """The tenant's own text for ``page`` in ``locale``, else its Danish one, else the default."""
    texts = (tenant.settings or {}).get(f"{page}_text") or {}
    return (
        texts.get(locale) or texts.get("da") or default_page_text(page, locale, tenant)
        if locale in LOCALES
        else default_page_text(page, "da", tenant)
    )


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs (blank lines) of lines: rendered escaped, never as markup."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block]


def accessibility_url(tenant: Tenant) -> str | None:
    return (tenant.settings or {}).get("accessibility_url") or None


def update_settings(tenant: Tenant, actor: User, form: dict[str, Any]) -> list[str]:
    """Retention and the two pages' texts; raises ``InputError`` before changing anything."""
    errors: dict[str, str] = {}
    months = read(errors, "retention_months", form.get("retention_months"), Months, required=True)
    if months is None:
        # The range itself is the clearest message here (rather than "too small").
        errors["retention_months"] = _(
            "Skriv et helt antal måneder mellem %(low)s og %(high)s.",
            low=MIN_RETENTION_MONTHS,
            high=MAX_RETENTION_MONTHS,
        )
    texts: dict[str, dict[str, str]] = {}
    for page in PAGES:
        for locale in LOCALES:
            name = f"{page}_text_{locale}"
            value = check_text(errors, name, form.get(name), MAX_PAGE_TEXT)
            if value:
                texts.setdefault(page, {})[locale] = value
    url = check_text(errors, "accessibility_url", form.get("accessibility_url"), MAX_URL)
    if (
        url
        and "accessibility_url" not in errors
        and (not url.startswith("https://") or any(c.isspace() for c in url))
    ):
        errors["accessibility_url"] = _("Skriv en fuld adresse, der begynder med https://.")
    if errors:
        raise InputError(errors)

    settings = dict(tenant.settings or {})
    before = {
        key: settings.get(key)
        for key in ("retention_months", "privacy_text", "accessibility_text", "accessibility_url")
    }
    settings["retention_months"] = months
    for page in PAGES:
        if page in texts:
            settings[f"{page}_text"] = texts[page]
        else:
            settings.pop(f"{page}_text", None)
    if url:
        settings["accessibility_url"] = url
    else:
        settings.pop("accessibility_url", None)
    changed = sorted(key for key, value in before.items() if settings.get(key) != value)
    if changed:
        tenant.settings = settings  # a new dict: the JSON column sees the change
        record("gdpr.settings_updated", actor=actor, changed=changed, retention_months=months)
    db.session.flush()
    return changed


# --- retention ------------------------------------------------------------------------------------


def pseudonymise_closed_cycles(tenant: Tenant, now: datetime | None = None) -> dict[str, int]:
    """Personal data of cycles closed more than ``retention_months`` ago. Idempotent."""
    now = now or utcnow()
    months = retention_months(tenant)
    cutoff = now - relativedelta(months=months)
    old = select(Cycle.id).where(Cycle.closed_at.is_not(None), Cycle.closed_at < cutoff)
    counts = {
        "private_texts_deleted": _rowcount(
            update(Contribution)
            .where(
                Contribution.cycle_id.in_(old),
                Contribution.visibility == Visibility.PRIVATE,
                Contribution.text != "",
            )
            .values(text="")
        ),
        "answers_unlinked": _rowcount(
            update(Contribution)
            .where(Contribution.cycle_id.in_(old), Contribution.author_id.is_not(None))
            .values(author_id=None)
        ),
        "actions_unowned": _rowcount(
            update(Action)
            .where(Action.cycle_id.in_(old), Action.owner_id.is_not(None))
            .values(owner_id=None)
        ),
        "examples_unlinked": _rowcount(
            update(Example)
            .where(
                Example.author_id.is_not(None),
                or_(
                    Example.cycle_id.in_(old),
                    (Example.cycle_id.is_(None)) & (Example.created_at < cutoff),
                ),
            )
            .values(author_id=None)
        ),
        "conclusions_unlinked": _rowcount(
            update(Conclusion)
            .where(Conclusion.cycle_id.in_(old), Conclusion.recorded_by_id.is_not(None))
            .values(recorded_by_id=None)
        ),
        "phase_changes_unlinked": _rowcount(
            update(PhaseChange)
            .where(PhaseChange.cycle_id.in_(old), PhaseChange.changed_by_id.is_not(None))
            .values(changed_by_id=None)
        ),
    }
    if any(counts.values()):
        record(
            "gdpr.retention_applied", cutoff=cutoff.isoformat(), retention_months=months, **counts
        )
    return counts


def _rowcount(statement) -> int:
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)


# --- a person's own data -------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    """Everything held about ``user`` in this tenant (GDPR art. 15 and 20)."""
    units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
    memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    contributions = db.session.execute(
        select(Contribution, CyclePrompt.text_da, Cycle.unit_id)
        .join(CyclePrompt, CyclePrompt.id == Contribution.prompt_id)
        .join(Cycle, Cycle.id == Contribution.cycle_id)
        .where(Contribution.author_id == user.id)
        .order_by(Contribution.id)
    ).all()
    actions = db.session.scalars(
        select(Action).where(Action.owner_id == user.id).order_by(Action.id)
    )
    examples = db.session.scalars(
        select(Example).where(Example.author_id == user.id).order_by(Example.id)
    )
    participations = db.session.scalars(
        select(Participation.cycle_id).where(Participation.user_id == user.id)
    )
    # The cycles that asked the person to take part (web.cycles.tally's member sets).
    asked = db.session.scalars(
        select(CycleMember.cycle_id)
        .where(CycleMember.user_id == user.id)
        .order_by(CycleMember.cycle_id)
    )
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    unsubscribed = db.session.scalars(
        select(ReminderUnsubscribe.kind).where(ReminderUnsubscribe.user_id == user.id)
    )
    audit = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                (AuditEntry.target_type == "users") & (AuditEntry.target_id == user.id),
            )
        )
        .order_by(AuditEntry.id)
    )

    def unit_name(unit_id: int | None) -> str | None:
        return units[unit_id].name if unit_id in units else None

    return {
        "format": export.FORMAT,
        "exported_at": utcnow().isoformat(),
        # Everything, table by table (web/gdpr/export.py); the sections below read easier.
        "records": export.records_of(user),
        "profile": {
            "id": user.id,
            "subject": user.subject,
            "email": user.email,
            "display_name": user.display_name,
            "locale": user.locale,
            "chosen_locale": user.chosen_locale,
            "answer_visibility": user.answer_visibility,
            "is_active": user.is_active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "memberships": [
            {"unit": unit_name(m.unit_id), "role": m.role.value, "source": m.source.value}
            for m in memberships
        ],
        "roles": sorted({r.role.value for r in user.roles}),
        "participations": [{"cycle_id": cycle_id} for cycle_id in participations],
        "cycles_asked": [{"cycle_id": cycle_id} for cycle_id in asked],
        "contributions": [
            {
                "id": c.id,
                "cycle_id": c.cycle_id,
                "unit": unit_name(unit_id),
                "prompt": prompt,
                "visibility": c.visibility.value,
                "text": c.text,
                "created_at": _iso(c.created_at),
                "updated_at": _iso(c.updated_at),
            }
            for c, prompt, unit_id in contributions
        ],
        "actions": [
            {
                "id": a.id,
                "cycle_id": a.cycle_id,
                "text": a.text,
                "status": a.status.value,
                "due_on": _iso(a.due_on),
                "outcome": a.outcome,
                "learning": a.learning,
            }
            for a in actions
        ],
        "examples": [
            {
                "id": e.id,
                "unit": unit_name(e.unit_id),
                "kind": e.kind.value,
                "title": e.title,
                "text": e.text,
                "lesson": e.lesson,
                "is_offered": e.is_offered,
                "created_at": _iso(e.created_at),
            }
            for e in examples
        ],
        "api_tokens": [
            {
                "name": t.name,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in tokens
        ],
        "reminders_unsubscribed": sorted(kind.value for kind in unsubscribed),
        "audit_log": [
            {
                "event": e.event,
                "at": _iso(e.created_at),
                "by_you": e.actor_id == user.id,
                "ip": e.ip,
                "details": e.details,
            }
            for e in audit
        ],
    }


# --- erasure --------------------------------------------------------------------------------------


def is_erased(user: User) -> bool:
    return user.subject.startswith(ERASED_SUBJECT_PREFIX)


def erase_person(actor: User, person: User, confirmed: bool) -> dict[str, int]:
    """Erase ``person``'s personal data (GDPR art. 17); raises ``InputError`` first."""
    if not confirmed:
        raise InputError({"confirm": _("Sæt kryds for at bekræfte sletningen.")})
    if person.id == actor.id:
        raise InputError(
            {
                FORM: _(
                    "Du kan ikke slette dine egne oplysninger her. Bed en anden "
                    "administrator om det."
                )
            }
        )
    if is_erased(person):
        raise Conflict(_("Personens oplysninger er allerede slettet."))

    counts = {
        "private_texts_deleted": _rowcount(
            update(Contribution)
            .where(
                Contribution.author_id == person.id, Contribution.visibility == Visibility.PRIVATE
            )
            .values(text="")
        ),
        "answers_unlinked": _rowcount(
            update(Contribution).where(Contribution.author_id == person.id).values(author_id=None)
        ),
        "examples_unlinked": _rowcount(
            update(Example).where(Example.author_id == person.id).values(author_id=None)
        ),
    }
    reassigned = unowned = 0
    for action in db.session.scalars(select(Action).where(Action.owner_id == person.id)):
        action.owner_id = _leader_for(action.cycle, person)
        reassigned += action.owner_id is not None
        unowned += action.owner_id is None
    counts |= {"actions_reassigned": reassigned, "actions_unowned": unowned}
    for column in (Cycle.leader_id, Cycle.facilitator_id):
        _rowcount(update(Cycle).where(column == person.id).values({column.key: None}))
    for model, column in (
        (Conclusion, Conclusion.recorded_by_id),
        (PhaseChange, PhaseChange.changed_by_id),
        (Campaign, Campaign.created_by_id),
        (CollectionEntry, CollectionEntry.reviewed_by_id),
        (Report, Report.requested_by_id),
        (ScimToken, ScimToken.created_by_id),
        (LiveMeeting, LiveMeeting.facilitator_id),
        (LiveAction, LiveAction.owner_id),
        (SsoVersion, SsoVersion.created_by_id),
        (SsoVersion, SsoVersion.applied_by_id),
    ):
        _rowcount(update(model).where(column == person.id).values({column.key: None}))
    for model, column in (
        (Membership, Membership.user_id),
        (TenantRole, TenantRole.user_id),
        (ApiToken, ApiToken.user_id),
        (ReminderUnsubscribe, ReminderUnsubscribe.user_id),
        (ReminderDaySlot, ReminderDaySlot.recipient_id),
        (ReminderOutbox, ReminderOutbox.recipient_id),
        (ScimGroupMember, ScimGroupMember.user_id),
        (LiveAttendee, LiveAttendee.user_id),
    ):
        _rowcount(delete(model).where(column == person.id))
    # A named thought of a live meeting carries its author's name as text, not as a link.
    _rowcount(
        update(LiveCard).where(LiveCard.author_name == person.display_name).values(author_name=None)
    )
    db.session.expire(person, ["roles"])

    former_subject = person.subject
    # Their names stay redacted in what colleagues write (README), as salted hashes only.
    counts["name_forms_hashed"] = remember_erased(person.display_name)
    person.is_active = False
    person.subject = f"{ERASED_SUBJECT_PREFIX}{person.id}-{secrets.token_hex(8)}"
    person.email = None
    person.display_name = ERASED_NAME
    person.locale = person.chosen_locale = person.answer_visibility = None
    person.last_login_at = None
    # What provisioning kept about them: the provider's id, SCIM's copy of names and
    # addresses, an ambiguous unit claim.
    person.external_id = None
    person.scim_data = None
    person.ambiguous_units = None
    db.session.flush()
    # The audit log keeps what they did, under their pseudonym (web.audit.retention).
    counts["audit_entries_pseudonymised"] = audit_retention.pseudonymise_subject(
        person, former_subject
    )
    record("gdpr.person_erased", actor=actor, target=person, **counts)
    return counts


def _leader_for(cycle: Cycle, person: User) -> int | None:
    """The cycle's leader, else a leader of its unit, never the person being erased."""
    if cycle.leader_id and cycle.leader_id != person.id:
        return cycle.leader_id
    return db.session.scalar(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.unit_id == cycle.unit_id,
            Membership.role == MembershipRole.LEADER,
            Membership.user_id != person.id,
            User.is_active.is_(True),
        )
        .order_by(Membership.user_id)
        .limit(1)
    )


def erasable_people() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(~User.subject.startswith(ERASED_SUBJECT_PREFIX))
            .order_by(User.display_name, User.id)
        )
    )
