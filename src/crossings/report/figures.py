"""The report's interactive figures (plotly), one function per figure.

Every function takes prepared results (:class:`~crossings.report.data.ResultSet`)
and returns a :class:`ReportFigure`, or None when there is nothing to draw.
The static exports in :mod:`crossings.report.static` redraw the same data
with matplotlib.
"""

from __future__ import annotations

import datetime as dt
import html
import math
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
    Place,
    PolicySpan,
    ResultSet,
    is_year,
    stage_base,
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


def short(text: str, n: int = 44) -> str:
    """Shorten a label to ``n`` characters with an ellipsis."""
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


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
        label = _esc(short(sp.name, 70))
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
    for sex in sexes:
        d = sel[sel["sex"] == sex].copy()
        d["y"] = d["year"].astype(int)
        d = d.sort_values("y")
        x = [_year_date(int(y)) for y in d["y"]]
        c = SEX_COLOURS[sex]
        vis = sex == shown
        lab = SEX_LABELS[sex]
        traces = _band(
            x,
            list(d["simulated_p05"] * scale),
            list(d["simulated_p95"] * scale),
            c,
            f"simulated 5–95% ({lab})",
            None,
            vis,
        )
        traces.append(
            go.Scatter(
                x=x,
                y=list(d["simulated"] * scale),
                mode="lines",
                line={"color": c, "width": 2.5},
                name=f"simulated median ({lab})",
                visible=vis,
                hovertemplate="%{x|%Y}: %{y:,.1f}<extra>simulated median</extra>",
            )
        )
        traces.append(
            go.Scatter(
                x=x,
                y=list(d["observed"] * scale),
                mode="markers",
                marker={"color": "white", "size": 8, "line": {"color": c, "width": 2}},
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
    fig.update_xaxes(tickformat="%Y", dtick="M24" if len(years) > 12 else "M12", range=[lo, hi])
    caption = (
        "Median of the runs (line) with the 5–95% band of runs (shaded) against the "
        "observed figure (circles). Buttons switch between total, women and men."
        if len(sexes) > 1
        else "Median of the runs (line) with the 5–95% band of runs (shaded) against the "
        "observed figure (circles)."
    )
    if spans:
        caption += " Coloured spans and the bars below mark the scenario's policy timeline."
    return ReportFigure(f"observed-{slugify(series)}", title, fig, caption)


def slugify(text: str) -> str:
    """A file-name-safe lower-case id."""
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(p for p in out.split("-") if p) or "x"


# ----------------------------------------------------------------- 2. outcomes
SANKEY_COLUMNS: dict[str, int] = {
    "entry": 0,
    "crossing": 1,
    "delegation": 1,
    "hiding": 2,
    "abroad": 2,
    "route": 3,
    "detained": 3,
    "transit": 4,
    "repatriation": 4,
    "travel": 4,
    "interrogation": 5,
    "classification": 6,
    "sentence": 7,
    "released": 9,
    "bribed": 9,
    "home": 9,
    "arrived": 9,
    "dead": 9,
    "exited": 9,
    "held_end": 9,
    "abroad_end": 9,
}
"""Left-to-right column of each stage in the Sankey diagram (the order of a journey)."""


def sankey_positions(
    stages: Sequence[str], value: dict[str, float]
) -> tuple[list[float], list[float]]:
    """Node positions (0–1) for the Sankey: columns by stage, stacked by size within one.

    Args:
        stages: Node stages, in journey order.
        value: People through each node.

    Returns:
        x and y of each node's centre.
    """
    cols = {s: SANKEY_COLUMNS.get(stage_base(s), 5) for s in stages}
    used = sorted(set(cols.values()))
    # keep the gaps of missing columns small but the last column (outcomes) well apart
    rank = {c: i for i, c in enumerate(used)}
    span = max(len(used) - 1, 1) + (1 if len(used) > 2 else 0)
    xpos = {
        c: 0.001 + 0.998 * (rank[c] + (1 if c == used[-1] and len(used) > 2 else 0)) / span
        for c in used
    }
    totals = {c: sum(value[s] for s in stages if cols[s] == c) for c in used}
    biggest = max(totals.values()) or 1.0
    xs, ys = [], []
    for c in used:
        members = [s for s in stages if cols[s] == c]
        gap = 0.04 if len(members) > 1 else 0.0
        scale = (1.0 - gap * (len(members) - 1)) / biggest
        top = 0.0
        for s in members:
            h = value[s] * scale
            ys.append((s, min(max(top + h / 2, 0.001), 0.999)))
            top += h + gap
    ymap = dict(ys)
    for s in stages:
        xs.append(xpos[cols[s]])
    return xs, [ymap[s] for s in stages]


def _sankey_trace(rs: ResultSet, links: pd.DataFrame, visible: bool = True) -> go.Sankey | None:
    """One Sankey trace of stage-to-stage links (``source, target, count``)."""
    links = links[links["count"] >= 0.5]
    if links.empty:
        return None
    stages = sorted(set(links["source"]) | set(links["target"]), key=rs.stage_rank)
    index = {s: i for i, s in enumerate(stages)}
    inflow = links.groupby("target")["count"].sum()
    outflow = links.groupby("source")["count"].sum()
    value = {s: max(float(inflow.get(s, 0.0)), float(outflow.get(s, 0.0))) for s in stages}
    xs, ys = sankey_positions(stages, value)
    # small nodes go unlabelled (hover names them); entries are all "entered"
    big = max(value.values()) * 0.004
    labels = [
        ("entered" if s.startswith("entry:") else _esc(short(rs.stage_label(s), 32)))
        if value[s] >= big
        else ""
        for s in stages
    ]
    colours = [rs.stage_colour(s) for s in stages]
    return go.Sankey(
        arrangement="snap",
        valueformat=",.0f",
        valuesuffix=" people",
        visible=visible,
        node={
            "label": labels,
            "color": colours,
            "pad": 12,
            "thickness": 14,
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


def sankey_figure(rs: ResultSet) -> ReportFigure | None:
    """Moves between stages as a Sankey diagram (median over runs), per entry cohort.

    With ``cohort_flows.parquet`` a selector shows all cohorts or one entry
    year (group); bribed releases are their own outcome. Older folders get the
    whole-run moves.
    """
    years = rs.cohort_years()
    if not years:
        trace = _sankey_trace(rs, rs.stage_flows())
        if trace is None:
            return None
        fig = go.Figure(trace)
        _base_layout(fig, "Moves between stages, whole run (median over runs)", 790, top=90)
        fig.update_layout(margin={"l": 20, "r": 50, "t": 90, "b": 20}, font={"size": 12})
        caption = (
            "Every move between stages over the whole run, in people (median over "
            "runs; moves within a stage are left out, and someone who goes round "
            "again counts again). The 'entered' nodes on the left include people "
            "already there at the start. The nodes on the right show the outcomes, "
            "including people still held or still abroad on the last day. Drag nodes "
            "to untangle; hover for numbers."
        )
        return ReportFigure("sankey", "Where everyone went", fig, caption)
    choices: list[tuple[str, list[int] | None]] = [("all cohorts", None)]
    choices += [(lab, list(ys)) for lab, ys in cohort_groups(years)]
    traces: list[go.Sankey] = []
    labels: list[str] = []
    for lab, ys in choices:
        t = _sankey_trace(rs, rs.cohort_stage_flows(ys), visible=not traces)
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
    _base_layout(fig, "Outcomes per entry cohort (median over runs)", 790, top=90)
    fig.update_layout(
        margin={"l": 20, "r": 50, "t": 90, "b": 20},
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
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"r": 0, "t": 0, "b": 4},
            }
        ],
        annotations=[
            {
                "text": "entry cohort:",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.83,
                "xanchor": "right",
                "y": 1.0,
                "yanchor": "bottom",
                "yshift": 6,
            }
        ],
    )
    caption = (
        "Every move made by the people who entered in the chosen year (or all years), "
        "in people (median over runs; moves within a stage are left out, and someone "
        "who goes round again counts again). The nodes on the right show the outcomes: "
        "arrived, died, released, 'bribed out' (released by a bribe rather than at the "
        "end of a term) and those still held or still abroad on the last day. The "
        "selector picks the entry cohort; 'all cohorts' includes people already there "
        "at the start. Drag nodes to untangle; hover for numbers."
    )
    return ReportFigure("sankey", "Where everyone ended up, by entry cohort", fig, caption)


def cohort_figure(rs: ResultSet) -> ReportFigure | None:
    """Where each entry cohort is at the end: stacked bars, people or share."""
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
        lab = _esc(short(rs.stage_label(st), 40))
        fig.add_trace(
            go.Bar(
                x=years,
                y=[float(v) for v in d],
                name=lab,
                marker_color=rs.stage_colour(st),
                hovertemplate=f"{lab}<br>entered %{{x}}: %{{y:,.0f}}<extra></extra>",
            )
        )
    _base_layout(fig, "Where each year's entrants are at the end (median over runs)", 580, top=90)
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
        margin={"r": 280},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.02,
                "yanchor": "bottom",
                "showactive": True,
                "active": 0,
                "pad": {"r": 0, "t": 0, "b": 2},
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
        "Each bar is everyone who entered in that year (the first year includes people "
        "present at the start, such as camp populations); colours show where they are "
        "on the last day. Buttons switch between shares and numbers of people."
    )
    return ReportFigure("cohorts", "Each cohort's fate", fig, caption)


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


