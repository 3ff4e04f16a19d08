"""Results: tidy tables over one or many runs, observed vs simulated, journeys.

Everything downstream (the run summary, files, reports, the web app) reads
these tables. Counts from the simulation are integers per run; summaries over
runs are the median and the 5–95% band.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from crossings.compile.model import CompiledModel
from crossings.engine.core import EVENT_KINDS, RawResults
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Observation, ObsRow, Range

SEX_NAMES = ("female", "male")


@dataclass
class Results:
    """The results of one or more runs of a scenario.

    Attributes:
        model: The compiled model that was run.
        runs: Raw tallies, one per seed.
        seeds: The seed of each run.
        loaded: The scenario (for observations and provenance).
        wall_seconds: Wall-clock time of the simulation.
        meta: Extra facts recorded in ``run.json``.
    """

    model: CompiledModel
    runs: list[RawResults]
    seeds: list[int]
    loaded: LoadedScenario | None = None
    wall_seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

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
        if self.meta.get("mode") == "expected":
            raise ValueError(
                "expected values do not track time in the system; use agent "
                "runs (crossings run without --expected)"
            )
        m = self.model
        idx = [m.state_index(s) for s in states]
        runs = range(self.n_runs) if run is None else [run]
        steps = sum(self.runs[r].steps_in_system[:, idx].sum(axis=1) for r in runs)
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
        """Moves by year × from-state × to-state × sex (and run); ``outside`` = entry."""
        m = self.model
        names = [*m.state_ids, "outside"]
        frames = []
        for r, raw in enumerate(self.runs):
            y, a, b, s = np.nonzero(raw.flows)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "year": np.array(m.years)[y],
                        "from_state": np.array(names)[a],
                        "to_state": np.array(m.state_ids)[b],
                        "sex": np.array(SEX_NAMES)[s],
                        "count": raw.flows[y, a, b, s],
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

        The whole journey of each entry cohort; ``outside`` is the entry.
        """
        m = self.model
        names = np.array([*m.state_ids, "outside"])
        frames = []
        for r, raw in enumerate(self.runs):
            y, a, b = np.nonzero(raw.cohort_flows)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "cohort_year": np.array(m.years)[y],
                        "from_state": names[a],
                        "to_state": np.array(m.state_ids)[b],
                        "count": raw.cohort_flows[y, a, b],
                    }
                )
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
            y, s, x = np.nonzero(raw.cohort_outcomes)
            frames.append(
                pd.DataFrame(
                    {
                        "run": r,
                        "cohort_year": np.array(m.years)[y],
                        "state": np.array(m.state_ids)[s],
                        "kind": np.array(m.state_kinds)[s],
                        "sex": np.array(SEX_NAMES)[x],
                        "count": raw.cohort_outcomes[y, s, x],
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def families_frame(self) -> pd.DataFrame:
        """Family members (and households) affected per year, consequence and outcome."""
        m = self.model
        frames = []
        for r, raw in enumerate(self.runs):
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
    def simulate_row(self, obs: Observation, row: ObsRow, sex: str) -> NDArray[np.float64]:
        """The simulated value of one observed row, one value per run."""
        m = self.model
        meas = obs.measure
        sx = slice(None) if sex == "total" else SEX_NAMES.index(sex)
        years = (
            [row.year]
            if row.year is not None
            else list(range(row.years[0], row.years[1] + 1))
            if row.years is not None
            else [row.date.year]
            if row.date is not None
            else []
        )
        yidx = [y - m.years[0] for y in years if m.years[0] <= y <= m.years[-1]]
        out = np.zeros(self.n_runs)
        for r in range(self.n_runs):
            if meas.entries is not None:
                e = self.entries(meas.entries, r)
                out[r] = e[yidx][:, sx].sum()
            elif meas.flow is not None:
                a = m.state_index(meas.flow["from"])
                b = m.state_index(meas.flow["to"])
                out[r] = self.runs[r].flows[yidx, a, b][:, sx].sum()
            elif meas.stock is not None:
                if row.date is not None:
                    step = m.date_step(row.date)
                    steps = [step] if 0 <= step < m.n_steps else []
                else:
                    steps = [self.year_end_step(y) for y in years]
                    steps = [s for s in steps if s >= 0]
                vals = [self.stock_at(meas.stock, s, r)[sx].sum() for s in steps]
                out[r] = float(np.mean(vals)) if vals else np.nan
            elif meas.family is not None:
                cidx = [m.consequence_ids.index(c) for c in meas.family]
                out[r] = (
                    self.runs[r].family_members[yidx][:, cidx].sum() if sex == "total" else np.nan
                )
            elif meas.wave is not None:
                w = m.wave_ids.index(meas.wave)
                in_span = 0 <= int(m.wave_step[w]) < m.n_steps
                out[r] = self.runs[r].wave_moved[w][sx].sum() if in_span else np.nan
        if not yidx and meas.wave is None:
            out[:] = np.nan
        return out

    def observations_frame(self) -> pd.DataFrame:
        """Observed vs simulated for every row and sex of every observation series.

        Columns: ``series, year, sex, observed, simulated, simulated_p05,
        simulated_p95`` (``simulated`` is the median over runs), then
        ``observed_low, observed_high, kind, unit, sources``. ``year`` is a year,
        a bucket ``1999-2001`` or a date.
        """
        cols = [
            "series",
            "year",
            "sex",
            "observed",
            "simulated",
            "simulated_p05",
            "simulated_p95",
            "observed_low",
            "observed_high",
            "kind",
            "unit",
            "sources",
        ]
        if self.loaded is None:
            return pd.DataFrame(columns=cols)
        rows = []
        for obs in self.loaded.scenario.observations:
            for row in obs.rows:
                label = (
                    str(row.year)
                    if row.year is not None
                    else f"{row.years[0]}-{row.years[1]}"
                    if row.years is not None
                    else row.date.isoformat()
                    if row.date is not None
                    else ""
                )
                for sex in ("total", "female", "male"):
                    val = getattr(row, sex)
                    if val is None:
                        continue
                    sim = self.simulate_row(obs, row, sex)
                    if np.isnan(sim).all():
                        continue
                    med, p05, p95 = self._quantiles(sim)
                    if isinstance(val, Range):
                        lo = val.low if val.low is not None else np.nan
                        hi = val.high if val.high is not None else np.nan
                        point = val.point()
                    else:
                        lo = hi = point = float(val)
                    rows.append(
                        {
                            "series": obs.id,
                            "year": label,
                            "sex": sex,
                            "observed": point,
                            "simulated": float(med),
                            "simulated_p05": float(p05),
                            "simulated_p95": float(p95),
                            "observed_low": lo,
                            "observed_high": hi,
                            "kind": obs.kind,
                            "unit": obs.unit,
                            "sources": ";".join(row.sources or obs.sources or []),
                        }
                    )
                share = self._female_share_row(obs, row, label)
                if share is not None:
                    rows.append(share)
        return pd.DataFrame(rows, columns=cols)

    def _female_share_row(self, obs: Observation, row: ObsRow, label: str) -> dict[str, Any] | None:
        """Women's share of a count row that gives both women and the total."""
        if obs.kind != "count" or isinstance(row.female, Range) or isinstance(row.total, Range):
            return None
        if row.female is None or row.total is None or row.total <= 0:
            return None
        fem = self.simulate_row(obs, row, "female")
        tot = self.simulate_row(obs, row, "total")
        with np.errstate(invalid="ignore", divide="ignore"):
            share = fem / tot
        if np.isnan(share).all():
            return None
        med, p05, p95 = self._quantiles(share)
        observed = float(row.female) / float(row.total)
        return {
            "series": f"{obs.id}_female_share",
            "year": label,
            "sex": "female",
            "observed": observed,
            "simulated": float(med),
            "simulated_p05": float(p05),
            "simulated_p95": float(p95),
            "observed_low": observed,
            "observed_high": observed,
            "kind": "share",
            "unit": "share of total",
            "sources": ";".join(row.sources or obs.sources or []),
        }

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
        """Event records of the sampled agents of one run, with dates and names."""
        m = self.model
        j = self.runs[run].journeys
        names = [*m.state_ids, "outside"]
        df = pd.DataFrame({k: v for k, v in j.items()})
        if df.empty:
            return pd.DataFrame(
                columns=["agent", "date", "kind", "from_state", "to_state", "detail"]
            )
        df["date"] = [m.step_date(int(s)).isoformat() for s in df["step"]]
        df["kind"] = [EVENT_KINDS[int(k)] for k in df["kind"]]
        df["from_state"] = [names[int(s)] for s in df["from_state"]]
        df["to_state"] = [names[int(s)] for s in df["to_state"]]
        df["detail"] = [
            m.flag_ids[int(d)] if k == "flag" and d >= 0 else ""
            for k, d in zip(df["kind"], df["detail"], strict=True)
        ]
        return df[["agent", "seq", "step", "date", "kind", "from_state", "to_state", "detail"]]

    def agents_frame(self, run: int = 0) -> pd.DataFrame:
        """Attributes of the sampled agents of one run."""
        m = self.model
        a = self.runs[run].agents
        df = pd.DataFrame({k: v for k, v in a.items()})
        if df.empty:
            return df
        df["sex"] = [SEX_NAMES[int(s)] for s in df["sex"]]
        df["age_band"] = [m.age_ids[int(s)] for s in df["age_band"]]
        df["origin"] = [m.origin_ids[int(s)] for s in df["origin"]]
        df["final_state"] = [m.state_ids[int(s)] for s in df["final_state"]]
        df["entry_date"] = [m.step_date(int(s)).isoformat() for s in df["entry_step"]]
        df["flags"] = [
            ",".join(f for i, f in enumerate(m.flag_ids) if int(v) >> i & 1) for v in df["flags"]
        ]
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

    def run_info(self) -> dict[str, Any]:
        """The content of ``run.json``."""
        from crossings import __version__  # noqa: PLC0415

        lo = self.loaded
        return {
            "scenario": self.model.name,
            "scenario_sha256": self.model.sha256,
            "scenario_origin": lo.origin if lo else None,
            "variant": lo.variant if lo else None,
            "overrides": list(lo.overrides) if lo else [],
            "seeds": self.seeds,
            "runs": self.n_runs,
            "crossings_version": __version__,
            "wall_seconds": round(self.wall_seconds, 4),
            "agents_created": [r.agents_created for r in self.runs],
            "agent_steps": [r.agent_steps for r in self.runs],
            "events": [r.events for r in self.runs],
            "start": self.model.start.isoformat(),
            "end": self.model.end.isoformat(),
            "step_days": self.model.step_days,
            "n_steps": self.model.n_steps,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **self.meta,
        }
