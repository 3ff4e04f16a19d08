"""Results: tidy tables over one or many runs, observed vs simulated, journeys.

A :class:`Results` holds the :class:`~crossings.tallies.Tallies` of every run
(integer counts of agent runs, or one set of exact expectations) with the
compiled model and scenario they came from, and turns them into the tidy
tables that :func:`crossings.results.io.write_results` writes into a results
bundle. Observations are measured by :mod:`crossings.measure`, the same code
calibration uses. Summaries over runs are the median and the 5–95% band.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings import __version__
from crossings.compile.model import CompiledModel
from crossings.measure import Row, build_rows, initial_stock, row_values
from crossings.results.bundle import (
    FAMILY_ANY,
    OBSERVATION_COLUMNS,
    PosteriorOrigin,
    RunMode,
    RunRecord,
)
from crossings.scenario.load import LoadedScenario
from crossings.tallies import EVENT_KINDS, SEX_NAMES, Tallies, stack

START = "start"
"""``from_state`` of the people already in a state when the span begins (flows tables)."""


@dataclass
class Results:
    """The results of one or more runs of a scenario.

    Attributes:
        model: The compiled model that was run.
        runs: The tallies of each run (counts), or one set of expectations.
        seeds: The seed of each run.
        loaded: The scenario (for observations and provenance).
        wall_seconds: Wall-clock time of the simulation.
        mode: How the numbers were produced.
        posterior: The calibration the parameters were drawn from (posterior runs).
        estimates: A calibration's ``estimates.csv`` to carry into the bundle.
        meta: Extra facts for ``run.json`` (``lumped_states``, ``web``).
    """

    model: CompiledModel
    runs: list[Tallies[Any]]
    seeds: list[int]
    loaded: LoadedScenario | None = None
    wall_seconds: float = 0.0
    mode: RunMode = RunMode.AGENT
    posterior: PosteriorOrigin | None = None
    estimates: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    _stack: Tallies[Any] | None = field(default=None, repr=False)

    # ---------------------------------------------------------- basic arrays
    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.runs)

    def _quantiles(self, values: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        """Median, 5% and 95% over the first axis (runs)."""
        q = np.quantile(values, [0.5, 0.05, 0.95], axis=0, method="linear")
        return q[0], q[1], q[2]

    def entries(self, states: list[str], run: int = 0) -> NDArray[np.int64]:
        """People entering any of ``states`` from outside the set, per year and sex (Y, 2)."""
        m = self.model
        idx = [m.state_index(s) for s in states]
        inside = np.zeros(m.n_states + 1, bool)
        inside[idx] = True
        f = self.runs[run].flows  # (Y, S+1, S, 2)
        return np.asarray(f[:, ~inside][:, :, idx].sum(axis=(1, 2)))

    def mean_years_in_system(
        self, states: list[str], run: int | None = None
    ) -> NDArray[np.float64]:
        """Mean years since entering the system of people entering ``states``, per year.

        For arrivals this is the time spent abroad before arrival. People present
        at the start count from the first day, so early years are understated.
        Over all runs when ``run`` is None. NaN where nobody entered.

        Raises:
            ValueError: For expected values (``crossings run --expected``), which
                do not track time in the system.
        """
        if any(r.steps_in_system is None for r in self.runs):
            raise ValueError(
                "expected values do not track time in the system; use agent "
                "runs (crossings run without --expected)"
            )
        m = self.model
        idx = [m.state_index(s) for s in states]
        runs = range(self.n_runs) if run is None else [run]
        steps = sum(np.asarray(self.runs[r].steps_in_system)[:, idx].sum(axis=1) for r in runs)
        count = sum(self.runs[r].flows[:, :, idx].sum(axis=(1, 2, 3)) for r in runs)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.asarray(steps, float) / np.asarray(count, float)
        return np.asarray(mean * m.step_days / 365.25, dtype=np.float64)

    def stock_at(self, states: list[str], step: int, run: int = 0) -> NDArray[np.int64]:
        """People in any of ``states`` at the end of ``step``, by sex (2,)."""
        m = self.model
        idx = [m.state_index(s) for s in states]
        return np.asarray(self.runs[run].stocks[step, idx].sum(axis=0))

    def year_end_step(self, year: int) -> int:
        """The last step that begins in ``year``."""
        m = self.model
        hits = np.flatnonzero(m.step_year == year)
        return int(hits[-1]) if hits.size else -1

    # ---------------------------------------------------------- tidy tables
    def stocks_frame(self, every: str = "month") -> pd.DataFrame:
        """Stocks by date × state × place × sex (and run).

        Args:
            every: ``"step"``, ``"month"`` (last step of each month) or ``"year"``.
        """
        m = self.model
        steps = self._sample_steps(every)
        dates = [m.step_date(int(k)) for k in steps]
        S = m.n_states
        frames = []
        for r, raw in enumerate(self.runs):
            block = raw.stocks[steps]  # (k, S, 2)
            k = len(steps)
            df = pd.DataFrame(
                {
                    "run": r,
                    "date": np.repeat(pd.to_datetime(dates), S * 2),
                    "state": np.tile(np.repeat(np.array(m.state_ids), 2), k),
                    "sex": np.tile(np.array(SEX_NAMES), k * S),
                    "count": block.reshape(-1),
                }
            )
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        out["place"] = out["state"].map(self._state_place_map())
        out["kind"] = out["state"].map(dict(zip(m.state_ids, m.state_kinds, strict=True)))
        return out[["run", "date", "state", "kind", "place", "sex", "count"]]

    def _sample_steps(self, every: str) -> NDArray[np.int64]:
        m = self.model
        T = m.n_steps
        if every == "step":
            return np.arange(T)
        dates = pd.to_datetime([m.step_date(k) for k in range(T)])
        key = dates.year * 100 + (dates.month if every == "month" else 0)
        last = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
        return last.astype(np.int64)

    def _state_place_map(self) -> dict[str, str | None]:
        m = self.model
        return {
            s: (m.place_ids[p] if p >= 0 else None)
            for s, p in zip(m.state_ids, m.state_place, strict=True)
        }

    def flows_frame(self) -> pd.DataFrame:
        """Moves by year × from-state × to-state × sex (and run).

        ``from_state`` is ``outside`` for people entering the system and
        ``start`` for the people already there when the span begins (the
        scenario's initial stocks, in the first year); ``to_state`` is
        ``flag:X`` for a flag acquired.
        """
        m = self.model
        names = [*m.state_ids, "outside", START]
        initial = initial_stock(m)
        S = m.n_states
        frames = []
        for r, raw in enumerate(self.runs):
            flows = np.concatenate([raw.flows, np.zeros_like(raw.flows[:, :1])], axis=1)
            flows[0, S] -= initial.astype(flows.dtype)  # (S+2): outside, then start
            flows[0, S + 1] += initial.astype(flows.dtype)
            y, a, b, s = np.nonzero(flows)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "year": np.array(m.years)[y],
                        "from_state": np.array(names)[a],
                        "to_state": np.array(m.state_ids)[b],
                        "sex": np.array(SEX_NAMES)[s],
                        "count": flows[y, a, b, s],
                    }
                )
            )
            fy, ff, fs, fx = np.nonzero(raw.flag_flows)
            if m.n_flags:
                frames.append(
                    pd.DataFrame(
                        {
                            "run": r,
                            "year": np.array(m.years)[fy],
                            "from_state": np.array(m.state_ids)[fs],
                            "to_state": ["flag:" + m.flag_ids[i] for i in ff],
                            "sex": np.array(SEX_NAMES)[fx],
                            "count": raw.flag_flows[fy, ff, fs, fx],
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def cohort_flows_frame(self) -> pd.DataFrame:
        """Moves by year of entry (cohort) × from-state × to-state (and run).

        The whole journey of each entry cohort; ``outside`` is the entry and
        ``start`` the people already there when the span begins (cohort of
        the first year).
        """
        m = self.model
        names = np.array([*m.state_ids, "outside", START])
        initial = initial_stock(m).sum(axis=1)
        S = m.n_states
        frames = []
        for r, raw in enumerate(self.runs):
            if raw.cohort_flows is None:
                continue  # posterior expected values: no tables by entry cohort
            base = raw.cohort_flows
            cf = np.concatenate([base, np.zeros_like(base[:, :1])], axis=1)
            cf[0, S] -= initial.astype(cf.dtype)
            cf[0, S + 1] += initial.astype(cf.dtype)
            y, a, b = np.nonzero(cf)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "cohort_year": np.array(m.years)[y],
                        "from_state": names[a],
                        "to_state": np.array(m.state_ids)[b],
                        "count": cf[y, a, b],
                    }
                )
            )
        if not frames:
            return _empty(
                run="int64", cohort_year="int64", from_state=str, to_state=str, count=float
            )
        return pd.concat(frames, ignore_index=True)

    def hazards_frame(self, by: str = "year") -> pd.DataFrame:
        """How often each competing hazard fired, by calendar year or by entry cohort.

        Distinguishes moves that share a from/to pair (a bribe release from the
        end of a term, say). Columns: run, year (or cohort_year), hazard (its
        id), names (id and tags), from_state, to_state (``flag:X`` for a flag),
        count.
        """
        m = self.model
        hz = m.hazards
        col = "year" if by == "year" else "cohort_year"
        frames = []
        for r, raw in enumerate(self.runs):
            counts = raw.hazard_counts if by == "year" else raw.hazard_counts_cohort
            if counts is None:
                continue  # posterior expected values: no tables by entry cohort
            y, c = np.nonzero(counts)
            target = [
                m.state_ids[int(t)] if t >= 0 else "flag:" + m.flag_ids[-int(t) - 1]
                for t in hz.target[c]
            ]
            names = hz.names if hz.names else tuple(() for _ in hz.label)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        col: np.array(m.years)[y],
                        "hazard": [hz.ids[i] if hz.ids else hz.label[i] for i in c],
                        "names": [",".join(names[i]) for i in c],
                        "from_state": np.array(m.state_ids)[hz.state[c]],
                        "to_state": target,
                        "count": counts[y, c],
                    }
                )
            )
        if not frames:
            return pd.DataFrame(
                columns=["run", col, "hazard", "names", "from_state", "to_state", "count"]
            )
        return pd.concat(frames, ignore_index=True)

    def outcomes_frame(self) -> pd.DataFrame:
        """Where each entry cohort (year of entry) is at the end, by sex (and run)."""
        m = self.model
        frames = []
        for r, raw in enumerate(self.runs):
            co = raw.cohort_outcomes
            if co is None:
                continue  # posterior expected values: no tables by entry cohort
            y, s, x = np.nonzero(co)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "cohort_year": np.array(m.years)[y],
                        "state": np.array(m.state_ids)[s],
                        "kind": np.array(m.state_kinds)[s],
                        "sex": np.array(SEX_NAMES)[x],
                        "count": co[y, s, x],
                    }
                )
            )
        if not frames:
            return _empty(
                run="int64", cohort_year="int64", state=str, kind=str, sex=str, count=float
            )
        return pd.concat(frames, ignore_index=True)

    def families_frame(self) -> pd.DataFrame:
        """Family members (and households) affected per year, consequence and outcome.

        Rows with the consequence ``any`` (:data:`~crossings.results.bundle.FAMILY_ANY`)
        count each member once however many consequences they suffer, and each
        household once; the other rows count each consequence.
        """
        m = self.model
        frames = []
        for r, raw in enumerate(self.runs):
            if raw.family_affected is not None and raw.family_affected_households is not None:
                y, s = np.nonzero(raw.family_affected)
                frames.append(
                    pd.DataFrame(
                        {
                            "run": r,
                            "year": np.array(m.years)[y],
                            "consequence": FAMILY_ANY,
                            "outcome_state": np.array(m.state_ids)[s],
                            "members": raw.family_affected[y, s],
                            "households": raw.family_affected_households[y, s],
                        }
                    )
                )
            y, c, s = np.nonzero(raw.family_members)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "year": np.array(m.years)[y],
                        "consequence": np.array(m.consequence_ids, dtype=object)[c]
                        if c.size
                        else [],
                        "outcome_state": np.array(m.state_ids)[s],
                        "members": raw.family_members[y, c, s],
                        "households": raw.family_households[y, c, s],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def events_frame(self) -> pd.DataFrame:
        """People moved by each wave and reclassification, by sex (and run)."""
        m = self.model
        rows = []
        for r, raw in enumerate(self.runs):
            for w, wid in enumerate(m.wave_ids):
                for s, sx in enumerate(SEX_NAMES):
                    rows.append(
                        {
                            "run": r,
                            "event": "wave",
                            "id": wid,
                            "date": m.step_date(int(m.wave_step[w])),
                            "sex": sx,
                            "count": int(raw.wave_moved[w, s]),
                            "happened": bool(m.wave_active[w]),
                        }
                    )
            for k, rid in enumerate(m.rc_ids):
                for s, sx in enumerate(SEX_NAMES):
                    rows.append(
                        {
                            "run": r,
                            "event": "reclassification",
                            "id": rid,
                            "date": m.step_date(int(m.rc_step[k])),
                            "sex": sx,
                            "count": int(raw.rc_moved[k, s]),
                            "happened": True,
                        }
                    )
        return pd.DataFrame(
            rows, columns=["run", "event", "id", "date", "sex", "count", "happened"]
        )

    def classification_frame(self) -> pd.DataFrame:
        """Classification decisions per year by rule and sex (and run)."""
        m = self.model
        frames = []
        for r, raw in enumerate(self.runs):
            if not m.rule_labels:
                break
            y, k, s = np.nonzero(raw.rule_counts)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "year": np.array(m.years)[y],
                        "rule": np.array(m.rule_labels)[k],
                        "sex": np.array(SEX_NAMES)[s],
                        "count": raw.rule_counts[y, k, s],
                    }
                )
            )
        if not frames:
            return pd.DataFrame(columns=["run", "year", "rule", "sex", "count"])
        return pd.concat(frames, ignore_index=True)

    def to_frame(self, table: str = "stocks") -> pd.DataFrame:
        """A tidy table by name.

        One of: stocks, flows, outcomes, families, events, classification,
        observations, journeys.

        Raises:
            ValueError: For an unknown table name.
        """
        tables = {
            "stocks": self.stocks_frame,
            "flows": self.flows_frame,
            "outcomes": self.outcomes_frame,
            "families": self.families_frame,
            "events": self.events_frame,
            "classification": self.classification_frame,
            "observations": self.observations_frame,
            "journeys": self.journeys_frame,
            "cohort_flows": self.cohort_flows_frame,
            "hazards": self.hazards_frame,
        }
        if table not in tables:
            raise ValueError(f"unknown table '{table}'; choose from {', '.join(tables)}")
        return tables[table]()

    # ---------------------------------------------------------- observations
    def stacked(self) -> Tallies[Any]:
        """The tallies of every run on one leading ``run`` axis (built once)."""
        if self._stack is None:
            self._stack = stack(self.runs, "run")
        return self._stack

    def observation_rows(self) -> list[Row]:
        """Every observation row of the scenario that lies wholly inside the span."""
        if self.loaded is None:
            return []
        return build_rows(self.loaded.scenario, self.model)

    def observations_frame(self) -> pd.DataFrame:
        """Observed vs simulated for every row and sex of every observation series.

        Rows are those of :func:`crossings.measure.build_rows` (wholly inside
        the span; a row partly outside is not compared, as in calibration).
        Columns: :data:`OBSERVATION_COLUMNS` — ``simulated`` is the median over
        runs, ``simulated_p05``/``_p95`` the 5–95% band; ``observed`` is the
        number observed, empty (NaN) for a reported range, which is held whole
        in ``observed_low``/``observed_high`` (NaN for an open end: "more than
        2,000" is a lower bound, never a midpoint); ``year`` is a year, a
        bucket ``1999-2001`` or a date.
        """
        rows = self.observation_rows()
        if not rows:
            return pd.DataFrame(columns=list(OBSERVATION_COLUMNS))
        values = row_values(self.stacked(), self.model, rows)  # (runs, rows)
        med, p05, p95 = self._quantiles(values)
        records: list[dict[str, Any]] = []
        obs_kind = {o.id: o.kind for o in self.loaded.scenario.observations} if self.loaded else {}
        for j, r in enumerate(rows):
            records.append(
                {
                    "series": r.series,
                    "year": r.label,
                    "sex": r.sex,
                    "observed": r.observed if r.kind != "range" else math.nan,
                    "simulated": float(med[j]),
                    "simulated_p05": float(p05[j]),
                    "simulated_p95": float(p95[j]),
                    "observed_low": r.low,
                    "observed_high": r.high,
                    "kind": obs_kind.get(r.series, "count"),
                    "unit": r.unit,
                    "sources": ";".join(r.sources),
                }
            )
        records.extend(self._female_share_rows(rows, values))
        return pd.DataFrame(records, columns=list(OBSERVATION_COLUMNS))

    def _female_share_rows(
        self, rows: list[Row], values: NDArray[np.float64]
    ) -> list[dict[str, Any]]:
        """Women's share of every count row that gives both women and the total."""
        at = {(r.series, r.label, r.sex): j for j, r in enumerate(rows)}
        out = []
        for j, r in enumerate(rows):
            if r.sex != "female" or r.kind != "count":
                continue
            k = at.get((r.series, r.label, "total"))
            if k is None or rows[k].kind != "count" or rows[k].observed <= 0:
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                share = values[:, j] / values[:, k]
            if np.isnan(share).all():
                continue
            med, p05, p95 = self._quantiles(share[:, None])
            observed = r.observed / rows[k].observed
            out.append(
                {
                    "series": f"{r.series}_female_share",
                    "year": r.label,
                    "sex": "female",
                    "observed": observed,
                    "simulated": float(med[0]),
                    "simulated_p05": float(p05[0]),
                    "simulated_p95": float(p95[0]),
                    "observed_low": observed,
                    "observed_high": observed,
                    "kind": "share",
                    "unit": "share of total",
                    "sources": ";".join(r.sources),
                }
            )
        return out

    def year_end_stocks(self, every: int = 3) -> pd.DataFrame:
        """Median stock on 31 December of every ``every``-th year (and the last), by state.

        Rows are states where people wait or are held (not instantaneous or
        travel states); columns are years.
        """
        m = self.model
        years = list(m.years[::every])
        if m.years[-1] not in years:
            years.append(m.years[-1])
        keep = [
            i
            for i, k in enumerate(m.state_kinds)
            if k not in ("classification", "travel", "crossing")
        ]
        data = {}
        for y in years:
            step = self.year_end_step(y)
            vals = np.stack([r.stocks[step, keep].sum(axis=1) for r in self.runs])
            data[y] = np.median(vals, axis=0)
        df = pd.DataFrame(data, index=[m.state_ids[i] for i in keep])
        df.insert(0, "kind", [m.state_kinds[i] for i in keep])
        return df

    # ---------------------------------------------------------- journeys
    def journeys_frame(self, run: int = 0) -> pd.DataFrame:
        """Event records of the sampled agents of one run, with dates and names.

        ``detail`` is the flag acquired (``flag`` records) or, for a
        ``classified`` record, the flags interrogation detected (comma-separated,
        empty when it found none).
        """
        m = self.model
        sample = self.runs[run].journeys
        cols = ["agent", "seq", "step", "date", "kind", "from_state", "to_state", "detail"]
        if sample is None or not sample.events or not len(sample.events["agent"]):
            return pd.DataFrame(columns=cols)
        names = [*m.state_ids, "outside"]
        df = pd.DataFrame(dict(sample.events))
        df["date"] = [m.step_date(int(s)).isoformat() for s in df["step"]]
        df["kind"] = [EVENT_KINDS[int(k)] for k in df["kind"]]
        df["from_state"] = [names[int(s)] for s in df["from_state"]]
        df["to_state"] = [names[int(s)] for s in df["to_state"]]
        df["detail"] = [
            m.flag_ids[int(d)]
            if k == "flag" and d >= 0
            else _flag_list(m, int(d))
            if k == "classified" and d >= 0
            else ""
            for k, d in zip(df["kind"], df["detail"], strict=True)
        ]
        return df[cols]

    def agents_frame(self, run: int = 0) -> pd.DataFrame:
        """Attributes of the sampled agents of one run."""
        m = self.model
        sample = self.runs[run].journeys
        if sample is None or not sample.agents or not len(sample.agents["agent"]):
            return pd.DataFrame()
        df = pd.DataFrame(dict(sample.agents))
        df["sex"] = [SEX_NAMES[int(s)] for s in df["sex"]]
        df["age_band"] = [m.age_ids[int(s)] for s in df["age_band"]]
        df["origin"] = [m.origin_ids[int(s)] for s in df["origin"]]
        df["final_state"] = [m.state_ids[int(s)] for s in df["final_state"]]
        df["entry_date"] = [m.step_date(int(s)).isoformat() for s in df["entry_step"]]
        df["flags"] = [_flag_list(m, int(v)) for v in df["flags"]]
        return df

    # ---------------------------------------------------------- summary
    def totals(self) -> dict[str, Any]:
        """Headline numbers (median over runs)."""
        created = [r.agents_created for r in self.runs]
        steps = [r.agent_steps for r in self.runs]
        return {
            "agents_created": int(np.median(created)),
            "agent_steps": int(np.median(steps)),
            "events": int(np.median([r.events for r in self.runs])),
        }

    def final_states(self) -> pd.DataFrame:
        """People in each state at the end: median and 5–95% over runs, by kind."""
        m = self.model
        vals = np.stack([r.stocks[-1].sum(axis=1) for r in self.runs]).astype(float)
        med, p05, p95 = self._quantiles(vals)
        return pd.DataFrame(
            {
                "state": m.state_ids,
                "name": m.state_names,
                "kind": m.state_kinds,
                "median": med,
                "p05": p05,
                "p95": p95,
            }
        )

    def record(self) -> RunRecord:
        """The typed run record written as ``run.json``.

        The scenario hash is the loaded scenario's (variant and overrides
        applied), also for posterior runs, whose models are compiled from it
        with the posterior's draws.
        """
        lo = self.loaded
        return RunRecord(
            mode=self.mode,
            scenario=self.model.name,
            scenario_title=lo.scenario.title if lo else None,
            scenario_sha256=lo.sha256 if lo else self.model.sha256,
            scenario_origin=lo.origin if lo else None,
            variant=lo.variant if lo else None,
            overrides=list(lo.overrides) if lo else [],
            seeds=list(self.seeds),
            runs=self.n_runs,
            posterior=self.posterior,
            crossings_version=__version__,
            wall_seconds=round(self.wall_seconds, 4),
            agents_created=[float(r.agents_created) for r in self.runs],
            agent_steps=[float(r.agent_steps) for r in self.runs],
            events=[int(r.events) for r in self.runs],
            start=self.model.start,
            end=self.model.end,
            step_days=self.model.step_days,
            n_steps=self.model.n_steps,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            lumped_states=list(self.meta.get("lumped_states", [])),
            web=self.meta.get("web"),
        )


def _flag_list(m: CompiledModel, mask: int) -> str:
    """The ids of the flags set in a bit mask, comma-separated."""
    return ",".join(f for i, f in enumerate(m.flag_ids) if mask >> i & 1)


def _empty(**dtypes: Any) -> pd.DataFrame:
    """A table without rows but with its columns and their types."""
    return pd.DataFrame({k: pd.Series(dtype=v) for k, v in dtypes.items()})
