"""The report's interactive figures (plotly), one function per figure.

Every function takes prepared results (:class:`~crossings.report.data.ResultSet`)
and returns a :class:`ReportFigure`, or None when there is nothing to draw.
The static exports in :mod:`crossings.report.static` redraw the same data
with matplotlib.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crossings.report import geo
from crossings.report.data import (
    MAP_CATEGORIES,
    OUTCOME_COLUMN,
    Place,
    PolicySpan,
    ResultSet,
    is_year,
    sankey_column,
)

FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
    "size": 13,
}
TEMPLATE = "plotly_white"
SEX_COLOURS = {"total": "#1f4e79", "female": "#b5367c", "male": "#2f8f5b"}
SEX_LABELS = {"total": "total", "female": "women", "male": "men"}
POLICY_COLOURS = (
    "#88CCEE",
    "#CC6677",
    "#DDCC77",
    "#117733",
    "#332288",
    "#AA4499",
    "#44AA99",
    "#999933",
    "#882255",
    "#661100",
    "#6699CC",
    "#888888",
)
WHATIF_COLOURS = (
    "#1f4e79",
    "#d95f02",
    "#7570b3",
    "#1b9e77",
    "#e7298a",
    "#66a61e",
    "#a6761d",
    "#666666",
)
PLACE_STYLE: dict[str, tuple[str, str, str]] = {
    "origin": ("circle-open", "#555555", "origin (home province)"),
    "border": ("triangle-down-open", "#ff7f0e", "border crossing point (leaving)"),
    "hideout": ("circle", "#f2b447", "hiding place"),
    "transit": ("hexagon", "#4bb04b", "transit country"),
    "destination": ("star", "#1a7a1a", "destination"),
    "detention": ("x", "#d62728", "detention (abroad or labour centre)"),
    "crossing": ("triangle-up", "#e377c2", "repatriation crossing"),
    "interrogation": ("diamond", "#9467bd", "interrogation / holding centre"),
    "camp": ("square", "#67001f", "political prison camp"),
    "prison": ("square-x", "#b2182b", "prison"),
    "home": ("circle-dot", "#1f77b4", "home town"),
    "abroad": ("circle-open-dot", "#7f7f7f", "abroad"),
    "sea": ("circle-open", "#1f77b4", "sea"),
    "other": ("circle", "#999999", "other place"),
}
"""Place kind → (plotly marker symbol, colour, legend label)."""

MAP_REGION = (60.0, 160.0, -10.0, 70.0)
"""lon min, lon max, lat min, lat max covered by the shipped basemap."""


@dataclass
class ReportFigure:
    """A figure of the report.

    Attributes:
        slug: File-name-safe id (used for the HTML element and exported files).
        title: Title shown above the figure.
        figure: The plotly figure.
        caption: A sentence under the figure saying what it shows.
    """

    slug: str
    title: str
    figure: go.Figure
    caption: str = ""


# ----------------------------------------------------------------- helpers
def _esc(text: str) -> str:
    """Text for plotly labels (which read a little HTML)."""
    return html.escape(text, quote=False)


def _rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` → ``rgba(r,g,b,alpha)``."""
    c = colour.lstrip("#")
    r, g, b = int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    return f"rgba({r},{g},{b},{alpha})"


def above_plot(height: int, margin: dict[str, int], from_top: int) -> float:
    """The paper ``y`` of a point ``from_top`` pixels below the top of a figure."""
    plot = height - margin.get("t", 100) - margin.get("b", 60)
    return 1.0 + (margin.get("t", 100) - from_top) / max(plot, 1)


def _base_layout(fig: go.Figure, title: str, height: int, top: int = 100) -> None:
    """Shared look: title in the top-left corner, a horizontal legend under it."""
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=height,
        title={
            "text": _esc(title),
            "x": 0.01,
            "xanchor": "left",
            "y": 1.0,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 16},
        },
        margin={"l": 70, "r": 30, "t": top, "b": 60},
        hovermode="closest",
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "left",
            "x": 0.0,
            "font": {"size": 12},
        },
    )


def policy_colour(i: int) -> str:
    """Colour of the ``i``-th policy span."""
    return POLICY_COLOURS[i % len(POLICY_COLOURS)]


def _shade_policies(fig: go.Figure, spans: Sequence[PolicySpan], rows: Sequence[int]) -> None:
    """Light shading of every policy span behind the data panels (one-column subplots)."""
    shapes = list(fig.layout.shapes or [])
    for r in rows:
        suffix = "" if r == 1 else str(r)
        for i, sp in enumerate(spans):
            shapes.append(
                {
                    "type": "rect",
                    "xref": f"x{suffix}",
                    "yref": f"y{suffix} domain",
                    "x0": sp.start.isoformat(),
                    "x1": sp.end.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": policy_colour(i),
                    "opacity": 0.06,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    fig.update_layout(shapes=shapes)


def label_anchor(sp: PolicySpan, lo: dt.date, hi: dt.date) -> tuple[dt.date, bool]:
    """Where to write a policy's name: at its start (reading right) or its end (reading left).

    Names of spans that start in the later half of the axis end at the span's
    end so that they stay inside the plot.
    """
    mid = lo + (hi - lo) / 2
    if sp.start <= mid:
        return max(sp.start, lo), True
    return min(sp.end, hi), False


def _policy_strip(
    fig: go.Figure, spans: Sequence[PolicySpan], row: int, lo: dt.date, hi: dt.date
) -> None:
    """The policy timeline in its own panel: a coloured bar per policy, its name above."""
    xs_r: list[dt.date] = []
    ys_r: list[float] = []
    tx_r: list[str] = []
    xs_l: list[dt.date] = []
    ys_l: list[float] = []
    tx_l: list[str] = []
    for i, sp in enumerate(spans):
        last = sp.end - dt.timedelta(days=1)
        fig.add_trace(
            go.Scatter(
                x=[sp.start, sp.end],
                y=[i, i],
                mode="lines",
                line={"color": policy_colour(i), "width": 7},
                showlegend=False,
                name=_esc(sp.name),
                hovertemplate=(
                    f"<b>{_esc(sp.name)}</b><br>{sp.start:%d %b %Y} – {last:%d %b %Y}"
                    "<extra>policy</extra>"
                ),
            ),
            row=row,
            col=1,
        )
        at, rightwards = label_anchor(sp, lo, hi)
        label = _esc(sp.name)
        if rightwards:
            xs_r.append(at)
            ys_r.append(i - 0.18)
            tx_r.append(label)
        else:
            xs_l.append(at)
            ys_l.append(i - 0.18)
            tx_l.append(label)
    for xs, ys, tx, pos in ((xs_r, ys_r, tx_r, "top right"), (xs_l, ys_l, tx_l, "top left")):
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    text=tx,
                    mode="text",
                    textposition=pos,
                    textfont={"size": 11, "color": "#333"},
                    hoverinfo="skip",
                    showlegend=False,
                    name="policy names",
                    cliponaxis=False,
                ),
                row=row,
                col=1,
            )
    fig.update_yaxes(
        row=row,
        col=1,
        range=[len(spans) - 0.4, -0.95],
        showgrid=False,
        showticklabels=False,
        zeroline=False,
        title_text="policies",
        fixedrange=True,
    )


