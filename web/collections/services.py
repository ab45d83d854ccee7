"""The inspirationskatalog: HR's review, and the published collection.

The flow: a team offers an example (``Example.is_offered``, the author's consent) → the
periodic compilation (``compilation.py``) makes one entry per offered example: no author, no
team, the texts redacted with the tenant's directory (names incl. genitives, e-mails, phones,
CPR) → HR reads the redacted text beside the original with the findings marked, decides each
*possible* finding (a lone first name, a name of someone outside the directory: redact or keep;
remembered per entry in ``EntryDecision``; approval is refused while one is undecided),
edits it (the edit is redacted again and refused while anything is still found), approves or
rejects → only
approved entries are published, and only while the example still stands as it was compiled: a
team's later edit hides the entry at once and the next compilation sends it back to review;
withdrawing the offer deletes it.

Writers take the acting user, check everything and raise ``InputError`` (or ``Conflict``)
before writing, then flush; the caller (request or task) commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, or_, select

from web.collections.directory import directory_redactor
from web.collections.models import (
    MAX_REASON,
    TEXT_FIELDS,
    CollectionEntry,
    EntryDecision,
    EntryStatus,
    FindingDecision,
)
from web.collections.redaction import TOKENS, Finding, Redactor
from web.errors import FORM, Conflict, InputError
from web.examples.models import MAX_TEXT, MAX_TITLE, Example, ExampleKind
from web.extensions import db
from web.inputs import check_text
from web.models import utcnow
from web.orgs.models import OrgUnit
from web.users.models import User

MAX_PUBLISHED = 500  # the collection page shows at most this many entries (newest first)

FINDING_LABELS = {
    "name": _l("et navn"),
    "email": _l("en e-mailadresse"),
    "phone": _l("et telefonnummer"),
    "cpr": _l("et CPR-nummer"),
}
#: How the review page labels a possible finding (never in an error: those list certain ones).
POSSIBLE_LABEL = _l("en mulig personoplysning")


KIND_HEADINGS = {
    ExampleKind.GOOD: _l("Gode eksempler på aktørskab"),
    ExampleKind.LESSON: _l("Læring: aktørskab, der ikke gik som forventet"),
}

STATUS_LABELS = {
    EntryStatus.PENDING: _l("Venter"),
    EntryStatus.APPROVED: _l("Godkendt"),
    EntryStatus.REJECTED: _l("Afvist"),
}


# --- review (HR) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str | None = None  # the kind of a finding, None for plain text


@dataclass(frozen=True)
class Possible:
    """A possible finding in an entry's (redacted) text, and HR's decision if any."""

    field: str
    phrase: str
    decision: FindingDecision | None

    @property
    def key(self) -> str:  # the form field of its decision
        return f"possible:{self.field}:{self.phrase}"


@dataclass(frozen=True)
class ReviewField:
    name: str
    original: list[Segment]  # the example's text with the findings marked
    redacted: str | None
    possible: list[Possible] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewItem:
    entry: CollectionEntry
    area_name: str | None
    fields: list[ReviewField]
    is_stale: bool  # the team changed or withdrew the example since the compilation


def segments(
    text: str, findings: Iterable[Finding], possible: Iterable[Finding] = ()
) -> list[Segment]:
    """``text`` cut at the findings' offsets, so a page can mark each finding (a possible one
    with the kind "possible")."""
    parts, pos = [], 0
    marks = sorted(
        [*((f, f.kind) for f in findings), *((f, "possible") for f in possible)],
        key=lambda m: m[0].start,
    )
    for f, kind in marks:
        if f.start > pos:
            parts.append(Segment(text[pos : f.start]))
        parts.append(Segment(text[f.start : f.end], kind))
        pos = f.end
    if pos < len(text):
        parts.append(Segment(text[pos:]))
    return parts


def review_counts() -> dict[EntryStatus, int]:
    rows = db.session.execute(
        select(CollectionEntry.status, func.count()).group_by(CollectionEntry.status)
    )
    counts = dict.fromkeys(EntryStatus, 0)
    counts.update({EntryStatus(s): n for s, n in rows})
    return counts


def review_queue(status: EntryStatus) -> list[CollectionEntry]:
    order = (
        CollectionEntry.compiled_at.asc()
        if status == EntryStatus.PENDING
        else CollectionEntry.reviewed_at.desc()
    )
    return list(
        db.session.scalars(
            select(CollectionEntry)
            .where(CollectionEntry.status == status)
            .order_by(order, CollectionEntry.id)
        )
    )


def review_item(entry: CollectionEntry) -> ReviewItem:
    """The entry beside its original (the caller has checked ``CURATE_COLLECTIONS``)."""
    example = db.session.get(Example, entry.example_id)
    redactor = directory_redactor()
    fields = []
    decided = _decisions(entry)
    for name in TEXT_FIELDS:
        original = getattr(example, name) if example else None
        if original:
            found = redactor.redact(original)
            marked = segments(original, found.findings, found.possible)
        else:
            marked = []
        value = getattr(entry, name)
        possible = [
            Possible(name, phrase, decided.get((name, phrase)))
            for phrase in _possible_phrases(redactor, value)
        ]
        fields.append(ReviewField(name, marked, value, possible))
    return ReviewItem(entry, _area_name(entry.area_id), fields, _is_stale(entry, example))


def _possible_phrases(redactor: Redactor, value: str | None) -> list[str]:
    """The distinct possible findings of a text, as written, in order."""
    if not value:
        return []
    return list(dict.fromkeys(value[f.start : f.end] for f in redactor.redact(value).possible))


def _decisions(entry: CollectionEntry) -> dict[tuple[str, str], FindingDecision]:
    if entry.id is None:
        return {}
    return {
        (d.field, d.phrase): d.decision
        for d in db.session.scalars(select(EntryDecision).where(EntryDecision.entry_id == entry.id))
    }


def parse_decisions(form: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """``possible:<field>:<phrase>`` = redact | keep, from a review form's items."""
    out = {}
    for key, value in form:
        if key.startswith("possible:") and value:
            _, name, phrase = key.split(":", 2)
            out[(name, phrase)] = value
    return out


