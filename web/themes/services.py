"""Themes of a tenant's published entries per period, and HR's decisions about them.

``compute`` clusters the period's published entries (``clustering.METHOD``) and matches each new
cluster to the period's earlier themes by the entries they share (Jaccard ≥ ``KEEP_OVERLAP``):
a matched theme keeps its row, and so HR's name, hiding and merge survive the recomputation; an
earlier theme no cluster matches is gone (its entries now belong elsewhere). The parts of a theme
HR split are matched together, and the cluster that matches them is divided among them again,
each entry to the part whose centroid is nearest: the split survives too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select

from web.collections.directory import directory_redactor
from web.collections.models import CollectionEntry
from web.collections.services import check_redacted
from web.errors import InputError
from web.examples.models import Example
from web.extensions import db
from web.inputs import check_text
from web.models import utcnow
from web.themes import clustering, model
from web.themes.embeddings import entry_text, published_vectors
from web.themes.models import Theme
from web.users.models import User

KEEP_OVERLAP = 0.3
MAX_NAME = 120
CENTRAL = 3
MIN_SPLIT = 4  # entries with a vector: fewer are not worth two themes


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, UTC), datetime.combine(end, time.max, UTC))


def period_entry_ids(start: date, end: date) -> list[int]:
    low, high = _bounds(start, end)
    return list(
        db.session.scalars(
            select(CollectionEntry.id).where(
                CollectionEntry.reviewed_at >= low, CollectionEntry.reviewed_at <= high
            )
        )
    )


def compute(start: date, end: date, method: str = clustering.METHOD) -> list[Theme]:
    """Recompute the themes of entries approved in [start, end]; returns the period's themes."""
    ids, vectors = published_vectors(period_entry_ids(start, end))
    labels = clustering.cluster(vectors, method) if len(ids) else np.zeros(0, dtype=int)
    groups = {int(c): np.flatnonzero(labels == c) for c in set(labels.tolist()) if c >= 0}
    groups = {c: rows for c, rows in groups.items() if len(rows) >= clustering.MIN_THEME}
    old = list(
        db.session.scalars(
            select(Theme).where(Theme.period_start == start, Theme.period_end == end)
        )
    )
    units = _units(old)
    parts: list[tuple[Theme | None, np.ndarray]] = []
    for rows in sorted(groups.values(), key=len, reverse=True):
        unit = _best_match(units, {ids[i] for i in rows})
        if unit is None:
            parts.append((None, rows))
            continue
        units.remove(unit)
        parts.extend(_divide(unit, vectors, rows))
    texts = _texts(ids)
    words = clustering.characteristic_words(
        {n: [texts[ids[i]] for i in rows] for n, (_theme, rows) in enumerate(parts)}
    )
    kept: list[Theme] = []
    for n, (theme, rows) in enumerate(parts):
        theme = theme or Theme(period_start=start, period_end=end)
        _fill(theme, ids, vectors, rows, words[n])
        db.session.add(theme)
        kept.append(theme)
    for gone in (t for t in old if t not in kept):
        db.session.delete(gone)
    db.session.flush()
    return kept


def _units(old: list[Theme]) -> list[list[Theme]]:
    """The period's earlier themes as a recomputation matches them: each alone, except the
    parts of a split theme, which are matched together (as the cluster they were)."""
    units: dict[object, list[Theme]] = {}
    for theme in old:
        units.setdefault(theme.split_group or ("alone", theme.id), []).append(theme)
    return list(units.values())


def _divide(
    unit: list[Theme], vectors: np.ndarray, rows: np.ndarray
) -> list[tuple[Theme, np.ndarray]]:
    """A new cluster's rows for the earlier theme it matched; for the parts of a split theme,
    each row to the part whose centroid is nearest (a part left with none is gone)."""
    if len(unit) == 1:
        return [(unit[0], rows)]
    centroids = np.vstack([model.from_bytes(t.centroid) for t in unit])
    nearest = np.argmax(vectors[rows] @ centroids.T, axis=1)
    return [(theme, rows[nearest == n]) for n, theme in enumerate(unit) if np.any(nearest == n)]


def _fill(
    theme: Theme, ids: list[int], vectors: np.ndarray, rows: np.ndarray, words: list[str]
) -> None:
    centroid, _central = clustering.central(vectors[rows], n=0)
    order = rows[np.argsort(-(vectors[rows] @ centroid))]
    theme.entry_ids, theme.words = [ids[i] for i in order], words
    theme.centroid, theme.computed_at = model.to_bytes(centroid), utcnow()


def _best_match(units: list[list[Theme]], entry_ids: set[int]) -> list[Theme] | None:
    def overlap(unit: list[Theme]) -> float:
        other = {i for theme in unit for i in theme.entry_ids}
        return len(other & entry_ids) / (len(other | entry_ids) or 1)

    best = max(units, key=overlap, default=None)
    return best if best is not None and overlap(best) >= KEEP_OVERLAP else None


def _texts(ids: list[int]) -> dict[int, str]:
    entries = db.session.scalars(select(CollectionEntry).where(CollectionEntry.id.in_(ids)))
    return {e.id: entry_text(e) for e in entries}


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownTheme:
    theme: Theme
    label: str  # HR's name, else the characteristic words
    entry_ids: list[int]  # its own and those of the themes merged into it, most central first
    merged: list[Theme]