def policy_timeline_figure(
    spans: Sequence[PolicySpan], lo: dt.date, hi: dt.date, title: str = "Policy timeline"
) -> go.Figure:
    """The policy timeline alone: a coloured bar per policy with its whole name above it.

    The same drawing as below the report's time series (names written at a
    span's start, or at its end for spans in the later half, so none is cut
    off); the web app's scenario page shows it.
    """
    fig = make_subplots(rows=1, cols=1)
    shown = visible_spans(spans, lo, hi)
    _policy_strip(fig, shown, 1, lo, hi)
    _base_layout(fig, title, _strip_height(shown) + 120, top=50)
    fig.update_yaxes(title_text="")
    fig.update_xaxes(title_text="date", range=[lo, hi], type="date")
    fig.update_layout(margin={"l": 20, "r": 20, "t": 50, "b": 60}, showlegend=False)
    return fig


def visible_spans(spans: Sequence[PolicySpan], lo: dt.date, hi: dt.date) -> list[PolicySpan]:
    """The policy spans that overlap the dates from ``lo`` to ``hi``."""
    return [sp for sp in spans if sp.end > lo and sp.start <= hi]


def _strip_height(spans: Sequence[PolicySpan]) -> int:
    return 30 * len(spans) + 24


def _year_date(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=7, day=1)


def _band(
    x: Sequence[Any],
    lo: Sequence[float],
    hi: Sequence[float],
    colour: str,
    name: str,
    group: str | None,
    visible: bool = True,
    showlegend: bool = True,
) -> list[go.Scatter]:
    """Two traces drawing a filled 5–95% band."""
    upper = go.Scatter(
        x=list(x),
        y=list(hi),
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        legendgroup=group,
        visible=visible,
    )
    lower = go.Scatter(
        x=list(x),
        y=list(lo),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=_rgba(colour, 0.2),
        name=_esc(name),
        legendgroup=group,
        hoverinfo="skip",
        visible=visible,
        showlegend=showlegend,
    )
    return [upper, lower]


# ----------------------------------------------------------------- 1. observed
def observation_figure(rs: ResultSet, series: str) -> ReportFigure | None:
    """Simulated median and 5–95% band against observed values, one series per year.

    A selector switches between total, women and men; the policy timeline is
    shaded behind and drawn as labelled bars below.
    """
    obs = rs.observations
    sel = obs[(obs["series"] == series) & obs["year"].map(is_year)]
    if sel.empty:
        return None
    kind = str(sel["kind"].iloc[0]) if "kind" in sel.columns else "count"
    unit = str(sel["unit"].iloc[0]) if "unit" in sel.columns else "people"
    share = kind == "share"
    scale = 100.0 if share else 1.0
    ytitle = f"{unit} (%)" if share else f"{unit} per year"
    title = rs.series_title(series)
    sexes = [s for s in ("total", "female", "male") if s in set(sel["sex"].astype(str))]
    years = sorted({int(y) for y in sel["year"]})
    lo, hi = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    pad = dt.timedelta(days=max(60, round((hi - lo).days * 0.02)))
    spans = visible_spans(rs.policy_spans(), lo, hi)
    rows = 2 if spans else 1
    main_h = 430
    strip_h = _strip_height(spans) if spans else 0
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[main_h, strip_h] if spans else None,
    )
    shown = sexes[0]
    groups: list[str] = []
    few = len(years) < FEW_POINTS or not _consecutive(years)
    for sex in sexes:
        d = sel[sel["sex"] == sex].copy()
        d["y"] = d["year"].astype(int)
        d = d.sort_values("y")
        x = [_year_date(int(y)) for y in d["y"]]
        c = SEX_COLOURS[sex]
        vis = sex == shown
        lab = SEX_LABELS[sex]
        med = list(d["simulated"] * scale)
        traces: list[go.Scatter] = []
        if rs.banded and not few:
            traces += _band(
                x,
                list(d["simulated_p05"] * scale),
                list(d["simulated_p95"] * scale),
                c,
                f"simulated 5–95% ({lab})",
                None,
                vis,
            )
        error = (
            {
                "type": "data",
                "symmetric": False,
                "array": [hi - m for hi, m in zip(d["simulated_p95"] * scale, med, strict=True)],
                "arrayminus": [
                    m - lo for lo, m in zip(d["simulated_p05"] * scale, med, strict=True)
                ],
                "color": c,
                "thickness": 1.5,
                "width": 6,
            }
            if rs.banded and few
            else None
        )
        what = "simulated median" if rs.banded else "simulated"
        traces.append(
            go.Scatter(
                x=x,
                y=med,
                mode="markers" if few else "lines",
                line={"color": c, "width": 2.5},
                marker={"color": c, "size": 9, "symbol": "diamond"},
                error_y=error,
                name=f"{what} ({lab})" + (" with 5–95%" if error else ""),
                visible=vis,
                hovertemplate=f"%{{x|%Y}}: %{{y:,.1f}}<extra>{what}</extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=list(d["observed"] * scale),
                mode="markers",
                marker={"color": "white", "size": 9, "line": {"color": c, "width": 2}},
                name=f"observed ({lab})",
                visible=vis,
                hovertemplate="%{x|%Y}: %{y:,.1f}<extra>observed</extra>",
            )
        )
        for t in traces:
            fig.add_trace(t, row=1, col=1)
            groups.append(sex)
    if spans:
        _shade_policies(fig, spans, [1])
        _policy_strip(fig, spans, rows, lo, hi)
    n_data = len(groups)
    n_strip = len(fig.data) - n_data
    if len(sexes) > 1:
        buttons = []
        for choice in [*sexes, "all"]:
            vis_list = [choice in ("all", g) for g in groups] + [True] * n_strip
            buttons.append(
                {
                    "label": "all" if choice == "all" else SEX_LABELS[choice],
                    "method": "restyle",
                    "args": [{"visible": vis_list}],
                }
            )
        fig.update_layout(
            updatemenus=[
                {
                    "type": "buttons",
                    "direction": "right",
                    "buttons": buttons,
                    "showactive": True,
                    "x": 1.0,
                    "xanchor": "right",
                    "y": 1.0,
                    "yanchor": "bottom",
                    "pad": {"r": 0, "t": 0, "b": 2},
                }
            ]
        )
    _base_layout(fig, f"{title}: simulated vs observed", main_h + strip_h + 170)
    fig.update_yaxes(title_text=ytitle, rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title_text="year", row=rows, col=1)
    # the axis starts a little before the first year, so that its tick clears the y axis's 0
    fig.update_xaxes(
        tickformat="%Y", dtick="M24" if len(years) > 12 else "M12", range=[lo - pad, hi + pad]
    )
    sim = (
        (
            "Median of the runs (diamonds) with the 5–95% of runs (bars)"
            if few
            else "Median of the runs (line) with the 5–95% band of runs (shaded)"
        )
        if rs.banded
        else ("The simulated value (diamonds)" if few else "The simulated value (line)")
        + (", one run: no band" if not rs.expected else ", exact expected value: no band")
    )
    caption = f"{sim}, against the observed figure (circles)."
    if len(sexes) > 1:
        caption += " Buttons switch between total, women and men."
    if spans:
        caption += " Coloured spans and the bars below mark the scenario's policy timeline."
    return ReportFigure(f"observed-{slugify(series)}", title, fig, caption)


FEW_POINTS = 6
"""Series with fewer years (or with gaps) are drawn as points, never as a line."""


def _consecutive(years: Sequence[int]) -> bool:
    return all(b - a == 1 for a, b in itertools.pairwise(years))


