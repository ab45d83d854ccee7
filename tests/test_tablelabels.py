"""Every cell of a stacked table carries its column's label (issue 19, point 5)."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from web.tablelabels import label_cells


class Cells(HTMLParser):
    """An independent reading: (data-title, colspan, in tbody) of every cell, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str | None, int]]] = []
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.rows[-1].append((attrs.get("data-title"), int(attrs.get("colspan") or 1)))

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False


labels = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip())
cell_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)


@st.composite
def tables(draw):
    header = draw(st.lists(labels, min_size=1, max_size=6))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        row, left = [], len(header)
        while left:
            span = draw(st.integers(1, left))
            row.append((draw(st.sampled_from(["td", "th"])), span, draw(cell_text)))
            left -= span
        rows.append(row)
    return header, rows


def render(header, rows) -> str:
    head = "".join(f'<th scope="col"><span>{escape(h)}</span></th>' for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<{tag}{f' colspan={span}' if span > 1 else ''}>{escape(text)}</{tag}>"
            for tag, span, text in row
        )
        + "</tr>\n"
        for row in rows
    )
    return (
        f'<p>before</p><table class="table table--responsive-headers"><thead><tr>{head}'
        f"</tr></thead><tbody>\n{body}</tbody></table><p>after</p>"
    )


@given(tables())
def test_every_body_cell_gets_the_labels_of_the_columns_it_covers(table):
    header, rows = table
    parser = Cells()
    parser.feed(label_cells(render(header, rows)))
    assert len(parser.rows) == len(rows)
    for got, row in zip(parser.rows, rows, strict=True):
        column = 0
        for (title, span), (_tag, _span, _text) in zip(got, row, strict=True):
            covered = [" ".join(h.split()) for h in header[column : column + span]]
            assert title == ", ".join(dict.fromkeys(covered))
            column += span


def test_a_cell_keeps_its_own_label_and_other_tables_are_untouched():
    page = (
        '<table class="table table--responsive-headers"><thead><tr><th>A</th><th>B</th>'
        '</tr></thead><tbody><tr><td data-title="Eget">1</td><td>2</td></tr></tbody></table>'
        '<table class="table"><thead><tr><th>C</th></tr></thead><tbody><tr><td>3</td></tr>'
        "</tbody></table>"
    )
    out = label_cells(page)
    assert '<td data-title="Eget">1</td><td data-title="B">2</td>' in out
    assert "<td>3</td>" in out
