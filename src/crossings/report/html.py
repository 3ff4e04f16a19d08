"""The report page: one self-contained HTML file (scripts, styles and figures inline).

The first screen answers first: what was run (scenario, mode, variant,
changed values), the what-if's differences when there are several folders,
and the headline figures of the headline population (model estimates with
their bands) next to how well the simulation meets what is counted. Context
populations are shown apart and never added in. Numbers, labels and verdicts
come from :mod:`crossings.results.views`, as in the command line and the web
app.

Plotly's JavaScript bundle is inlined once in the head; each figure is a
``<div>`` followed by a small script that draws it from inline JSON. Nothing
is loaded from the network: the page opens from disk.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
import plotly.offline

from crossings.report.data import ResultSet, is_year, median_over_runs, yearly_series
from crossings.report.errors import ReportError
from crossings.report.figures import SEX_LABELS, ReportFigure
from crossings.results import views
from crossings.results.bundle import Bundle, PopulationInfo

PLOT_CONFIG = '{"responsive": true, "displaylogo": false, "scrollZoom": false}'
CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; --accent: #1f4e79;
        --note: #fff6e0; --note-line: #e8c36a; --answer: #f3f7fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: var(--ink); background: #fafafa; }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 18px; }
h1 { font-size: 25px; line-height: 1.25; margin: 0 0 4px; }
h2 { font-size: 22px; margin: 44px 0 8px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 17px; margin: 22px 0 6px; }
.answer h3 { margin: 10px 0 4px; font-size: 16px; }
p { max-width: 900px; }
.sub { color: var(--muted); margin: 0 0 10px; font-size: 14px; }
.ran { margin: 0 0 8px; max-width: none; }
.answer { background: var(--answer); border: 1px solid #d5e1ee; border-radius: 8px;
          padding: 6px 16px 10px; margin: 8px 0 12px; }
.lead { font-size: 16px; margin: 6px 0 8px; max-width: none; }
.cards { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
.cards > div { flex: 1 1 520px; min-width: 0; }
.answer table { width: 100%; }
.answer td, .answer th { padding: 3px 8px; }
nav ol { columns: 2; max-width: 760px; padding-left: 22px; margin: 8px 0 0; }
nav a, td a { color: var(--accent); text-decoration: none; }
nav a:hover, td a:hover { text-decoration: underline; }
.note { background: var(--note); border-left: 4px solid var(--note-line); padding: 8px 12px;
        max-width: 900px; }
.est { color: var(--muted); font-size: 12px; white-space: nowrap; }
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
table.params td:nth-child(1) { width: 30%; }
table.params td:nth-child(2) { width: 16%; }
table.params td:nth-child(4) { width: 34%; }
code.path { color: var(--muted); font-size: 11.5px; background: none; padding: 0; }
.meta td:first-child { color: var(--muted); white-space: nowrap; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); }
code { font-size: 12.5px; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 13px; padding: 30px 24px 40px; }
"""


SECTIONS = (
    ("observed", "1. Arrivals vs observed"),
    ("outcomes", "2. Where the people went"),
    ("map", "3. The map"),
    ("stocks", "4. Stocks over time"),
    ("uncounted", "5. The uncounted"),
    ("whatif", "6. What-if comparison"),
    ("sources", "7. Where the numbers come from"),
)
"""Section anchors and headings, in order (section 2 is named after the headline population)."""

ANSWER_METRICS = ("arrivals", "caught_abroad", "sent_back", "sentenced", "deaths")
"""The figures a what-if's one-sentence answer names (when the scenario has them)."""


def esc(value: object) -> str:
    """HTML-escape any value's text."""
    return html.escape(str(value), quote=True)


def fmt(x: float | None, share: bool = False) -> str:
    """A number for a table: thousands separators, shares as percentages, – for nothing."""
    return views.number(x, share=share)


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