def slugify(text: str) -> str:
    """A file-name-safe lower-case id."""
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(p for p in out.split("-") if p) or "x"


# ----------------------------------------------------------------- 2. outcomes
def wrap(text: str, width: int = 18) -> str:
    """A label broken into lines of about ``width`` characters (``<br>`` between them)."""
    return "<br>".join(_esc(line) for line in textwrap.wrap(text, width) or [""])


SANKEY_HEIGHT = 700
SANKEY_MARGIN = {"l": 16, "r": 16, "t": 96, "b": 12}
SANKEY_PAD = 30
"""Pixels between the nodes of a column (more where two labels need it)."""
SANKEY_LINE = 14
"""Pixels per line of a node's label (11 px text)."""
OUTCOME_GAP = 2.4
"""How much wider the gap before the outcome column is than the others (room for labels)."""


def _d3_ky(
    stages: Sequence[str], links: Sequence[tuple[str, str]], value: dict[str, float], h: float
) -> float:
    """Pixels per person as d3-sankey (plotly's layout) computes them.

    d3 puts each node in a layer (its longest path from a source; nodes without
    outgoing links in the last layer) and scales so that the most crowded
    layer, with :data:`SANKEY_PAD` between its nodes, fills the height.
    """
    succ: dict[str, set[str]] = {s: set() for s in stages}
    for a, b in links:
        succ[a].add(b)
    depth = dict.fromkeys(stages, 0)
    for _ in range(len(stages)):
        changed = False
        for a in stages:
            for b in succ[a]:
                if depth[b] < depth[a] + 1:
                    depth[b] = depth[a] + 1
                    changed = True
        if not changed:
            break
    last = max(depth.values(), default=0)
    layer: dict[int, list[str]] = {}
    for s in stages:
        layer.setdefault(depth[s] if succ[s] else last, []).append(s)
    most = max(len(m) for m in layer.values())
    pad = min(SANKEY_PAD, h / max(most - 1, 1))
    return min(
        (h - (len(m) - 1) * pad) / max(sum(value[s] for s in m), 1e-9) for m in layer.values()
    )


def sankey_positions(
    stages: Sequence[str],
    value: dict[str, float],
    links: Sequence[tuple[str, str]] = (),
    lines: dict[str, int] | None = None,
    height: float = 0.0,
) -> tuple[list[float], list[float]]:
    """Node positions (0–1) for the Sankey: columns by stage, stacked by size within one.

    Node heights are plotly's (:func:`_d3_ky`); the gaps between nodes leave
    room for their labels (``lines`` of text each), and the gap before the
    outcome column is wider, for the labels written on both sides of it.
    Plotly places a node's centre at ``(x, y)`` (``0`` means "not given", so
    positions stay inside 0.001–0.999).

    Args:
        stages: Node stages, in journey order.
        value: People through each node.
        links: The (source, target) pairs drawn.
        lines: Lines of each node's label (default 2).
        height: Height of the drawing in pixels (0: the default figure's).

    Returns:
        x and y of each node's centre.
    """
    h = height or SANKEY_HEIGHT - SANKEY_MARGIN["t"] - SANKEY_MARGIN["b"]
    lines = lines or {}
    cols = {s: sankey_column(s) for s in stages}
    used = sorted(set(cols.values()))
    steps = [OUTCOME_GAP if c == OUTCOME_COLUMN and i > 0 else 1.0 for i, c in enumerate(used)]
    steps[0] = 0.0
    cum = np.cumsum(steps)
    xpos = {c: 0.001 + 0.998 * float(cum[i]) / max(float(cum[-1]), 1.0) for i, c in enumerate(used)}
    ky = _d3_ky(stages, links, value, h) if links else 0.0
    if ky <= 0:
        ky = min(
            (h - (sum(1 for s in stages if cols[s] == c) - 1) * SANKEY_PAD)
            / max(sum(value[s] for s in stages if cols[s] == c), 1e-9)
            for c in used
        )
    ymap: dict[str, float] = {}
    for c in used:
        m = [s for s in stages if cols[s] == c]
        sizes = [value[s] * ky for s in m]
        want = [
            max(
                SANKEY_PAD,
                SANKEY_LINE * (lines.get(a, 2) + lines.get(b, 2)) / 2 + 4 - (sa + sb) / 2,
            )
            for a, b, sa, sb in zip(m, m[1:], sizes, sizes[1:], strict=False)
        ]
        room = h - sum(sizes)
        if want and sum(want) > room:
            want = [g * max(room, 0.0) / sum(want) for g in want]
        spare = (room - sum(want)) if want else 0.0
        extra = min(spare / max(len(want), 1), SANKEY_PAD) if want else 0.0
        top = 0.0
        for i, (s, size) in enumerate(zip(m, sizes, strict=True)):
            ymap[s] = min(max((top + size / 2) / h, 0.001), 0.999)
            top += size + (want[i] + extra if i < len(want) else 0.0)
    return [xpos[cols[s]] for s in stages], [ymap[s] for s in stages]


SHORT_STAGE_LABELS = {
    "entry": "set out",
    "bribed": "bribed out",
    "transit": "in a transit country",
    "repatriation": "handed over (sent back)",
    "again_out:sentence": "re-arrested or moved",
    "again_in:setout": "set out again (counted again)",
}
"""Shorter node names where the full one would not fit in the Sankey."""


def _node_label(rs: ResultSet, stage: str, people: float) -> str:
    """A node's label: its name wrapped to fit its column, the number of people at the edges."""
    col = sankey_column(stage)
    key = ":".join(stage.split(":")[:2]) if stage.startswith("again_in:") else stage
    name = SHORT_STAGE_LABELS.get(key) or rs.stage_label(stage)
    if stage == "start":
        name = f"there on {rs.run.start.day} {rs.run.start:%b %Y}"
    if col == OUTCOME_COLUMN:
        return wrap(f"{name}: {people:,.0f}", 22)
    if col == 0:
        return wrap(name, 13) + f"<br>{people:,.0f}"
    return wrap(name, 13)


def _sankey_trace(rs: ResultSet, links: pd.DataFrame, visible: bool = True) -> go.Sankey | None:
    """One Sankey trace of stage-to-stage links (``source, target, count``), every node named."""
    links = links[links["count"] >= 0.5]
    if links.empty:
        return None
    stages = sorted(
        set(links["source"]) | set(links["target"]),
        key=lambda s: (sankey_column(s), rs.stage_rank(s)),
    )
    index = {s: i for i, s in enumerate(stages)}
    inflow = links.groupby("target")["count"].sum()
    outflow = links.groupby("source")["count"].sum()
    value = {s: max(float(inflow.get(s, 0.0)), float(outflow.get(s, 0.0))) for s in stages}
    labels = {s: _node_label(rs, s, value[s]) for s in stages}
    pairs = list(zip(links["source"].astype(str), links["target"].astype(str), strict=True))
    xs, ys = sankey_positions(
        stages, value, pairs, {s: labels[s].count("<br>") + 1 for s in stages}
    )
    return go.Sankey(
        arrangement="fixed",
        valueformat=",.0f",
        valuesuffix=" people",
        visible=visible,
        textfont={"size": 11, "color": "#222"},
        node={
            "label": [labels[s] for s in stages],
            "color": [rs.stage_colour(s) for s in stages],
            "pad": SANKEY_PAD,
            "thickness": 12,
            "x": xs,
            "y": ys,
            "line": {"width": 0.5, "color": "#444"},
            "customdata": [_esc(rs.stage_label(s)) for s in stages],
            "hovertemplate": "%{customdata}<br>%{value:,.0f} people<extra></extra>",
        },
        link={
            "source": [index[s] for s in links["source"]],
            "target": [index[t] for t in links["target"]],
            "value": [float(v) for v in links["count"]],
            "color": [_rgba(rs.stage_colour(t), 0.35) for t in links["target"]],
            "hovertemplate": (
                "%{source.customdata} → %{target.customdata}<br>%{value:,.0f} people<extra></extra>"
            ),
        },
    )


