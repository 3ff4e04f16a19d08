"""Reading result folders and preparing the tables the report draws.

A :class:`ResultSet` is one results bundle written by ``crossings run --out``
(:mod:`crossings.results.bundle`): its tables, its run record and its
description of the scenario (names, places, the policy timeline, the
sources). The scenario file is never reloaded, so a report can be made from
a folder whose scenario has since changed or been deleted.

Every number shown is a summary over runs: the median and the 5–95% band of
per-run totals.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.report.errors import ReportError
from crossings.results.bundle import (
    OBSERVATION_COLUMNS,
    TABLE_FILES,
    Bundle,
    BundleError,
    RunMode,
    RunRecord,
    ScenarioInfo,
    open_bundle,
)

log = logging.getLogger(__name__)

TABLES: dict[str, tuple[str, ...]] = {
    "observations.csv": (
        "series",
        "year",
        "sex",
        "observed",
        "simulated",
        "simulated_p05",
        "simulated_p95",
    ),
    "stocks.parquet": ("run", "date", "state", "kind", "sex", "count"),
    "flows.parquet": ("run", "year", "from_state", "to_state", "sex", "count"),
    "outcomes.parquet": ("run", "cohort_year", "state", "kind", "sex", "count"),
}
"""Files every results folder must have (besides ``run.json``) and the columns read."""

EVENTS_COLUMNS = ("run", "event", "id", "date", "sex", "count", "happened")
ESTIMATES_COLUMNS = ("quantity", "year", "sex", "p05", "p50", "p95")
COHORT_FLOWS_COLUMNS = ("run", "cohort_year", "from_state", "to_state", "count")
COHORT_HAZARDS_COLUMNS = (
    "run",
    "cohort_year",
    "hazard",
    "names",
    "from_state",
    "to_state",
    "count",
)
BRIBE_TAG = "bribe"
"""Hazards with this name or tag among their names are counted as 'bribed out'."""

STAGE_LABELS: dict[str, str] = {
    "entry": "entered",
    "crossing": "crossing the border",
    "hiding": "hiding abroad",
    "delegation": "delegation abroad",
    "route": "on the way to safety",
    "transit": "in a transit country",
    "arrived": "arrived in safety",
    "detained": "detained abroad",
    "repatriation": "handed over (sent back)",
    "travel": "travelling",
    "interrogation": "interrogation",
    "classification": "classification",
    "released": "released",
    "bribed": "bribed out",
    "home": "home",
    "dead": "died",
    "abroad": "abroad",
    "exited": "left the system",
    "held_end": "still held at the end",
    "abroad_end": "still abroad at the end",
}
"""Readable names of the stages (state kinds, grouped) used in the outcome figures."""

STAGE_COLOURS: dict[str, str] = {
    "entry": "#7f7f7f",
    "crossing": "#ff7f0e",
    "hiding": "#f2b447",
    "delegation": "#c5b0d5",
    "route": "#98df8a",
    "transit": "#4bb04b",
    "arrived": "#1a7a1a",
    "detained": "#d62728",
    "repatriation": "#e377c2",
    "travel": "#c49c94",
    "interrogation": "#9467bd",
    "classification": "#8c564b",
    "released": "#1f77b4",
    "bribed": "#e6ab02",
    "home": "#17becf",
    "dead": "#252525",
    "held_end": "#843c39",
    "abroad_end": "#bcbd22",
    "other": "#aaaaaa",
}
SENTENCE_COLOURS = (
    "#67001f",
    "#b2182b",
    "#d6604d",
    "#f4a582",
    "#a6761d",
    "#e6ab02",
    "#7a0177",
    "#ce1256",
)
STAGE_ORDER = (
    "entry",
    "crossing",
    "delegation",
    "hiding",
    "abroad",
    "route",
    "transit",
    "arrived",
    "exited",
    "detained",
    "repatriation",
    "travel",
    "interrogation",
    "classification",
    "sentence",
    "released",
    "bribed",
    "home",
    "dead",
    "abroad_end",
    "held_end",
    "other",
)

HELD_STAGES = frozenset({"detained", "repatriation", "travel", "interrogation", "classification"})
ABROAD_STAGES = frozenset({"crossing", "hiding", "delegation", "route", "transit", "abroad"})

MAP_CATEGORIES: dict[str, tuple[str, str]] = {
    "escape": ("escape and hiding", "#ff7f0e"),
    "safety": ("towards safety", "#2ca02c"),
    "return": ("arrest, return and punishment", "#d62728"),
    "release": ("release and return home", "#1f77b4"),
}
"""Categories of moves on the map: key → (label, colour)."""

_YEAR = re.compile(r"\d{4}")


def _end_links(stocks: Iterable[tuple[str, float]]) -> list[tuple[str, str, float]]:
    """Sankey links from a stage to "still held" or "still abroad" for who is there at the end."""
    links: list[tuple[str, str, float]] = []
    for stage, count in stocks:
        if count <= 0:
            continue
        base = "sentence" if stage.startswith("sentence:") else stage
        if base in HELD_STAGES or base == "sentence":
            links.append((stage, "held_end", float(count)))
        elif base in ABROAD_STAGES:
            links.append((stage, "abroad_end", float(count)))
    return links


@dataclass(frozen=True)
class PolicySpan:
    """A dated policy of the scenario, for shading timelines.

    Attributes:
        id: Policy id.
        name: Readable name.
        start: First day.
        end: Day after the last day (exclusive).
    """

    id: str
    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Place:
    """A place of the scenario with coordinates.

    Attributes:
        id: Place id.
        name: Readable name.
        kind: Place kind (camp, crossing, hideout, …).
        lat: Latitude in degrees.
        lon: Longitude in degrees.
    """

    id: str
    name: str
    kind: str
    lat: float
    lon: float


@dataclass
class ResultSet:
    """One results bundle and the tables the report draws from it.

    Attributes:
        path: The folder.
        run: Its run record (``run.json``).
        scenario: Its description of the scenario (``scenario.json``).
        observations: ``observations.csv``.
        stocks: ``stocks.parquet`` (monthly).
        flows: ``flows.parquet`` without flag acquisitions.
        outcomes: ``outcomes.parquet``.
        events: ``events.parquet`` if present.
        estimates: ``estimates.csv`` if present (model estimates of what is not counted).
        cohort_flows: ``cohort_flows.parquet`` if present (every move, by entry cohort).
        cohort_hazards: ``cohort_hazards.parquet`` if present (which hazard made each
            move, by entry cohort).
        notes: Visible notes about what is missing.
        label: Name shown in legends (scenario, variant; made unique by the caller).
    """

    path: Path
    run: RunRecord
    scenario: ScenarioInfo
    observations: pd.DataFrame
    stocks: pd.DataFrame
    flows: pd.DataFrame
    outcomes: pd.DataFrame
    events: pd.DataFrame | None = None
    estimates: pd.DataFrame | None = None
    cohort_flows: pd.DataFrame | None = None
    cohort_hazards: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    label: str = ""
    _kinds: dict[str, str] = field(default_factory=dict, repr=False)
    _stage_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _states: set[str] = field(default_factory=set, repr=False)
    _metrics: pd.DataFrame | None = field(default=None, repr=False)

    # ------------------------------------------------------------- metadata
    @property
    def runs(self) -> list[int]:
        """Run indices (0 … n−1)."""
        seen = {int(r) for r in self.stocks["run"].unique()}
        return sorted(set(range(self.run.runs)) | seen)

    @property
    def seeds(self) -> list[int]:
        """The seed of each run, in run order (run index if unknown)."""
        runs = self.runs
        if len(self.run.seeds) == len(runs):
            return list(self.run.seeds)
        return runs

    @property
    def scenario_name(self) -> str:
        """The scenario's name."""
        return self.run.scenario

    @property
    def variant(self) -> str | None:
        """The what-if variant of the run, if any."""
        return self.run.variant

    @property
    def expected(self) -> bool:
        """Whether the numbers are exact expected values (one noiseless "run")."""
        return self.run.mode is RunMode.EXPECTED

    def kind_of(self, state: str) -> str:
        """The kind of a state (``outside`` for entries)."""
        if state == "outside":
            return "outside"
        if not self._kinds:
            self._kinds = {st.id: st.kind for st in self.scenario.states}
        return self._kinds.get(state, "other")

    def kinds(self) -> dict[str, str]:
        """Kind of every state in the tables (and ``outside``), for vectorised lookups."""
        return {s: self.kind_of(s) for s in self._table_states()}

    def stages(self) -> dict[str, str]:
        """Stage of every state in the tables (and ``outside``), for vectorised lookups."""
        return {s: self.stage_of(s) for s in self._table_states()}

    def _table_states(self) -> set[str]:
        if not self._states:
            found = {"outside", *self._all_states()}
            for frame, cols in (
                (self.stocks, ("state",)),
                (self.outcomes, ("state",)),
                (self.flows, ("from_state", "to_state")),
            ):
                for c in cols:
                    found.update(str(x) for x in frame[c].unique())
            self._states = found
        return self._states

    def name_of(self, state: str) -> str:
        """The readable name of a state."""
        return self.scenario.state_name(state)

    def series_title(self, series: str) -> str:
        """Readable title of an observation series (its name in the scenario)."""
        base = series[: -len("_female_share")] if series.endswith("_female_share") else series
        obs = self.scenario.observation(base)
        name = obs.name if obs is not None else base.replace("_", " ")
        if base != series:
            return f"Women's share — {name}"
        return name[:1].upper() + name[1:]

    def policy_spans(self) -> list[PolicySpan]:
        """The scenario's policy timeline as dates."""
        return [PolicySpan(p.id, p.name, p.start, p.end) for p in self.scenario.policies]

    def places(self) -> list[Place]:
        """Places with coordinates."""
        return [
            Place(p.id, p.name, p.kind, float(p.lat), float(p.lon))
            for p in self.scenario.places
            if p.lat is not None and p.lon is not None
        ]

    def state_place(self) -> dict[str, str]:
        """Place id of each state that has one."""
        return {st.id: st.place for st in self.scenario.states if st.place is not None}

    # ------------------------------------------------------------- stages
    def stage_of(self, state: str) -> str:
        """The stage of a state for the outcome figures.

        Stages are state kinds, except that each sentence is its own stage
        (``sentence:<id>``) and travel states are split into routes to safety
        (``route``) and repatriation (``repatriation``), by the scenario section
        when known, otherwise by where people go next.
        """
        if state in self._stage_cache:
            return self._stage_cache[state]
        kind = self.kind_of(state)
        stage = {"outside": "entry"}.get(kind, kind)
        if kind == "sentence":
            stage = "sentence:" + state
        elif kind == "travel":
            stage = self._travel_stage(state)
        self._stage_cache[state] = stage
        return stage

    def _travel_stage(self, state: str) -> str:
        st = self.scenario.state(state)
        if st is not None and st.section == "routes":
            return "route"
        nxt = {
            self.kind_of(str(s))
            for s in self.flows.loc[self.flows["from_state"] == state, "to_state"].unique()
        }
        if nxt & {"interrogation", "classification", "sentence"}:
            return "repatriation"
        if nxt & {"arrived", "transit"}:
            return "route"
        return "travel"

    def stage_label(self, stage: str) -> str:
        """Readable name of a stage."""
        if stage.startswith("entry:"):
            return f"entered ({self.stage_label(stage.split(':', 1)[1])})"
        if stage.startswith("sentence:"):
            return self.name_of(stage.split(":", 1)[1])
        return STAGE_LABELS.get(stage, stage.replace("_", " "))

    def stage_colour(self, stage: str) -> str:
        """Colour of a stage (each sentence its own shade of red)."""
        if stage.startswith("entry:"):
            return STAGE_COLOURS["entry"]
        if stage.startswith("sentence:"):
            sentences = sorted(
                {self.stage_of(s) for s in self._all_states() if self.kind_of(s) == "sentence"}
            )
            i = sentences.index(stage) if stage in sentences else 0
            return SENTENCE_COLOURS[i % len(SENTENCE_COLOURS)]
        return STAGE_COLOURS.get(stage, STAGE_COLOURS["other"])

    def stage_rank(self, stage: str) -> tuple[int, int, str]:
        """Sort key of a stage (the order of a journey)."""
        if stage.startswith("entry:"):
            return 0, self.stage_rank(stage.split(":", 1)[1])[0], stage
        base = stage_base(stage)
        idx = STAGE_ORDER.index(base) if base in STAGE_ORDER else len(STAGE_ORDER)
        return idx, 0, stage

    def _all_states(self) -> list[str]:
        return [st.id for st in self.scenario.states]

    # ------------------------------------------------------------- summaries
    def stage_flows(self) -> pd.DataFrame:
        """Moves between stages over the whole run: median over runs.

        Returns:
            Columns ``source, target, count``; moves within a stage are left out.
            People still in a stage at the end appear as moves to ``held_end``
            (custody) or ``abroad_end`` (hiding, on the way, in transit).
        """
        f = self.flows
        src = f["from_state"].astype(str).map(self.stages())
        dst = f["to_state"].astype(str).map(self.stages())
        keep = src != dst
        # entries get one node per first stage: "entered (hiding)", "entered (camp)", …
        src = src.where(src != "entry", "entry:" + dst)
        moves = pd.DataFrame(
            {
                "run": f["run"][keep],
                "source": src[keep],
                "target": dst[keep],
                "count": f["count"][keep],
            }
        )
        med = median_over_runs(moves, ["source", "target"], self.runs)
        rows = [
            (str(a), str(b), float(c))
            for a, b, c in zip(med["source"], med["target"], med["median"], strict=True)
            if c > 0
        ]
        rows.extend(_end_links(self.final_stage_stock().items()))
        return pd.DataFrame(rows, columns=["source", "target", "count"])

    def cohort_years(self) -> list[int]:
        """Entry years in ``cohort_flows.parquet`` (empty when the folder has none)."""
        cf = self.cohort_flows
        if cf is None or cf.empty:
            return []
        return sorted({int(y) for y in cf["cohort_year"].unique()})

    def cohort_stage_flows(self, years: Sequence[int] | None = None) -> pd.DataFrame:
        """Moves between stages of the people who entered in ``years`` (median over runs).

        Releases made by a hazard tagged ``bribe`` (see ``cohort_hazards.parquet``)
        go to a separate ``bribed`` outcome instead of their target stage. People
        still in a stage at the end (from ``outcomes.parquet``) appear as moves to
        ``held_end`` or ``abroad_end``, as in :meth:`stage_flows`.

        Args:
            years: Entry years to include; None for every cohort.

        Returns:
            Columns ``source, target, count``; empty without ``cohort_flows.parquet``.
        """
        cf = self.cohort_flows
        if cf is None:
            return pd.DataFrame(columns=["source", "target", "count"])
        f = cf[~cf["to_state"].astype(str).str.startswith("flag:")]
        if years is not None:
            f = f[f["cohort_year"].astype(int).isin(list(years))]
        stages = self.stages()
        for col in ("from_state", "to_state"):
            for st in f[col].astype(str).unique():
                if st not in stages:
                    stages[st] = self.stage_of(st)
        src = f["from_state"].astype(str).map(stages)
        dst = f["to_state"].astype(str).map(stages)
        src = src.where(src != "entry", "entry:" + dst)
        moves = pd.DataFrame(
            {"run": f["run"], "source": src, "target": dst, "count": f["count"].astype(float)}
        )
        bribes = self._bribe_moves(years, stages)
        if not bribes.empty:
            # take the bribed releases out of their move and send them to "bribed"
            taken = bribes.assign(count=-bribes["count"])
            moves = pd.concat([moves, taken, bribes.assign(target="bribed")], ignore_index=True)
        moves = moves[moves["source"] != moves["target"]]
        med = median_over_runs(moves, ["source", "target"], self.runs)
        rows = [
            (str(a), str(b), float(c))
            for a, b, c in zip(med["source"], med["target"], med["median"], strict=True)
            if c > 0
        ]
        o = self.outcomes
        if years is not None:
            o = o[o["cohort_year"].astype(int).isin(list(years))]
        end = pd.DataFrame(
            {"run": o["run"], "stage": o["state"].astype(str).map(stages), "count": o["count"]}
        )
        rows.extend(_end_links(zip(*_median_by(end, "stage", self.runs), strict=True)))
        return pd.DataFrame(rows, columns=["source", "target", "count"])

    def _bribe_moves(self, years: Sequence[int] | None, stages: dict[str, str]) -> pd.DataFrame:
        """Per-run moves (``run, source, target, count``) made by bribe-tagged hazards."""
        h = self.cohort_hazards
        if h is None or h.empty:
            return pd.DataFrame(columns=["run", "source", "target", "count"])
        tagged = (
            h["names"].astype(str).map(lambda n: BRIBE_TAG in {t.strip() for t in n.split(",")})
        )
        h = h[tagged]
        if years is not None:
            h = h[h["cohort_year"].astype(int).isin(list(years))]
        src = h["from_state"].astype(str).map(lambda s: stages.get(s) or self.stage_of(s))
        dst = h["to_state"].astype(str).map(lambda s: stages.get(s) or self.stage_of(s))
        return pd.DataFrame(
            {"run": h["run"], "source": src, "target": dst, "count": h["count"].astype(float)}
        )

    def final_stage_stock(self) -> dict[str, float]:
        """People in each stage on the last recorded date (median over runs)."""
        s = self.stocks
        last = s[s["date"] == s["date"].max()]
        frame = pd.DataFrame(
            {
                "run": last["run"],
                "stage": last["state"].astype(str).map(self.stages()),
                "count": last["count"],
            }
        )
        med = median_over_runs(frame, ["stage"], self.runs)
        return {str(k): float(v) for k, v in zip(med["stage"], med["median"], strict=True)}

    def cohort_outcomes(self) -> pd.DataFrame:
        """Where each entry cohort is at the end, by stage (median over runs).

        Returns:
            Columns ``cohort_year, stage, median, p05, p95``.
        """
        o = self.outcomes
        frame = pd.DataFrame(
            {
                "run": o["run"],
                "cohort_year": o["cohort_year"].astype(int),
                "stage": o["state"].astype(str).map(self.stages()),
                "count": o["count"],
            }
        )
        return median_over_runs(frame, ["cohort_year", "stage"], self.runs)

    def stock_lines(self) -> list[tuple[str, str, str, pd.DataFrame]]:
        """Monthly stocks to draw: (panel, key, label, frame of date/median/p05/p95).

        Panels: ``hiding`` (all hiding states), ``detained`` (the detention queue,
        all detained states) and ``sentence`` (one line per sentence state).
        """
        s = self.stocks
        kinds = s["state"].astype(str).map(self.kinds())
        out: list[tuple[str, str, str, pd.DataFrame]] = []
        for panel, label in (
            ("hiding", "people hiding abroad"),
            ("detained", "detention queue (held before being sent back)"),
        ):
            sel = s[kinds == panel]
            if len(sel):
                out.append((panel, panel, label, self._series(sel)))
        sentence = s[kinds == "sentence"]
        for state in sorted({str(x) for x in sentence["state"].unique()}):
            sel = sentence[sentence["state"] == state]
            frame = self._series(sel)
            if frame["p95"].max() > 0:
                out.append(("sentence", "sentence:" + state, self.name_of(state), frame))
        return out

    def _series(self, sel: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame({"run": sel["run"], "date": sel["date"], "count": sel["count"]})
        return median_over_runs(frame, ["date"], self.runs)

    def map_category(self, state: str) -> str | None:
        """Category of a move into ``state`` on the map (a key of MAP_CATEGORIES)."""
        stage = self.stage_of(state)
        base = "sentence" if stage.startswith("sentence:") else stage
        if base in ("crossing", "hiding", "delegation", "abroad"):
            return "escape"
        if base in ("route", "transit", "arrived"):
            return "safety"
        if base in HELD_STAGES or base == "sentence":
            return "return"
        if base in ("released", "home"):
            return "release"
        return None

    def state_flows(self) -> pd.DataFrame:
        """Moves between states over the whole run (median over runs), entries excluded.

        Returns:
            Columns ``source, target, count``.
        """
        f = self.flows[self.flows["from_state"] != "outside"]
        frame = pd.DataFrame(
            {
                "run": f["run"],
                "source": f["from_state"].astype(str),
                "target": f["to_state"].astype(str),
                "count": f["count"],
            }
        )
        med = median_over_runs(frame, ["source", "target"], self.runs)
        return pd.DataFrame(
            {"source": med["source"], "target": med["target"], "count": med["median"].astype(float)}
        )

    def place_flows(self) -> pd.DataFrame:
        """Moves between places over the whole run (median over runs).

        States without a place that people pass through (such as a
        classification step) are bridged: their inflows are passed on in
        proportion to their outflows. Moves within a place are left out.

        Returns:
            Columns ``source, target, category, count`` (place ids).
        """
        where = self.state_place()
        cols = ["source", "target", "category", "count"]
        if not where:
            return pd.DataFrame(columns=cols)
        sf = self.state_flows()
        moves: dict[tuple[str, str], float] = {}
        for a, b, c in zip(sf["source"], sf["target"], sf["count"], strict=True):
            if a != b and c > 0:
                moves[(str(a), str(b))] = moves.get((str(a), str(b)), 0.0) + float(c)
        bridge = {
            s
            for pair in moves
            for s in pair
            if s not in where and self.kind_of(s) not in ("dead", "exited")
        }
        for c in sorted(bridge):
            inflow = {a: v for (a, b), v in moves.items() if b == c}
            outflow = {b: v for (a, b), v in moves.items() if a == c}
            total = sum(outflow.values())
            moves = {k: v for k, v in moves.items() if c not in k}
            if total <= 0:
                continue
            for a, vin in inflow.items():
                for b, vout in outflow.items():
                    if a != b:
                        moves[(a, b)] = moves.get((a, b), 0.0) + vin * vout / total
        rows: dict[tuple[str, str, str], float] = {}
        for (a, b), v in moves.items():
            pa, pb, cat = where.get(a), where.get(b), self.map_category(b)
            if pa is None or pb is None or pa == pb or cat is None:
                continue
            rows[(pa, pb, cat)] = rows.get((pa, pb, cat), 0.0) + v
        return pd.DataFrame([(*k, v) for k, v in rows.items()], columns=cols)

    # ------------------------------------------------------------- per run
    def entries_by_year(self, kind: str) -> pd.DataFrame:
        """People entering states of ``kind`` from other kinds, per run (rows) and year."""
        f = self.flows
        to_kind = f["to_state"].astype(str).map(self.kinds())
        from_kind = f["from_state"].astype(str).map(self.kinds())
        sel = f[(to_kind == kind) & (from_kind != kind)]
        years = sorted({int(y) for y in f["year"].unique()})
        table = sel.pivot_table(
            index="run", columns="year", values="count", aggfunc="sum", fill_value=0
        )
        return table.reindex(index=self.runs, columns=years, fill_value=0).astype(float)

    def stock_by_kind(self, kind: str) -> pd.DataFrame:
        """People in states of ``kind`` per run (rows) and month (columns)."""
        s = self.stocks
        sel = s[s["state"].astype(str).map(self.kinds()) == kind]
        dates = sorted(s["date"].unique())
        table = sel.pivot_table(
            index="run", columns="date", values="count", aggfunc="sum", fill_value=0
        )
        return table.reindex(index=self.runs, columns=dates, fill_value=0).astype(float)

    def has_kind(self, kind: str) -> bool:
        """Whether any state of the results has this kind."""
        return any(self.kind_of(s) == kind for s in self._all_states())

    def run_metrics(self) -> pd.DataFrame:
        """Headline numbers per run (rows: run index); only for kinds the results have."""
        if self._metrics is not None:
            return self._metrics
        metrics: dict[str, pd.Series] = {}
        for key, kind in (
            ("arrivals", "arrived"),
            ("returned", "interrogation"),
            ("sentenced", "sentence"),
            ("deaths", "dead"),
        ):
            if self.has_kind(kind):
                metrics[key] = self.entries_by_year(kind).sum(axis=1)
        for key, kind in (("hiding", "hiding"), ("detained", "detained"), ("sentence", "sentence")):
            if self.has_kind(kind):
                table = self.stock_by_kind(kind)
                if key == "detained":
                    metrics["detained_peak"] = table.max(axis=1)
                metrics[f"{key}_end"] = table.iloc[:, -1] if table.shape[1] else table.sum(axis=1)
        self._metrics = pd.DataFrame(metrics, index=pd.Index(self.runs, name="run"))
        return self._metrics


METRIC_LABELS: dict[str, str] = {
    "arrivals": "arrivals in safety, whole run (people)",
    "returned": "sent back and interrogated, whole run (people)",
    "sentenced": "sentenced, whole run (people)",
    "deaths": "deaths, whole run (people)",
    "detained_peak": "detention queue at its peak (people)",
    "detained_end": "detention queue at the end (people)",
    "hiding_end": "people hiding abroad at the end",
    "sentence_end": "people serving sentences at the end",
}
"""What-if quantities: key → label with unit."""


def stage_base(stage: str) -> str:
    """A stage without its detail: ``sentence:kyohwaso`` → ``sentence``."""
    return stage.split(":", 1)[0]


def median_over_runs(frame: pd.DataFrame, keys: list[str], runs: list[int]) -> pd.DataFrame:
    """Sum ``count`` per run and key, then the median and 5–95% over runs.

    Runs without a row for a key count as zero.

    Args:
        frame: Columns ``run``, ``count`` and ``keys``.
        keys: Columns to group by.
        runs: All run indices.

    Returns:
        Columns ``keys`` and ``median, p05, p95``.
    """
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "median", "p05", "p95"])
    table = frame.pivot_table(
        index=keys, columns="run", values="count", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=runs, fill_value=0)
    values: NDArray[np.float64] = table.to_numpy(dtype=float)
    q = np.quantile(values, [0.5, 0.05, 0.95], axis=1, method="linear")
    out = table.index.to_frame(index=False)
    out["median"] = q[0]
    out["p05"] = q[1]
    out["p95"] = q[2]
    return out