def _apply_decisions(
    errors: dict[str, str],
    values: dict[str, str | None],
    decisions: dict[tuple[str, str], str],
    redactor: Redactor,
) -> dict[tuple[str, str], FindingDecision]:
    """Check HR's decisions and replace the phrases to redact in ``values``; the valid ones."""
    valid: dict[tuple[str, str], FindingDecision] = {}
    for (name, phrase), raw in decisions.items():
        if name not in TEXT_FIELDS or raw not in {d.value for d in FindingDecision}:
            errors.setdefault(FORM, _("Ugyldigt valg for en mulig personoplysning."))
            continue
        valid[(name, phrase)] = FindingDecision(raw)
    for name in TEXT_FIELDS:
        value = values.get(name)
        if not value:
            continue
        spans = [
            f
            for f in redactor.redact(value).possible
            if valid.get((name, value[f.start : f.end])) == FindingDecision.REDACT
        ]
        for f in reversed(spans):
            value = value[: f.start] + TOKENS["name"] + value[f.end :]
        values[name] = value
    return valid


def _check_decided(
    errors: dict[str, str],
    entry: CollectionEntry,
    values: dict[str, str | None],
    decisions: dict[tuple[str, str], FindingDecision],
    redactor: Redactor,
) -> None:
    """Refuse approval while a possible finding has no decision (now or remembered)."""
    known = _decisions(entry) | decisions
    for name in TEXT_FIELDS:
        if name in errors:
            continue
        open_ = [p for p in _possible_phrases(redactor, values.get(name)) if (name, p) not in known]
        if open_:
            errors[name] = _(
                "Afgør for hver mulig personoplysning, om den skal fjernes eller blive, før du "
                "godkender: %(found)s.",
                found=", ".join(f"»{p}«" for p in open_),
            )


def _remember(entry: CollectionEntry, decisions: dict[tuple[str, str], FindingDecision]) -> None:
    existing = {
        (d.field, d.phrase): d
        for d in db.session.scalars(select(EntryDecision).where(EntryDecision.entry_id == entry.id))
    }
    now = utcnow()
    for (name, phrase), decision in decisions.items():
        row = existing.get((name, phrase))
        if row is None:
            db.session.add(
                EntryDecision(
                    entry_id=entry.id,
                    field=name,
                    phrase=phrase[:200],
                    decision=decision,
                    decided_at=now,
                )
            )
        else:
            row.decision, row.decided_at = decision, now


