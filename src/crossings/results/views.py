"""Headline figures of a results bundle, per population: what every reader shows.

The command line's summary, ``crossings compare``, the report's first screen
and what-if table and the web app all take their numbers from here, so a
figure is computed once and labelled the same way everywhere.

Figures are per **population** (:class:`~crossings.results.bundle.PopulationInfo`):
the people the scenario is about (the headline population) are never added up
with a context population (such as a political-camp population that was there
before the simulated span). Every figure is a model result — an estimate, not
a count — summarised over runs as the median and the 5–95% band; for exact
expected values (one noiseless "run") there is no band.

A move *into* a kind of state counts people entering a state of that kind
from a state of another kind (or entering the system); the people already in
a state when the span begins (``from_state == "start"``) are not counted as
entering it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.results.bundle import (
    FAMILY_ANY,
    Bundle,
    PopulationInfo,
    RunMode,
    ScatterInfo,
    ScenarioInfo,
)

OUTSIDE = "outside"
START = "start"


@dataclass(frozen=True)
class Metric:
    """A headline figure: how it is counted and how it is labelled.

    Attributes:
        key: Identifier (used in tables and JSON).
        label: What it is, in words (with the unit where it is not people).
        how: ``entries`` (moves into states of ``kinds`` from other kinds),
            ``present`` (people there at the start), ``end`` (people in states
            of ``kinds`` on the last day), ``peak`` (largest month-end number
            in ``kinds``), ``families`` (family members affected, each once).
        kinds: State kinds the figure counts.
    """

    key: str
    label: str
    how: str
    kinds: tuple[str, ...] = ()
    whole: bool = False
    """Only for a whole (top-level) population: entries and start stocks of a
    sub-population are not its own."""


METRICS: tuple[Metric, ...] = (
    Metric("entered", "people who entered during the span", "entries", ("*",), whole=True),
    Metric("present_at_start", "people already there when the span begins", "present", whole=True),
    Metric("arrivals", "arrivals in safety", "entries", ("arrived",), whole=True),
    Metric("caught_abroad", "arrested or caught abroad", "entries", ("detained",)),
    Metric("sent_back", "sent back and interrogated", "entries", ("interrogation",)),
    Metric(
        "sentenced", "sentences passed (a re-arrest is sentenced again)", "entries", ("sentence",)
    ),
    Metric("deaths", "deaths", "entries", ("dead",)),
    Metric("households", "households punished (once per sentence)", "households"),
    Metric("families", "family members punished (each person once per sentence)", "families"),
    Metric(
        "detained_peak", "detention queue at its peak (people held abroad)", "peak", ("detained",)
    ),
    Metric("hiding_end", "people hiding abroad on the last day", "end", ("hiding",), whole=True),
    Metric("held_end", "people serving sentences on the last day", "end", ("sentence",)),
)
"""The headline figures, in the order they are shown."""


@dataclass
class View:
    """A results bundle prepared for headline figures.

    Attributes:
        bundle: The opened results folder.
        population: The population shown (default: the headline population).
    """

    bundle: Bundle
    population: str | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def scenario(self) -> ScenarioInfo:
        """The bundle's scenario description."""
        return self.bundle.scenario

    @property
    def expected(self) -> bool:
        """Whether the figures are exact expected values (no band)."""
        return self.bundle.run.mode is RunMode.EXPECTED

    @property
    def runs(self) -> list[int]:
        """Run indices."""
        return list(range(self.bundle.run.runs))

    @property
    def seeds(self) -> list[int]:
        """The seed of each run (its index when unknown)."""
        seeds = self.bundle.run.seeds
        return list(seeds) if len(seeds) == self.bundle.run.runs else self.runs

    def states(self, population: str | None = None) -> set[str]:
        """The states of a population (every state when the scenario declares none)."""
        return population_states(self.scenario, population or self.population)

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            frame = self.bundle.table(name)
            if name == "flows":
                frame = frame[~frame["to_state"].astype(str).str.startswith("flag:")]
            self._cache[name] = frame
        return self._cache[name]

    def per_run(self, population: str | None = None) -> pd.DataFrame:
        """Every metric for every run (rows: run index), for one population."""
        pop = population or self.population
        key = f"per_run:{pop}"
        if key not in self._cache:
            self._cache[key] = self._per_run(population)
        return self._cache[key].copy()

    def _per_run(self, population: str | None) -> pd.DataFrame:
        states = self.states(population)
        pop = population or self.population
        sub = any(p.id == pop and p.within for p in self.scenario.populations)
        kind = {s.id: s.kind for s in self.scenario.states}
        n_runs = len(self.runs)
        index = pd.Index(self.runs, name="run")
        # numpy over codes: each distinct state id is looked up once, not once per row
        flows = self._table("flows")
        f_run = flows["run"].to_numpy(np.int64)
        f_count = flows["count"].to_numpy(np.float64)
        src_c, src_u = _codes(flows["from_state"])
        dst_c, dst_u = _codes(flows["to_state"])
        inside = np.array([u in states for u in dst_u], bool)[dst_c]
        src_kind = np.array([kind.get(u, u) for u in src_u], dtype=object)
        dst_kind = np.array([kind.get(u, "") for u in dst_u], dtype=object)
        is_start = np.array([u == START for u in src_u], bool)[src_c]
        is_outside = np.array([u == OUTSIDE for u in src_u], bool)[src_c]
        same_kind = src_kind[src_c] == dst_kind[dst_c]
        stocks = self._table("stocks")
        s_run = stocks["run"].to_numpy(np.int64)
        s_count = stocks["count"].to_numpy(np.float64)
        st_c, st_u = _codes(stocks["state"])
        date_c, date_u = pd.factorize(stocks["date"], sort=True)
        s_inside = np.array([u in states for u in st_u], bool)[st_c]
        st_kind = np.array([kind.get(u, "") for u in st_u], dtype=object)

        def per_run_sum(run: NDArray[np.int64], w: NDArray[np.float64], mask: Any) -> pd.Series:
            total = np.bincount(run[mask], weights=w[mask], minlength=n_runs)[:n_runs]
            return pd.Series(total, index=index)

        out: dict[str, pd.Series] = {}
        for m in METRICS:
            if m.whole and sub:
                continue
            if m.how == "entries":
                if m.kinds != ("*",):
                    to_kind = np.isin(dst_kind, list(m.kinds))[dst_c] & inside
                    if not to_kind.any():
                        continue  # the scenario has no such states
                    entering = to_kind & ~is_start & ~same_kind
                else:
                    entering = inside & ~is_start & is_outside
                out[m.key] = per_run_sum(f_run, f_count, entering)
            elif m.how == "present":
                out[m.key] = per_run_sum(f_run, f_count, inside & is_start)
            elif m.how in ("end", "peak"):
                in_kind = np.isin(st_kind, list(m.kinds))[st_c] & s_inside
                if not in_kind.any():
                    continue
                D = max(len(date_u), 1)
                key = s_run[in_kind] * D + date_c[in_kind]
                grid = np.bincount(key, weights=s_count[in_kind], minlength=n_runs * D)
                grid = grid[: n_runs * D].reshape(n_runs, D)
                # "end": the last date of the population's stocks
                last = int(date_c[s_inside].max())
                vals = grid[:, last] if m.how == "end" else grid.max(axis=1)
                out[m.key] = pd.Series(vals, index=index)
            elif m.how in ("families", "households") and self.bundle.has("families"):
                fam = self._table("families")
                fam = fam[
                    (fam["consequence"] == FAMILY_ANY)
                    & fam["outcome_state"].astype(str).isin(states)
                ]
                col = "members" if m.how == "families" else "households"
                if len(fam):
                    out[m.key] = fam.groupby("run")[col].sum().reindex(index, fill_value=0)
        return pd.DataFrame(out, index=index).astype(float)

    def sentences(self, population: str | None = None) -> pd.DataFrame:
        """People sentenced to each sentence state (rows: run; columns: state ids)."""
        states = self.states(population)
        kind = {s.id: s.kind for s in self.scenario.states}
        flows = self._table("flows")
        to = flows["to_state"].astype(str)
        sel = flows[
            to.isin(states)
            & (to.map(kind) == "sentence")
            & (flows["from_state"].astype(str).map(lambda x: kind.get(x, x)) != "sentence")
            & (flows["from_state"].astype(str) != START)
        ]
        table = sel.pivot_table(
            index="run", columns="to_state", values="count", aggfunc="sum", fill_value=0
        )
        return table.reindex(index=self.runs, fill_value=0).astype(float)