def shown_themes(start: date, end: date, *, hidden: bool = False) -> list[ShownTheme]:
    """The period's themes as readers see them: merges folded in, hidden ones left out (HR
    passes ``hidden=True`` to see them too), largest first."""
    themes = list(
        db.session.scalars(
            select(Theme)
            .where(Theme.period_start == start, Theme.period_end == end)
            .order_by(Theme.id)
        )
    )
    by_id = {t.id: t for t in themes}
    result = []
    for theme in themes:
        if theme.merged_into_id in by_id or (theme.is_hidden and not hidden):
            continue
        merged = [t for t in themes if t.merged_into_id == theme.id]
        entry_ids = list(theme.entry_ids) + [i for t in merged for i in t.entry_ids]
        result.append(ShownTheme(theme, label(theme), entry_ids, merged))
    return sorted(result, key=lambda s: (-len(s.entry_ids), s.theme.id))


def label(theme: Theme) -> str:
    return theme.name or ", ".join(theme.words[:4]) or _("Tema uden ord")


def periods() -> list[tuple[date, date]]:
    rows = db.session.execute(
        select(Theme.period_start, Theme.period_end)
        .distinct()
        .order_by(Theme.period_end.desc(), Theme.period_start.desc())
    )
    return [(start, end) for start, end in rows]


def teams_behind(entry_ids: list[int]) -> int:
    """How many teams the entries come from (the example's unit; never shown per team)."""
    if not entry_ids:
        return 0
    return len(
        set(
            db.session.scalars(
                select(Example.unit_id)
                .join(CollectionEntry, CollectionEntry.example_id == Example.id)
                .where(CollectionEntry.id.in_(entry_ids))
            )
        )
    )


def may_show_count(teams: int, k: int) -> bool:
    """The report's k rule for a theme: shown only when its entries come from at least k teams.
    The one place to point at the anonymity engine (issue 14) when it lands."""
    return teams >= k


def report_themes(start: date, end: date, k: int, limit: int = 10) -> list[tuple[str, int]]:
    """(label, teams) of the period's k-safe themes for the Hovedudvalg report."""
    shown = []
    for item in shown_themes(start, end):
        teams = teams_behind(item.entry_ids)
        if may_show_count(teams, k):
            shown.append((item.label, teams))
    return shown[:limit]


def period_themes(start: date, end: date, k: int) -> list[tuple[str, int]]:
    """The report's themes: the period's stored themes (computed now when there are none yet,
    from the published entries' vectors), only those drawn from at least k teams."""
    if not db.session.scalar(
        select(Theme.id).where(Theme.period_start == start, Theme.period_end == end).limit(1)
    ):
        compute(start, end)
    return report_themes(start, end, k)


# --- HR's decisions ----------------------------------------------------------------------------


def rename(user: User, theme: Theme, name: object) -> None:
    errors: dict[str, str] = {}
    value = check_text(errors, "name", name, MAX_NAME)
    check_redacted(errors, {"name": value}, directory_redactor())  # shown to every employee
    if errors:
        raise InputError(errors)
    theme.name = value or None
    db.session.flush()


def set_hidden(user: User, theme: Theme, hidden: bool) -> None:
    theme.is_hidden = hidden
    db.session.flush()


def split(user: User, theme: Theme) -> Theme:
    """Divide ``theme``'s own entries in two by meaning (Ward, k = 2): the larger part stays on
    the theme (its name, hiding and merge), the other becomes a new theme of the same period,
    hidden or merged as the theme was. Both carry ``split_group``, so a recomputation divides
    the matching cluster among them again. Returns the new part."""
    ids, vectors = published_vectors(theme.entry_ids)
    if len(ids) < MIN_SPLIT:
        raise InputError({"decision": _("Temaet har for få eksempler til at blive delt.")})
    labels = clustering.ward(vectors, k=2)
    halves = sorted((np.flatnonzero(labels == c) for c in (0, 1)), key=len, reverse=True)
    texts = _texts(ids)
    words = clustering.characteristic_words(
        {n: [texts[ids[i]] for i in rows] for n, rows in enumerate(halves)}
    )
    part = Theme(
        period_start=theme.period_start,
        period_end=theme.period_end,
        is_hidden=theme.is_hidden,
        merged_into_id=theme.merged_into_id,
    )
    theme.split_group = part.split_group = theme.split_group or theme.id
    for n, target in enumerate((theme, part)):
        _fill(target, ids, vectors, halves[n], words[n])
    db.session.add(part)
    db.session.flush()
    return part


def merge(user: User, theme: Theme, into: Theme | None) -> None:
    """Fold ``theme`` into ``into`` (same period); ``into=None`` undoes an earlier merge."""
    if into is not None and (
        into.id == theme.id
        or into.merged_into_id is not None
        or (into.period_start, into.period_end) != (theme.period_start, theme.period_end)
    ):
        raise InputError({"into": _("Vælg et andet tema fra samme periode.")})
    theme.merged_into_id = into.id if into else None
    if into is not None:  # one level only: what was merged into theme now joins into
        for child in db.session.scalars(select(Theme).where(Theme.merged_into_id == theme.id)):
            child.merged_into_id = into.id
    db.session.flush()