def _median_by(frame: pd.DataFrame, key: str, runs: list[int]) -> tuple[list[str], list[float]]:
    """Keys and medians over runs of ``count`` summed per run and ``key``."""
    med = median_over_runs(frame, [key], runs)
    return [str(k) for k in med[key]], [float(v) for v in med["median"]]


def quantiles(values: NDArray[np.float64]) -> tuple[float, float, float]:
    """Median, 5% and 95% of a 1-d array (NaN for an empty one)."""
    v = values[np.isfinite(values)]
    if not v.size:
        return float("nan"), float("nan"), float("nan")
    q = np.quantile(v, [0.5, 0.05, 0.95], method="linear")
    return float(q[0]), float(q[1]), float(q[2])


def is_year(label: object) -> bool:
    """Whether an observation row label is a single year."""
    return bool(_YEAR.fullmatch(str(label)))


def yearly_series(obs: pd.DataFrame) -> list[str]:
    """Observation series of kind count or share with at least two single-year rows."""
    if obs.empty:
        return []
    yearly = obs[obs["year"].map(is_year)]
    if "kind" in obs.columns:
        yearly = yearly[yearly["kind"].isin(["count", "share"])]
    counts = yearly.groupby("series")["year"].nunique()
    order = list(dict.fromkeys(str(s) for s in obs["series"]))
    keep = {str(s) for s, n in counts.items() if n >= 2}
    # count series first, their derived shares after
    return sorted((s for s in order if s in keep), key=lambda s: s.endswith("_share"))


