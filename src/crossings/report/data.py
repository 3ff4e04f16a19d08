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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.report.errors import ReportError
from crossings.results import views
from crossings.results.bundle import (
    OBSERVATION_COLUMNS,
    TABLE_FILES,
    Bundle,
    BundleError,
    PopulationInfo,
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
CALIBRATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "identifiability": ("kind", "quantity", "ratio", "label"),
    "checks": ("series", "year", "sex", "low", "high", "p05", "p50", "p95", "verdict"),
    "sensitivity": ("check", "quantity"),
}
"""Columns the report reads from a calibration's companion tables."""
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
OUTSIDE = views.OUTSIDE
START = views.START
BRIBE_TAG = "bribe"
"""Hazards with this name or tag among their names are counted as 'bribed out'."""

STAGE_LABELS: dict[str, str] = {
    "entry": "set out (entered during the span)",
    "start": "already there at the start",
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
    "bribed": "bribed out (released for a bribe)",
    "home": "back home",
    "dead": "died",
    "abroad": "abroad",
    "exited": "left the system",
    "held_end": "still held at the end",
    "abroad_end": "still abroad at the end",
    "home_end": "back home at the end",
    "again_out:setout": "set out again",
    "again_out:caught": "caught again",
    "again_out:sentence": "re-arrested or moved to another sentence",
    "again_out:back": "went back a stage",
    "again_in:setout": "setting out again (counted again)",
    "again_in:caught": "caught again (counted again)",
    "again_in:sentence": "re-arrested or moved (counted again)",
    "again_in:back": "back again (counted again)",
}
"""Readable names of the stages (state kinds, grouped) used in the outcome figures."""

STAGE_COLOURS: dict[str, str] = {
    "entry": "#7f7f7f",
    "start": "#b0b0b0",
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
    "home_end": "#6baed6",
    "again_out": "#9e9ac8",
    "again_in": "#9e9ac8",
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
    "start",
    "again_in",
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
    "abroad_end",
    "home_end",
    "again_out",
    "held_end",
    "dead",
    "other",
)

SANKEY_COLUMNS: dict[str, int] = {
    "entry": 0,
    "start": 0,
    "crossing": 1,
    "delegation": 1,
    "hiding": 2,
    "abroad": 2,
    "route": 3,
    "transit": 4,
    "detained": 5,
    "repatriation": 6,
    "travel": 6,
    "interrogation": 7,
    "classification": 7,
    "sentence": 8,
    "released": 9,
    "bribed": 9,
    "home": 9,
    "arrived": 10,
    "dead": 10,
    "exited": 10,
    "held_end": 10,
    "abroad_end": 10,
    "home_end": 10,
    "again_out": 10,
}
"""Left-to-right column of each stage in the Sankey diagram (the order of a journey).

The last column holds the outcomes: where people are at the end, and the
moves back to an earlier stage (drawn as leaving there and coming in again on
the left, so that no band loops back)."""

OUTCOME_COLUMN = max(SANKEY_COLUMNS.values())

HELD_STAGES = frozenset({"detained", "repatriation", "travel", "interrogation", "classification"})
ABROAD_STAGES = frozenset({"crossing", "hiding", "delegation", "route", "transit", "abroad"})
HOME_STAGES = frozenset({"released", "bribed", "home"})
SETTING_OUT = frozenset({"crossing", "hiding", "delegation", "route", "transit", "abroad"})
CAUGHT = frozenset({"detained", "repatriation", "travel", "interrogation", "classification"})

MAP_CATEGORIES: dict[str, tuple[str, str]] = {
    "escape": ("escape and hiding", "#ff7f0e"),
    "safety": ("towards safety", "#2ca02c"),
    "return": ("arrest, return and punishment", "#d62728"),
    "release": ("release and return home", "#1f77b4"),
}
"""Categories of moves on the map: key → (label, colour)."""

_YEAR = re.compile(r"\d{4}")