def cohort_groups(
    years: Sequence[int], most: int = 30, width: int = 5
) -> list[tuple[str, list[int]]]:
    """Choices of the cohort selector: (label, entry years).

    Each entry year, or ``width``-year groups when there are more than ``most`` years.
    """
    if len(years) <= most:
        return [(str(y), [y]) for y in years]
    groups: dict[int, list[int]] = {}
    for y in years:
        groups.setdefault(y - y % width, []).append(y)
    return [
        (f"{g}–{g + width - 1}" if width > 1 else str(g), ys) for g, ys in sorted(groups.items())
    ]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _who(rs: ResultSet) -> str:
    """The population of a figure, for its title ("the people who left")."""
    name = rs.pop.name
    return "everyone in the model" if name == "everyone" else name


def sankey_figure(rs: ResultSet) -> ReportFigure | None:
    """Where the people of one population went: a Sankey without loops, per entry cohort.

    With ``cohort_flows.parquet`` a selector shows everyone or one entry
    year (group); bribed releases are their own outcome. Older folders get the
    whole-run moves.
    """
    years = rs.cohort_years()
    who = _who(rs)
    slug = "sankey" if rs.pop.headline else f"sankey-{slugify(rs.pop.id)}"
    common = (
        "In people (median over runs). Every link goes from left to right: a move back to "
        "an earlier stage (setting out again after release, a re-arrest) leaves on the "
        "right and comes in again on the left, so those people are counted again. The "
        "right-hand column shows where people are on the last day. Hover for numbers."
    )
    if not years:
        trace = _sankey_trace(rs, rs.sankey_links())
        if trace is None:
            return None
        fig = go.Figure(trace)
        _base_layout(fig, f"Where {who} went, whole run", SANKEY_HEIGHT, top=SANKEY_MARGIN["t"])
        fig.update_layout(margin=SANKEY_MARGIN, font={"size": 12})
        caption = "Every move between stages over the whole run. " + common
        return ReportFigure(slug, f"Where {who} went", fig, caption)
    choices: list[tuple[str, list[int] | None]] = [("all entry years", None)]
    choices += [(f"entered {lab}", list(ys)) for lab, ys in cohort_groups(years)]
    traces: list[go.Sankey] = []
    labels: list[str] = []
    for lab, ys in choices:
        t = _sankey_trace(rs, rs.sankey_links(ys), visible=not traces)
        if t is not None:
            traces.append(t)
            labels.append(lab)
    if not traces:
        return None
    fig = go.Figure(traces)
    buttons = [
        {
            "label": _esc(lab),
            "method": "restyle",
            "args": [{"visible": [j == i for j in range(len(traces))]}],
        }
        for i, lab in enumerate(labels)
    ]
    _base_layout(fig, f"Where {who} went", SANKEY_HEIGHT, top=SANKEY_MARGIN["t"])
    menu_y = above_plot(SANKEY_HEIGHT, SANKEY_MARGIN, 44)
    fig.update_layout(
        margin=SANKEY_MARGIN,
        font={"size": 12},
        updatemenus=[
            {
                "type": "dropdown",
                "direction": "down",
                "buttons": buttons,
                "active": 0,
                "showactive": True,
                "x": 1.0,
                "xanchor": "right",
                "y": menu_y,
                "yanchor": "top",
                "pad": {"r": 0, "t": 0},
            }
        ],
    )
    caption = (
        f"Every move made by {who}: all of them, or those who entered in the chosen year "
        f"(the selector). {common} 'Bribed out' is a release bought with a bribe rather than "
        "at the end of a term; what happens after release is shared between the two in "
        "proportion."
    )
    if rs.present_at_start() > 0:
        start = rs.run.start
        caption += (
            f" 'There on {start.day} {start:%b %Y}' are the people already there when the "
            "simulation starts (in the first year's cohort)."
        )
    return ReportFigure(slug, f"Where {who} went, by entry cohort", fig, caption)


def cohort_figure(rs: ResultSet) -> ReportFigure | None:
    """Where each entry cohort of a population is at the end: stacked bars, share or people."""
    co = rs.cohort_outcomes()
    if co.empty:
        return None
    stages = sorted({str(s) for s in co["stage"]}, key=rs.stage_rank)
    years = sorted({int(y) for y in co["cohort_year"]})
    fig = go.Figure()
    for st in stages:
        d = co[co["stage"] == st].set_index("cohort_year")["median"].reindex(years, fill_value=0)
        if float(d.max()) < 0.5:
            continue
        name = rs.stage_label(st)
        fig.add_trace(
            go.Bar(
                x=years,
                y=[float(v) for v in d],
                name=wrap(name, 34),
                marker_color=rs.stage_colour(st),
                hovertemplate=f"{_esc(name)}<br>entered %{{x}}: %{{y:,.0f}}<extra></extra>",
            )
        )
    who = _who(rs)
    _base_layout(fig, f"Where {who} are on the last day, by year of entry", 600, top=110)
    fig.update_layout(
        barmode="stack",
        bargap=0.15,
        barnorm="percent",
        legend={
            "orientation": "v",
            "x": 1.02,
            "y": 1.0,
            "yanchor": "top",
            "xanchor": "left",
            "font": {"size": 11},
            "traceorder": "reversed",
            "title": {"text": "on the last day"},
        },
        margin={"r": 250, "t": 110},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                "y": above_plot(600, {"t": 110, "b": 60}, 44),
                "yanchor": "top",
                "showactive": True,
                "active": 0,
                "pad": {"r": 0, "t": 0},
                "buttons": [
                    {
                        "label": "share of cohort",
                        "method": "relayout",
                        "args": [
                            {"barnorm": "percent", "yaxis.title.text": "share of the cohort (%)"}
                        ],
                    },
                    {
                        "label": "people",
                        "method": "relayout",
                        "args": [{"barnorm": "", "yaxis.title.text": "people"}],
                    },
                ],
            }
        ],
    )
    fig.update_xaxes(title_text="year of entry (cohort)", dtick=2 if len(years) > 14 else 1)
    fig.update_yaxes(title_text="share of the cohort (%)")
    caption = (
        f"Each bar is everyone of {who} who entered in that year (median over runs); "
        "colours show where they are on the last day. Buttons switch between shares and "
        "numbers of people."
    )
    if rs.present_at_start() > 0:
        caption += (
            f" The first bar also holds the {rs.present_at_start():,.0f} people already "
            "there when the simulation starts."
        )
    slug = "cohorts" if rs.pop.headline else f"cohorts-{slugify(rs.pop.id)}"
    return ReportFigure(slug, "Each cohort's fate", fig, caption)


