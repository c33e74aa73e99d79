"""The dashboard's charts: SVG drawn by pygal, in shades of grey with values printed on them and dashed lines
told apart by pattern, so they still read when printed in black and white. No chart carries data alone: the
page repeats every number in a table beside it. pygal's tooltip script is switched off (``js=[]``)."""

from __future__ import annotations

import pygal
from markupsafe import Markup
from pygal.etree import etree
from pygal.style import Style

from bot.dashboard.views import Numbers

GREYS = ("#1a1a1a", "#8c8c8c", "#4d4d4d", "#bfbfbf", "#333333", "#a6a6a6", "#666666", "#d9d9d9", "#000000")
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#000000",
    foreground_strong="#000000",
    foreground_subtle="#666666",
    colors=GREYS,
    font_family="sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=11,
    value_colors=("#ffffff",),
    legend_font_size=12,
    title_font_size=14,
    opacity=".9",
    opacity_hover=".9",
    transition="0s",
)
COMMON = {
    "style": STYLE,
    "js": [],
    "width": 720,
    "height": 320,
    "disable_xml_declaration": True,
    "no_data_text": "No data yet",
}


def _svg(chart) -> Markup:
    """The chart as inline SVG without pygal's configuration script (the page allows no script but its refresh);
    the tree is serialised by (lxml's or the standard) etree, which escapes every label."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return Markup(etree.tostring(root, encoding="unicode"))  # noqa: S704 - serialised (and escaped) by etree


def per_slot(series: list[tuple[str, int]]) -> Markup:
    chart = pygal.Bar(**COMMON, show_legend=False, print_values=True, x_label_rotation=-45 if len(series) > 12 else 0,
                      y_title="meetings", min_scale=1, show_minor_x_labels=len(series) <= 24,
                      x_labels_major_every=max(1, len(series) // 12))  # fmt: skip
    chart.x_labels = [label for label, _ in series]
    chart.add("Meetings", [count for _, count in series])
    return _svg(chart)


def by_type(numbers: Numbers) -> Markup:
    """A dot matrix: asking type down, asked type across, dot size the number of requests."""
    kinds = numbers.org_types
    chart = pygal.Dot(**COMMON, show_legend=False, x_label_rotation=-30, print_values=True)
    chart.x_labels = [kind or "no profile" for kind in kinds]
    for asker in kinds:
        chart.add(f"asked by {asker or 'no profile'}", [numbers.by_type.get((asker, asked), 0) or None for asked in kinds])
    return _svg(chart)


def per_hour(rows: list[tuple[str, int, int]]) -> Markup:
    chart = pygal.Line(**COMMON, x_label_rotation=-45, legend_at_bottom=True, y_title="messages", min_scale=1,
                       show_minor_x_labels=len(rows) <= 24, x_labels_major_every=max(1, len(rows) // 12))  # fmt: skip
    chart.x_labels = [label for label, _, _ in rows]
    chart.add("sent", [sent for _, sent, _ in rows], stroke_style={"width": 3})
    chart.add("failed", [failed for _, _, failed in rows], stroke_style={"width": 3, "dasharray": "8, 5"}, dots_size=5)
    return _svg(chart)