def _end_links(stocks: Iterable[tuple[str, float]]) -> list[tuple[str, str, float]]:
    """Sankey links from a stage to where its people are at the end (held, abroad, home)."""
    links: list[tuple[str, str, float]] = []
    for stage, count in stocks:
        if count <= 0:
            continue
        base = stage_base(stage)
        if base in HELD_STAGES or base == "sentence":
            links.append((stage, "held_end", float(count)))
        elif base in ABROAD_STAGES:
            links.append((stage, "abroad_end", float(count)))
        elif base in HOME_STAGES:
            links.append((stage, "home_end", float(count)))
    return links


def sankey_column(stage: str) -> int:
    """The Sankey column of a stage (a node coming in again sits just left of its target)."""
    if stage.startswith("again_in:"):
        target = stage.split(":", 2)[2] if stage.count(":") >= 2 else ""
        return max(sankey_column(target) - 1, 0) if target else 0
    return SANKEY_COLUMNS.get(stage_base(stage), 5)


def _again_group(target: str) -> str:
    base = stage_base(target)
    if base in SETTING_OUT:
        return "setout"
    if base in CAUGHT:
        return "caught"
    if base == "sentence":
        return "sentence"
    return "back"


def bridge(links: dict[tuple[str, str], float], stage: str) -> dict[tuple[str, str], float]:
    """Links without ``stage``: its inflows passed on in proportion to its outflows."""
    inflow = {a: v for (a, b), v in links.items() if b == stage}
    outflow = {b: v for (a, b), v in links.items() if a == stage}
    out = {k: v for k, v in links.items() if stage not in k}
    total = sum(outflow.values())
    if total <= 0:
        return out
    for a, vin in inflow.items():
        for b, vout in outflow.items():
            if a != b:
                out[(a, b)] = out.get((a, b), 0.0) + vin * vout / total
    return out


