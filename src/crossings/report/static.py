"""Static figures (PNG and SVG) drawn with matplotlib from the report's data.

These are simple redraws of the interactive figures, for papers and slides:
each observation series, the moves between stages (as bars: matplotlib has
no Sankey of this kind), each cohort's fate, the map, the stocks, model
estimates and the what-if comparison. The folder is written atomically.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from crossings.atomic import atomic_directory
from crossings.report import geo
from crossings.report.data import (
    MAP_CATEGORIES,
    OUTCOME_COLUMN,
    PolicySpan,
    ResultSet,
    is_year,
    sankey_column,
    yearly_series,
)
from crossings.report.errors import ReportError
from crossings.report.figures import (
    PLACE_STYLE,
    SEX_COLOURS,
    SEX_LABELS,
    STOCK_PANELS,
    WHATIF_COLOURS,
    WHATIF_PANELS,
    cohort_groups,
    label_anchor,
    labelled_places,
    map_flows,
    map_views,
    place_label,
    place_weights,
    policy_colour,
    slugify,
    visible_spans,
)

log = logging.getLogger(__name__)

EPOCH = dt.date(1970, 1, 1)
"""matplotlib's date epoch (set explicitly while drawing)."""

MPL_MARKERS: dict[str, tuple[str, bool]] = {
    "circle-open": ("o", False),
    "triangle-down-open": ("v", False),
    "circle": ("o", True),
    "hexagon": ("h", True),
    "star": ("*", True),
    "x": ("x", True),
    "triangle-up": ("^", True),
    "diamond": ("D", True),
    "square": ("s", True),
    "square-x": ("X", True),
    "circle-dot": ("o", True),
    "circle-open-dot": ("o", False),
}
"""plotly symbol → (matplotlib marker, filled)."""