# ----------------------------------------------------------------- 3. map
@dataclass(frozen=True)
class MapView:
    """A rectangle of the map: lon_min, lon_max, lat_min, lat_max."""

    lon0: float
    lon1: float
    lat0: float
    lat1: float

    def contains(self, lon: float, lat: float) -> bool:
        """Whether a point lies inside."""
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1

    @property
    def size(self) -> float:
        """The larger side, in degrees."""
        return max(self.lon1 - self.lon0, self.lat1 - self.lat0)


MAP_MAX_LINES = 14
"""Most moves drawn on one panel of the map (the largest)."""
MAP_MIN_SHARE = 0.02
"""Moves smaller than this share of the largest are not drawn."""
MAP_AFTER_RETURN = frozenset(
    {"interrogation", "classification", "sentence", "released", "home", "dead"}
)
"""State kinds whose outgoing moves (sentences, releases, setting out again) are not mapped."""


def _box(points: Sequence[Place], pad: float, least: tuple[float, float]) -> MapView:
    lons = [p.lon for p in points]
    lats = [p.lat for p in points]
    lon0, lon1 = min(lons) - pad, max(lons) + pad
    lat0, lat1 = min(lats) - pad, max(lats) + pad
    if lon1 - lon0 < least[0]:
        mid = (lon0 + lon1) / 2
        lon0, lon1 = mid - least[0] / 2, mid + least[0] / 2
    if lat1 - lat0 < least[1]:
        mid = (lat0 + lat1) / 2
        lat0, lat1 = mid - least[1] / 2, mid + least[1] / 2
    r = MapView(*MAP_REGION)
    return MapView(max(lon0, r.lon0), min(lon1, r.lon1), max(lat0, r.lat0), min(lat1, r.lat1))


def map_views(places: Sequence[Place], weight: dict[str, float]) -> list[MapView]:
    """The overview (every place with moves) and, where it helps, a close-up of the busiest.

    The close-up holds the places near the busiest one (within 4.5 degrees)
    through which at least a twentieth as many people move.
    """
    region = MapView(*MAP_REGION)
    inside = [p for p in places if region.contains(p.lon, p.lat)]
    if not inside:
        return []
    moved = [p for p in inside if weight.get(p.id, 0.0) > 0] or inside
    overview = _box(moved, 2.5, (12.0, 9.0))
    top = max((weight.get(p.id, 0.0) for p in moved), default=0.0)
    if top <= 0:
        return [overview]
    hub = max(moved, key=lambda p: weight.get(p.id, 0.0))
    busy = [
        p
        for p in moved
        if weight.get(p.id, 0.0) >= 0.05 * top
        and math.hypot(p.lon - hub.lon, p.lat - hub.lat) <= 4.5
    ]
    if not busy:
        return [overview]
    close = _box(busy, 0.9, (5.0, 3.5))
    if close.size > 0.5 * overview.size:
        return [overview]
    return [overview, close]


def labelled_places(
    places: Sequence[Place], weight: dict[str, float], view: MapView, spacing: float
) -> list[Place]:
    """Places to write names for: the busiest ones, none closer than ``spacing`` degrees."""
    chosen: list[Place] = []
    for p in sorted(places, key=lambda q: -weight.get(q.id, 0.0)):
        if not view.contains(p.lon, p.lat):
            continue
        if all(math.hypot(p.lon - q.lon, p.lat - q.lat) >= spacing for q in chosen):
            chosen.append(p)
    return chosen


def place_weights(pflows: pd.DataFrame) -> dict[str, float]:
    """People moving in or out of each place (sum of the flows that touch it)."""
    weight: dict[str, float] = {}
    for a, b, c in zip(pflows["source"], pflows["target"], pflows["count"], strict=True):
        weight[str(a)] = weight.get(str(a), 0.0) + float(c)
        weight[str(b)] = weight.get(str(b), 0.0) + float(c)
    return weight


def map_flows(rs: ResultSet, places: Sequence[Place]) -> pd.DataFrame:
    """The routes out and the hand-overs back: moves between places, largest first.

    Moves to or from places outside the basemap's region are left out, and
    so are the moves inside the home country after people are handed over
    (sentences, releases and setting out again: the Sankey shows them).
    """
    region = MapView(*MAP_REGION)
    inside = {p.id for p in places if region.contains(p.lon, p.lat)}
    pf = rs.place_flows(skip=MAP_AFTER_RETURN)
    keep = pf["source"].isin(inside) & pf["target"].isin(inside)
    return pf[keep].sort_values("count", ascending=False).reset_index(drop=True)


def _panel_flows(pflows: pd.DataFrame, by_id: dict[str, Place], view: MapView) -> pd.DataFrame:
    """The largest moves to draw on one panel (at least one end inside it)."""
    if pflows.empty:
        return pflows
    ends_in = [
        view.contains(by_id[str(a)].lon, by_id[str(a)].lat)
        or view.contains(by_id[str(b)].lon, by_id[str(b)].lat)
        for a, b in zip(pflows["source"], pflows["target"], strict=True)
    ]
    sel = pflows[ends_in]
    if sel.empty:
        return sel
    sel = sel[sel["count"] >= MAP_MIN_SHARE * float(sel["count"].max())]
    return sel.head(MAP_MAX_LINES)


def place_label(p: Place) -> str:
    """A short name for a place (before any parenthesis)."""
    return p.name.split(" (")[0]


def _merc(lat: float) -> float:
    """Latitude on Mercator's vertical scale, in degrees."""
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


Box = tuple[float, float, float, float]


class Labeller:
    """Places map labels where they overlap no other label, marker or the panel's edge.

    Positions are estimated in pixels for a panel ``width`` × ``height``
    pixels wide (plotly keeps Mercator's aspect, so the tighter side wins).

    Args:
        view: The panel's rectangle.
        width: Its width in pixels (an estimate at a laptop's width).
        height: Its height in pixels.
    """

    CHAR = 7.0
    LINE = 19.0
    POSITIONS = ("top center", "bottom center", "middle right", "middle left")

    def __init__(self, view: MapView, width: float, height: float) -> None:
        self.view = view
        span_y = _merc(view.lat1) - _merc(view.lat0)
        self.scale = max((view.lon1 - view.lon0) / width, span_y / height)
        self.w = (view.lon1 - view.lon0) / self.scale
        self.h = span_y / self.scale
        self.boxes: list[Box] = []

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """A point in pixels from the panel's lower-left corner."""
        return (lon - self.view.lon0) / self.scale, (
            _merc(lat) - _merc(self.view.lat0)
        ) / self.scale

    def block(self, lon: float, lat: float, size: float = 12.0) -> None:
        """Keep labels off a marker at a point."""
        x, y = self.xy(lon, lat)
        self.boxes.append((x - size / 2, y - size / 2, x + size / 2, y + size / 2))

    def _box(self, x: float, y: float, text: str, pos: str) -> Box:
        w, h = len(text) * self.CHAR + 4, self.LINE
        if pos == "top center":
            return x - w / 2, y + 5, x + w / 2, y + 5 + h
        if pos == "bottom center":
            return x - w / 2, y - 5 - h, x + w / 2, y - 5
        if pos == "middle right":
            return x + 7, y - h / 2, x + 7 + w, y + h / 2
        if pos == "middle center":
            return x - w / 2, y - h / 2, x + w / 2, y + h / 2
        return x - 7 - w, y - h / 2, x - 7, y + h / 2

    def place(
        self, lon: float, lat: float, text: str, positions: Sequence[str] = POSITIONS
    ) -> str | None:
        """The first free position for ``text`` at a point (it is then taken), or None."""
        x, y = self.xy(lon, lat)
        for pos in positions:
            b = self._box(x, y, text, pos)
            if b[0] < 0 or b[1] < 0 or b[2] > self.w or b[3] > self.h:
                continue
            if any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in self.boxes):
                continue
            self.boxes.append(b)
            return pos
        return None


