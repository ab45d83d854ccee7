"""The charts of the dashboards and the reports: one style, one palette, one SVG writer.

Drawn with matplotlib's SVG backend through ``Figure`` (no pyplot, so it is safe in a threaded
web process and in any worker), text kept as text (``svg.fonttype: none``) and never parsed as
mathtext, no timestamp. matplotlib escapes the text it writes. A chart is embedded as inline
SVG with its CSS turned into presentation attributes: the pages' policy has no
``'unsafe-inline'`` for styles, and WeasyPrint reads SVG properties such as ``text-anchor`` as
attributes only. Every chart stands beside a table holding the same numbers and a text saying
what it shows, so nothing depends on seeing it.
"""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Det Fælles Designsystem's primary colour, and a second series' that tells apart in grey too
# (the second series is also hatched).
BLUE, ORANGE = "#0059b3", "#b35900"

# Without ``text.parse_math`` off, "$...$" in a name people typed (a unit, an area) is parsed as
# mathtext ("$x^{2}$" drawn as math, "$\\foo$" an error that fails the whole chart).
RC: dict[str, Any] = {
    "text.parse_math": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "aktorskab",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def style(**overrides: Any) -> AbstractContextManager:
    """The charts' rcParams (``overrides`` on top, e.g. a larger font on a page)."""
    import matplotlib  # imported when needed: most requests draw nothing

    return matplotlib.rc_context({**RC, **overrides})


def figure(width: float, height: float, *, layout: str | None = None) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout=layout)


def legend_below(fig: Figure, series: int) -> None:
    """The series' legend under the chart, outside the plot, in one row: inside the axes it
    covers bars (the four expectations' longest bars end where a legend would sit). Needs a
    figure made with ``layout="constrained"``, which makes room for it."""
    fig.legend(loc="outside lower center", ncols=series, frameon=False)


_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>\*\{([^}]*)\}</style>")
_SVG_ROOT = re.compile(r"<svg\b")
_SVG_IDS = re.compile(r'(\bid="|href="#|url\(#)')


def _declarations(css: str) -> str:
    pairs = (part.split(":", 1) for part in css.split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def without_inline_styles(svg: str) -> str:
    """matplotlib's SVG with its CSS turned into presentation attributes.

    SVG's presentation attributes (``fill="…"``, ``text-anchor="…"``) are not CSS and are
    allowed by the policy. matplotlib's one ``<style>`` rule (``*{stroke-linejoin: round; …}``)
    is inherited, so it moves to the root.
    """
    root_rules = "".join(_declarations(m.group(1)) for m in _STYLE_ELEMENT.finditer(svg))
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTRIBUTE.sub(lambda m: _declarations(m.group(1)), svg)
    return _SVG_ROOT.sub("<svg" + root_rules, svg, count=1)


def svg(fig: Figure, *, ids: str | None = None, root: str = "") -> str:
    """The figure as inline SVG: no XML prolog, no timestamp, styles as attributes.

    ``ids`` prefixes matplotlib's element ids (numbered per figure, "text_1"), so they stay
    unique in a document with several charts; ``root`` is added to the ``<svg>`` element's
    attributes (``role="img" aria-labelledby="…"``).
    """
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    if ids:
        text = _SVG_IDS.sub(lambda m: f"{m.group(1)}{ids}-", text)
    text = without_inline_styles(text)
    return _SVG_ROOT.sub(f"<svg {root}".rstrip(), text, count=1)