def export_figures(sets: Sequence[ResultSet], out: Path) -> Path:
    """Write every figure of the report as PNG and SVG into ``out`` (atomically).

    Args:
        sets: Result sets; the first is the baseline.
        out: Target folder (replaced as a whole).

    Returns:
        The folder.

    Raises:
        ReportError: If the folder cannot be written.
    """

    def fill(d: Path) -> None:
        d.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a figures folder is not
        with mpl.rc_context(
            {
                "font.size": 10,
                "axes.titlesize": 11,
                "axes.labelsize": 10,
                "legend.fontsize": 8.5,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "svg.fonttype": "none",
                "figure.dpi": 100,
                "date.epoch": EPOCH.isoformat() + "T00:00:00",
            }
        ):
            for name, fig in _figures(sets):
                for ext in ("png", "svg"):
                    fig.savefig(d / f"{name}.{ext}", dpi=150 if ext == "png" else None)
                log.info("exported %s", name)

    try:
        return atomic_directory(out, fill)
    except OSError as exc:
        raise ReportError(f"cannot write figures to {out}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _figures(sets: Sequence[ResultSet]) -> list[tuple[str, Figure]]:
    sets = [rs.for_population() for rs in sets]  # the headline population of each
    base = sets[0]
    out: list[tuple[str, Figure]] = []
    for i, series in enumerate(yearly_series(base.observations), start=1):
        out.append((f"1-{i:02d}-observed-{slugify(series)}", observed(base, series)))
    for name, fig in (
        ("2-1-moves-between-stages", moves(base)),
        ("2-2-cohorts", cohorts(base)),
        ("2-3-cohort-outcomes", cohort_outcomes(base)),
        ("3-map", map_(base)),
        ("4-stocks", stocks(base)),
        ("5-estimates", estimates(base)),
        ("6-whatif", whatif(sets)),
    ):
        if fig is not None:
            out.append((name, fig))
    return out


def date2num(d: dt.date) -> float:
    """A date as matplotlib's number (days since the epoch set while drawing)."""
    return float((d - EPOCH).days)


def _timeline(ax: Axes, spans: Sequence[PolicySpan], lo: dt.date, hi: dt.date) -> None:
    """The policy timeline: a bar per policy with its name above (inside the axis)."""
    for i, sp in enumerate(spans):
        ax.barh(
            i,
            date2num(sp.end) - date2num(sp.start),
            left=date2num(sp.start),
            height=0.35,
            color=policy_colour(i),
        )
        at, rightwards = label_anchor(sp, lo, hi)
        ax.text(
            date2num(at),
            i - 0.25,
            sp.name,
            fontsize=7.5,
            va="bottom",
            ha="left" if rightwards else "right",
            color="#333333",
        )
    ax.set_ylim(len(spans) - 0.5, -1.0)
    ax.set_yticks([])
    ax.set_ylabel("policies")
    ax.spines["left"].set_visible(False)


def _shade(ax: Axes, spans: Sequence[PolicySpan]) -> None:
    for i, sp in enumerate(spans):
        ax.axvspan(date2num(sp.start), date2num(sp.end), color=policy_colour(i), alpha=0.08, lw=0)


def _stacked(
    n: int, ratios: Sequence[float], spans: Sequence[PolicySpan], width: float
) -> tuple[Figure, list[Axes], Axes | None]:
    """``n`` panels stacked over one time axis, and the policy timeline below them."""
    heights = [*ratios, 0.3 * len(spans) + 0.3] if spans else list(ratios)
    fig = Figure(figsize=(width, sum(heights) + 0.8), layout="constrained")
    gs = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    first = fig.add_subplot(gs[0, 0])
    axes = [first] + [fig.add_subplot(gs[r, 0], sharex=first) for r in range(1, n)]
    strip = fig.add_subplot(gs[n, 0], sharex=first) if spans else None
    return fig, axes, strip


def observed(rs: ResultSet, series: str) -> Figure:
    """One observation series: a panel per sex over one time axis, the policy timeline below."""
    obs = rs.observations
    sel = obs[(obs["series"] == series) & obs["year"].map(is_year)]
    share = "kind" in sel.columns and str(sel["kind"].iloc[0]) == "share"
    unit = str(sel["unit"].iloc[0]) if "unit" in sel.columns else "people"
    scale = 100.0 if share else 1.0
    sexes = [s for s in ("total", "female", "male") if s in set(sel["sex"].astype(str))]
    years = sorted({int(y) for y in sel["year"]})
    lo, hi = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    spans = visible_spans(rs.policy_spans(), lo, hi)
    fig, axes, strip = _stacked(len(sexes), [2.4] * len(sexes), spans, 10)
    for ax, sex in zip(axes, sexes, strict=True):
        d = sel[sel["sex"] == sex].assign(y=lambda f: f["year"].astype(int)).sort_values("y")
        x = np.asarray(
            [pd.Timestamp(year=int(y), month=7, day=1) for y in d["y"]], dtype="datetime64[ns]"
        )
        c = SEX_COLOURS[sex]
        _shade(ax, spans)
        ax.fill_between(
            x,
            d["simulated_p05"] * scale,
            d["simulated_p95"] * scale,
            color=c,
            alpha=0.2,
            lw=0,
            label="simulated 5–95%",
        )
        ax.plot(x, d["simulated"] * scale, color=c, lw=2, label="simulated median")
        ax.plot(x, d["observed"] * scale, "o", mfc="white", mec=c, mew=1.5, ms=5, label="observed")
        ax.set_title(SEX_LABELS[sex], loc="left")
        ax.set_ylabel(f"{unit} (%)" if share else f"{unit} per year")
        ax.set_ylim(bottom=0)
        ax.legend(loc="best", frameon=False)
    axes[0].set_xlim(date2num(lo), date2num(hi))
    if strip is not None:
        _timeline(strip, spans, lo, hi)
    (strip or axes[-1]).set_xlabel("year")
    fig.suptitle(f"{rs.series_title(series)}: simulated vs observed ({rs.label})")
    return fig


def moves(rs: ResultSet) -> Figure | None:
    """The largest moves between stages (the Sankey's links) as horizontal bars."""
    links = rs.sankey_links().sort_values("count", ascending=False).head(30)
    if links.empty:
        return None
    labels = [
        f"{rs.stage_label(a)} → {rs.stage_label(b)}"
        for a, b in zip(links["source"], links["target"], strict=True)
    ]
    fig = Figure(figsize=(10, 0.28 * len(links) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(range(len(links)), links["count"], color=[rs.stage_colour(t) for t in links["target"]])
    ax.set_yticks(range(len(links)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("people, whole run (median over runs)")
    ax.set_title(f"Largest moves between stages ({rs.label})")
    return fig


def cohorts(rs: ResultSet) -> Figure | None:
    """Stacked bars: where each entry cohort is at the end."""
    co = rs.cohort_outcomes()
    if co.empty:
        return None
    stages = sorted({str(s) for s in co["stage"]}, key=rs.stage_rank)
    years = sorted({int(y) for y in co["cohort_year"]})
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(len(years))
    for st in stages:
        d = co[co["stage"] == st].set_index("cohort_year")["median"].reindex(years, fill_value=0)
        v = d.to_numpy(dtype=float)
        if v.max() < 0.5:
            continue
        ax.bar(years, v, bottom=bottom, color=rs.stage_colour(st), label=rs.stage_label(st))
        bottom += v
    ax.set_xlabel("year of entry (cohort)")
    ax.set_ylabel("people (median over runs)")
    ax.set_title(f"Where each year's entrants are at the end ({rs.label})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def cohort_outcomes(rs: ResultSet) -> Figure | None:
    """Stacked bars: the Sankey's outcome nodes (arrived, released, bribed out, …) per cohort.

    None for folders without ``cohort_flows.parquet``.
    """
    years = rs.cohort_years()
    if not years:
        return None
    groups = cohort_groups(years)
    rows: dict[str, list[float]] = {}
    for i, (_, ys) in enumerate(groups):
        links = rs.sankey_links(ys)
        ends = links[links["target"].map(lambda t: sankey_column(str(t)) == OUTCOME_COLUMN)]
        for target, count in ends.groupby("target")["count"].sum().items():
            rows.setdefault(str(target), [0.0] * len(groups))[i] += float(count)
    if not rows:
        return None
    x = np.arange(len(groups))
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(len(groups))
    for st in sorted(rows, key=rs.stage_rank):
        v = np.asarray(rows[st], dtype=float)
        ax.bar(x, v, bottom=bottom, color=rs.stage_colour(st), label=rs.stage_label(st))
        bottom += v
    ax.set_xticks(x, [lab for lab, _ in groups], rotation=90 if len(groups) > 12 else 0, fontsize=8)
    ax.set_xlabel("year of entry (cohort)")
    ax.set_ylabel("people (median over runs)")
    ax.set_title(f"Outcomes of each entry cohort, incl. bribed out ({rs.label})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def map_(rs: ResultSet) -> Figure | None:
    """Places and moves on the country outlines: overview and close-up."""
    places = rs.places()
    if not places:
        return None
    pflows = map_flows(rs, places)
    weight = place_weights(pflows)
    views = map_views(places, weight)
    if not views:
        return None
    by_id = {p.id: p for p in places}
    vmax = float(pflows["count"].max()) if len(pflows) else 1.0
    fig = Figure(figsize=(7 * len(views), 7.5), layout="constrained")
    axes = [fig.add_subplot(1, len(views), i + 1) for i in range(len(views))]
    for n, (ax, view) in enumerate(zip(axes, views, strict=True)):
        ax.set_facecolor("#dfeaf2")
        for c in geo.countries():
            for ring in c.rings:
                xs, ys = zip(*ring, strict=True)
                ax.fill(xs, ys, facecolor="#f3f1ec", edgecolor="#9a9a9a", lw=0.6)
            x, y = c.label_point()
            if view.contains(x, y):
                ax.text(
                    x,
                    y,
                    c.name,
                    color="#8a8a8a",
                    fontsize=8,
                    ha="center",
                    style="italic",
                    clip_on=True,
                )
        for cat, (label, colour) in MAP_CATEGORIES.items():
            sel = pflows[pflows["category"] == cat]
            first = True
            for a, b, v in zip(sel["source"], sel["target"], sel["count"], strict=True):
                pa, pb = by_id[str(a)], by_id[str(b)]
                ax.plot(
                    [pa.lon, pb.lon],
                    [pa.lat, pb.lat],
                    color=colour,
                    alpha=0.55,
                    lw=0.5 + 7 * math.sqrt(float(v) / vmax),
                    solid_capstyle="round",
                    label=label if first and n == 0 else None,
                )
                first = False
        for kind in sorted({p.kind for p in places}):
            ps = [p for p in places if p.kind == kind and view.contains(p.lon, p.lat)]
            if not ps:
                continue
            symbol, colour, label = PLACE_STYLE.get(kind, PLACE_STYLE["other"])
            marker, filled = MPL_MARKERS.get(symbol, ("o", True))
            style: dict[str, Any] = (
                {"c": colour}
                if marker in ("x", "+")
                else {"facecolors": colour if filled else "none", "edgecolors": colour}
            )
            ax.scatter(
                [p.lon for p in ps],
                [p.lat for p in ps],
                marker=marker,
                s=45,
                linewidths=1.2,
                zorder=5,
                label=label if n == 0 else None,
                **style,
            )
        spacing = 0.16 * max(view.lon1 - view.lon0, view.lat1 - view.lat0)
        for p in labelled_places(places, weight, view, spacing):
            ax.annotate(
                place_label(p),
                (p.lon, p.lat),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                zorder=6,
            )
        ax.set_xlim(view.lon0, view.lon1)
        ax.set_ylim(view.lat0, view.lat1)
        mid = math.radians((view.lat0 + view.lat1) / 2)
        ax.set_aspect(1 / math.cos(mid))
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
        ax.set_title("overview" if n == 0 else "close-up of the busiest area")
    fig.legend(loc="outside lower center", ncols=4, frameon=False)
    fig.suptitle(
        f"Places and moves between them, whole run ({rs.label}); outlines: Natural Earth 1:110m"
    )
    return fig


def stocks(rs: ResultSet) -> Figure | None:
    """Monthly stocks in panels (hiding, detention queue, sentences) and the timeline."""
    lines = rs.stock_lines()
    if not lines:
        return None
    panels = [(k, t) for k, t in STOCK_PANELS if any(line[0] == k for line in lines)]
    lo = pd.Timestamp(rs.stocks["date"].min()).date()
    hi = pd.Timestamp(rs.stocks["date"].max()).date()
    spans = visible_spans(rs.policy_spans(), lo, hi)
    fig, axes, strip = _stacked(len(panels), [2.6] * len(panels), spans, 11)
    for ax, (key, title) in zip(axes, panels, strict=True):
        _shade(ax, spans)
        mine = [x for x in lines if x[0] == key]
        for i, (_, lkey, label, frame) in enumerate(mine):
            colour = (
                rs.stage_colour(lkey)
                if lkey.startswith("sentence:")
                else WHATIF_COLOURS[i % len(WHATIF_COLOURS)]
            )
            x = np.asarray(pd.to_datetime(frame["date"]), dtype="datetime64[ns]")
            ax.fill_between(x, frame["p05"], frame["p95"], color=colour, alpha=0.2, lw=0)
            ax.plot(x, frame["median"], color=colour, lw=1.6, label=label)
        ax.set_title(title, loc="left")
        ax.set_ylabel("people")
        ax.set_ylim(bottom=0)
        peaks = sorted(float(frame["median"].max()) for *_, frame in mine)
        if key == "sentence" and len(peaks) > 1 and peaks[-1] > 20 * max(peaks[0], 1.0):
            ax.set_yscale("log")
            ax.set_ylim(bottom=0.8)
            ax.set_ylabel("people (log scale)")
        if key == "sentence":
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes[0].set_xlim(date2num(lo), date2num(hi))
    if strip is not None:
        _timeline(strip, spans, lo, hi)
    (strip or axes[-1]).set_xlabel("date (end of month)")
    fig.suptitle(f"Stocks over time, median and 5–95% of runs ({rs.label})")
    return fig


def estimates(rs: ResultSet) -> Figure | None:
    """Model estimates (estimates.csv) by quantity and sex."""
    est = rs.estimates
    if est is not None:
        # yearly rows only: the totals over the span ("all years", "yearly mean") are tabled
        est = est[[is_year(y) for y in est["year"]]]
        est = est.assign(year=est["year"].astype(int))
    if est is None or est.empty:
        return None
    quantities = list(dict.fromkeys(str(q) for q in est["quantity"]))
    cols = 2 if len(quantities) > 1 else 1
    rows = math.ceil(len(quantities) / cols)
    fig = Figure(figsize=(6 * cols, 3.6 * rows + 0.6), layout="constrained")
    for i, q in enumerate(quantities):
        ax = fig.add_subplot(rows, cols, i + 1)
        d = est[est["quantity"] == q]
        for sex in sorted({str(s) for s in d["sex"]}):
            ds = d[d["sex"] == sex].sort_values("year")
            c = SEX_COLOURS.get(sex, "#555555")
            ax.fill_between(ds["year"], ds["p05"], ds["p95"], color=c, alpha=0.2, lw=0)
            ax.plot(ds["year"], ds["p50"], "-o", ms=3, color=c, label=SEX_LABELS.get(sex, sex))
        ax.set_title(rs.scenario.estimates.get(q, q.replace("_", " ")))
        ax.set_xlabel("year")
        ax.set_ylabel("people (model estimate)")
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False)
    fig.suptitle(f"Model estimates (not observations) — median and 5–95% ({rs.label})")
    return fig


def whatif(sets: Sequence[ResultSet]) -> Figure | None:
    """Arrivals and key stocks of several folders overlaid."""
    if len(sets) < 2:
        return None
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = [fig.add_subplot(2, 2, i + 1) for i in range(4)]
    for i, rs in enumerate(sets):
        colour = WHATIF_COLOURS[i % len(WHATIF_COLOURS)]
        for ax, (key, title, unit) in zip(axes, WHATIF_PANELS, strict=True):
            kind = "arrived" if key == "arrivals" else key
            ax.set_title(title)
            ax.set_ylabel(unit)
            if not rs.has_kind(kind):
                continue
            table = rs.entries_by_year(kind) if key == "arrivals" else rs.stock_by_kind(kind)
            if table.shape[1] == 0:
                continue
            q = np.quantile(table.to_numpy(dtype=float), [0.5, 0.05, 0.95], axis=0)
            x = np.asarray(
                [pd.Timestamp(year=int(y), month=7, day=1) for y in table.columns]
                if key == "arrivals"
                else pd.to_datetime(list(table.columns)),
                dtype="datetime64[ns]",
            )
            ax.fill_between(x, q[1], q[2], color=colour, alpha=0.18, lw=0)
            ax.plot(x, q[0], color=colour, lw=1.6, label=rs.label)
            ax.set_ylim(bottom=0)
    axes[0].legend(frameon=False)
    fig.suptitle("What-if comparison: medians and 5–95% of runs")
    return fig