def map_views(places: Sequence[Place], weight: dict[str, float]) -> list[MapView]:
    """The overview (all places in the basemap's region) and, if it helps, a close-up.

    The close-up is centred on the flow-weighted median of the places.
    """
    region = MapView(*MAP_REGION)
    inside = [p for p in places if region.contains(p.lon, p.lat)]
    if not inside:
        return []
    lons = [p.lon for p in inside]
    lats = [p.lat for p in inside]
    pad = 3.0
    view = MapView(
        max(min(lons) - pad, region.lon0),
        min(max(lons) + pad, region.lon1),
        max(min(lats) - pad, region.lat0),
        min(max(lats) + pad, region.lat1),
    )
    views = [view]
    w = np.array([weight.get(p.id, 0.0) + 1e-9 for p in inside])
    order_lon = np.argsort(lons)
    order_lat = np.argsort(lats)

    def wmedian(values: list[float], order: Any) -> float:
        cum = np.cumsum(w[order])
        return float(np.asarray(values)[order][np.searchsorted(cum, cum[-1] / 2)])

    clon, clat = wmedian(lons, order_lon), wmedian(lats, order_lat)
    half_lon, half_lat = 6.0, 4.0
    if view.lon1 - view.lon0 > 3 * half_lon or view.lat1 - view.lat0 > 3 * half_lat:
        views.append(MapView(clon - half_lon, clon + half_lon, clat - half_lat, clat + half_lat))
    return views


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
    """Moves between places, without those to or from places outside the basemap's region."""
    region = MapView(*MAP_REGION)
    inside = {p.id for p in places if region.contains(p.lon, p.lat)}
    pf = rs.place_flows()
    return pf[pf["source"].isin(inside) & pf["target"].isin(inside)]


