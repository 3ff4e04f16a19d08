"""A finished run as the report shows it: the same figures, labels, views and verdicts.

The web app does not draw its own versions of the report's charts: a figure
is built once, by :mod:`crossings.report.figures`, from the run's results
bundle, and served as plotly JSON (``/api/runs/{run_id}/figures/{name}``)
for the page's script to draw — the report embeds the same specification.
Headline figures per population, what-if differences and inside/outside
verdicts come from :mod:`crossings.results.views`, as in the report and the
command line.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import plotly.io as pio

from crossings.report.data import ResultSet, load_result_set, yearly_series
from crossings.report.errors import ReportError
from crossings.report.figures import (
    ReportFigure,
    cohort_figure,
    observation_figure,
    sankey_figure,
    stocks_figure,
)
from crossings.results import views
from crossings.results.bundle import PopulationInfo, RunMode, ScenarioInfo
from crossings.web.calibrations import checks_json, estimates_json, identifiability_json
from crossings.web.data import ResultsError

FIGURES = ("arrivals", "sankey", "cohorts", "stocks")
"""The report's figures the web app serves, by name."""
CACHE_SIZE = 4
KIND_ORDER = (
    "crossing",
    "hiding",
    "delegation",
    "travel",
    "transit",
    "arrived",
    "detained",
    "interrogation",
    "classification",
    "sentence",
    "released",
    "home",
    "dead",
)
"""The kinds of states in the order of a journey (the state picker's groups)."""
KIND_TITLES = {
    "crossing": "crossing the border",
    "hiding": "hiding abroad",
    "delegation": "delegations abroad",
    "travel": "travelling (routes, hand-overs)",
    "transit": "in transit countries",
    "arrived": "arrived in safety",
    "detained": "detained abroad",
    "interrogation": "interrogation",
    "classification": "classification",
    "sentence": "serving sentences",
    "released": "released",
    "home": "back home",
    "dead": "died",
}
"""Readable names of the kinds of states, for the groups of the state picker."""


class RunResults:
    """The results of finished runs opened as the report reads them (a few kept in memory)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._sets: OrderedDict[Path, ResultSet] = OrderedDict()
        self._figs: dict[tuple[Path, str], str] = {}
        self._lock = threading.Lock()
        self.size = size

    def result_set(self, folder: Path) -> ResultSet:
        """A run's results (the whole bundle; :meth:`ResultSet.for_population` narrows it).

        Raises:
            ResultsError: If the bundle cannot be read.
        """
        with self._lock:
            if folder in self._sets:
                self._sets.move_to_end(folder)
                return self._sets[folder]
        try:
            rs = load_result_set(folder)
        except ReportError as exc:
            raise ResultsError(str(exc).replace(str(folder), f"run {folder.name}")) from None
        with self._lock:
            self._sets[folder] = rs
            while len(self._sets) > self.size:
                old, _ = self._sets.popitem(last=False)
                self._figs = {k: v for k, v in self._figs.items() if k[0] != old}
        return rs

    def figure_json(self, folder: Path, name: str) -> str | None:
        """The plotly JSON of one of the report's figures for a run (None: nothing to draw).

        Raises:
            ResultsError: If the bundle cannot be read.
        """
        key = (folder, name)
        with self._lock:
            if key in self._figs:
                return self._figs[key]
        fig = report_figure(self.result_set(folder).for_population(), name)
        if fig is None:
            return None
        text = str(pio.to_json(fig.figure, validate=False, remove_uids=True))
        with self._lock:
            self._figs[key] = text
        return text


def report_figure(rs: ResultSet, name: str) -> ReportFigure | None:
    """The report's figure ``name`` (one of :data:`FIGURES`) for the headline population."""
    if name == "arrivals":
        series = [s for s in yearly_series(rs.observations) if not s.endswith("_share")]
        pick = "arrivals" if "arrivals" in series else (series[0] if series else None)
        return observation_figure(rs, pick) if pick is not None else None
    if name == "sankey":
        return sankey_figure(rs)
    if name == "cohorts":
        return cohort_figure(rs)
    if name == "stocks":
        return stocks_figure(rs)
    return None


def _summary_of(s: views.Summary) -> dict[str, Any]:
    def num(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)  # NaN is not JSON

    return {"median": num(s.median), "p05": num(s.p05), "p95": num(s.p95)}


def _population(rs: ResultSet, pop: PopulationInfo) -> dict[str, Any]:
    view = rs.view()
    rows = [
        {
            "key": m.key,
            "label": m.label[:1].upper() + m.label[1:],
            "text": views.band_text(s),
            **_summary_of(s),
        }
        for m, s in views.headline_figures(view, pop.id)
        if not (m.how == "present" and s.median == 0 and (s.p95 or 0) == 0)
    ]
    return {
        "id": pop.id,
        "title": "Everyone in the model" if pop.id == "everyone" else views.population_title(pop),
        "headline": pop.headline,
        "context": pop.context,
        "description": pop.description,
        "figures": rows,
    }