def population_states(info: ScenarioInfo, population: str | None) -> set[str]:
    """The states of ``population`` (its sub-populations' states included).

    ``None`` means the headline population; a scenario without populations
    has one, holding every state.
    """
    if not info.populations:
        return {s.id for s in info.states}
    pop = population or headline(info).id
    return {s.id for s in info.states if s.population == pop or pop in s.subpopulations}


def headline(info: ScenarioInfo) -> PopulationInfo:
    """The population the scenario is about."""
    for p in info.populations:
        if p.headline:
            return p
    return PopulationInfo(id="everyone", name="everyone", headline=True)


def populations(info: ScenarioInfo) -> list[PopulationInfo]:
    """The headline population first, then sub-populations, then context populations."""
    pops = list(info.populations) or [headline(info)]
    return sorted(pops, key=lambda p: (not p.headline, p.context, p.within is not None, p.id))


@dataclass(frozen=True)
class Summary:
    """A figure summarised over runs.

    Attributes:
        median: The median over runs (the value itself for expected values).
        p05: The 5% quantile (``None`` without a band: one run or expected values).
        p95: The 95% quantile (``None`` without a band).
    """

    median: float
    p05: float | None = None
    p95: float | None = None

    @property
    def has_band(self) -> bool:
        """Whether there is a 5–95% band."""
        return self.p05 is not None and self.p95 is not None