def save_entry(
    user: User,
    entry: CollectionEntry,
    *,
    revision: object,
    title: str | None,
    text: str | None,
    lesson: str | None,
    approve: bool = False,
    decisions: dict[tuple[str, str], str] | None = None,
) -> None:
    """HR's edit of the redacted text (and optionally its approval). Refused while the redactor
    still finds a name, an e-mail, a phone or a CPR number in it, and approval also while a
    possible finding is undecided. ``decisions``: (field, phrase) → "redact" | "keep"."""
    errors: dict[str, str] = {}
    _check_current(errors, entry, revision)
    values = {
        "title": check_text(errors, "title", title, MAX_TITLE, required=True),
        "text": check_text(errors, "text", text, MAX_TEXT, required=True),
        "lesson": check_text(
            errors, "lesson", lesson, MAX_TEXT, required=entry.kind == ExampleKind.LESSON
        )
        or None,
    }
    _check_texts(errors, entry, values, decisions, approve=approve)
    if _store_texts(entry, values):
        # A changed text is a new text: published only once approved as it now stands.
        _decide(user, entry, EntryStatus.APPROVED if approve else EntryStatus.PENDING)
    elif approve:
        _decide(user, entry, EntryStatus.APPROVED)


def approve_entry(
    user: User,
    entry: CollectionEntry,
    *,
    revision: object,
    decisions: dict[tuple[str, str], str] | None = None,
) -> None:
    """Approve the entry as it stands, after HR's ``decisions`` on its possible findings."""
    errors: dict[str, str] = {}
    _check_current(errors, entry, revision)
    values = {name: getattr(entry, name) for name in TEXT_FIELDS}
    _check_texts(errors, entry, values, decisions, approve=True)  # the directory may have grown
    _store_texts(entry, values)
    _decide(user, entry, EntryStatus.APPROVED)


def _check_texts(
    errors: dict[str, str],
    entry: CollectionEntry,
    values: dict[str, str | None],
    decisions: dict[tuple[str, str], str] | None,
    *,
    approve: bool,
) -> None:
    """The texts checked against the directory with HR's decisions applied to ``values``
    (approving also needs every possible finding decided); raises the errors, if any."""
    redactor = directory_redactor()
    check_redacted(errors, values, redactor)
    valid = _apply_decisions(errors, values, decisions or {}, redactor)
    if approve:
        _check_decided(errors, entry, values, valid, redactor)
    if errors:
        raise InputError(errors)
    _remember(entry, valid)


