"""The HR overview's chart: participation per area as a server-rendered SVG.

Drawn in the charts' one style (``web.charts``). The page wraps the SVG as one image with a
text alternative (``text_alternative``) and shows the same figures as a table, so nothing
depends on seeing the chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from flask_babel import format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from web import charts
from web.dashboards.queries import AreaParticipation


def area_label(row: AreaParticipation) -> str:
    if row.merged_names:
        return _("Øvrige områder samlet")
    return row.label or _("Uden for et område")


def participation_svg(rows: Sequence[AreaParticipation]) -> Markup | None:
    """A horizontal bar per shown row: the share of members who contributed (0-100 %)."""
    shown = [r for r in rows if r.share is not None]
    if not shown:
        return None
    with charts.style(**{"font.size": 10}):
        fig = charts.figure(7, 0.4 * len(shown) + 1.0)
        ax = fig.subplots()
        positions = list(range(len(shown)))
        values = [100 * (r.share or 0) for r in shown]
        ax.barh(positions, values, color=charts.BLUE)
        ax.set_yticks(positions, [textwrap.fill(area_label(r), 28) for r in shown])
        ax.invert_yaxis()  # top to bottom, like the table
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Andel der har bidraget"))
        for position, row, value in zip(positions, shown, values, strict=True):
            ax.text(min(value + 1, 90), position, format_percent(row.share or 0), va="center")
        svg = charts.svg(fig)
    # matplotlib writes text through its XML writer, which escapes it.
    return Markup(svg)  # noqa: S704


def text_alternative(rows: Sequence[AreaParticipation]) -> str:
    """What the chart shows, in words: one clause per bar."""
    parts = [
        _(
            "%(area)s: %(share)s (%(contributors)s af %(members)s)",
            area=area_label(r),
            share=format_percent(r.share or 0),
            contributors=r.contributors,
            members=r.members,
        )
        for r in rows
        if r.share is not None
    ]
    return _("Andel af medlemmerne, der har bidraget, pr. område: %(list)s.", list="; ".join(parts))