def summarise(values: Sequence[float] | np.ndarray, *, band: bool = True) -> Summary:
    """Median and 5–95% of per-run values (no band for fewer than two runs)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return Summary(math.nan)
    med = float(np.median(v))
    if not band or v.size < 2:
        return Summary(med)
    q = np.quantile(v, [0.05, 0.95], method="linear")
    return Summary(med, float(q[0]), float(q[1]))


def headline_figures(view: View, population: str | None = None) -> list[tuple[Metric, Summary]]:
    """Every metric the population has, summarised over runs."""
    table = view.per_run(population)
    return [
        (m, summarise(table[m.key].to_numpy(), band=not view.expected))
        for m in METRICS
        if m.key in table.columns
    ]


@dataclass(frozen=True)
class Difference:
    """A what-if's difference from its baseline for one figure.

    Attributes:
        metric: The figure.
        base: Baseline, summarised over runs.
        other: What-if, summarised over runs.
        diff: The difference (what-if − baseline) summarised over pairs of runs
            with the same seed, or the difference of medians without pairs.
        paired: Pairs of runs with a common seed (0: difference of medians).
    """

    metric: Metric
    base: Summary
    other: Summary
    diff: Summary
    paired: int


def compare(base: View, other: View, population: str | None = None) -> list[Difference]:
    """Headline figures of a what-if against its baseline, paired by seed.

    Runs with the same seed share random numbers wherever the two scenarios
    agree (the engine keys every draw by identity), so the difference of a
    pair is mostly the policy's effect, not noise.
    """
    tb, to = base.per_run(population), other.per_run(population)
    seed_b = dict(zip(base.seeds, base.runs, strict=True))
    seed_o = dict(zip(other.seeds, other.runs, strict=True))
    common = sorted(set(seed_b) & set(seed_o))
    band = not (base.expected or other.expected)
    out = []
    for m in METRICS:
        if m.key not in tb.columns or m.key not in to.columns:
            continue
        b = summarise(tb[m.key].to_numpy(), band=band)
        o = summarise(to[m.key].to_numpy(), band=band)
        if common:
            d = np.array(
                [float(to[m.key][seed_o[s]]) - float(tb[m.key][seed_b[s]]) for s in common]
            )
            diff = summarise(d, band=band)
        else:
            diff = Summary(o.median - b.median)
        out.append(Difference(m, b, o, diff, len(common)))
    return out


# ------------------------------------------------------------------ observations
@dataclass(frozen=True)
class Verdict:
    """How a simulated value compares with what was observed.

    Attributes:
        text: ``inside``, ``outside``, or ``no band`` (one run) / ``point``.
        by: How far outside (people or share), 0 inside.
        relative: ``by`` relative to the observed value (NaN when it is 0).
    """

    text: str
    by: float = 0.0
    relative: float = math.nan


def verdict(
    low: float,
    high: float,
    sim_low: float | None,
    sim_high: float | None,
    *,
    kind: str = "count",
    scatter: ScatterInfo | None = None,
) -> Verdict:
    """Whether the simulation meets what was observed, and by how much it misses.

    The observed interval is ``[low, high]`` (equal for a count; an open end
    is NaN, meaning unbounded). The simulation band ``[sim_low, sim_high]``
    (the 5–95% of runs; ``None`` without a band, which gives no verdict) is
    widened by the scatter the scenario's observation model allows around
    the model's value: ±1.645 standard deviations of the extra-Poisson
    scatter of a count (``dispersion``), or the relative ``range_sd`` of a
    reported range or estimate. A miss is measured from the widened band.
    """
    if sim_low is None or sim_high is None:
        return Verdict("no band")
    sc = scatter or ScatterInfo()
    if kind == "count":
        mid = max((sim_low + sim_high) / 2, 0.0)
        pad = 1.645 * math.sqrt(sc.dispersion) * mid
        sim_low, sim_high = sim_low - pad, sim_high + pad
    elif kind in ("estimate", "range"):
        f = math.exp(1.645 * sc.range_sd)
        sim_low, sim_high = sim_low / f, sim_high * f
    lo = -math.inf if math.isnan(low) else low
    hi = math.inf if math.isnan(high) else high
    if sim_high < lo:
        gap = lo - sim_high
        ref = lo
    elif sim_low > hi:
        gap = sim_low - hi
        ref = hi
    else:
        return Verdict("inside")
    return Verdict("outside", gap, gap / ref if ref else math.nan)


# ------------------------------------------------------------------ reading (added for the
# report and the web app: the same words and numbers as the command line's summary)
def number(x: float | None, *, share: bool = False) -> str:
    """A number for reading: ``1,234``, ``45.8%``, ``0.37``; a dash for nothing (never ``nan``)."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    if share:
        return f"{100 * x:.1f}%"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:,.1f}"
    return f"{x:.2g}"


