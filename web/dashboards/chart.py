"""The HR overview's chart: participation per area as a server-rendered SVG.

Drawn with matplotlib's SVG backend through ``Figure`` (no pyplot, so it is safe in a threaded
web process), text kept as text, no timestamp. matplotlib escapes the area names it writes.
The page wraps the SVG as one image with a text alternative (``text_alternative``) and shows the
same figures as a table, so nothing depends on seeing the chart.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from flask_babel import format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from web.dashboards.queries import AreaParticipation
from web.security import LITERAL_TEXT_RC, svg_without_inline_styles

BLUE = "#0059b3"  # Det Fælles Designsystem's primary colour
_RC = {**LITERAL_TEXT_RC, "svg.fonttype": "none", "svg.hashsalt": "aktorskab-overview",
       "font.family": "DejaVu Sans", "font.size": 10,
       "axes.spines.top": False, "axes.spines.right": False}


def area_label(row: AreaParticipation) -> str:
    if row.merged_names:
        return _("Øvrige områder samlet")
    return row.label or _("Uden for et område")


def participation_svg(rows: Sequence[AreaParticipation]) -> Markup | None:
    """A horizontal bar per shown row: the share of members who contributed (0-100 %)."""
    shown = [r for r in rows if r.share is not None]
    if not shown:
        return None
    import matplotlib  # imported when needed: most requests draw nothing
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7, 0.4 * len(shown) + 1.0))
        ax = fig.subplots()
        positions = list(range(len(shown)))
        values = [100 * (r.share or 0) for r in shown]
        ax.barh(positions, values, color=BLUE)
        ax.set_yticks(positions, [textwrap.fill(area_label(r), 28) for r in shown])
        ax.invert_yaxis()  # top to bottom, like the table
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("Andel der har bidraget"))
        for position, row, value in zip(positions, shown, values, strict=True):
            ax.text(min(value + 1, 90), position, format_percent(row.share or 0), va="center")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    # The SVG alone, with its styles as attributes (the pages' CSP has no 'unsafe-inline').
    # matplotlib writes text through its XML writer, which escapes it.
    return Markup(svg_without_inline_styles(svg[svg.index("<svg"):]))  # noqa: S704


def text_alternative(rows: Sequence[AreaParticipation]) -> str:
    """What the chart shows, in words: one clause per bar."""
    parts = [
        _("%(area)s: %(share)s (%(contributors)s af %(members)s)", area=area_label(r),
          share=format_percent(r.share or 0), contributors=r.contributors, members=r.members)
        for r in rows if r.share is not None
    ]
    return _("Andel af medlemmerne, der har bidraget, pr. område: %(list)s.",
             list="; ".join(parts))