def map_figure(rs: ResultSet) -> ReportFigure | None:
    """The main routes out and the crossings back, on a basemap of country outlines.

    The largest moves between places (median over runs, whole run; line
    width grows with the number of people), the places they join, labelled,
    and the camps and prisons. An overview and a close-up of the busiest area.
    """
    places = rs.places()
    if not places:
        return None
    pflows = map_flows(rs, places)
    weight = place_weights(pflows)
    views = map_views(places, weight)
    if not views:
        return None
    by_id = {p.id: p for p in places}
    n = len(views)
    fig = make_subplots(
        rows=1,
        cols=n,
        specs=[[{"type": "scattergeo"}] * n],
        column_widths=[0.42, 0.58] if n > 1 else None,
        horizontal_spacing=0.03,
        subplot_titles=["overview", "close-up of the busiest area"][:n],
    )
    lons, lats = geo.outline_path()
    vmax = float(pflows["count"].max()) if len(pflows) else 1.0
    legend_seen: set[str] = set()
    for col, view in enumerate(views, start=1):
        drawn = _panel_flows(pflows, by_id, view)
        fig.add_trace(
            go.Scattergeo(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": "#9a9a9a", "width": 0.8},
                fill="toself",
                fillcolor="#f3f1ec",
                name="country outlines (Natural Earth 1:110m)",
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        if col == 1 and n > 1:
            close = views[1]
            fig.add_trace(
                go.Scattergeo(
                    lon=[close.lon0, close.lon1, close.lon1, close.lon0, close.lon0],
                    lat=[close.lat0, close.lat0, close.lat1, close.lat1, close.lat0],
                    mode="lines",
                    line={"color": "#555555", "width": 1, "dash": "dot"},
                    name="close-up",
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=1,
                col=col,
            )
        numbers = _map_moves(fig, drawn, by_id, vmax, col, legend_seen, 0.2 * view.size)
        touched = {str(x) for x in drawn["source"]} | {str(x) for x in drawn["target"]}
        shown = [
            p
            for p in places
            if view.contains(p.lon, p.lat) and (p.id in touched or p.kind in ("camp", "prison"))
        ]
        _map_places(fig, shown, weight, col, legend_seen)
        frac = (0.42 if col == 1 else 0.58) if n > 1 else 1.0
        labeller = Labeller(view, 0.8 * 1180 * frac, 0.9 * 510)  # plotly letterboxes
        for p in shown:
            labeller.block(p.lon, p.lat)
        inset = views[1] if col == 1 and n > 1 else None
        lab: list[tuple[Place, str]] = []
        for p in sorted(shown, key=lambda q: -weight.get(q.id, 0.0)):
            if p.id not in touched or (inset is not None and inset.contains(p.lon, p.lat)):
                continue  # named in the close-up
            x, y = labeller.xy(p.lon, p.lat)
            near = any(
                math.hypot(x - qx, y - qy) < 14
                for qx, qy in (labeller.xy(q.lon, q.lat) for q, _ in lab)
            )
            if not near and (pos := labeller.place(p.lon, p.lat, place_label(p))):
                lab.append((p, pos))
        fig.add_trace(
            go.Scattergeo(
                lon=[p.lon for p, _ in lab],
                lat=[p.lat for p, _ in lab],
                text=[_esc(place_label(p)) for p, _ in lab],
                mode="text",
                textposition=[pos for _, pos in lab],
                textfont={"size": 11, "color": "#222"},
                hoverinfo="skip",
                showlegend=False,
                name="place names",
            ),
            row=1,
            col=col,
        )
        placed: list[tuple[float, float, str, str, str]] = []
        for lon, lat, text, colour in numbers:
            x, y = labeller.xy(lon, lat)
            crowded = any(
                math.hypot(x - qx, y - qy) < 30
                for qx, qy in (labeller.xy(q[0], q[1]) for q in placed)
            )  # two moves along one line: only the larger is numbered
            if not crowded and (pos := labeller.place(lon, lat, text)):
                placed.append((lon, lat, text, colour, pos))
        named = {place_label(p) for p, _ in lab}
        countries = [
            (x, y, c.name)
            for c in geo.countries()
            for x, y in [c.label_point()]
            if view.contains(x, y)
            and c.name not in named
            and labeller.place(x, y, c.name, ("middle center",))
        ]
        fig.add_trace(
            go.Scattergeo(
                lon=[x for x, _, _ in countries],
                lat=[y for _, y, _ in countries],
                text=[_esc(s) for _, _, s in countries],
                mode="text",
                name="country names",
                textfont={"color": "#a0a0a0", "size": 11},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        if placed:
            fig.add_trace(
                go.Scattergeo(
                    lon=[x[0] for x in placed],
                    lat=[x[1] for x in placed],
                    mode="text",
                    text=[x[2] for x in placed],
                    textfont={"size": 10, "color": [x[3] for x in placed]},
                    textposition=[x[4] for x in placed],
                    hoverinfo="skip",
                    showlegend=False,
                    name="people moved",
                ),
                row=1,
                col=col,
            )
        geo_key = "geo" if col == 1 else f"geo{col}"
        fig.update_layout(
            {
                geo_key: {
                    "projection": {"type": "mercator"},
                    "lonaxis": {"range": [view.lon0, view.lon1], "showgrid": False},
                    "lataxis": {"range": [view.lat0, view.lat1], "showgrid": False},
                    "showland": False,
                    "showocean": False,
                    "showlakes": False,
                    "showrivers": False,
                    "showcountries": False,
                    "showcoastlines": False,
                    "showsubunits": False,
                    "showframe": True,
                    "framecolor": "#888",
                    "bgcolor": "#dfeaf2",
                }
            }
        )
    _base_layout(fig, f"Main routes out and crossings back ({_who(rs)}, whole run)", 700)
    fig.update_layout(
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0.0, "font": {"size": 11}},
        margin={"l": 10, "r": 10, "t": 90, "b": 100},
    )
    off = [p.name for p in places if not MapView(*MAP_REGION).contains(p.lon, p.lat)]
    caption = (
        f"The largest moves between places over the whole run (at most {MAP_MAX_LINES} per "
        "panel; median over runs): line width grows with the number of people, the largest "
        "are numbered. Moves inside the home country after people are handed over "
        "(sentences, releases, setting out again) are not drawn: the chart of where people "
        "went shows them. Hover over a line's middle for its number. Country outlines: "
        "Natural Earth 1:110m (public domain), shipped with Crossings; no map tiles are loaded."
    )
    if off:
        caption += (
            f" Not on the map (outside East Asia), nor the moves to and from them: "
            f"{', '.join(off)}."
        )
    return ReportFigure("map", "The map", fig, caption)


def _map_moves(
    fig: go.Figure,
    drawn: pd.DataFrame,
    by_id: dict[str, Place],
    vmax: float,
    col: int,
    legend_seen: set[str],
    longest: float,
) -> list[tuple[float, float, str, str]]:
    """The moves of one panel: a line per move (width by people).

    Returns:
        The numbers to write at the middle of the largest moves at least
        ``longest`` degrees long (lon, lat, text, colour).
    """
    long_enough = [
        i
        for i, a, b in zip(drawn.index, drawn["source"], drawn["target"], strict=True)
        if math.hypot(by_id[str(a)].lon - by_id[str(b)].lon, by_id[str(a)].lat - by_id[str(b)].lat)
        >= longest
    ]
    numbered = set(long_enough[:5])
    out: list[tuple[float, float, str, str]] = []
    for cat, (cat_label, colour) in MAP_CATEGORIES.items():
        sel = drawn[drawn["category"] == cat]
        if sel.empty:
            continue
        mid_lon, mid_lat, mid_text, num_lon, num_lat, num_text = [], [], [], [], [], []
        for i, (a, b, v) in zip(
            sel.index, zip(sel["source"], sel["target"], sel["count"], strict=True), strict=True
        ):
            pa, pb = by_id[str(a)], by_id[str(b)]
            width = max(1.5, 1.5 + 10 * math.sqrt(float(v) / vmax))
            fig.add_trace(
                go.Scattergeo(
                    lon=[pa.lon, pb.lon],
                    lat=[pa.lat, pb.lat],
                    mode="lines",
                    line={"color": _rgba(colour, 0.6), "width": width},
                    name=_esc(cat_label),
                    legendgroup=cat,
                    hoverinfo="skip",
                    showlegend=cat not in legend_seen,
                ),
                row=1,
                col=col,
            )
            legend_seen.add(cat)
            mid_lon.append(pa.lon + 0.5 * (pb.lon - pa.lon))
            mid_lat.append(pa.lat + 0.5 * (pb.lat - pa.lat))
            mid_text.append(
                f"{_esc(pa.name)} → {_esc(pb.name)}<br>{float(v):,.0f} people ({_esc(cat_label)})"
            )
            if i in numbered:
                num_lon.append(mid_lon[-1])
                num_lat.append(mid_lat[-1])
                num_text.append(f"{float(v):,.0f}")
        fig.add_trace(
            go.Scattergeo(
                lon=mid_lon,
                lat=mid_lat,
                mode="markers",
                text=mid_text,
                marker={"size": 9, "color": colour, "opacity": 0.0},
                legendgroup=cat,
                name=_esc(cat_label),
                showlegend=False,
                hovertemplate="%{text}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        out.extend((x, y, s, colour) for x, y, s in zip(num_lon, num_lat, num_text, strict=True))
    return out


def _map_places(
    fig: go.Figure, shown: Sequence[Place], weight: dict[str, float], col: int, seen: set[str]
) -> None:
    """Markers of the places of one panel, one trace per kind (legend once per kind)."""
    kinds = sorted(
        {p.kind for p in shown},
        key=lambda k: list(PLACE_STYLE).index(k) if k in PLACE_STYLE else 99,
    )
    for kind in kinds:
        ps = [p for p in shown if p.kind == kind]
        symbol, colour, label = PLACE_STYLE.get(kind, PLACE_STYLE["other"])
        big = kind in ("camp", "prison", "crossing", "interrogation")
        fig.add_trace(
            go.Scattergeo(
                lon=[p.lon for p in ps],
                lat=[p.lat for p in ps],
                mode="markers",
                marker={
                    "symbol": symbol,
                    "color": colour,
                    "size": 11 if big else 9,
                    "line": {"width": 1.2, "color": colour if "open" in symbol else "white"},
                },
                name=_esc(label),
                legendgroup="place-" + kind,
                showlegend=("place-" + kind) not in seen,
                text=[
                    f"<b>{_esc(p.name)}</b><br>{_esc(label)}<br>"
                    f"{weight.get(p.id, 0.0):,.0f} moves in or out (drawn routes)"
                    for p in ps
                ],
                hovertemplate="%{text}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        seen.add("place-" + kind)


# ----------------------------------------------------------------- 4. stocks
STOCK_PANELS = (
    ("hiding", "People hiding abroad"),
    ("detained", "Detention queue (held abroad before being sent back)"),
    ("sentence", "People serving each sentence"),
)


def stocks_figure(
    rs: ResultSet, title: str | None = None, *, timeline: bool = True
) -> ReportFigure | None:
    """Monthly stocks of one population (median and 5–95% over runs), the policy timeline below.

    Panels: people hiding abroad, the detention queue and one line per
    sentence (on a log scale, switchable, when their sizes differ widely).
    ``title`` names a population shown apart (context); ``timeline`` draws the
    policy timeline below (and shades it behind).
    """
    lines = rs.stock_lines()
    if not lines:
        return None
    panels = [(k, t) for k, t in STOCK_PANELS if any(line[0] == k for line in lines)]
    lo = pd.Timestamp(rs.stocks["date"].min()).date()
    hi = pd.Timestamp(rs.stocks["date"].max()).date()
    spans = visible_spans(rs.policy_spans(), lo, hi) if timeline else []
    n = len(panels) + (1 if spans else 0)
    panel_h = 280
    heights = [panel_h] * len(panels) + ([_strip_height(spans)] if spans else [])
    titles = [_esc(t) for _, t in panels] + (["Policy timeline"] if spans else [])
    gap = 70
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=gap / (sum(heights) + gap * (n - 1)),
        row_heights=heights,
        subplot_titles=titles,
    )
    log_row = 0
    log_top = 1.0
    for r, (key, _title) in enumerate(panels, start=1):
        mine = [line for line in lines if line[0] == key]
        for i, (_, lkey, label, frame) in enumerate(mine):
            colour = rs.stage_colour(lkey) if lkey.startswith("sentence:") else rs.stage_colour(key)
            if len(mine) > 1 and not lkey.startswith("sentence:"):
                colour = WHATIF_COLOURS[i % len(WHATIF_COLOURS)]
            x = list(pd.to_datetime(frame["date"]))
            for t in _band(
                x,
                list(frame["p05"]),
                list(frame["p95"]),
                colour,
                f"{label}: 5–95% of runs",
                lkey,
                showlegend=False,
            ):
                fig.add_trace(t, row=r, col=1)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=list(frame["median"]),
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=wrap(label, 32),
                    legendgroup=lkey,
                    showlegend=key == "sentence",
                    hovertemplate=f"{_esc(label)}<br>%{{x|%b %Y}}: %{{y:,.0f}}<extra></extra>",
                ),
                row=r,
                col=1,
            )
        fig.update_yaxes(title_text="people", rangemode="tozero", row=r, col=1)
        peaks = sorted(float(frame["median"].max()) for *_, frame in mine)
        if key == "sentence" and len(peaks) > 1 and peaks[-1] > 20 * max(peaks[0], 1.0):
            log_row = r
            log_top = math.log10(max(float(frame["p95"].max()) for *_, frame in mine)) + 0.15
    if spans:
        _shade_policies(fig, spans, list(range(1, len(panels) + 1)))
        _policy_strip(fig, spans, n, lo, hi)
    fig.update_xaxes(title_text="date (end of month)", row=n, col=1)
    fig.update_xaxes(range=[lo, hi])
    _base_layout(
        fig,
        title or f"{_cap(_who(rs))}: in hiding, waiting to be sent back, in camps and prisons",
        sum(heights) + gap * (n - 1) + 160,
        top=100,
    )
    sentence_row = next((r for r, (k, _) in enumerate(panels, start=1) if k == "sentence"), 0)
    if sentence_row:
        axis = "yaxis" if sentence_row == 1 else f"yaxis{sentence_row}"
        top = float(fig.layout[axis].domain[1])
        fig.update_layout(
            legend={
                "orientation": "v",
                "x": 1.01,
                "xanchor": "left",
                "y": top,
                "yanchor": "top",
                "font": {"size": 11},
                "title": {"text": "sentences"},
            },
            margin={"r": 240},
        )
    if log_row:
        axis = "yaxis" if log_row == 1 else f"yaxis{log_row}"
        top = float(fig.layout[axis].domain[1])
        log_range = [-0.1, log_top]  # from about one person: below, medians are zero
        fig.update_yaxes(
            type="log",
            title_text="people (log scale)",
            range=log_range,
            rangemode="normal",
            dtick=1,
            row=log_row,
            col=1,
        )
        fig.update_layout(
            updatemenus=[
                {
                    "type": "buttons",
                    "direction": "right",
                    "x": 1.0,
                    "xanchor": "right",
                    "y": top,
                    "yanchor": "bottom",
                    "showactive": True,
                    "active": 0,
                    "pad": {"r": 0, "t": 0, "b": 4},
                    "font": {"size": 11},
                    "buttons": [
                        {
                            "label": "log scale",
                            "method": "relayout",
                            "args": [
                                {
                                    f"{axis}.type": "log",
                                    f"{axis}.range": log_range,
                                    f"{axis}.dtick": 1,
                                    f"{axis}.title.text": "people (log scale)",
                                }
                            ],
                        },
                        {
                            "label": "linear",
                            "method": "relayout",
                            "args": [
                                {
                                    f"{axis}.type": "linear",
                                    f"{axis}.autorange": True,
                                    f"{axis}.dtick": None,
                                    f"{axis}.title.text": "people",
                                }
                            ],
                        },
                    ],
                }
            ]
        )
    caption = "End-of-month stocks: median over runs (lines) and 5–95% of runs (shaded)" + (
        "; the policy timeline is shaded behind and drawn below." if spans else "."
    )
    if not rs.banded:
        caption = (
            "End-of-month stocks"
            + (" of one run (no band)" if not rs.expected else " (exact expected values)")
            + ("; the policy timeline is shaded behind and drawn below." if spans else ".")
        )
    if log_row:
        caption += (
            " Sentences differ in size by orders of magnitude, so their panel starts "
            "on a log scale (buttons switch to linear)."
        )
    slug = "stocks" if rs.pop.headline else f"stocks-{slugify(rs.pop.id)}"
    return ReportFigure(slug, title or "Stocks over time", fig, caption)


# ----------------------------------------------------------------- 5. estimates
def estimates_figure(rs: ResultSet) -> ReportFigure | None:
    """Model estimates of what nobody counts (``estimates.csv``), by quantity and sex."""
    est = rs.estimates
    if est is not None:
        # yearly rows only: the totals over the span ("all years", "yearly mean") are tabled
        est = est[[is_year(y) for y in est["year"]]]
        est = est.assign(year=est["year"].astype(int))
    if est is None or est.empty:
        return None
    quantities = list(dict.fromkeys(str(q) for q in est["quantity"]))
    cols = 2 if len(quantities) > 1 else 1
    nrows = math.ceil(len(quantities) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[
            _esc(_cap(rs.scenario.estimates.get(q, q.replace("_", " ")))) for q in quantities
        ],
        vertical_spacing=0.12,
        horizontal_spacing=0.08,
    )
    seen: set[str] = set()
    for i, q in enumerate(quantities):
        r, c = i // cols + 1, i % cols + 1
        d = est[est["quantity"] == q]
        for sex in sorted(
            {str(s) for s in d["sex"]},
            key=lambda s: list(SEX_COLOURS).index(s) if s in SEX_COLOURS else 9,
        ):
            ds = d[d["sex"] == sex].sort_values("year")
            colour = SEX_COLOURS.get(sex, "#555555")
            x = [int(y) for y in ds["year"]]
            lab = SEX_LABELS.get(sex, sex)
            for t in _band(
                x,
                list(ds["p05"]),
                list(ds["p95"]),
                colour,
                f"5–95% ({lab})",
                "est-" + sex,
                showlegend=sex not in seen,
            ):
                fig.add_trace(t, row=r, col=c)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=list(ds["p50"]),
                    mode="lines+markers",
                    line={"color": colour},
                    name=f"model estimate, median ({lab})",
                    legendgroup="est-" + sex,
                    showlegend=sex not in seen,
                    hovertemplate="%{x}: %{y:,.0f}<extra>model estimate</extra>",
                ),
                row=r,
                col=c,
            )
            seen.add(sex)
        fig.update_yaxes(title_text="people (model estimate)", rangemode="tozero", row=r, col=c)
        fig.update_xaxes(title_text="year", row=r, col=c)
    _base_layout(fig, "Model estimates of what is not counted", 360 * nrows + 140)
    caption = (
        "These are model estimates (calibrated to what is counted), not observations: "
        "median and 5–95% credible band."
    )
    return ReportFigure("estimates", "Model estimates", fig, caption)


# ----------------------------------------------------------------- 6. what-if
WHATIF_PANELS = (
    ("arrivals", "Arrivals in safety per year", "people per year"),
    ("hiding", "People hiding abroad", "people"),
    ("detained", "Detention queue", "people"),
    ("sentence", "People serving sentences (all)", "people"),
)


def whatif_figure(sets: Sequence[ResultSet]) -> ReportFigure | None:
    """Arrivals and key stocks of several result folders overlaid, one colour each."""
    if len(sets) < 2:
        return None
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[t for _, t, _ in WHATIF_PANELS],
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    for i, rs in enumerate(sets):
        colour = WHATIF_COLOURS[i % len(WHATIF_COLOURS)]
        for j, (key, _title, unit) in enumerate(WHATIF_PANELS):
            r, c = j // 2 + 1, j % 2 + 1
            kind = "arrived" if key == "arrivals" else key
            if not rs.has_kind(kind):
                continue
            table = rs.entries_by_year(kind) if key == "arrivals" else rs.stock_by_kind(kind)
            if table.shape[1] == 0:
                continue
            values = table.to_numpy(dtype=float)
            q = np.quantile(values, [0.5, 0.05, 0.95], axis=0, method="linear")
            x = (
                [_year_date(int(y)) for y in table.columns]
                if key == "arrivals"
                else list(pd.to_datetime(list(table.columns)))
            )
            group = f"set{i}"
            for t in _band(x, list(q[1]), list(q[2]), colour, "", group, showlegend=False):
                fig.add_trace(t, row=r, col=c)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=list(q[0]),
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=_esc(rs.label),
                    legendgroup=group,
                    showlegend=j == 0,
                    hovertemplate=(f"{_esc(rs.label)}<br>%{{x|%Y-%m}}: %{{y:,.0f}}<extra></extra>"),
                ),
                row=r,
                col=c,
            )
            fig.update_yaxes(title_text=unit, rangemode="tozero", row=r, col=c)
            fig.update_xaxes(title_text="year" if key == "arrivals" else "date", row=r, col=c)
    _base_layout(
        fig, "What-if comparison: medians (lines) and 5–95% of runs (shaded)", 800, top=120
    )
    fig.update_layout(legend={"y": 1.07, "yanchor": "bottom"})
    return ReportFigure(
        "whatif",
        "What-if comparison",
        fig,
        "One colour per results folder; the first is the baseline.",
    )