def _source_links(rs: ResultSet, ids: Iterable[str]) -> str:
    known = rs.scenario.source_ids()
    parts = []
    for sid in ids:
        if sid in known:
            parts.append(f'<a href="#src-{esc(sid)}">{esc(sid)}</a>')
        elif sid:
            parts.append(esc(sid))
    return ", ".join(parts)


def _verdict_html(row: views.ObservedRow) -> str:
    text = row.verdict_text
    if not text:
        return ""
    return f'<span class="{"off" if text.startswith("outside") else "ok"}">{esc(text)}</span>'


def _bundle(rs: ResultSet) -> Bundle:
    if rs.bundle is None:
        raise ReportError(f"{rs.path}: the results folder was not opened as a bundle")
    return rs.bundle


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------- the first screen
def what_was_run(rs: ResultSet, *, whatif: bool = False) -> str:
    """What was run, in plain words: mode, span, variant and changed values.

    ``whatif`` describes a what-if folder (its variant first) after the baseline's.
    """
    r = rs.run
    info = rs.scenario
    how = esc(views.run_text(_bundle(rs)))
    span = f"{esc(_day(r.start))} to {esc(_day(r.end))}" + (
        ", in daily steps" if r.step_days == 1 else f", in steps of {r.step_days} days"
    )
    variant = ""
    if r.variant:
        desc = f" — {esc(info.variant_description)}" if info.variant_description else ""
        variant = f"the what-if variant <b>{esc(r.variant)}</b>{desc}"
    if whatif:
        name = f"the what-if variant <b>{esc(r.variant)}</b>" if r.variant else esc(rs.label)
        parts = [f"<b>What-if run:</b> {name}; {how}."]
    else:
        parts = [
            f"<b>What was run:</b> {how} of the scenario <code>{esc(r.scenario)}</code>"
            + (f", {variant}" if variant else "")
            + f", {span}."
        ]
    if r.overrides:
        parts.append(
            "Changed values: " + "; ".join(f"<code>{esc(o)}</code>" for o in r.overrides) + "."
        )
    if whatif:
        return f'<p class="ran">{" ".join(parts)}</p>'
    if rs.expected:
        parts.append(
            "Exact expected values have no band, so the observed numbers get no "
            "inside/outside verdict."
        )
    elif not rs.banded:
        parts.append(
            "<b>One run:</b> the figures have no band and the observed numbers get no "
            "inside/outside verdict (run with <code>--runs 10</code> or more for a band)."
        )
    else:
        parts.append("Figures: the median of the runs, with the 5–95% of runs in brackets.")
    return f'<p class="ran">{" ".join(parts)}</p>'


def figures_table(rs: ResultSet, pop: PopulationInfo) -> str:
    """The headline figures of one population: model estimates, median and band."""
    view = rs.view()
    rows = []
    for metric, s in views.headline_figures(view, pop.id):
        if metric.how == "present" and s.median == 0 and (s.p95 or 0) == 0:
            continue  # nobody was there at the start: not worth a line
        rows.append([esc(_cap(metric.label)), esc(views.band_text(s))])
    head = "value" if rs.expected else ("value (one run)" if not rs.banded else "median (5–95%)")
    return table_html(["model estimate, people", head], rows, [False, True], raw=True)


def checks_table(rs: ResultSet) -> str:
    """What is counted or reported, and how many of its numbers lie inside the band."""
    rows = views.observed_rows(_bundle(rs))
    if not rows:
        return "<p>No observed series to compare with.</p>"
    if not rs.banded:
        n_series = len({r.series for r in rows})
        return (
            f"<p>{len(rows)} observed numbers in {n_series} series are listed in section 1, "
            "next to the simulated values; without a band there is no inside/outside verdict."
            "</p>"
        )
    out = []
    for c in views.series_checks(rows):
        years = sorted({r.year for r in rows if r.series == c.series})
        span = years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"
        worst = c.outside[0] if c.outside else None
        sex = f" ({SEX_LABELS.get(worst.sex, worst.sex)})" if worst and worst.sex != "total" else ""
        miss = (
            f"{esc(worst.year)}{esc(sex)}: {esc(worst.verdict_text)}"
            + (f" (and {len(c.outside) - 1} more)" if len(c.outside) > 1 else "")
            if worst is not None
            else ""
        )
        out.append(
            [
                f"{esc(c.title)} <span class=est>{esc(span)}</span>",
                esc(f"{c.inside} of {c.rows}"),
                f'<span class="off">{miss}</span>' if miss else '<span class="ok">none</span>',
            ]
        )
    compared = sum(c.rows for c in views.series_checks(rows))
    inside = sum(c.inside for c in views.series_checks(rows))
    lead = (
        f"<p class=sub>{inside} of {compared} counted or reported numbers lie inside the "
        "simulation's 5–95% band, widened by the scatter the observation model allows; "
        "details in section 1.</p>"
    )
    return lead + table_html(
        ["counted or reported", "inside", "furthest outside"], out, [False, True, False], raw=True
    )


