"""The report page: one self-contained HTML file (scripts, styles and figures inline).

Plotly's JavaScript bundle is inlined once in the head; each figure is a
``<div>`` followed by a small script that draws it from inline JSON. Nothing
is loaded from the network: the page opens from disk.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.io as pio
import plotly.offline

from crossings.report.data import (
    METRIC_LABELS,
    ResultSet,
    compare_metrics,
    median_over_runs,
    other_observations,
)
from crossings.report.errors import ReportError
from crossings.report.figures import SEX_LABELS, ReportFigure

PLOT_CONFIG = '{"responsive": true, "displaylogo": false, "scrollZoom": false}'

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; --accent: #1f4e79;
        --note: #fff6e0; --note-line: #e8c36a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: var(--ink); background: #fafafa; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 22px; margin: 44px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 6px; }
p { max-width: 900px; }
.sub { color: var(--muted); margin: 0 0 14px; }
nav ol { columns: 2; max-width: 700px; padding-left: 22px; margin: 8px 0 0; }
nav a, td a { color: var(--accent); text-decoration: none; }
nav a:hover, td a:hover { text-decoration: underline; }
.note { background: var(--note); border-left: 4px solid var(--note-line); padding: 8px 12px;
        max-width: 900px; }
figure { margin: 14px 0 22px; background: #fff; border: 1px solid var(--line);
         border-radius: 6px; padding: 8px 8px 4px; }
figcaption { color: var(--muted); font-size: 13.5px; padding: 4px 8px 8px; max-width: 1000px; }
.plot { width: 100%; }
table { border-collapse: collapse; background: #fff; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left;
         vertical-align: top; }
th { background: #f1f3f5; position: sticky; top: 0; z-index: 1; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 6px;
          margin: 8px 0 18px; }
.scroll table { width: 100%; }
.ok { color: #1a7a1a; font-weight: 600; }
.off { color: #b2182b; font-weight: 600; }
.url { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
       color: var(--muted); word-break: break-all; }
table.sources td:nth-child(2) { width: 46%; }
table.sources td:nth-child(4) { max-width: 200px; word-break: break-word; }
table.params td:nth-child(1) { width: 22%; }
table.params td:nth-child(2) { width: 18%; }
table.params td:nth-child(4) { width: 36%; }
.meta td:first-child { color: var(--muted); white-space: nowrap; }
code { font-size: 12.5px; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 13px; padding: 30px 24px 40px; }
"""

SECTIONS = (
    ("observed", "1. Arrivals vs observed"),
    ("outcomes", "2. Where everyone ended up"),
    ("map", "3. The map"),
    ("stocks", "4. Stocks over time"),
    ("uncounted", "5. The uncounted"),
    ("whatif", "6. What-if comparison"),
    ("sources", "7. Where the numbers come from"),
)
"""Section anchors and headings, in order."""


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return html.escape(str(value), quote=True)