def signed(x: float | None, *, share: bool = False) -> str:
    """A difference for reading: ``+2,460``, ``−12`` (a minus sign), ``0`` (a dash for nothing)."""
    text = number(x, share=share)
    if x is not None and math.isfinite(float(x)) and x > 0 and text != "0":
        return "+" + text
    return text.replace("-", "\u2212", 1) if text.startswith("-") else text


def observed_text(low: float, high: float, *, share: bool = False) -> str:
    """What was observed: a number, a range (``200–600``) or an open range in words."""
    lo_ok, hi_ok = math.isfinite(low), math.isfinite(high)
    if lo_ok and hi_ok and low == high:
        return number(low, share=share)
    if lo_ok and hi_ok:
        return f"{number(low, share=share)}–{number(high, share=share)}"
    if lo_ok:
        return f"more than {number(low, share=share)}"
    if hi_ok:
        return f"at most {number(high, share=share)}"
    return "–"


def band_text(s: Summary, *, share: bool = False, diff: bool = False) -> str:
    """A summary as ``median (p05 to p95)``, or the value alone without a band.

    A band that is a single value (every run the same) is not repeated.
    ``diff`` writes the numbers with their signs (a what-if's difference).
    """
    med = signed(s.median, share=share) if diff else number(s.median, share=share)
    if not s.has_band or s.p05 == s.p95 == s.median:
        return med
    fmt = signed if diff else number
    return f"{med} ({fmt(s.p05, share=share)} to {fmt(s.p95, share=share)})"