def _answer_sentence(diffs: Sequence[views.Difference]) -> str:
    by_key = {d.metric.key: d for d in diffs}
    bits = [
        f"{esc(by_key[k].metric.label)} <b>{esc(views.band_text(by_key[k].diff, diff=True))}</b>"
        for k in ANSWER_METRICS
        if k in by_key
    ]
    return "; ".join(bits)


def whatif_answer(
    base: ResultSet, other: ResultSet, pop: PopulationInfo, *, named: bool = False
) -> str:
    """The what-if's answer: its differences from the baseline, paired by seed.

    ``named`` puts the population's name in the heading (section 6, every population).
    """
    diffs = views.compare(base.view(), other.view(), pop.id)
    if not diffs:
        return ""
    paired = diffs[0].paired
    how = (
        f"paired by seed: {paired} pair{'s' if paired != 1 else ''} of runs that share random "
        "numbers wherever the two scenarios agree, so the difference is mostly the policy's "
        "effect"
        if paired
        else "the difference of the medians: no runs share a seed, so there is no band"
    )
    desc = other.scenario.variant_description
    title = f"What if — {other.label}" + (f": {desc}" if desc else "")
    if named:
        title = f"{views.population_title(pop)}: {title[:1].lower()}{title[1:]}"
    rows = [
        [
            esc(_cap(d.metric.label)),
            esc(views.band_text(d.base)),
            esc(views.band_text(d.other)),
            f"<b>{esc(views.band_text(d.diff, diff=True))}</b>",
        ]
        for d in diffs
        if not (d.metric.how == "present" and d.base.median == 0 and d.other.median == 0)
    ]
    who = "everyone in the model" if pop.name == "everyone" else pop.name
    return (
        f"<h3>{esc(title)}</h3>"
        f'<p class="lead">Against the baseline <b>{esc(base.label)}</b>, {esc(who)}, '
        f"{esc(_day(base.run.start))} to {esc(_day(base.run.end))}: "
        f"{_answer_sentence(diffs)}.</p>"
        f"<p class=sub>Model estimates, what-if minus baseline; {esc(how)}.</p>"
        + table_html(
            [
                "model estimate, people",
                "baseline",
                "what-if",
                "difference (what-if − baseline)",
            ],
            rows,
            [False, True, True, True],
            raw=True,
        )
    )