def fmt(x: float, share: bool = False) -> str:
    """A number for a table: thousands separators, shares as percentages, – for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if share:
        return f"{100 * x:.1f}%"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def figure_html(fig: ReportFigure) -> str:
    """A figure as a ``<figure>`` with its drawing script (the JSON inlined, escaped)."""
    data = pio.to_json(fig.figure, validate=False, remove_uids=True)
    data = (
        data.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    div = f"fig-{fig.slug}"
    caption = f"<figcaption>{esc(fig.caption)}</figcaption>" if fig.caption else ""
    return (
        f'<figure><div id="{div}" class="plot"></div>{caption}</figure>\n'
        f"<script>(function(){{var f={data};"
        f'Plotly.newPlot("{div}",f.data,f.layout,{PLOT_CONFIG});}})();</script>\n'
    )


def table_html(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[bool] | None = None,
    scroll: bool = False,
    raw: bool = False,
    cls: str = "",
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then they are HTML already)."""
    numeric = list(numeric or [False] * len(headers))
    head = "".join(
        f"<th{' class=num' if n else ''}>{esc(h)}</th>"
        for h, n in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=num' if n else ''}>{c if raw else esc(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    attr = f' class="{esc(cls)}"' if cls else ""
    table = f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f'<div class="scroll">{table}</div>' if scroll else table


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a table as dictionaries keyed by column name."""
    return [{str(k): v for k, v in rec.items()} for rec in frame.to_dict("records")]


class _Row:
    """A table row read by attribute (``r.median``), values untyped."""

    def __init__(self, rec: dict[str, Any]) -> None:
        self.__dict__.update(rec)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def note(text: str) -> str:
    """A visible note paragraph."""
    return f'<p class="note">{esc(text)}</p>'


def _source_links(rs: ResultSet, ids: str | float) -> str:
    if not isinstance(ids, str) or not ids:
        return ""
    known = rs.scenario.source_ids()
    parts = []
    for sid in (i.strip() for i in ids.split(";")):
        if sid in known:
            parts.append(f'<a href="#src-{esc(sid)}">{esc(sid)}</a>')
        elif sid:
            parts.append(esc(sid))
    return ", ".join(parts)


# ----------------------------------------------------------------- sections
def _header(sets: Sequence[ResultSet]) -> str:
    base = sets[0]
    names = " vs ".join(rs.label for rs in sets)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for rs in sets:
        r = rs.run
        agents = r.agents_created
        rows.append(
            [
                esc(rs.label),
                f"<code>{esc(rs.path)}</code>",
                esc(f"{r.start} → {r.end}"),
                esc(
                    "expected values (no agents, no noise)"
                    if rs.expected
                    else f"{r.runs} (seeds {', '.join(str(s) for s in rs.seeds)})"
                ),
                esc(f"{int(np.median(agents)):,}" if agents else "–"),
                esc(r.scenario_sha256[:12]),
                esc(f"{r.crossings_version}, {r.created}"),
            ]
        )
    meta = table_html(
        [
            "results",
            "folder",
            "period",
            "runs",
            "people entered (median)",
            "scenario hash",
            "Crossings version, run at",
        ],
        rows,
        raw=True,
    )
    toc = "".join(f'<li><a href="#{a}">{esc(t[3:])}</a></li>' for a, t in SECTIONS)
    notes = "".join(note(f"{rs.label}: {n}") for rs in sets for n in rs.notes)
    scope = (
        f"<p>Sections 1–5 and 7 show <b>{esc(base.label)}</b> (the first folder); "
        "section 6 compares all folders.</p>"
        if len(sets) > 1
        else ""
    )
    return (
        f"<header><h1>Crossings report: {esc(names)}</h1>"
        f'<p class="sub">Generated {esc(now)}. Every figure summarises several '
        "simulation runs: the median and the 5–95% band of runs.</p>"
        f"{meta}{scope}{notes}<nav><ol>{toc}</ol></nav></header>"
    )


def _section(anchor: str, body: str) -> str:
    title = dict(SECTIONS)[anchor]
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>\n{body}</section>\n'


def observed_section(rs: ResultSet, figs: list[ReportFigure]) -> str:
    """Section 1: yearly series as figures, the other observations as a table."""
    obs = rs.observations
    parts = []
    if obs.empty:
        parts.append(note("No observation series: observations.csv is empty."))
    for fig in figs:
        parts.append(figure_html(fig))
    if not rs.policy_spans():
        parts.append(
            note(
                "The policy timeline is not shown: no policy of the scenario falls inside "
                "the simulated span."
            )
        )
    other = other_observations(obs)
    if len(other):
        rows = []
        for r in records(other):
            share = str(r.get("kind", "")) == "share"
            lo, hi, point = (
                float(r.get("observed_low", np.nan)),
                float(r.get("observed_high", np.nan)),
                float(r["observed"]),
            )
            if math.isnan(lo) and math.isnan(hi):
                lo = hi = point
            if not math.isnan(lo) and not math.isnan(hi) and lo == hi:
                observed = fmt(lo, share)
            elif math.isnan(lo):
                observed = "≤ " + fmt(hi, share)
            elif math.isnan(hi):
                observed = "≥ " + fmt(lo, share)
            else:
                observed = f"{fmt(lo, share)}–{fmt(hi, share)}"
                if point not in (lo, hi):
                    observed += f" (point {fmt(point, share)})"
            p05, p95 = float(r["simulated_p05"]), float(r["simulated_p95"])
            low = -math.inf if math.isnan(lo) else lo
            high = math.inf if math.isnan(hi) else hi
            inside = p95 >= low and p05 <= high
            verdict = (
                '<span class="ok">overlaps</span>' if inside else '<span class="off">outside</span>'
            )
            rows.append(
                [
                    esc(rs.series_title(str(r["series"]))),
                    esc(r["year"]),
                    esc(SEX_LABELS.get(str(r["sex"]), r["sex"])),
                    esc(observed),
                    esc(fmt(float(r["simulated"]), share)),
                    esc(f"{fmt(p05, share)}–{fmt(p95, share)}"),
                    verdict,
                    _source_links(rs, r.get("sources", "")),
                ]
            )
        parts.append(
            "<h3>Other observations: reports, estimates and ranges</h3>"
            "<p>Observed figure or range against the simulated median and the "
            "5–95% band of runs; 'overlaps' when the band meets the observed range."
            "</p>"
        )
        parts.append(
            table_html(
                [
                    "series",
                    "year or date",
                    "sex",
                    "observed",
                    "simulated (median)",
                    "simulated 5–95%",
                    "band vs observed",
                    "sources",
                ],
                rows,
                [False, False, False, True, True, True, False, False],
                scroll=True,
                raw=True,
            )
        )
    return _section("observed", "".join(parts))


def outcomes_section(rs: ResultSet, figs: list[ReportFigure]) -> str:
    """Section 2: the Sankey of moves, cohort outcomes, waves and reclassifications."""
    parts = [figure_html(f) for f in figs]
    if not figs:
        parts.append(note("No moves were recorded."))
    final = rs.final_stage_stock()
    rows = [
        [esc(rs.stage_label(s)), esc(fmt(v))]
        for s, v in sorted(final.items(), key=lambda kv: rs.stage_rank(kv[0]))
        if v >= 0.5
    ]
    last = pd.Timestamp(rs.stocks["date"].max()).date()
    parts.append(f"<h3>Where everyone is on {last:%d %B %Y}</h3>")
    parts.append(table_html(["stage", "people (median over runs)"], rows, [False, True], raw=True))
    ev = rs.events
    if ev is not None and len(ev):
        med = median_over_runs(
            ev[["run", "event", "id", "date", "count"]], ["event", "id", "date"], rs.runs
        )
        happened = ev.groupby("id")["happened"].all()
        erows = [
            [
                esc(r.event),
                esc(r.id),
                esc(r.date),
                esc(
                    fmt(float(r.median))
                    if bool(happened.get(r.id, True))
                    else "did not happen (border closed)"
                ),
                esc(f"{fmt(float(r.p05))}–{fmt(float(r.p95))}"),
            ]
            for r in map(_Row, records(med.sort_values("date")))
        ]
        parts.append("<h3>Waves and reclassifications</h3>")
        parts.append(
            table_html(
                ["event", "id", "date", "people moved (median)", "5–95%"],
                erows,
                [False, False, False, True, True],
                raw=True,
            )
        )
    return _section("outcomes", "".join(parts))


def uncounted_section(rs: ResultSet, fig: ReportFigure | None) -> str:
    """Section 5: model estimates from calibration, or a note that there are none."""
    est = rs.estimates
    if est is None or est.empty:
        return _section(
            "uncounted",
            note(
                "Calibration results are not present: this results folder has no estimates.csv "
                "(model estimates of what nobody counts, with credible bands). Everything above "
                "is a simulation with the scenario's hand-set parameters."
            ),
        )
    parts = [
        "<p><b>Model estimates</b> — not observations. Numbers nobody counts, estimated "
        "by the calibrated model: median and 5–95% band.</p>"
    ]
    if fig is not None:
        parts.append(figure_html(fig))
    rows = [
        [
            esc(r.quantity),
            esc(r.year),
            esc(SEX_LABELS.get(str(r.sex), r.sex)),
            esc(fmt(float(r.p50))),
            esc(f"{fmt(float(r.p05))}–{fmt(float(r.p95))}"),
        ]
        for r in map(_Row, records(est))
    ]
    parts.append(
        table_html(
            ["quantity (model estimate)", "year", "sex", "median", "5–95%"],
            rows,
            [False, False, False, True, True],
            scroll=True,
            raw=True,
        )
    )
    return _section("uncounted", "".join(parts))


def whatif_section(sets: Sequence[ResultSet], fig: ReportFigure | None) -> str:
    """Section 6: overlays and a table of differences against the first folder."""
    if len(sets) < 2:
        return _section(
            "whatif",
            note(
                "Only one results folder was given. Give several (e.g. "
                "'crossings report base/ never_closed/') to compare what-ifs; the first is the "
                "baseline."
            ),
        )
    base = sets[0]
    parts = [
        f"<p>Baseline: <b>{esc(base.label)}</b>. Differences are what-if minus "
        "baseline. Where runs share seeds they are paired (what-if variants share random "
        "numbers wherever they agree) and the table gives the median and 5–95% of the "
        "paired differences; otherwise the difference of the medians.</p>"
    ]
    for rs in sets:
        desc = _variant_description(rs)
        if desc:
            parts.append(f"<p><b>{esc(rs.label)}</b>: {esc(desc)}</p>")
    diff = _policy_difference(sets)
    if diff:
        parts.append(f"<p>{esc(diff)}</p>")
    if fig is not None:
        parts.append(figure_html(fig))
    for rs in sets[1:]:
        cmp = compare_metrics(base, rs)
        if cmp.empty:
            continue
        rows = [
            [
                esc(r.quantity),
                esc(f"{fmt(r.base_median)} ({fmt(r.base_p05)}–{fmt(r.base_p95)})"),
                esc(f"{fmt(r.other_median)} ({fmt(r.other_p05)}–{fmt(r.other_p95)})"),
                esc(("+" if r.diff_median > 0 else "") + fmt(r.diff_median)),
                esc(f"{fmt(r.diff_p05)} to {fmt(r.diff_p95)}"),
                esc(r.method),
            ]
            for r in map(_Row, records(cmp))
        ]
        parts.append(f"<h3>{esc(rs.label)} minus {esc(base.label)}</h3>")
        parts.append(
            table_html(
                [
                    "quantity",
                    "baseline: median (5–95%)",
                    "what-if: median (5–95%)",
                    "difference (median)",
                    "difference 5–95%",
                    "how",
                ],
                rows,
                [False, True, True, True, True, False],
                raw=True,
            )
        )
    missing = [k for k in METRIC_LABELS if all(k not in s.run_metrics().columns for s in sets)]
    if missing:
        parts.append(
            f"<p class=sub>Not compared (no such states): "
            f"{esc(', '.join(METRIC_LABELS[k] for k in missing))}.</p>"
        )
    return _section("whatif", "".join(parts))


def _variant_description(rs: ResultSet) -> str:
    return rs.scenario.variant_description or ""


def _policy_difference(sets: Sequence[ResultSet]) -> str:
    """Which policies some folders have and others lack."""
    named = [(rs.label, {p.id: p.name for p in rs.policy_spans()}) for rs in sets]
    every = set.intersection(*(set(d) for _, d in named))
    bits = []
    for label, d in named:
        extra = [d[k] for k in d if k not in every]
        if extra:
            bits.append(f"only {label} has: {'; '.join(extra)}")
    return ("Policies that differ — " + "; ".join(bits) + ".") if bits else ""


def sources_section(rs: ResultSet) -> str:
    """Section 7: every parameter with its source or assumption, and the citations."""
    sc = rs.scenario
    params = sc.parameters
    rows = []
    for p in params:
        srcs = ", ".join(f'<a href="#src-{esc(s)}">{esc(s)}</a>' for s in p.sources)
        assumption = f"assumption: {esc(p.assumption)}" if p.assumption else ""
        if not (p.sources or p.assumption):
            assumption = '<span class="off">unlabelled</span>'
        rows.append(
            [
                f"{esc(p.label)}<br><code class=path>{esc(p.path)}</code>",
                esc(p.value),
                srcs,
                assumption,
                esc(p.note or ""),
            ]
        )
    cited: dict[str, int] = {}
    for p in params:
        for s in p.sources:
            cited[s] = cited.get(s, 0) + 1
    observed: dict[str, int] = {}
    for obs in sc.observations:
        for s in set(obs.sources):
            observed[s] = observed.get(s, 0) + 1
    n_src = sum(1 for p in params if p.sources)
    n_unl = sum(1 for p in params if not (p.sources or p.assumption))
    parts = [
        f"<p>{len(params)} sourced parameter groups of <b>{esc(sc.name)}</b>: {n_src} "
        f"cite sources, {len(params) - n_src} state an assumption, {n_unl} unlabelled. "
        "Also listed by <code>crossings sources</code>.</p>",
        "<h3>Parameters</h3>",
        table_html(
            ["parameter", "value", "sources", "assumption", "note"],
            rows,
            scroll=True,
            raw=True,
            cls="params",
        ),
    ]
    srows = []
    for src in sc.sources:
        sid = src.id
        url = f'<br><span class="url">{esc(src.url)}</span>' if src.url else ""
        extra = f"<br><i>{esc(src.note)}</i>" if src.note else ""
        srows.append(
            [
                f'<span id="src-{esc(sid)}">{esc(sid)}</span>',
                esc(src.citation) + url + extra,
                esc(src.publisher or ""),
                esc(src.date or ""),
                esc(src.confidence or ""),
                esc(_cited_by(cited.get(sid, 0), observed.get(sid, 0))),
            ]
        )
    parts.append(
        "<h3>Sources</h3><p>Addresses are given as text; this page loads nothing "
        "from the network.</p>"
    )
    parts.append(
        table_html(
            ["id", "citation (address as text)", "publisher", "date", "confidence", "cited by"],
            srows,
            [False] * 6,
            scroll=True,
            raw=True,
            cls="sources",
        )
    )
    return _section("sources", "".join(parts))


def _cited_by(params: int, series: int) -> str:
    bits = []
    if params:
        bits.append(f"{params} parameter{'s' if params > 1 else ''}")
    if series:
        bits.append(f"{series} observation series")
    return ", ".join(bits) or "–"


# ----------------------------------------------------------------- page
def render_page(sets: Sequence[ResultSet], figs: dict[str, list[ReportFigure]]) -> str:
    """The whole report as one HTML string.

    Args:
        sets: Result sets; the first is the baseline shown in sections 1–5 and 7.
        figs: Figures by section anchor.
    """
    base = sets[0]
    body = [
        _header(sets),
        "<main>",
        observed_section(base, figs.get("observed", [])),
        outcomes_section(base, figs.get("outcomes", [])),
        _section(
            "map",
            "".join(figure_html(f) for f in figs.get("map", []))
            or note("No map: the scenario's places have no coordinates."),
        ),
        _section(
            "stocks",
            "".join(figure_html(f) for f in figs.get("stocks", [])) or note("No stocks to draw."),
        ),
        uncounted_section(base, next(iter(figs.get("uncounted", [])), None)),
        whatif_section(sets, next(iter(figs.get("whatif", [])), None)),
        sources_section(base),
        "</main>",
        "<footer>Made with Crossings. This file is self-contained: the charts (plotly.js "
        f"{esc(_plotly_version())}) and the map outlines (Natural Earth, public domain) are "
        "inside it.</footer>",
    ]
    title = "Crossings report: " + " vs ".join(rs.label for rs in sets)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style>"
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>"
        f"<script>{plotly.offline.get_plotlyjs()}</script></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _plotly_version() -> str:
    import plotly  # noqa: PLC0415

    return str(plotly.__version__)


def write_atomic(path: Path, text: str) -> Path:
    """Write a text file atomically (a temporary sibling, then ``os.replace``).

    Raises:
        ReportError: If the file cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; a report is not
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