def verdict_text(v: Verdict, *, share: bool = False) -> str:
    """A verdict in words: ``inside``, ``outside by 120 (5%)``, or ``""`` without a band."""
    if v.text == OUTSIDE:
        if share:
            return f"outside by {100 * v.by:.1f} percentage points"
        rel = f" ({100 * v.relative:.0f}%)" if math.isfinite(v.relative) else ""
        return f"outside by {number(v.by)}{rel}"
    return "inside" if v.text == "inside" else ""


def has_band(bundle: Bundle) -> bool:
    """Whether the bundle's figures have a 5–95% band (several agent runs, not expected values)."""
    return bundle.run.mode is not RunMode.EXPECTED and bundle.run.runs > 1


def run_text(bundle: Bundle, calibration: str | None = None) -> str:
    """How the numbers were produced, in words (agent runs and seeds, expected values, draws).

    Args:
        bundle: The results.
        calibration: How to name the calibration of a posterior run (the web
            app gives its registered name); default: its folder as recorded.
    """
    r = bundle.run
    if r.mode is RunMode.EXPECTED:
        return "exact expected values (no agents, no noise)"
    if r.mode.drawn:
        origin = f" in {r.posterior.path}" if r.posterior else ""
        if calibration is not None:
            origin = f" '{calibration}'"
        if r.mode is RunMode.POSTERIOR_EXPECTED:
            return (
                f"exact expected values of {r.runs} parameter set{'s' if r.runs != 1 else ''} "
                f"drawn from the calibration's posterior{origin} (no agents: the band is the "
                "parameters' uncertainty only)"
            )
        return (
            f"{r.runs} agent run{'s' if r.runs != 1 else ''}, each with its parameters drawn "
            f"from the calibration's posterior{origin}"
        )
    if not r.seeds:
        return f"{r.runs} agent run{'s' if r.runs != 1 else ''}"
    seeds = (
        f"seed {r.seeds[0]}"
        if len(r.seeds) == 1
        else f"seeds {r.seeds[0]}–{r.seeds[-1]}"
        if r.seeds == list(range(r.seeds[0], r.seeds[0] + len(r.seeds)))
        else "seeds " + ", ".join(str(s) for s in r.seeds)
    )
    return f"{r.runs} agent run{'s' if r.runs != 1 else ''} ({seeds})"


def population_title(pop: PopulationInfo) -> str:
    """A population's heading: its name, capitalised, with ``context`` or ``part of`` noted."""
    name = pop.name[:1].upper() + pop.name[1:]
    if pop.context:
        said = "context" in pop.name.lower()
        return f"{name} — {'' if said else 'context, '}not included in the figures above"
    if pop.within:
        return f"{name} (part of the above)"
    return name


def series_title(info: ScenarioInfo, series: str) -> str:
    """The readable title of an observation series (``…_female_share``: women's share of it)."""
    base = series.removesuffix("_female_share")
    obs = info.observation(base)
    name = obs.name if obs is not None else base.replace("_", " ")
    if base != series:
        return f"Women's share of {name}"
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class ObservedRow:
    """One observed number against the simulation, with its verdict.

    Attributes:
        series: Series id (as in ``observations.csv``).
        title: The series in words.
        year: Year, span of years (``1999-2001``) or date.
        sex: ``total``, ``female`` or ``male``.
        kind: ``count``, ``estimate`` or ``share``.
        unit: Its unit (``people``, ``share of total``).
        low: Lower end of what was observed (NaN: open).
        high: Upper end (NaN: open); equal to ``low`` for a single number.
        observed: The single observed figure (a range's point value).
        simulated: The simulation's median and band (no band: one run or expected values).
        verdict: Inside or outside (``no band`` without a band).
        sources: Source ids.
    """

    series: str
    title: str
    year: str
    sex: str
    kind: str
    unit: str
    low: float
    high: float
    observed: float
    simulated: Summary
    verdict: Verdict
    sources: tuple[str, ...] = ()

    @property
    def share(self) -> bool:
        """Whether the row is a share (shown as a percentage)."""
        return self.kind == "share"

    @property
    def observed_text(self) -> str:
        """What was observed, in words (a number, a range, an open range)."""
        return observed_text(self.low, self.high, share=self.share)

    @property
    def simulated_text(self) -> str:
        """The simulation's median with its band."""
        return band_text(self.simulated, share=self.share)

    @property
    def verdict_text(self) -> str:
        """``inside``, ``outside by …`` or ``""`` (no band)."""
        return verdict_text(self.verdict, share=self.share)