def place_label(p: Place) -> str:
    """A short name for a place (before any parenthesis)."""
    return short(p.name.split(" (")[0], 26)


def map_figure(rs: ResultSet) -> ReportFigure | None:
    """Places and the moves between them on a basemap of country outlines.

    Line width grows with the number of people moving (median over runs, whole
    run); repatriation crossings, interrogation centres and camps have their
    own symbols. An overview and a close-up of the busiest area.
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
    titles = ["overview", "close-up of the busiest area"][:n]
    fig = make_subplots(
        rows=1,
        cols=n,
        specs=[[{"type": "scattergeo"}] * n],
        column_widths=[0.5, 0.5][:n] if n > 1 else None,
        horizontal_spacing=0.02,
        subplot_titles=titles,
    )
    lons, lats = geo.outline_path()
    vmax = float(pflows["count"].max()) if len(pflows) else 1.0
    for col, view in enumerate(views, start=1):
        first = col == 1
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
        names, clon, clat = [], [], []
        for c in geo.countries():
            x, y = c.label_point()
            if view.contains(x, y):
                names.append(_esc(c.name))
                clon.append(x)
                clat.append(y)
        fig.add_trace(
            go.Scattergeo(
                lon=clon,
                lat=clat,
                text=names,
                mode="text",
                name="country names",
                textfont={"color": "#9a9a9a", "size": 11},
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        # moves: one trace per category and width class
        for cat, (cat_label, colour) in MAP_CATEGORIES.items():
            sel = pflows[pflows["category"] == cat]
            if sel.empty:
                continue
            widths = [max(1, round(1 + 11 * math.sqrt(float(v) / vmax))) for v in sel["count"]]
            mid_lon, mid_lat, mid_text = [], [], []
            shown = False
            for w in sorted(set(widths)):
                lo: list[float | None] = []
                la: list[float | None] = []
                for (a, b, v), ww in zip(
                    zip(sel["source"], sel["target"], sel["count"], strict=True),
                    widths,
                    strict=True,
                ):
                    if ww != w:
                        continue
                    pa, pb = by_id[str(a)], by_id[str(b)]
                    lo += [pa.lon, pb.lon, None]
                    la += [pa.lat, pb.lat, None]
                    mid_lon.append(pa.lon + 0.55 * (pb.lon - pa.lon))
                    mid_lat.append(pa.lat + 0.55 * (pb.lat - pa.lat))
                    mid_text.append(
                        f"{_esc(pa.name)} → {_esc(pb.name)}<br>"
                        f"{float(v):,.0f} people ({_esc(cat_label)})"
                    )
                fig.add_trace(
                    go.Scattergeo(
                        lon=lo,
                        lat=la,
                        mode="lines",
                        line={"color": _rgba(colour, 0.6), "width": w},
                        name=_esc(cat_label),
                        legendgroup=cat,
                        hoverinfo="skip",
                        showlegend=first and not shown,
                    ),
                    row=1,
                    col=col,
                )
                shown = True
            fig.add_trace(
                go.Scattergeo(
                    lon=mid_lon,
                    lat=mid_lat,
                    mode="markers",
                    text=mid_text,
                    marker={"size": 7, "color": colour, "opacity": 0.0},
                    legendgroup=cat,
                    name=_esc(cat_label),
                    showlegend=False,
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        # places by kind
        kinds = sorted(
            {p.kind for p in places},
            key=lambda k: list(PLACE_STYLE).index(k) if k in PLACE_STYLE else 99,
        )
        for kind in kinds:
            ps = [p for p in places if p.kind == kind and view.contains(p.lon, p.lat)]
            if not ps:
                continue
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
                        "size": 12 if big else 9,
                        "line": {"width": 1.2, "color": colour if "open" in symbol else "white"},
                    },
                    name=_esc(label),
                    legendgroup="place-" + kind,
                    showlegend=first,
                    text=[
                        f"<b>{_esc(p.name)}</b><br>{_esc(label)}<br>"
                        f"{weight.get(p.id, 0.0):,.0f} moves in or out"
                        for p in ps
                    ],
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        spacing = 0.16 * max(view.lon1 - view.lon0, view.lat1 - view.lat0)
        lab = labelled_places(places, weight, view, spacing)
        fig.add_trace(
            go.Scattergeo(
                lon=[p.lon for p in lab],
                lat=[p.lat for p in lab],
                text=[_esc(place_label(p)) for p in lab],
                mode="text",
                textposition="top center",
                textfont={"size": 11, "color": "#222"},
                hoverinfo="skip",
                showlegend=False,
                name="place names",
            ),
            row=1,
            col=col,
        )
        geo_key = "geo" if col == 1 else f"geo{col}"
        fig.update_layout(
            {
                geo_key: {
                    "projection": {"type": "mercator"},
                    "lonaxis": {
                        "range": [view.lon0, view.lon1],
                        "showgrid": True,
                        "gridcolor": "#eeeeee",
                        "dtick": 10 if col == 1 else 2,
                    },
                    "lataxis": {
                        "range": [view.lat0, view.lat1],
                        "showgrid": True,
                        "gridcolor": "#eeeeee",
                        "dtick": 10 if col == 1 else 2,
                    },
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
    _base_layout(fig, "Places and moves between them (whole run, median over runs)", 720)
    fig.update_layout(
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0.0, "font": {"size": 11}},
        margin={"l": 10, "r": 10, "t": 90, "b": 120},
    )
    off = [p.name for p in places if not MapView(*MAP_REGION).contains(p.lon, p.lat)]
    caption = (
        "Line width grows with the number of people moving between two places over "
        "the whole run (median over runs); hover over a line's end near its target "
        "for the number. Country outlines: Natural Earth 1:110m (public domain), "
        "shipped with Crossings; no map tiles are loaded."
    )
    if off:
        caption += (
            f" Not on the map (outside East Asia), nor the moves to and from them: "
            f"{', '.join(off)}."
        )
    return ReportFigure("map", "The map", fig, caption)


# ----------------------------------------------------------------- 4. stocks
STOCK_PANELS = (
    ("hiding", "People hiding abroad"),
    ("detained", "Detention queue (held abroad before being sent back)"),
    ("sentence", "People serving each sentence"),
)


def stocks_figure(rs: ResultSet) -> ReportFigure | None:
    """Monthly stocks (median and 5–95% band over runs) with the policy timeline.

    Panels: people hiding abroad, the detention queue and one line per
    sentence (on a log scale, switchable, when their sizes differ widely).
    """
    lines = rs.stock_lines()
    if not lines:
        return None
    panels = [(k, t) for k, t in STOCK_PANELS if any(line[0] == k for line in lines)]
    lo = pd.Timestamp(rs.stocks["date"].min()).date()
    hi = pd.Timestamp(rs.stocks["date"].max()).date()
    spans = visible_spans(rs.policy_spans(), lo, hi)
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
                    name=_esc(short(label, 46)),
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
        "People in hiding, waiting to be sent back and in camps and prisons",
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
            margin={"r": 270},
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
    caption = (
        "End-of-month stocks: median over runs (lines) and 5–95% of runs (shaded); the "
        "policy timeline is shaded behind and drawn below."
    )
    if log_row:
        caption += (
            " Sentences differ in size by orders of magnitude, so their panel starts "
            "on a log scale (buttons switch to linear)."
        )
    return ReportFigure("stocks", "Stocks over time", fig, caption)


# ----------------------------------------------------------------- 5. estimates
def estimates_figure(rs: ResultSet) -> ReportFigure | None:
    """Model estimates of what nobody counts (``estimates.csv``), by quantity and sex."""
    est = rs.estimates
    if est is None or est.empty:
        return None
    quantities = list(dict.fromkeys(str(q) for q in est["quantity"]))
    cols = 2 if len(quantities) > 1 else 1
    nrows = math.ceil(len(quantities) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[_esc(q) for q in quantities],
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
