"""One measurement of observations and estimates on tallies.

An observation series (or a declared estimate) names *what* it measures
(entries into states, a flow, a stock, a wave, family members) and *when*
(a year, a bucket of years, a date). This module turns every such row into a
:class:`Row` and measures it on a stack of :class:`~crossings.tallies.Tallies`
— the runs of the agent engine or the parameter sets of the expected-value
mode — with one set of rules used by the results tables
(``observations.csv``) and by calibration alike:

* a row is measured only if **every** year it covers lies inside the
  simulated span (and its date, for a dated stock); a row partly outside
  the span is not compared at all, because a partial sum would be compared
  with a whole observed number — :func:`build_rows` reports how many rows
  were left out;
* entries count moves into the listed states from any state outside them
  (entries from outside the system included, the people already present at
  the start of the span not: they did not enter, they were there — see
  :func:`initial_stock`);
* a stock on a date is the stock at the end of that day's step; a stock for
  a year (or years) is the mean of the stocks on the last step of each year;
* family measures exist only for the total (families have no sex).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from crossings.compile.model import CompiledModel
from crossings.scenario.schema import Measure, Observation, ObsRow, Range, Scenario
from crossings.tallies import SEX_NAMES, Tallies

F64 = NDArray[np.float64]
SEXES = ("total", "female", "male")


@dataclass(frozen=True)
class Row:
    """One observed (or estimated) number, for one sex.

    Attributes:
        series: Observation (or estimate) id.
        label: Year, bucket (``1999-2001``) or date, as text.
        sex: ``total``, ``female`` or ``male``.
        kind: ``count`` (a number of a count series), ``range`` (a reported
            range, either bound optional), ``estimate`` (a number of an
            estimate series) or ``quantity`` (a declared estimate to report).
        observed: The number; for a range its midpoint or its one bound
            (only the likelihood's soft edges and plots use it).
        low: Lower bound of a range (NaN if none; the number for a count).
        high: Upper bound of a range (NaN if none; the number for a count).
        last_year: The last year the row covers (for hold-outs).
        measure: What it measures.
        years: Years it covers.
        date: The date of a dated stock row.
        unit: Unit of the series.
        sources: Source ids of the row (or of its series).
    """

    series: str
    label: str
    sex: str
    kind: str
    observed: float
    low: float
    high: float
    last_year: int
    measure: Measure
    years: tuple[int, ...]
    date: dt.date | None
    unit: str = "people"
    sources: tuple[str, ...] = ()


def row_years(r: ObsRow) -> tuple[int, ...]:
    """The calendar years an observed row covers."""
    if r.year is not None:
        return (r.year,)
    if r.years is not None:
        return tuple(range(r.years[0], r.years[1] + 1))
    if r.date is not None:
        return (r.date.year,)
    return ()


def row_label(r: ObsRow) -> str:
    """A row's year, bucket (``1999-2001``) or date as text."""
    if r.year is not None:
        return str(r.year)
    if r.years is not None:
        return f"{r.years[0]}-{r.years[1]}"
    if r.date is not None:
        return r.date.isoformat()
    return ""


def in_span(model: CompiledModel, years: tuple[int, ...], date: dt.date | None) -> bool:
    """Whether a row covering ``years`` (and ``date``) lies wholly inside the span."""
    if not years or any(not (model.years[0] <= y <= model.years[-1]) for y in years):
        return False
    return date is None or 0 <= model.date_step(date) < model.n_steps


def observation_rows(obs: Observation, model: CompiledModel) -> tuple[list[Row], int]:
    """The measurable rows of one observation series, and how many lie outside the span."""
    rows: list[Row] = []
    outside = 0
    for r in obs.rows:
        years = row_years(r)
        if not in_span(model, years, r.date):
            outside += 1
            continue
        sources = tuple(r.sources or obs.sources or ())
        for sex in SEXES:
            val = getattr(r, sex)
            if val is None or (obs.measure.family is not None and sex != "total"):
                continue
            if isinstance(val, Range):
                kind = "range"
                lo = float(val.low) if val.low is not None else math.nan
                hi = float(val.high) if val.high is not None else math.nan
                point = val.point()
            else:
                kind = "count" if obs.kind == "count" else "estimate"
                lo = hi = point = float(val)
            rows.append(
                Row(
                    obs.id,
                    row_label(r),
                    sex,
                    kind,
                    point,
                    lo,
                    hi,
                    max(years),
                    obs.measure,
                    years,
                    r.date,
                    obs.unit,
                    sources,
                )
            )
    return rows, outside


def build_rows(
    sc: Scenario,
    model: CompiledModel,
    *,
    exclude: tuple[str, ...] = (),
    before: int | None = None,
    from_year: int | None = None,
) -> list[Row]:
    """Every measurable observation row of a scenario (wholly inside the span).

    Args:
        sc: The scenario.
        model: Its compiled model.
        exclude: Observation ids left out.
        before: Keep only rows whose last year is before this year.
        from_year: Keep only rows whose last year is this year or later.
    """
    out: list[Row] = []
    for obs in sc.observations:
        if obs.id in exclude:
            continue
        rows, _ = observation_rows(obs, model)
        out.extend(
            r
            for r in rows
            if (before is None or r.last_year < before)
            and (from_year is None or r.last_year >= from_year)
        )
    return out


def rows_outside_span(sc: Scenario, model: CompiledModel) -> dict[str, int]:
    """Observation id → number of its rows not compared because they leave the span."""
    out = {}
    for obs in sc.observations:
        _, outside = observation_rows(obs, model)
        if outside:
            out[obs.id] = outside
    return out


def quantity_rows(
    series: str, measure: Measure, model: CompiledModel, *, by_sex: bool = True
) -> list[Row]:
    """Rows of a declared quantity (an estimate to report), one per year and sex."""
    sexes = ("total", *SEX_NAMES) if by_sex and measure.family is None else ("total",)
    nan = math.nan
    return [
        Row(series, str(y), sex, "quantity", nan, nan, nan, y, measure, (y,), None)
        for y in model.years
        for sex in sexes
    ]


def initial_stock(model: CompiledModel) -> NDArray[np.int64]:
    """People present in each state at the start of the span, by sex: (S, 2).

    Fixed by the scenario (``initial:`` of the inflows); both producers count
    them as entries from outside on the first step, and every measure of
    entries takes them out again.
    """
    stock: NDArray[np.int64] = initial_stocks(model, model.combo_initial[None])[0].astype(np.int64)
    return stock


def initial_stocks(model: CompiledModel, initial: NDArray[np.number]) -> F64:
    """Per parameter set, the people present at the start by state and sex: (P, S, 2).

    Args:
        model: The compiled model.
        initial: Each set's people present at the start per entry combination
            (P, K), as the expected-value mode is given them (a calibration
            may vary a start stock).
    """
    ini = np.asarray(initial, np.float64)
    out = np.zeros((ini.shape[0], model.n_states, 2))
    st, sx = model.combo_state.astype(np.int64), model.combo_sex.astype(np.int64)
    sets = np.arange(ini.shape[0])[:, None]
    np.add.at(out, (sets, st[None, :], sx[None, :]), ini)
    return out


def measure_values(
    tallies: Tallies[np.int64] | Tallies[np.float64],
    model: CompiledModel,
    measure: Measure,
    years: tuple[int, ...],
    date: dt.date | None,
    sex: str,
    start: F64 | None = None,
) -> F64:
    """One measured quantity for every member of a stack of tallies: shape (N,).

    Args:
        tallies: A stack (``leading`` is ``"run"`` or ``"set"``).
        model: The compiled model the tallies belong to.
        measure: What is measured.
        years: The years (all inside the span: see :func:`in_span`).
        date: The date of a dated stock.
        sex: ``total``, ``female`` or ``male``.
        start: Each member's people present at the start (N, S, 2), when they
            differ from the compiled ones (:func:`initial_stocks`); entries
            measures take them out of the first year.

    Raises:
        ValueError: If ``tallies`` is not a stack, or the measure is empty.
    """
    if tallies.leading is None:
        raise ValueError("measure_values needs a stack of tallies (see crossings.tallies.stack)")
    m = model
    sx: slice | int = slice(None) if sex == "total" else SEX_NAMES.index(sex)
    yidx = [y - m.years[0] for y in years]
    N = tallies.n
    if measure.entries is not None:
        idx = [m.state_index(s) for s in measure.entries]
        inside = np.zeros(m.n_states + 1, bool)
        inside[idx] = True
        f = tallies.flows[:, yidx][:, :, ~inside][:, :, :, idx]  # (N, y, from, to, 2)
        total = np.asarray(f[..., sx].reshape(N, -1).sum(axis=1), np.float64)
        if m.years[0] in years:  # present, not entering
            if start is None:
                total -= float(initial_stock(m)[idx][:, sx].sum())
            else:
                total -= start[:, idx][..., sx].reshape(N, -1).sum(axis=1)
        return total
    if measure.flow is not None:
        a = m.state_index(measure.flow["from"])
        b = m.state_index(measure.flow["to"])
        fl = tallies.flows[:, yidx, a, b][..., sx]
        return np.asarray(fl.reshape(N, -1).sum(axis=1), np.float64)
    if measure.stock is not None:
        idx = [m.state_index(s) for s in measure.stock]
        if date is not None:
            steps = [m.date_step(date)]
        else:
            steps = []
            for y in years:
                hits = np.flatnonzero(m.step_year == y)
                if hits.size:
                    steps.append(int(hits[-1]))
        st = tallies.stocks[:, steps][:, :, idx][..., sx]  # (N, steps, states[, 2])
        per_step = st.reshape(N, len(steps), -1).sum(axis=2)
        return np.asarray(per_step.mean(axis=1), np.float64)
    if measure.wave is not None:
        w = list(m.wave_indices(measure.wave))  # one wave id may move several queues
        return np.asarray(tallies.wave_moved[:, w][..., sx].reshape(N, -1).sum(axis=1), np.float64)
    if measure.family is not None:
        if list(measure.family) == ["any"]:
            if tallies.family_affected is None:
                raise ValueError("these tallies do not count family members once (family: [any])")
            aff = tallies.family_affected[:, yidx]
            return np.asarray(aff.reshape(N, -1).sum(axis=1), np.float64)
        cidx = [m.consequence_ids.index(c) for c in measure.family]
        fam = tallies.family_members[:, yidx][:, :, cidx]
        return np.asarray(fam.reshape(N, -1).sum(axis=1), np.float64)
    raise ValueError("empty measure")  # pragma: no cover - the schema forbids it


def row_values(
    tallies: Tallies[np.int64] | Tallies[np.float64],
    model: CompiledModel,
    rows: list[Row],
    start: F64 | None = None,
) -> F64:
    """The value of every row for every member of a stack: shape (N, rows).

    ``start`` (N, S, 2): each member's people present at the start, when they
    differ from the compiled ones (see :func:`measure_values`).
    """
    if not rows:
        return np.zeros((tallies.n, 0))
    return np.stack(
        [measure_values(tallies, model, r.measure, r.years, r.date, r.sex, start) for r in rows],
        axis=1,
    )


__all__ = [
    "Row",
    "build_rows",
    "in_span",
    "initial_stock",
    "initial_stocks",
    "measure_values",
    "observation_rows",
    "quantity_rows",
    "row_label",
    "row_values",
    "row_years",
    "rows_outside_span",
]