def as_float(x: object) -> float:
    """A table cell as a float (NaN when empty or not a number)."""
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class EstimateRow:
    """A calibration's model estimate of something nobody counts, with what the data say.

    Attributes:
        quantity: The estimate's key in the scenario (``attempts``).
        title: Its name in words (the scenario's ``estimates`` name).
        year: A year, or ``all years``.
        sex: ``total``, ``female`` or ``male``.
        median: Posterior median.
        p05: 5th percentile.
        p95: 95th percentile.
        label: What the data can tell about it ("set by the data", "partly set by
            the data", "prior-driven: …"): the row's posterior against its prior
            width; empty when the calibration measured none.
    """

    quantity: str
    title: str
    year: str
    sex: str
    median: float
    p05: float
    p95: float
    label: str

    @property
    def text(self) -> str:
        """``median (p05 to p95)``, as every figure with a band is written."""
        return band_text(Summary(self.median, self.p05, self.p95))


def _label(x: object) -> str:
    """A label cell as text (empty for a missing one)."""
    return x if isinstance(x, str) else ""


def identifiability_labels(identifiability: pd.DataFrame | None) -> dict[str, str]:
    """The label of each estimate's total, by ``quantity (year)`` as the calibration writes it."""
    if identifiability is None or identifiability.empty:
        return {}
    est = identifiability[identifiability["kind"].astype(str) == "estimate"]
    return {str(q): str(lab) for q, lab in zip(est["quantity"], est["label"], strict=True)}


def estimate_rows(
    info: ScenarioInfo, estimates: pd.DataFrame, identifiability: pd.DataFrame | None = None
) -> list[EstimateRow]:
    """A calibration's ``estimates.csv`` rows in words, each with what the data say of it.

    The label is the row's own (``estimates.csv``'s ``label``: its posterior
    against its prior 90% width); a calibration written before that column
    existed has labels for the totals only, from ``identifiability.csv``.
    """
    said = identifiability_labels(identifiability)
    own = "label" in estimates.columns
    out = []
    for rec in estimates.to_dict("records"):
        q, year = str(rec["quantity"]), str(rec["year"])
        out.append(
            EstimateRow(
                quantity=q,
                title=info.estimates.get(q, q.replace("_", " ")),
                year=year,
                sex=str(rec["sex"]),
                median=as_float(rec["p50"]),
                p05=as_float(rec["p05"]),
                p95=as_float(rec["p95"]),
                label=_label(rec["label"]) if own else said.get(f"{q} ({year})", ""),
            )
        )
    return out


@dataclass(frozen=True)
class HeldBackCheck:
    """A reported figure kept out of the fit, against the posterior predictive.

    Attributes:
        series: The observation series' id.
        title: The series in words.
        year: The year or date it is about.
        observed: What was reported, in words (a number, a range, "more than …").
        predicted: Posterior predictive median with its 90% interval, in words.
        verdict: The calibration's verdict (consistent, or how it misses).
    """

    series: str
    title: str
    year: str
    observed: str
    predicted: str
    verdict: str


def held_back_checks(info: ScenarioInfo, checks: pd.DataFrame | None) -> list[HeldBackCheck]:
    """A calibration's ``checks.csv`` in words (empty without one)."""
    if checks is None or checks.empty:
        return []
    out = []
    for rec in checks.to_dict("records"):
        med, lo, hi = (as_float(rec[k]) for k in ("p50", "p05", "p95"))
        out.append(
            HeldBackCheck(
                series=str(rec["series"]),
                title=series_title(info, str(rec["series"])),
                year=str(rec["year"]),
                observed=observed_text(as_float(rec["low"]), as_float(rec["high"])),
                predicted=f"{number(med)} ({number(lo)}–{number(hi)})",
                verdict=str(rec["verdict"]),
            )
        )
    return out