def _split_bribed(links: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Share what happens after release between 'released' and 'bribed out' by their inflows."""
    into_bribed = sum(v for (a, b), v in links.items() if b == "bribed")
    into_released = sum(v for (a, b), v in links.items() if b == "released")
    if into_bribed <= 0 or into_released + into_bribed <= 0:
        return links
    share = into_bribed / (into_released + into_bribed)
    out: dict[tuple[str, str], float] = {}
    for (a, b), v in links.items():
        if a == "released":
            out[("released", b)] = out.get(("released", b), 0.0) + v * (1 - share)
            out[("bribed", b)] = out.get(("bribed", b), 0.0) + v * share
        else:
            out[(a, b)] = out.get((a, b), 0.0) + v
    return out


def acyclic(links: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Links that all go rightwards (a Sankey without loops).

    A move back to an earlier (or the same) column is drawn as leaving to an
    outcome ("set out again") and coming in again on the left.
    """
    out: dict[tuple[str, str], float] = {}
    for (a, b), v in links.items():
        if sankey_column(b) > sankey_column(a):
            out[(a, b)] = out.get((a, b), 0.0) + v
            continue
        if sankey_column(a) >= OUTCOME_COLUMN:
            continue  # nothing leaves an outcome
        group = _again_group(b)
        for key in ((a, f"again_out:{group}"), (f"again_in:{group}:{b}", b)):
            out[key] = out.get(key, 0.0) + v
    return out


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
    """One results bundle and the tables the report draws from it, for one population.

    :meth:`for_population` gives the same results restricted to the states
    of one population (every table that counts people in states); a
    scenario that declares no populations has one, holding every state.

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
        identifiability: The calibration's ``identifiability.csv`` if present (what
            the data can tell about each unknown and estimate).
        checks: The calibration's ``checks.csv`` if present (held-back reports
            against the posterior predictive, with verdicts).
        sensitivity: The calibration's ``sensitivity.csv`` if present (power-scaling
            and structural alternatives).
        cohort_flows: ``cohort_flows.parquet`` if present (every move, by entry cohort).
        cohort_hazards: ``cohort_hazards.parquet`` if present (which hazard made each
            move, by entry cohort).
        bundle: The opened bundle (for the shared views of :mod:`crossings.results.views`).
        population: The population these tables hold (the headline population by default).
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
    identifiability: pd.DataFrame | None = None
    checks: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    cohort_flows: pd.DataFrame | None = None
    cohort_hazards: pd.DataFrame | None = None
    bundle: Bundle | None = field(default=None, repr=False)
    population: PopulationInfo | None = None
    notes: list[str] = field(default_factory=list)
    label: str = ""
    _kinds: dict[str, str] = field(default_factory=dict, repr=False)
    _stage_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _states: set[str] = field(default_factory=set, repr=False)
    _pops: dict[str, ResultSet] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------- populations
    @property
    def pop(self) -> PopulationInfo:
        """The population shown (the headline population unless chosen)."""
        return self.population or views.headline(self.scenario)

    def populations(self) -> list[PopulationInfo]:
        """The scenario's populations: the headline first, context populations last."""
        return views.populations(self.scenario)

    def for_population(self, population: str | None = None) -> ResultSet:
        """The same results restricted to one population's states (None: the headline).

        Nobody moves between top-level populations, so a move into one of its
        states (from outside, from the start or from another of its states) is
        a move of that population.
        """
        pops = {p.id: p for p in self.populations()}
        pop = pops.get(population or "") or views.headline(self.scenario)
        if pop.id in self._pops:
            return self._pops[pop.id]
        states = views.population_states(self.scenario, pop.id)
        if states >= {s.id for s in self.scenario.states}:
            out = replace(self, population=pop, _pops={})
            out._kinds, out._stage_cache, out._states = {}, {}, set()
        else:

            def keep(frame: pd.DataFrame, col: str) -> pd.DataFrame:
                return frame[frame[col].astype(str).isin(states)].reset_index(drop=True)

            ends = states | {OUTSIDE, START}

            def moves(frame: pd.DataFrame) -> pd.DataFrame:
                inside = frame["to_state"].astype(str).isin(states) & frame["from_state"].astype(
                    str
                ).isin(ends)
                return frame[inside].reset_index(drop=True)

            out = replace(
                self,
                stocks=keep(self.stocks, "state"),
                flows=moves(self.flows),
                outcomes=keep(self.outcomes, "state"),
                cohort_flows=moves(self.cohort_flows) if self.cohort_flows is not None else None,
                cohort_hazards=(
                    moves(self.cohort_hazards) if self.cohort_hazards is not None else None
                ),
                events=self.events if pop.headline else None,
                estimates=self.estimates if pop.headline else None,
                identifiability=self.identifiability if pop.headline else None,
                checks=self.checks if pop.headline else None,
                sensitivity=self.sensitivity if pop.headline else None,
                population=pop,
                _pops={},
            )
            out._kinds, out._stage_cache, out._states = {}, {}, set()
        self._pops[pop.id] = out
        return out

    def view(self) -> views.View:
        """The shared headline views of this bundle, for this population."""
        if self.bundle is None:
            raise ReportError(f"{self.path}: the results folder was not opened as a bundle")
        return views.View(self.bundle, self.pop.id if self.scenario.populations else None)

    # ------------------------------------------------------------- metadata
    @property
    def runs(self) -> list[int]:
        """Run indices (0 … n−1)."""
        return list(range(max(self.run.runs, 1)))

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
    def title(self) -> str:
        """The scenario's title (its name when it has none)."""
        return self.scenario.title or self.run.scenario_title or self.run.scenario

    @property
    def variant(self) -> str | None:
        """The what-if variant of the run, if any."""
        return self.run.variant

    @property
    def expected(self) -> bool:
        """Whether the numbers are exact expected values (one noiseless "run")."""
        return self.run.mode is RunMode.EXPECTED

    @property
    def banded(self) -> bool:
        """Whether figures have a 5–95% band (several agent runs; not one run, not expected)."""
        return not self.expected and self.run.runs > 1

    def kind_of(self, state: str) -> str:
        """The kind of a state (``outside`` for entries, ``start`` for those there at first)."""
        if state in (OUTSIDE, START):
            return state
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
            found = {OUTSIDE, START, *self._all_states()}
            for frame, cols in (
                (self.stocks, ("state",)),
                (self.outcomes, ("state",)),
                (self.flows, ("from_state", "to_state")),
            ):
                for c in cols:
                    found.update(str(x) for x in frame[c].unique())
            if self.cohort_flows is not None:
                for c in ("from_state", "to_state"):
                    found.update(str(x) for x in self.cohort_flows[c].unique())
            self._states = found
        return self._states

    def name_of(self, state: str) -> str:
        """The readable name of a state."""
        return self.scenario.state_name(state)

    def series_title(self, series: str) -> str:
        """Readable title of an observation series (its name in the scenario)."""
        return views.series_title(self.scenario, series)

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
        stage = {OUTSIDE: "entry"}.get(kind, kind)
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
        if stage.startswith("again_in:"):
            return STAGE_LABELS.get(":".join(stage.split(":")[:2]), "back again (counted again)")
        if stage.startswith("sentence:"):
            return self.name_of(stage.split(":", 1)[1])
        if stage == "start":
            return f"already there on {_day(self.run.start)}"
        return STAGE_LABELS.get(stage, stage.replace("_", " "))

    def stage_colour(self, stage: str) -> str:
        """Colour of a stage (each sentence its own shade of red)."""
        if stage.startswith("sentence:"):
            sentences = sorted(
                {self.stage_of(s) for s in self._all_states() if self.kind_of(s) == "sentence"}
            )
            i = sentences.index(stage) if stage in sentences else 0
            return SENTENCE_COLOURS[i % len(SENTENCE_COLOURS)]
        return STAGE_COLOURS.get(stage_base(stage), STAGE_COLOURS["other"])

    def stage_rank(self, stage: str) -> tuple[int, int, str]:
        """Sort key of a stage (the order of a journey)."""
        base = stage_base(stage)
        idx = STAGE_ORDER.index(base) if base in STAGE_ORDER else len(STAGE_ORDER)
        return idx, 0, stage

    def _all_states(self) -> list[str]:
        return [st.id for st in self.scenario.states]

    # ------------------------------------------------------------- the Sankey
    def cohort_years(self) -> list[int]:
        """Entry years in ``cohort_flows.parquet`` (empty when the folder has none)."""
        cf = self.cohort_flows
        if cf is None or cf.empty:
            return []
        return sorted({int(y) for y in cf["cohort_year"].unique()})

    def sankey_links(self, years: Sequence[int] | None = None) -> pd.DataFrame:
        """Moves between stages (median over runs) as the links of a Sankey without loops.

        With ``cohort_flows.parquet``, the moves of the people who entered in
        ``years`` (None: everyone, including the people there at the start);
        without it, every move of the whole run. Moves within a stage are left
        out; the instant classification step is bridged (interrogation goes
        straight to each sentence). Releases made by a hazard tagged
        ``bribe`` go to "bribed out". Where people are at the end is a link to
        "still held", "still abroad" or "back home". A move back to an earlier
        stage (set out again after release, re-arrested) is drawn as a link to
        an outcome ("set out again") and one coming in again on the left, so
        every link goes rightwards; those people are counted again.

        Returns:
            Columns ``source, target, count``.
        """
        stages = self.stages()
        if self.cohort_flows is not None:
            f = self.cohort_flows
            f = f[~f["to_state"].astype(str).str.startswith("flag:")]
            if years is not None:
                f = f[f["cohort_year"].astype(int).isin(list(years))]
        else:
            f = self.flows
        for col in ("from_state", "to_state"):
            for st in f[col].astype(str).unique():
                if st not in stages:
                    stages[st] = self.stage_of(st)
        moves = pd.DataFrame(
            {
                "run": f["run"],
                "source": f["from_state"].astype(str).map(stages),
                "target": f["to_state"].astype(str).map(stages),
                "count": f["count"].astype(float),
            }
        )
        bribes = self._bribe_moves(years if self.cohort_flows is not None else None, stages)
        if not bribes.empty:
            # take the bribed releases out of their move and send them to "bribed"
            taken = bribes.assign(count=-bribes["count"])
            moves = pd.concat([moves, taken, bribes.assign(target="bribed")], ignore_index=True)
        moves = moves[moves["source"] != moves["target"]]
        med = median_over_runs(moves, ["source", "target"], self.runs)
        links: dict[tuple[str, str], float] = {}
        for a, b, c in zip(med["source"], med["target"], med["median"], strict=True):
            if c > 0:
                links[(str(a), str(b))] = links.get((str(a), str(b)), 0.0) + float(c)
        if self.cohort_flows is not None:
            o = self.outcomes
            if years is not None:
                o = o[o["cohort_year"].astype(int).isin(list(years))]
            end = pd.DataFrame(
                {"run": o["run"], "stage": o["state"].astype(str).map(stages), "count": o["count"]}
            )
            final = dict(zip(*_median_by(end, "stage", self.runs), strict=True))
        else:
            final = self.final_stage_stock()
        for a, b, c in _end_links(final.items()):
            links[(a, b)] = links.get((a, b), 0.0) + c
        for passing in {b for _, b in links if stage_base(b) == "classification"}:
            links = bridge(links, passing)
        links = acyclic(_split_bribed(links))
        rows = [(a, b, c) for (a, b), c in links.items() if c > 0]
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

    def present_at_start(self) -> float:
        """People already there when the span begins (median over runs)."""
        f = self.flows[self.flows["from_state"].astype(str) == START]
        if f.empty:
            return 0.0
        per_run = f.groupby("run")["count"].sum().reindex(self.runs, fill_value=0)
        return float(np.median(per_run.to_numpy(dtype=float)))

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
        f = self.flows[~self.flows["from_state"].astype(str).isin([OUTSIDE, START])]
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

    def place_flows(self, skip: frozenset[str] = frozenset()) -> pd.DataFrame:
        """Moves between places over the whole run (median over runs).

        States without a place that people pass through (such as a
        classification step) are bridged: their inflows are passed on in
        proportion to their outflows. Moves within a place are left out, and
        so are moves out of states of the kinds in ``skip``.

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
        passing = {
            s
            for pair in moves
            for s in pair
            if s not in where and self.kind_of(s) not in ("dead", "exited")
        }
        for c in sorted(passing):
            moves = bridge(moves, c)
        rows: dict[tuple[str, str, str], float] = {}
        for (a, b), v in moves.items():
            pa, pb, cat = where.get(a), where.get(b), self.map_category(b)
            if pa is None or pb is None or pa == pb or cat is None or self.kind_of(a) in skip:
                continue
            rows[(pa, pb, cat)] = rows.get((pa, pb, cat), 0.0) + v
        return pd.DataFrame([(*k, v) for k, v in rows.items()], columns=cols)

    # ------------------------------------------------------------- per run
    def entries_by_year(self, kind: str) -> pd.DataFrame:
        """People entering states of ``kind`` from other kinds, per run (rows) and year.

        The people already there at the start are not counted as entering.
        """
        f = self.flows
        to_kind = f["to_state"].astype(str).map(self.kinds())
        from_kind = f["from_state"].astype(str).map(self.kinds())
        sel = f[(to_kind == kind) & (from_kind != kind) & (from_kind != START)]
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
        """Whether any state of this population has this kind."""
        states = views.population_states(self.scenario, self.pop.id)
        return any(self.kind_of(s) == kind for s in states)


def _day(d: dt.date) -> str:
    """A date in words: ``1 January 1998``."""
    return f"{d.day} {d:%B %Y}"


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
    calibration = {
        name: _columns(bundle, name, cols) if estimates is not None and bundle.has(name) else None
        for name, cols in CALIBRATION_COLUMNS.items()
    }
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
        identifiability=calibration["identifiability"],
        checks=calibration["checks"],
        sensitivity=calibration["sensitivity"],
        cohort_flows=cohort_flows,
        cohort_hazards=cohort_hazards,
        bundle=bundle,
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