def other_observations(obs: pd.DataFrame) -> pd.DataFrame:
    """Observation rows not drawn as yearly series (point reports, ranges, buckets)."""
    if obs.empty:
        return obs
    drawn = set(yearly_series(obs))
    return obs[~(obs["series"].isin(drawn) & obs["year"].map(is_year))]


# ----------------------------------------------------------------- loading
def load_result_set(path: Path) -> ResultSet:
    """Read a results bundle.

    Args:
        path: A folder written by ``crossings run --out``.

    Returns:
        The tables, the run record and the scenario's description.

    Raises:
        ReportError: If the folder is missing, is not a results folder (or one
            written in an older format), or a file in it is damaged.
    """
    try:
        bundle = open_bundle(Path(path))
        return _result_set(bundle)
    except BundleError as exc:
        raise ReportError(str(exc)) from None


def _result_set(bundle: Bundle) -> ResultSet:
    path = bundle.path
    observations = _columns(bundle, "observations", OBSERVATION_COLUMNS)
    observations["year"] = observations["year"].astype(str)
    observations["series"] = observations["series"].astype(str)
    stocks = _columns(bundle, "stocks", TABLES["stocks.parquet"])
    stocks["date"] = pd.to_datetime(stocks["date"])
    flows = _columns(bundle, "flows", TABLES["flows.parquet"])
    flows = flows[~flows["to_state"].astype(str).str.startswith("flag:")].reset_index(drop=True)
    outcomes = _columns(bundle, "outcomes", TABLES["outcomes.parquet"])
    if stocks.empty:
        raise ReportError(f"{path / 'stocks.parquet'}: the table is empty")
    events = _columns(bundle, "events", EVENTS_COLUMNS) if bundle.has("events") else None
    estimates = (
        _columns(bundle, "estimates", ESTIMATES_COLUMNS) if bundle.has("estimates") else None
    )
    cohort_flows = (
        _columns(bundle, "cohort_flows", COHORT_FLOWS_COLUMNS)
        if bundle.has("cohort_flows")
        else None
    )
    cohort_hazards = (
        _columns(bundle, "cohort_hazards", COHORT_HAZARDS_COLUMNS)
        if cohort_flows is not None and bundle.has("cohort_hazards")
        else None
    )
    return ResultSet(
        path=path,
        run=bundle.run,
        scenario=bundle.scenario,
        observations=observations,
        stocks=stocks,
        flows=flows,
        outcomes=outcomes,
        events=events,
        estimates=estimates,
        cohort_flows=cohort_flows,
        cohort_hazards=cohort_hazards,
        label=bundle.run.label,
    )