def identifiability_counts(identifiability: pd.DataFrame | None) -> list[tuple[str, int]]:
    """How many of the calibration's scenario numbers carry each label, most common first."""
    if identifiability is None or identifiability.empty:
        return []
    unk = identifiability[identifiability["kind"].astype(str) == "unknown"]
    counts = unk["label"].astype(str).value_counts()
    return [(str(lab), int(n)) for lab, n in counts.items()]


def observed_rows(bundle: Bundle) -> list[ObservedRow]:
    """Every observed number of a bundle against the simulation, with its verdict.

    The verdict (:func:`verdict`) widens the simulation's 5–95% band by the
    scatter the scenario's observation model allows — for counts
    (``dispersion``), and for reported ranges and estimates (``range_sd``);
    open-ended ranges are unbounded on their open side. A bundle without a
    band (one run, expected values) gets no verdict.
    """
    obs = bundle.table("observations")
    info = bundle.scenario
    band = has_band(bundle)
    out = []
    for rec in obs.to_dict("records"):
        kind = str(rec.get("kind") or "count")
        point = as_float(rec.get("observed"))
        lo, hi = as_float(rec.get("observed_low")), as_float(rec.get("observed_high"))
        if math.isnan(lo) and math.isnan(hi):
            lo = hi = point
        sim = Summary(
            as_float(rec.get("simulated")),
            as_float(rec.get("simulated_p05")) if band else None,
            as_float(rec.get("simulated_p95")) if band else None,
        )
        ranged = not (math.isfinite(lo) and math.isfinite(hi) and lo == hi)
        how = "range" if kind == "count" and ranged else kind
        v = verdict(lo, hi, sim.p05, sim.p95, kind=how, scatter=info.scatter)
        srcs = str(rec.get("sources") or "")
        out.append(
            ObservedRow(
                series=str(rec["series"]),
                title=series_title(info, str(rec["series"])),
                year=str(rec["year"]),
                sex=str(rec["sex"]),
                kind=kind,
                unit=str(rec.get("unit") or "people"),
                low=lo,
                high=hi,
                observed=point,
                simulated=sim,
                verdict=v,
                sources=tuple(s.strip() for s in srcs.split(";") if s.strip() and srcs != "nan"),
            )
        )
    return out


@dataclass(frozen=True)
class SeriesCheck:
    """How one observed series compares with the simulation, in a line.

    Attributes:
        series: Series id.
        title: The series in words.
        rows: Observed numbers compared.
        inside: How many lie inside the (widened) band.
        outside: The rows outside, furthest first.
    """

    series: str
    title: str
    rows: int
    inside: int
    outside: tuple[ObservedRow, ...]


def series_checks(rows: Sequence[ObservedRow]) -> list[SeriesCheck]:
    """Observed rows grouped by series (in order), with how many lie inside the band."""
    order = list(dict.fromkeys(r.series for r in rows))
    out = []
    for s in order:
        mine = [r for r in rows if r.series == s and r.verdict.text in ("inside", OUTSIDE)]
        if not mine:
            continue
        off = sorted(
            (r for r in mine if r.verdict.text == OUTSIDE),
            key=lambda r: -abs(r.verdict.relative) if math.isfinite(r.verdict.relative) else 0,
        )
        out.append(SeriesCheck(s, mine[0].title, len(mine), len(mine) - len(off), tuple(off)))
    return out


# ------------------------------------------------------------------ journeys told with stories
_PRONOUN = {"female": ("woman", "she", "She", "her"), "male": ("man", "he", "He", "him")}