def summary(rs: ResultSet, calibration: str | None = None) -> dict[str, Any]:
    """What was run and the headline figures per population, as the report's first screen.

    Args:
        rs: The finished run.
        calibration: The registered name of the calibration a posterior run
            drew from (named instead of its server-side folder).
    """
    bundle = rs.bundle
    if bundle is None:  # pragma: no cover - load_result_set always keeps the bundle
        raise ResultsError(f"run {rs.path.name}: the results were not opened as a bundle")
    r = rs.run
    rows = views.observed_rows(bundle)
    checks = views.series_checks(rows) if rs.banded else []
    note = ""
    if r.mode is RunMode.POSTERIOR_EXPECTED and r.posterior is not None:
        note = (
            f"Exact expected values for {r.runs} parameter sets drawn from the calibration's "
            "posterior: the band holds what the calibration does not know about the "
            "parameters, and not the engine's chance (a count would scatter more around "
            "it). No journeys and no tables by year of entry in this mode."
        )
        if not r.posterior.estimates_attached:
            note += (
                " A what-if: the calibration's estimates describe the scenario as fitted, "
                "so they are not shown for these runs."
            )
    elif r.mode is RunMode.POSTERIOR and r.posterior is not None:
        note = (
            f"Each run drew its parameters from the calibration's posterior ({r.runs} "
            "draws): the band holds what the calibration does not know about them as well "
            "as the engine's chance."
        )
        if not r.posterior.estimates_attached:
            note += (
                " A what-if: the calibration's estimates describe the scenario as fitted, "
                "so they are not shown for these runs."
            )
    elif rs.expected:
        note = "Exact expected values: no band, and no inside/outside verdict."
    elif not rs.banded:
        note = (
            "One run: the figures have no band and the observed numbers get no "
            "inside/outside verdict (choose 10 runs or more for a band)."
        )
    return {
        "title": rs.title,
        "scenario": r.scenario,
        "how": views.run_text(bundle, calibration),
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "variant": r.variant,
        "variant_description": rs.scenario.variant_description,
        "overrides": list(r.overrides),
        "banded": rs.banded,
        "note": note,
        "declared_populations": bool(rs.scenario.populations),
        "populations": [_population(rs, p) for p in rs.populations()],
        "checks": [
            {
                "series": c.series,
                "title": c.title,
                "rows": c.rows,
                "inside": c.inside,
                "worst": _worst(c),
            }
            for c in checks
        ],
        "estimates": estimates_json(rs.scenario, rs.estimates, rs.identifiability),
        "held_back": checks_json(rs.scenario, rs.checks),
        "identifiability": identifiability_json(rs.identifiability),
    }


SEX_WORDS = {"female": "women", "male": "men"}


def _worst(c: views.SeriesCheck) -> str | None:
    """The furthest miss of a series in words: ``2024 (men): outside by 4.3 (16%)``."""
    if not c.outside:
        return None
    w = c.outside[0]
    sex = f" ({SEX_WORDS[w.sex]})" if w.sex in SEX_WORDS else ""
    more = f" (and {len(c.outside) - 1} more)" if len(c.outside) > 1 else ""
    return f"{w.year}{sex}: {w.verdict_text}{more}"


def differences(base: ResultSet, other: ResultSet) -> list[dict[str, Any]]:
    """The what-if's differences from the baseline per population, paired by seed."""
    out = []
    for pop in base.populations():
        for d in views.compare(base.view(), other.view(), pop.id):
            out.append(
                {
                    "population": pop.id,
                    "population_title": (
                        "Everyone in the model"
                        if pop.id == "everyone"
                        else views.population_title(pop)
                    ),
                    "key": d.metric.key,
                    "label": d.metric.label[:1].upper() + d.metric.label[1:],
                    "base": views.band_text(d.base),
                    "other": views.band_text(d.other),
                    "difference": views.band_text(d.diff, diff=True),
                    "paired": d.paired,
                }
            )
    return out


def state_groups(info: ScenarioInfo, present: set[str]) -> list[dict[str, Any]]:
    """The states of a run grouped by population, then kind, with readable names."""
    groups = []
    for pop in views.populations(info):
        states = views.population_states(info, pop.id)
        if pop.within:
            continue  # its states are shown with the population it is part of
        title = "Everyone in the model" if pop.id == "everyone" else views.population_title(pop)
        kinds: dict[str, list[dict[str, str]]] = {}
        for s in info.states:
            if s.id in states and s.id in present:
                kinds.setdefault(s.kind, []).append({"id": s.id, "name": s.name})
        order = [*KIND_ORDER, *sorted(k for k in kinds if k not in KIND_ORDER)]
        for kind in order:
            if kind in kinds:
                groups.append(
                    {
                        "population": pop.id,
                        "population_title": title,
                        "kind": kind,
                        "title": KIND_TITLES.get(kind, kind.replace("_", " ")),
                        "states": kinds[kind],
                    }
                )
    return groups
