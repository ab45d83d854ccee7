"""Chart legends sit outside the bars (issue 19, smaller points): the distribution charts
(four expectations, KKC) with two series put their legend under the plot, where no bar, bar
label or axis label can be under it, however long the bars are."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg

from web import charts
from web.reports.render import _distribution_figure
from web.vocabulary import KKC, Expectation

PROPERTY = settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
)


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@PROPERTY
@given(dimension=st.sampled_from([Expectation, KKC]), data=st.data())
def test_the_legend_covers_no_bar_and_no_text(app, dimension, data):
    counts = st.one_of(st.none(), st.integers(0, 5_000))
    view = {
        "name": "x",
        "title": "x",
        "sources": ["Handlinger", "Eksempler"],
        "rows": [(m.label, [data.draw(counts), data.draw(counts)]) for m in dimension],
    }
    with app.test_request_context("/"), charts.style():
        fig = _distribution_figure(view)
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
    [legend] = fig.legends
    box = legend.get_window_extent(renderer)
    [ax] = fig.axes
    assert box.y1 <= ax.get_tightbbox(renderer).y0 + 0.5  # below the plot and its labels
    for artist in (*ax.patches, *ax.texts, *ax.get_yticklabels(), *ax.get_xticklabels()):
        assert not overlaps(box, artist.get_window_extent(renderer)), artist
    assert [t.get_text() for t in legend.get_texts()] == ["Handlinger", "Eksempler"]