def _day(iso: str) -> str:
    import datetime as dt  # noqa: PLC0415 - only journeys need dates

    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def detected_names(info: ScenarioInfo, detail: str) -> list[str]:
    """The names of the flags in a ``classified`` event's detail (comma-separated ids)."""
    return [
        info.flags.get(f.strip(), f.strip().replace("_", " "))
        for f in detail.split(",")
        if f.strip()
    ]


def story_text(
    info: ScenarioInfo, agent: dict[str, object], events: Sequence[dict[str, object]]
) -> str | None:
    """A sampled person's simulated history told with the scenario's own story phrases.

    Each state may carry a ``story`` (a present-tense verb phrase without its
    subject: "is handed over to North Korea at the Tumen bridge"); the
    history is told with them, and each classification says what
    interrogation detected ("interrogation detected: contact with South
    Koreans"). None when the scenario gives no stories (then
    :func:`crossings.results.journeys.describe_journey` tells it).
    """
    if not any(s.story for s in info.states):
        return None
    noun, she, she_cap, her = _PRONOUN.get(
        str(agent.get("sex")), ("person", "they", "They", "them")
    )
    origin = str(agent.get("origin", ""))
    place = info.place(origin)
    where = (
        f" from {place.name if place is not None else origin.replace('_', ' ')}" if origin else ""
    )
    others = int(str(agent.get("household", 1))) - 1
    family = (
        f", leaving {others} family member{'s' if others != 1 else ''} behind" if others > 0 else ""
    )
    age = str(agent.get("age_band", "")).replace("-", "–")
    parts = [f"A {noun}{f' aged {age}' if age else ''}{where}{family}."]
    cls = {s.id for s in info.states if s.kind == "classification"}

    def does(state: str) -> str:
        st = info.state(state)
        if st is not None and st.story:
            return st.story
        return f"is now: {info.state_name(state)}"

    for ev in events:
        when = _day(str(ev["date"]))
        to = str(ev["to_state"])
        kind = str(ev["kind"])
        if kind == "flag":
            flag = str(ev.get("detail") or "")
            parts.append(f"By {when}: {info.flags.get(flag, flag.replace('_', ' '))}.")
        elif to in cls:
            continue  # told with the classification's outcome
        elif kind == "classified":
            found = detected_names(info, str(ev.get("detail") or ""))
            if found:
                parts.append(
                    f"On {when} interrogation detected: {'; '.join(found)}. {she_cap} {does(to)}."
                )
            else:
                parts.append(
                    f"On {when} interrogation detected nothing against {her}; {she} {does(to)}."
                )
        elif kind == "wave":
            parts.append(f"On {when}, in a mass repatriation, {she} {does(to)}.")
        elif kind == "reclassified":
            parts.append(f"On {when}, re-arrested under a new rule, {she} {does(to)}.")
        elif kind == "entry" and str(ev.get("step")) == "0":
            parts.append(f"When the simulation starts, on {when}, {she} {does(to)}.")
        else:
            parts.append(f"On {when} {she} {does(to)}.")
    final = str(agent.get("final_state", ""))
    if events and str(events[-1]["to_state"]) == final:
        parts.append(f"{she_cap} is still there on {_day(info.end.isoformat())}.")
    return " ".join(parts)


__all__ = [
    "METRICS",
    "Difference",
    "EstimateRow",
    "HeldBackCheck",
    "Metric",
    "ObservedRow",
    "SeriesCheck",
    "Summary",
    "Verdict",
    "View",
    "as_float",
    "band_text",
    "compare",
    "detected_names",
    "estimate_rows",
    "has_band",
    "headline",
    "headline_figures",
    "held_back_checks",
    "identifiability_counts",
    "identifiability_labels",
    "number",
    "observed_rows",
    "observed_text",
    "population_states",
    "population_title",
    "populations",
    "run_text",
    "series_checks",
    "series_title",
    "signed",
    "story_text",
    "summarise",
    "verdict",
    "verdict_text",
]


def _codes(col: pd.Series) -> tuple[NDArray[np.intp], list[str]]:
    """A column of ids as integer codes and the distinct ids (as str)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return np.asarray(codes, np.intp), [str(u) for u in uniques]
