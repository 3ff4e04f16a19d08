"""What the command line prints about a results bundle: one screen a person reads.

Everything comes from the bundle (:mod:`crossings.results.views`), so the
terminal shows the same figures, labels and verdicts as the report and the
web app. By default the summary fits one screen — the headline figures per
population, then the observed numbers that the simulation misses (or a short
selection when it misses none); ``full=True`` adds every observed row, the
people in each state over time, the waves and the families by consequence.

Numbers are formatted for reading: thousands separators, shares as
percentages, ranges as ranges (``more than 2,000``, ``200–600``), a dash
where there is nothing — never ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
from rich.console import Console
from rich.table import Table

from crossings.results.bundle import Bundle, RunMode
from crossings.results.views import (
    Difference,
    Summary,
    View,
    compare,
    headline_figures,
    number,
    observed_text,
    populations,
    verdict,
)

MISSES_SHOWN = 12
"""Observed numbers listed by default when the simulation misses them."""


def band_text(s: Summary, *, share: bool = False, signed: bool = False) -> str:
    """A summary as ``median (p05–p95)``, or just the value without a band."""
    med = number(s.median, share=share)
    if signed and math.isfinite(s.median) and s.median > 0:
        med = "+" + med
    if not s.has_band:
        return med
    return f"{med} ({number(s.p05, share=share)} to {number(s.p95, share=share)})"


def _header(console: Console, bundle: Bundle) -> None:
    r = bundle.run
    info = bundle.scenario
    title = info.title or info.name
    console.print(f"[bold]{title}[/bold]", highlight=False)
    if r.mode is RunMode.EXPECTED:
        how = "exact expected values (no agents, no noise)"
    elif r.mode is RunMode.POSTERIOR:
        origin = r.posterior.path if r.posterior else "?"
        how = f"{r.runs} agent runs, parameters drawn from the calibration in {origin}"
    elif r.mode is RunMode.POSTERIOR_EXPECTED:
        origin = r.posterior.path if r.posterior else "?"
        how = (
            f"exact expected values of {r.runs} parameter sets drawn from the calibration in "
            f"{origin} (the band is the parameters' uncertainty only)"
        )
    else:
        seeds = f"seed {r.seeds[0]}" if r.runs == 1 else f"seeds {r.seeds[0]}–{r.seeds[-1]}"
        how = f"{r.runs} agent run{'s' if r.runs > 1 else ''} ({seeds})"
    console.print(f"{how}; {r.start} to {r.end}, steps of {r.step_days} day(s).", highlight=False)
    if r.variant:
        desc = f": {info.variant_description}" if info.variant_description else ""
        console.print(f"[bold]What-if:[/bold] {r.variant}{desc}", highlight=False)
    if r.overrides:
        console.print("Changed values: " + "; ".join(r.overrides), highlight=False)
    if r.runs == 1 and r.mode is RunMode.AGENT:
        note = (
            "One run: the figures have no band and no inside/outside verdict "
            "(use --runs 10 or more)."
        )
        console.print(note, highlight=False)


def _figures_table(view: View, population: str, title: str) -> Table:
    t = Table(title=title, title_justify="left", show_edge=False)
    t.add_column("model estimate (people)")
    t.add_column("value" if view.expected else "median (5–95% of runs)", justify="right")
    for metric, s in headline_figures(view, population):
        if metric.how == "present" and s.median == 0 and (s.p95 or 0) == 0:
            continue  # nobody was there at the start: not worth a line
        t.add_row(metric.label, band_text(s))
    return t


def _observations(bundle: Bundle, full: bool) -> tuple[Table | None, str]:
    obs = bundle.table("observations")
    if obs.empty:
        return None, "No observed series to compare with."
    band = bundle.run.mode is not RunMode.EXPECTED and bundle.run.runs > 1
    rows = []
    for r in _records(obs):
        share = str(r.kind) == "share"
        lo, hi = float(r.observed_low), float(r.observed_high)
        v = verdict(
            lo,
            hi,
            float(r.simulated_p05) if band else None,
            (float(r.simulated_p95) if band else None),
        )
        rows.append((r, share, v))
    misses = [x for x in rows if x[2].text == "outside"]
    compared = sum(1 for x in rows if x[2].text != "no band")
    if band:
        line = (
            f"{len(misses)} of {compared} observed numbers lie outside the simulation's "
            "5–95% band"
            + (
                ""
                if full or len(misses) <= MISSES_SHOWN
                else f" (the {MISSES_SHOWN} furthest shown; --full lists all)"
            )
        )
    else:
        line = f"{len(rows)} observed numbers (no band to compare with: one run)"
    shown = (
        rows
        if full
        else (
            sorted(
                misses, key=lambda x: -abs(x[2].relative if math.isfinite(x[2].relative) else 0)
            )[:MISSES_SHOWN]
            if misses
            else rows[: min(len(rows), 8)]
        )
    )
    if not shown:
        return None, line
    info = bundle.scenario
    t = Table(
        title="Observed vs simulated (observed: counted or reported)",
        title_justify="left",
        show_edge=False,
    )
    for c, right in (
        ("series", False),
        ("year", False),
        ("sex", False),
        ("observed", True),
        ("simulated", True),
        ("", False),
    ):
        t.add_column(c, justify="right" if right else "left")
    for r, share, v in shown:
        series = str(r.series)
        base = series.removesuffix("_female_share")
        o = info.observation(base)
        name = o.name if o is not None else base.replace("_", " ")
        if series != base:
            name = f"women's share of {name}"
        sim = Summary(
            float(r.simulated),
            float(r.simulated_p05) if band else None,
            float(r.simulated_p95) if band else None,
        )
        if v.text == "outside":
            rel = f" ({100 * v.relative:.0f}%)" if math.isfinite(v.relative) else ""
            mark = f"outside by {number(v.by, share=share)}{rel}"
        else:
            mark = "" if v.text == "no band" else v.text
        t.add_row(
            _short(name, 46),
            str(r.year),
            "" if str(r.sex) == "total" else str(r.sex),
            observed_text(float(r.observed_low), float(r.observed_high), share=share),
            band_text(sim, share=share),
            mark,
        )
    return t, line


def _records(frame: pd.DataFrame) -> list[Any]:
    """Rows as named tuples read by column name (pandas-stubs types their fields too widely)."""
    return list(frame.itertuples(index=False))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def print_summary(console: Console, bundle: Bundle, *, full: bool = False) -> None:
    """Print the summary of a results bundle.

    Args:
        console: Where to print.
        bundle: The results folder, opened.
        full: Every observed row and the detail tables, not one screen.
    """
    _header(console, bundle)
    view = View(bundle)
    for pop in populations(bundle.scenario):
        if pop.context:
            title = f"{pop.name} — context, not included above"
        elif pop.within:
            title = f"{pop.name} (part of the above)"
        else:
            title = pop.name[:1].upper() + pop.name[1:]
        console.print(_figures_table(view, pop.id, title))
    table, line = _observations(bundle, full)
    console.print(line, highlight=False)
    if table is not None:
        console.print(table)
    if full:
        _detail(console, bundle, view)


def _detail(console: Console, bundle: Bundle, view: View) -> None:
    info = bundle.scenario
    stocks = bundle.table("stocks")
    if len(stocks):
        stocks = stocks.assign(year=pd.to_datetime(stocks["date"]).dt.year)
        last = stocks.sort_values("date").groupby("year")["date"].max()
        years = sorted(last.index)[::3]
        if sorted(last.index)[-1] not in years:
            years.append(sorted(last.index)[-1])
        sel = stocks[stocks["date"].isin([last[y] for y in years])]
        table = (
            sel.groupby(["state", "year", "run"])["count"]
            .sum()
            .groupby(["state", "year"])
            .median()
            .unstack("year")
            .fillna(0)
        )
        t = Table(
            title="People in each state on 31 December (median over runs)",
            title_justify="left",
            show_edge=False,
        )
        t.add_column("state")
        for y in years:
            t.add_column(str(y), justify="right")
        for sid, row in table.iterrows():
            st = info.state(str(sid))
            if st is None or st.kind in ("classification", "travel", "crossing"):
                continue
            if float(row.max()) < 0.5:
                continue
            t.add_row(_short(st.name, 50), *[number(float(row.get(y, 0))) for y in years])
        console.print(t)
    if bundle.has("events"):
        ev = bundle.table("events")
        if len(ev):
            agg = cast(
                "pd.DataFrame",
                ev.groupby(["event", "id", "date", "happened"], as_index=False)["count"].sum(),
            )
            t = Table(
                title="Waves and reclassifications (people moved, mean per run)",
                title_justify="left",
                show_edge=False,
            )
            for c in ("event", "id", "date", "people"):
                t.add_column(c, justify="right" if c == "people" else "left")
            for r in _records(agg):
                n = float(r.count) / max(bundle.run.runs, 1)
                t.add_row(
                    str(r.event),
                    str(r.id),
                    str(r.date),
                    number(n) if r.happened else "did not happen (border closed)",
                )
            console.print(t)
    sentences = view.sentences()
    if sentences.shape[1]:
        t = Table(
            title="Sentences, by kind (people of the headline population)",
            title_justify="left",
            show_edge=False,
        )
        t.add_column("sentence")
        t.add_column("people", justify="right")
        for sid in sentences.columns:
            s = Summary(float(sentences[sid].median()))
            t.add_row(info.state_name(str(sid)), band_text(s))
        console.print(t)


def print_comparison(
    console: Console, base: Bundle, others: Sequence[Bundle], *, population: str | None = None
) -> None:
    """Print what each what-if changes against the baseline, paired by seed.

    Args:
        console: Where to print.
        base: The baseline results.
        others: One or more what-if results.
        population: The population compared (default: the headline population).
    """
    vb = View(base)
    for other in others:
        vo = View(other)
        label = other.run.label
        what = (
            f": {other.scenario.variant_description}"
            if (other.scenario.variant_description)
            else ""
        )
        console.print(f"[bold]What if — {label}{what}[/bold]", highlight=False)
        console.print(f"against the baseline {base.run.label}", highlight=False)
        if other.run.posterior is not None or base.run.posterior is not None:
            console.print(
                "Parameters drawn from the calibration's posterior: the intervals carry "
                "what the data leave uncertain as well as the engine's noise.",
                highlight=False,
            )
        diffs = compare(vb, vo, population)
        pops = {p.id: p for p in populations(base.scenario)}
        name = (
            pops[population].name
            if population in pops
            else (next(iter(pops.values())).name if pops else "everyone")
        )
        console.print(_comparison_table(diffs, name))
        if diffs and diffs[0].paired:
            console.print(
                f"Differences are over {diffs[0].paired} pairs of runs with the same seed "
                "(median and 5–95% of the pairs): the runs share random numbers wherever the "
                "two scenarios agree.",
                highlight=False,
            )
        elif diffs:
            console.print(
                "No runs with a common seed: differences are of the medians, without a band.",
                highlight=False,
            )


def _comparison_table(diffs: list[Difference], population: str) -> Table:
    t = Table(
        title=f"{population[:1].upper() + population[1:]}: model estimates",
        title_justify="left",
        show_edge=False,
    )
    t.add_column("people")
    t.add_column("baseline", justify="right")
    t.add_column("what-if", justify="right")
    t.add_column("difference", justify="right")
    for d in diffs:
        t.add_row(
            d.metric.label, band_text(d.base), band_text(d.other), band_text(d.diff, signed=True)
        )
    return t


def print_calibration(console: Console, folder: Path) -> None:
    """The closing summary of a calibration: short plain sentences and two tables.

    Args:
        console: Where to print.
        folder: A folder written by ``crossings calibrate``.
    """
    import json  # noqa: PLC0415

    meta = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    method = (
        f"the exact posterior (importance sampling: effective sample size "
        f"{meta['ess']:,.0f}, Pareto k̂ {meta['khat']:.2f})"
        if meta["method"] == "importance"
        else "a normal approximation at the mode (the exact posterior could not be "
        "sampled: see the warning)"
        if meta.get("importance_failed")
        else "a normal approximation at the mode (a preview: use the default method for "
        "the exact posterior)"
    )
    rows = f"{meta['rows']} observed numbers"
    if meta.get("rows_independent") is not None and meta["rows_independent"] < meta["rows"]:
        rows += (
            f" ({meta['rows_independent']} independent: totals that are sums of other "
            "counts are predicted, not fitted twice)"
        )
    console.print(
        f"Calibrated {meta['scenario']}: {len(meta['unknowns'])} unknowns "
        f"({meta['coordinates']} coordinates) fitted to {rows}; "
        f"{method}; {meta['evaluations']:,} model evaluations in {meta['seconds']:,.0f} s.",
        highlight=False,
    )
    failed = meta.get("importance_failed")
    if failed:
        how = (
            "HMC on a surrogate of the model, importance-corrected, was hopeless after "
            f"{int(failed['pilot_draws']):,} exact draws"
            if failed.get("sampler") == "hmc"
            else "importance sampling from the Laplace fit was hopeless on a pilot of "
            f"{int(failed['pilot_draws']):,} draws"
        )
        console.print(
            f"Warning: the exact posterior could not be sampled: {how} (Pareto "
            f"k̂ {failed['khat']:.2f}, effective sample size {failed['ess']:,.0f}). The "
            "intervals reported are the Laplace approximation's: a normal at the mode, "
            "which misses skew and heavy tails.",
            highlight=False,
        )
    if not meta.get("converged", True):
        console.print(
            "Warning: the mode search stopped "
            + (
                "when its damping grew without any step being accepted"
                if meta.get("stopped_by") == "damping"
                else f"at its limit ({meta['iterations']} Jacobians)"
            )
            + " before its convergence test was met"
            + (
                "; the importance weights correct the proposal, but check k̂ and the "
                "effective sample size"
                if meta["method"] == "importance"
                else "; the Laplace approximation is centred on an approximate mode (raise "
                "--max-iter)"
            )
            + ".",
            highlight=False,
        )
    if meta["method"] == "importance" and (meta["khat"] or 0) > 0.7:
        console.print(
            "Warning: k̂ is above 0.7, so the importance sample is not reliable; rerun with "
            "a larger --target-ess or report the Laplace preview as such.",
            highlight=False,
        )
    elif meta["method"] == "importance" and meta["ess"] < meta.get("target_ess", 0):
        console.print(
            f"Warning: the effective sample size ({meta['ess']:,.0f}) fell short of its "
            f"target ({meta['target_ess']:,.0f}) within the sampler's draw limit; tail "
            "quantiles are less precise than asked.",
            highlight=False,
        )
    console.print(
        f"Observed counts inside their 90% predictive interval: {meta['coverage90']:.0%} "
        f"(50% interval: {meta['coverage50']:.0%}).",
        highlight=False,
    )
    est = pd.read_csv(folder / "estimates.csv")
    idf = pd.read_csv(folder / "identifiability.csv")
    labels = {str(r.quantity): str(r.label) for r in _records(idf)}
    whole = est[
        (est["sex"] == "total") & est["year"].astype(str).isin(["all years", "yearly mean"])
    ]
    tot = whole.assign(
        quantity=[f"{q} ({y})" for q, y in zip(whole["quantity"], whole["year"], strict=True)]
    ).set_index("quantity")[["p05", "p50", "p95"]]
    if len(tot):
        t = Table(
            title="Estimates over the whole span (model results, not counts)",
            title_justify="left",
            show_edge=False,
        )
        t.add_column("quantity")
        t.add_column("median (5–95%)", justify="right")
        t.add_column("what the data say")
        for q, r in tot.iterrows():
            t.add_row(
                str(q).replace("_", " "),
                band_text(Summary(float(r["p50"]), float(r["p05"]), float(r["p95"]))),
                labels.get(str(q), "–"),
            )
        console.print(t)
    checks = pd.read_csv(folder / "checks.csv")
    if len(checks):
        t = Table(
            title="Reported figures held back as checks", title_justify="left", show_edge=False
        )
        for c in ("series", "year", "observed", "predicted (90%)", "verdict"):
            t.add_column(c)
        for r in _records(checks):
            t.add_row(
                str(r.series),
                str(r.year),
                observed_text(float(r.low), float(r.high)),
                band_text(Summary(float(r.p50), float(r.p05), float(r.p95))),
                str(r.verdict),
            )
        console.print(t)
    limits = meta.get("limits") or []
    if limits:
        t = Table(
            title="Known limits: what the model leaves out", title_justify="left", show_edge=False
        )
        t.add_column("left out")
        t.add_column("what it does to the estimates")
        for x in limits:
            t.add_row(str(x["what"]), str(x["effect"]))
        console.print(t)
    console.print(
        f"calibration written to {folder}/ (summary.md explains every file)", highlight=False
    )


__all__ = [
    "band_text",
    "number",
    "observed_text",
    "print_calibration",
    "print_comparison",
    "print_summary",
]