def _header(sets: Sequence[ResultSet]) -> str:
    base = sets[0]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pops = base.populations()
    head = pops[0]
    parts = [f"<header><h1>{esc(base.title)}</h1>"]
    parts.append(
        f'<p class="sub">Crossings report, generated {esc(now)}. Every figure is a model '
        "estimate from simulation, not a count; what was counted or reported is labelled "
        "as such.</p>"
    )
    parts.append('<section id="answer" class="answer">')
    parts.append(what_was_run(base))
    for rs in sets[1:]:
        parts.append(what_was_run(rs, whatif=True))
        parts.append(whatif_answer(base, rs, head))
    title = views.population_title(head) if head.id != "everyone" else "Everyone in the model"
    parts.append('<div class="cards">')
    if len(sets) == 1:
        parts.append(f"<div><h3>{esc(title)}: headline figures</h3>")
        parts.append(figures_table(base, head) + "</div>")
    parts.append("<div><h3>Compared with what is counted</h3>")
    parts.append(checks_table(base) + "</div>")
    for pop in pops[1:]:
        parts.append(f"<div><h3>{esc(views.population_title(pop))}</h3>")
        if pop.description:
            parts.append(f"<p class=sub>{esc(pop.description)}</p>")
        parts.append(figures_table(base, pop) + "</div>")
    parts.append("</div>")
    if not base.scenario.populations:
        parts.append(
            '<p class="sub">This scenario declares no populations: the figures count everyone '
            "in the model, including the people already there when the simulation starts "
            "and anyone entering by other inflows.</p>"
        )
    parts.append("</section>")
    parts.append(_run_details(sets))
    notes = "".join(note(f"{rs.label}: {n}") for rs in sets for n in rs.notes)
    if len(sets) > 1:
        parts.append(
            f"<p>Sections 1–5 and 7 show <b>{esc(base.label)}</b> (the first folder); "
            "section 6 compares all folders.</p>"
        )
    toc = "".join(
        f'<li><a href="#{a}">{esc(_section_title(base, a)[3:])}</a></li>' for a, _ in SECTIONS
    )
    parts.append(f"{notes}<nav><ol>{toc}</ol></nav></header>")
    return "".join(parts)


def _run_details(sets: Sequence[ResultSet]) -> str:
    rows = []
    for rs in sets:
        r = rs.run
        rows.append(
            [
                esc(rs.label),
                f"<code>{esc(rs.path)}</code>",
                esc(views.run_text(_bundle(rs))),
                esc(r.scenario_sha256[:12] or "–"),
                esc(f"{r.crossings_version or '–'}, {r.created or '–'}"),
            ]
        )
    table = table_html(
        ["results", "folder", "runs", "scenario hash", "Crossings version, run at"],
        rows,
        raw=True,
    )
    return f"<details><summary>Run details (folders, seeds, versions)</summary>{table}</details>"


def _section_title(rs: ResultSet, anchor: str) -> str:
    if anchor == "outcomes":
        name = rs.pop.name
        return f"2. Where {'everyone' if name == 'everyone' else name} went"
    return dict(SECTIONS)[anchor]


def _section(rs: ResultSet, anchor: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(_section_title(rs, anchor))}</h2>\n{body}</section>\n'


# ----------------------------------------------------------------- sections
def observed_section(rs: ResultSet, figs: list[ReportFigure]) -> str:
    """Section 1: yearly series as figures, the other observations as a table."""
    parts = []
    rows = views.observed_rows(_bundle(rs))
    if not rows:
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
    drawn = set(yearly_series(rs.observations))
    other = [r for r in rows if not (r.series in drawn and is_year(r.year))]
    if other:
        parts.append(
            "<h3>Other observations: reports, estimates and ranges</h3>"
            + (
                "<p>What was counted or reported against the simulation (median, with the "
                "5–95% band of runs). 'Inside' when the band, widened by the scatter the "
                "observation model allows, meets the observed number or range; otherwise "
                "by how much it misses.</p>"
                if rs.banded
                else "<p>What was counted or reported against the simulation (no band: "
                "no inside/outside verdict).</p>"
            )
        )
        parts.append(_observed_table(rs, other))
    if rows:
        parts.append(
            "<details><summary>Every observed number ("
            f"{len(rows)})</summary>{_observed_table(rs, rows)}</details>"
        )
    return _section(rs, "observed", "".join(parts))


def _observed_table(rs: ResultSet, rows: Sequence[views.ObservedRow]) -> str:
    body = [
        [
            esc(r.title),
            esc(r.year),
            esc(SEX_LABELS.get(r.sex, r.sex)),
            esc(r.observed_text),
            esc(r.simulated_text),
            _verdict_html(r),
            _source_links(rs, r.sources),
        ]
        for r in rows
    ]
    sim = "simulated: median (5–95%)" if rs.banded else "simulated"
    return table_html(
        ["series", "year or date", "sex", "observed", sim, "verdict", "sources"],
        body,
        [False, False, False, True, True, False, False],
        scroll=True,
        raw=True,
    )