def _store_texts(entry: CollectionEntry, values: dict[str, str | None]) -> bool:
    """The texts written as a new revision; False when nothing changed."""
    if all(getattr(entry, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(entry, name, value)
    entry.is_edited = True
    entry.revision += 1
    return True


def reject_entry(
    user: User, entry: CollectionEntry, *, revision: object, reason: str | None = None
) -> None:
    errors: dict[str, str] = {}
    _check_current(errors, entry, revision, stale_ok=True)
    reason = check_text(errors, "reason", reason, MAX_REASON)
    if errors:
        raise InputError(errors)
    _decide(user, entry, EntryStatus.REJECTED)
    entry.rejection_reason = reason or None


def _decide(user: User, entry: CollectionEntry, status: EntryStatus) -> None:
    entry.status = status
    decided = status != EntryStatus.PENDING
    entry.reviewed_at = utcnow() if decided else None
    entry.reviewed_by_id = user.id if decided else None
    entry.rejection_reason = None
    db.session.flush()


def _check_current(
    errors: dict[str, str], entry: CollectionEntry, revision: object, *, stale_ok: bool = False
) -> None:
    """Raise ``Conflict`` when the entry changed since the reviewer opened it."""
    if str(revision) != str(entry.revision):
        raise Conflict(
            _("Eksemplet er blevet ændret, siden du åbnede det. Læs det igen, og prøv så igen.")
        )
    if not stale_ok and _is_stale(entry, db.session.get(Example, entry.example_id)):
        raise Conflict(
            _(
                "Teamet har ændret eller trukket eksemplet tilbage. Det kommer til "
                "gennemsyn igen ved næste opdatering af kataloget."
            )
        )


def check_redacted(
    errors: dict[str, str], values: dict[str, str | None], redactor: Redactor
) -> None:
    """A field error for each value HR wrote that still holds a name, e-mail, phone or CPR
    number: what HR writes for the whole municipality is held to the redactor too."""
    for name, value in values.items():
        if not value or name in errors:
            continue
        findings = redactor.redact(value).findings
        if findings:
            what = sorted({f.kind for f in findings}, key=list(FINDING_LABELS).index)
            errors[name] = _(
                "Teksten indeholder stadig %(what)s: %(found)s. Fjern det, før du gemmer.",
                what=", ".join(str(FINDING_LABELS[k]) for k in what),
                found=", ".join(f"»{value[f.start : f.end]}«" for f in findings),
            )


def _is_stale(entry: CollectionEntry, example: Example | None) -> bool:
    return example is None or not example.is_offered or example.updated_at > entry.source_updated_at


def _area_name(area_id: int | None) -> str | None:
    return db.session.scalar(select(OrgUnit.name).where(OrgUnit.id == area_id)) if area_id else None


# --- the published collection ----------------------------------------------------------------


@dataclass(frozen=True)
class PublishedEntry:
    entry: CollectionEntry
    area_name: str | None


@dataclass
class Group:
    key: str | None  # the enum value, or None for entries without one
    label: str
    entries: list[PublishedEntry] = field(default_factory=list)


def published_filter() -> ColumnElement[bool]:
    """Approved, and the example still offered and unchanged since it was compiled (a team's
    edit hides the entry at once, before the next compilation sends it back to review)."""
    return and_(
        CollectionEntry.status == EntryStatus.APPROVED,
        Example.is_offered,
        Example.updated_at <= CollectionEntry.source_updated_at,
    )


def published_entries(
    *,
    query: str | None = None,
    kind: ExampleKind | None = None,
    limit: int = MAX_PUBLISHED,
    ids: Iterable[int] | None = None,
) -> list[PublishedEntry]:
    """The published entries of the current tenant, newest approval first. Two queries."""
    stmt = (
        select(CollectionEntry, OrgUnit.name)
        .join(Example, Example.id == CollectionEntry.example_id)
        .outerjoin(OrgUnit, OrgUnit.id == CollectionEntry.area_id)
        .where(published_filter())
        .order_by(CollectionEntry.reviewed_at.desc(), CollectionEntry.id.desc())
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(CollectionEntry.kind == kind)
    if ids is not None:  # the themes' and the meaning search's entries (web/themes)
        stmt = stmt.where(CollectionEntry.id.in_(list(ids)))
    if query and query.strip():
        stmt = stmt.where(_matches(query.strip()))
    rows = db.session.execute(stmt).all()
    areas = published_names({area for _, area in rows if area})
    return [PublishedEntry(entry, areas.get(area)) for entry, area in rows]


def published_names(names: Iterable[str]) -> dict[str, str]:
    """Each unit name as it may leave its teams: through the tenant's redactor, like every free
    text a collection or report shows (a unit may be named after a person: "Teamet hos Søren
    Friis"). The redactor is built once per directory (cached), so this costs one names query."""
    names = set(names)
    if not names:
        return {}
    redactor = directory_redactor()
    return {name: redactor.redact(name).text for name in names}


def _matches(query: str) -> ColumnElement[bool]:
    """Every word of ``query`` in the title, text or lesson (case-insensitive substring); on
    PostgreSQL Danish full-text search as well, so "møder" finds "mødet" and "møde"."""
    fields = (
        CollectionEntry.title,
        CollectionEntry.text,
        func.coalesce(CollectionEntry.lesson, ""),
    )
    words = query.split()[:10]
    substring = and_(*(or_(*(f.icontains(w, autoescape=True) for f in fields)) for w in words))
    if db.session.get_bind().dialect.name != "postgresql":
        return substring  # SQLite: lower() folds ASCII only, so "Ø" ≠ "ø" there
    document = func.to_tsvector("danish", func.concat_ws(" ", *fields))
    return or_(substring, document.op("@@")(func.websearch_to_tsquery("danish", query)))


def grouped(entries: Iterable[PublishedEntry], by: str) -> dict[ExampleKind, list[Group]]:
    """Good examples and lessons apart, each grouped by ``by``: "expectation", "kkc" or "olfa".

    An entry with several expectations appears under each; one without goes under "not given".
    """
    from web.vocabulary import KKC, OLFA, Expectation

    vocabulary = {"expectation": Expectation, "kkc": KKC, "olfa": OLFA}[by]
    result: dict[ExampleKind, list[Group]] = {}
    for kind in ExampleKind:
        groups = {m.value: Group(m.value, m.label) for m in vocabulary}
        groups[None] = Group(None, str(_("Ikke angivet")))
        for item in entries:
            if item.entry.kind != kind:
                continue
            keys = (
                [e.value for e in item.entry.expectations]
                if by == "expectation"
                else [getattr(item.entry, by)]
            )
            for key in keys or [None]:
                groups[key].entries.append(item)
        result[kind] = [g for g in groups.values() if g.entries]
    return result