def _columns(bundle: Bundle, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """A bundle's table, checked to have the columns the report reads."""
    frame = bundle.table(table)
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise ReportError(
            f"{bundle.path / TABLE_FILES[table]}: not a Crossings table (missing column(s) "
            f"{', '.join(lacking)})"
        )
    return frame


def compare_metrics(base: ResultSet, other: ResultSet) -> pd.DataFrame:
    """Headline numbers of a what-if against the baseline, with their difference.

    Runs with the same seed are paired (variants share random numbers wherever
    they agree), and the difference is summarised over pairs; without common
    seeds it is the difference of the medians.

    Args:
        base: The baseline results.
        other: The what-if results.

    Returns:
        One row per quantity: ``quantity``, ``base_*``, ``other_*``, ``diff_*``
        (``*`` = median, p05, p95) and ``method``.
    """
    mb, mo = base.run_metrics(), other.run_metrics()
    seed_b = dict(zip(base.seeds, base.runs, strict=True))
    seed_o = dict(zip(other.seeds, other.runs, strict=True))
    common = sorted(set(seed_b) & set(seed_o))
    rows = []
    for key, label in METRIC_LABELS.items():
        if key not in mb.columns or key not in mo.columns:
            continue
        b = quantiles(mb[key].to_numpy(dtype=float))
        o = quantiles(mo[key].to_numpy(dtype=float))
        if common:
            vb, vo = mb[key].to_dict(), mo[key].to_dict()
            diff = np.array([float(vo[seed_o[s]]) - float(vb[seed_b[s]]) for s in common])
            d = quantiles(diff)
            method = f"paired by seed ({len(common)} pair{'s' if len(common) > 1 else ''})"
        else:
            d = (o[0] - b[0], float("nan"), float("nan"))
            method = "difference of medians (no common seeds)"
        rows.append(
            {
                "quantity": label,
                "base_median": b[0],
                "base_p05": b[1],
                "base_p95": b[2],
                "other_median": o[0],
                "other_p05": o[1],
                "other_p95": o[2],
                "diff_median": d[0],
                "diff_p05": d[1],
                "diff_p95": d[2],
                "method": method,
            }
        )
    return pd.DataFrame(rows)