def outcomes_section(
    rs: ResultSet, figs: list[ReportFigure], context: Sequence[tuple[ResultSet, str]] = ()
) -> str:
    """Section 2: the Sankey and cohort outcomes of the headline population, then the rest."""
    parts = [figure_html(f) for f in figs]
    if not figs:
        parts.append(note("No moves were recorded."))
    last = pd.Timestamp(rs.stocks["date"].max()).date() if len(rs.stocks) else rs.run.end
    for pr, title in ((rs, ""), *context):
        final = pr.final_stage_stock()
        rows = [
            [esc(pr.stage_label(s)), esc(fmt(v))]
            for s, v in sorted(final.items(), key=lambda kv: pr.stage_rank(kv[0]))
            if v >= 0.5
        ]
        who = title or ("everyone" if pr.pop.name == "everyone" else pr.pop.name)
        parts.append(f"<h3>Where {esc(who)} are on {esc(_day(last))}</h3>")
        parts.append(
            table_html(["stage", "people (median over runs)"], rows, [False, True], raw=True)
        )
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
                esc(f"{fmt(float(r.p05))}–{fmt(float(r.p95))}" if rs.banded else "–"),
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
    return _section(rs, "outcomes", "".join(parts))


def uncounted_section(rs: ResultSet, fig: ReportFigure | None) -> str:
    """Section 5: model estimates from calibration, or a note that there are none."""
    est = rs.estimates
    if est is None or est.empty:
        return _section(
            rs,
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
            esc(r.title),
            esc(r.year),
            esc(SEX_LABELS.get(r.sex, r.sex)),
            esc(fmt(r.median)),
            esc(f"{fmt(r.p05)}–{fmt(r.p95)}"),
            esc(r.label),
        ]
        for r in views.estimate_rows(rs.scenario, est, rs.identifiability)
    ]
    parts.append(
        table_html(
            ["quantity (model estimate)", "year", "sex", "median", "5–95%", "what the data say"],
            rows,
            [False, False, False, True, True, False],
            scroll=True,
            raw=True,
        )
    )
    parts.append(_calibration_checks(rs))
    return _section(rs, "uncounted", "".join(parts))


def _calibration_checks(rs: ResultSet) -> str:
    """The calibration's held-back checks, identifiability of its unknowns and sensitivity."""
    parts: list[str] = []
    checks = views.held_back_checks(rs.scenario, rs.checks)
    if checks:
        rows = [
            [esc(c.title), esc(c.year), esc(c.observed), esc(c.predicted), esc(c.verdict)]
            for c in checks
        ]
        parts.append(
            _titled_table(
                "Reported figures held back as checks",
                "These reports were kept out of the fit (decided before it); each is "
                "compared with the posterior predictive interval of what it measures.",
                ["series", "year or date", "observed", "predicted median (90%)", "verdict"],
                rows,
                [False, False, True, True, False],
            )
        )
    counts = views.identifiability_counts(rs.identifiability)
    if counts:
        rows = [[esc(lab), esc(str(n))] for lab, n in counts]
        parts.append(
            "<h3>What the data can tell</h3><p>Posterior width against prior width for "
            f"each of the {sum(n for _, n in counts)} scenario numbers the calibration sets "
            "(every year of a series counts; identifiability.csv lists each): a prior-driven "
            "interval repeats the prior's assumption.</p>"
            + table_html(["label", "scenario numbers"], rows, [False, True], raw=True)
        )
    sens = rs.sensitivity
    if sens is not None and not sens.empty and "change" in sens.columns:
        alt = sens[sens["check"].astype(str).str.startswith("alternative")]
        if len(alt):
            rows = [
                [
                    esc(str(r.check).removeprefix("alternative: ")),
                    esc(r.quantity),
                    esc(fmt(float(r.base_median))),
                    esc(fmt(float(r.alternative_median))),
                    esc(views.signed(views.as_float(r.change), share=True)),
                ]
                for r in map(_Row, records(alt))
            ]
            parts.append(
                _titled_table(
                    "Structural alternatives",
                    "The calibration refitted under each alternative way the system may "
                    "work; how far the estimates move.",
                    ["alternative", "estimate", "base median", "alternative median", "change"],
                    rows,
                    [False, False, True, True, True],
                )
            )
    if sens is not None and not sens.empty and "prior_sensitive" in sens.columns:
        ps = sens[sens["check"].astype(str) == "power-scaling"]
        flagged = ps[ps["prior_sensitive"].astype(str).str.lower() == "true"]
        if len(ps):
            parts.append(
                f"<p>Prior sensitivity (power-scaling): {len(flagged)} of {len(ps)} "
                "unknowns and estimates move noticeably when the prior is made weaker or "
                "stronger (sensitivity.csv).</p>"
            )
    return "".join(parts)


def _titled_table(
    title: str, intro: str, headers: list[str], rows: list[list[str]], right: list[bool]
) -> str:
    """A sub-heading, a sentence and a table (cells already escaped)."""
    return f"<h3>{esc(title)}</h3><p>{esc(intro)}</p>" + table_html(headers, rows, right, raw=True)


def whatif_section(sets: Sequence[ResultSet], fig: ReportFigure | None) -> str:
    """Section 6: overlays and the differences per population against the first folder."""
    base = sets[0]
    if len(sets) < 2:
        return _section(
            base,
            "whatif",
            note(
                "Only one results folder was given. Give several (e.g. "
                "'crossings report base/ never_closed/') to compare what-ifs; the first is the "
                "baseline."
            ),
        )
    parts = [
        f"<p>Baseline: <b>{esc(base.label)}</b>. Differences are what-if minus "
        "baseline. Where runs share seeds they are paired (what-if variants share random "
        "numbers wherever they agree) and the table gives the median and 5–95% of the "
        "paired differences; otherwise the difference of the medians.</p>"
    ]
    diff = _policy_difference(sets)
    if diff:
        parts.append(f"<p>{esc(diff)}</p>")
    if fig is not None:
        parts.append(figure_html(fig))
    for rs in sets[1:]:
        for pop in base.populations():
            parts.append(whatif_answer(base, rs, pop, named=pop.id != "everyone"))
    return _section(base, "whatif", "".join(parts))


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
                f"{esc(_cap(p.label))}<br><code class=path>{esc(p.path)}</code>",
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
        f"<p>{len(params)} sourced parameter groups of <b>{esc(rs.title)}</b>: {n_src} "
        f"cite sources, {len(params) - n_src} state an assumption, {n_unl} unlabelled. "
        "Each is named in words, with its place in the scenario file below it. Also listed "
        "by <code>crossings sources</code>.</p>",
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
    return _section(rs, "sources", "".join(parts))


def _cited_by(params: int, series: int) -> str:
    bits = []
    if params:
        bits.append(f"{params} parameter{'s' if params > 1 else ''}")
    if series:
        bits.append(f"{series} observation series")
    return ", ".join(bits) or "–"


# ----------------------------------------------------------------- page
def render_page(
    sets: Sequence[ResultSet],
    figs: dict[str, list[ReportFigure]],
    context: Sequence[tuple[ResultSet, str]] = (),
) -> str:
    """The whole report as one HTML string.

    Args:
        sets: Result sets (each for the headline population); the first is the
            baseline shown in sections 1–5 and 7.
        figs: Figures by section anchor.
        context: The baseline for each other population, with its title (shown apart).
    """
    base = sets[0]
    body = [
        _header(sets),
        "<main>",
        observed_section(base, figs.get("observed", [])),
        outcomes_section(base, figs.get("outcomes", []), context),
        _section(
            base,
            "map",
            "".join(figure_html(f) for f in figs.get("map", []))
            or note("No map: the scenario's places have no coordinates."),
        ),
        _section(
            base,
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
