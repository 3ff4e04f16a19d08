"""What changed between two calibrations: estimates, unknowns, rows and the claims behind them.

``crossings calibrate SCENARIO --out DIR --compare PREVIOUS`` compares the
new fit in ``DIR`` with the one in ``PREVIOUS`` (both folders written by
:func:`crossings.calibrate.outputs.calibrate_to_dir`):

* **estimates** (``estimates.csv``) and **unknowns** (``summary.csv``) whose
  posterior median moved: by how much, relative to the previous median, and in
  previous posterior standard deviations (an unknown's from its draws in
  ``posterior.parquet``; an estimate's from its 90% interval, width / 3.29),
  and how the 90% interval's width changed;
* **observation rows** (``fit.csv``) that are new, changed or gone, and
  **priors** that changed;
* with the current scenario at hand, **which claims** those rows and priors
  came from: an overlay written by ``crossings evidence use`` names them in
  each row's (and prior's) ``note`` (``evidence claim 12: …``), and each
  moved estimate lists the new rows that measure the same states (informing
  it directly); the others move through the unknowns.

Nothing here reads the evidence base: claim ids and sources come from the
scenario, whose notes ``evidence use`` wrote already redacted (a confidential
source is cited by an opaque id). :func:`print_comparison` prints it.

Read the previous folder *before* the new fit replaces it when both are the
same folder: :func:`read_calibration` takes a snapshot.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from crossings.measure import row_label
from crossings.scenario.load import LoadedScenario
from crossings.scenario.schema import Measure, Scenario

__all__ = [
    "CalibrationSnapshot",
    "CompareError",
    "Comparison",
    "Moved",
    "PriorChange",
    "RowChange",
    "compare_calibrations",
    "print_comparison",
    "read_calibration",
]

#: How a row's note names the claims it came from (written by ``crossings evidence use``).
CLAIM_NOTE = re.compile(r"\bevidence claim (\d+)\b")
#: z of the 95th percentile: a 90% interval is 2 × 1.645 standard deviations wide.
_Z95 = 1.6448536269514722
#: A median moved when it moved by this many previous posterior sds …
MIN_SDS = 0.25
#: … or by this fraction of the previous median.
MIN_RELATIVE = 0.05
_FILES = ("summary.csv", "estimates.csv", "fit.csv")


class CompareError(Exception):
    """A folder is not a calibration (missing or unreadable files)."""


@dataclass(frozen=True)
class CalibrationSnapshot:
    """The tables of one calibration folder, read into memory.

    Attributes:
        path: The folder.
        meta: ``calibration.json``.
        summary: ``summary.csv`` (one row per unknown component).
        estimates: ``estimates.csv``.
        fit: ``fit.csv`` (fitted rows and held-back checks).
        sds: Posterior standard deviation of each component (from the draws).
    """

    path: Path
    meta: dict[str, Any]
    summary: pd.DataFrame
    estimates: pd.DataFrame
    fit: pd.DataFrame
    sds: dict[str, float] = field(default_factory=dict)


def read_calibration(path: Path) -> CalibrationSnapshot:
    """Read a calibration folder.

    Raises:
        CompareError: When it lacks ``summary.csv``, ``estimates.csv`` or ``fit.csv``.
    """
    path = Path(path)
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise CompareError(
            f"{path} is not a calibration folder (missing {', '.join(missing)}; "
            f"write one with 'crossings calibrate --out {path}')"
        )
    try:
        meta_text = (path / "calibration.json").read_text(encoding="utf-8")
        meta = json.loads(meta_text)
    except (OSError, ValueError):
        meta = {}
    try:
        summary = pd.read_csv(path / "summary.csv", dtype={"year": str}, keep_default_na=False)
        estimates = pd.read_csv(path / "estimates.csv", dtype={"year": str})
        fit = pd.read_csv(path / "fit.csv", dtype={"year": str})
    except (OSError, ValueError) as exc:
        raise CompareError(f"cannot read the calibration in {path}: {exc}") from None
    sds: dict[str, float] = {}
    draws = path / "posterior.parquet"
    if draws.is_file():
        try:
            df = pd.read_parquet(draws)
            sds = {c: float(df[c].std(ddof=1)) for c in df.columns if c != "draw"}
        except (OSError, ValueError):
            sds = {}
    return CalibrationSnapshot(
        path, meta if isinstance(meta, dict) else {}, summary, estimates, fit, sds
    )


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RowChange:
    """An observation row that is new, changed or gone between the two fits.

    Attributes:
        series: Observation id.
        year: Row label (year, bucket or date).
        sex: ``total``, ``female`` or ``male``.
        role: ``fit`` or ``check``.
        status: ``new``, ``changed`` or ``gone``.
        before: The observed value before (text), if any.
        after: The observed value now (text), if any.
        claims: Evidence claims the row came from (from its note).
        sources: The row's sources (a confidential one by its opaque id).
        note: The row's note.
    """

    series: str
    year: str
    sex: str
    role: str
    status: Literal["new", "changed", "gone"]
    before: str | None
    after: str | None
    claims: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None

    @property
    def key(self) -> str:
        """``series year (sex)``."""
        return f"{self.series} {self.year} ({self.sex})"


@dataclass(frozen=True)
class Moved:
    """An estimate or unknown whose posterior moved.

    Attributes:
        kind: ``estimate`` or ``unknown``.
        name: The quantity (estimate id) or parameter (unknown component).
        year: The year (``all years`` / ``yearly mean`` for an estimate's
            aggregate; empty for an unknown without years).
        sex: The sex (estimates), empty for unknowns.
        before: Previous 5%, 50%, 95%.
        after: Current 5%, 50%, 95%.
        relative: Change of the median relative to the previous median.
        in_sds: Change of the median in previous posterior sds.
        width_ratio: Current 90% width over the previous one.
        claims: Claims of the new or changed rows that measure the same states
            (informing it directly).
        rows: Those rows (``series year (sex)``).
    """

    kind: Literal["estimate", "unknown"]
    name: str
    year: str
    sex: str
    before: tuple[float, float, float]
    after: tuple[float, float, float]
    relative: float
    in_sds: float
    width_ratio: float
    claims: tuple[int, ...] = ()
    rows: tuple[str, ...] = ()

    @property
    def shift(self) -> float:
        """Change of the median."""
        return self.after[1] - self.before[1]


@dataclass(frozen=True)
class PriorChange:
    """A prior that changed.

    Attributes:
        parameter: The unknown component.
        before: The previous prior (text).
        after: The current prior (text).
        claims: Claims it came from (from the prior's note).
    """

    parameter: str
    before: str
    after: str
    claims: tuple[int, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """What changed between two calibrations.

    Attributes:
        previous: The previous folder.
        current: The current folder.
        previous_scenario: Its scenario name (``calibration.json``).
        current_scenario: The current one.
        estimates: Estimates that moved: each quantity's summary over the span
            (both sexes) first, then by year and sex; most moved (in sds) first.
        unknowns: Unknowns that moved, most first.
        rows: Observation rows new, changed or gone.
        priors: Priors that changed.
        claims: Every claim behind new or changed rows and priors.
        estimates_compared: How many estimate rows both fits have.
        unknowns_compared: How many unknowns both fits have.
        only_previous: Estimates or unknowns only the previous fit has.
        only_current: Estimates or unknowns only the current fit has.
    """

    previous: Path
    current: Path
    previous_scenario: str
    current_scenario: str
    estimates: tuple[Moved, ...]
    unknowns: tuple[Moved, ...]
    rows: tuple[RowChange, ...]
    priors: tuple[PriorChange, ...]
    claims: tuple[int, ...]
    estimates_compared: int
    unknowns_compared: int
    only_previous: tuple[str, ...] = ()
    only_current: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything moved or changed."""
        return bool(self.estimates or self.unknowns or self.rows or self.priors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["previous"], data["current"] = str(self.previous), str(self.current)
        return data


# --------------------------------------------------------------------------- comparing
def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _observed(r: pd.Series) -> str:
    obs, lo, hi = _num(r.get("observed")), _num(r.get("low")), _num(r.get("high"))
    if not math.isnan(obs) and (math.isnan(lo) or lo == obs) and (math.isnan(hi) or hi == obs):
        return f"{obs:,.6g}"
    if not math.isnan(lo) and not math.isnan(hi):
        return f"{lo:,.6g}–{hi:,.6g}"
    if not math.isnan(lo):
        return f"at least {lo:,.6g}"
    if not math.isnan(hi):
        return f"up to {hi:,.6g}"
    return f"{obs:,.6g}"


def _rows_by_key(fit: pd.DataFrame) -> dict[tuple[str, str, str, str], pd.Series]:
    out = {}
    for _, r in fit.iterrows():
        out[(str(r["series"]), str(r["year"]), str(r["sex"]), str(r["role"]))] = r
    return out


def _row_notes(sc: Scenario | None) -> dict[tuple[str, str], tuple[str | None, tuple[str, ...]]]:
    """(series, row label) → (note, sources) of every row of a scenario."""
    out: dict[tuple[str, str], tuple[str | None, tuple[str, ...]]] = {}
    if sc is None:
        return out
    for obs in sc.observations:
        for row in obs.rows:
            out[(obs.id, row_label(row))] = (row.note, tuple(row.sources or obs.sources or ()))
    return out


def _claim_ids(text: str | None) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(x) for x in CLAIM_NOTE.findall(text or "")))


def _row_changes(
    prev: CalibrationSnapshot, cur: CalibrationSnapshot, sc: Scenario | None
) -> list[RowChange]:
    a, b = _rows_by_key(prev.fit), _rows_by_key(cur.fit)
    notes = _row_notes(sc)
    out: list[RowChange] = []
    for key in [*b, *(k for k in a if k not in b)]:
        series, year, sex, role = key
        before = _observed(a[key]) if key in a else None
        after = _observed(b[key]) if key in b else None
        if before == after:
            continue
        status: Literal["new", "changed", "gone"] = (
            "new" if before is None else "gone" if after is None else "changed"
        )
        note, sources = notes.get((series, year), (None, ()))
        out.append(
            RowChange(
                series,
                year,
                sex,
                role,
                status,
                before,
                after,
                _claim_ids(note) if status != "gone" else (),
                sources if status != "gone" else (),
                note if status != "gone" else None,
            )
        )
    return out


def _quantiles(r: pd.Series, prefix: str = "") -> tuple[float, float, float]:
    return (_num(r[f"{prefix}p05"]), _num(r[f"{prefix}p50"]), _num(r[f"{prefix}p95"]))


def _moved(
    kind: Literal["estimate", "unknown"],
    name: str,
    year: str,
    sex: str,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
    sd: float | None,
) -> Moved:
    width_b, width_a = before[2] - before[0], after[2] - after[0]
    if sd is None or not math.isfinite(sd) or sd <= 0:
        sd = width_b / (2 * _Z95)
    if not sd > 0:
        sd = width_a / (2 * _Z95)
    shift = after[1] - before[1]
    rel = shift / abs(before[1]) if before[1] else (0.0 if shift == 0 else math.inf)
    in_sds = shift / sd if sd > 0 else (0.0 if shift == 0 else math.inf)
    ratio = width_a / width_b if width_b > 0 else (1.0 if width_a == 0 else math.inf)
    return Moved(kind, name, year, sex, before, after, rel, in_sds, ratio)


def _headline(m: Moved) -> bool:
    """An estimate's summary over the span, for both sexes (listed first)."""
    return m.sex == "total" and not m.year.isdigit()


def _is_moved(m: Moved, min_sds: float, min_relative: float) -> bool:
    return abs(m.in_sds) >= min_sds or abs(m.relative) >= min_relative


def _states(m: Measure | None) -> frozenset[str]:
    if m is None:
        return frozenset()
    if m.flow is not None:
        return frozenset(m.flow.values())
    return frozenset(m.entries or m.stock or m.family or ([m.wave] if m.wave else []))


def _measures(sc: Scenario | None) -> tuple[dict[str, Measure], dict[str, Measure]]:
    if sc is None:
        return {}, {}
    est = {e.id: e.measure for e in (sc.calibration.estimates if sc.calibration else [])}
    return est, {o.id: o.measure for o in sc.observations}


def _with_rows(
    m: Moved, rows: Iterable[RowChange], est: dict[str, Measure], obs: dict[str, Measure]
) -> Moved:
    states = _states(est.get(m.name))
    hit = [r for r in rows if r.status != "gone" and states and states & _states(obs.get(r.series))]
    claims = tuple(dict.fromkeys(c for r in hit for c in r.claims))
    return Moved(
        m.kind,
        m.name,
        m.year,
        m.sex,
        m.before,
        m.after,
        m.relative,
        m.in_sds,
        m.width_ratio,
        claims,
        tuple(r.key for r in hit),
    )


def compare_calibrations(
    previous: Path | CalibrationSnapshot,
    current: Path | CalibrationSnapshot,
    *,
    scenario: LoadedScenario | None = None,
    min_sds: float = MIN_SDS,
    min_relative: float = MIN_RELATIVE,
) -> Comparison:
    """Compare two calibration folders.

    Args:
        previous: The earlier fit (a folder, or a snapshot read before it was
            replaced).
        current: The new fit.
        scenario: The scenario of the current fit: names the claims behind new
            rows and priors (an overlay of ``crossings evidence use``), and which
            new rows measure what an estimate measures.
        min_sds: A median moved when it moved by this many previous posterior sds …
        min_relative: … or by this fraction of the previous median.

    Returns:
        What moved and changed.

    Raises:
        CompareError: A folder is not a calibration.
    """
    prev = previous if isinstance(previous, CalibrationSnapshot) else read_calibration(previous)
    cur = current if isinstance(current, CalibrationSnapshot) else read_calibration(current)
    sc = scenario.scenario if scenario is not None else None
    rows = _row_changes(prev, cur, sc)
    est_m, obs_m = _measures(sc)

    # estimates
    pe = {
        (str(r["quantity"]), str(r["year"]), str(r["sex"])): r for _, r in prev.estimates.iterrows()
    }
    ce = {
        (str(r["quantity"]), str(r["year"]), str(r["sex"])): r for _, r in cur.estimates.iterrows()
    }
    est = [
        _with_rows(
            _moved("estimate", *k, _quantiles(pe[k]), _quantiles(ce[k]), None), rows, est_m, obs_m
        )
        for k in ce
        if k in pe
    ]
    est = sorted(
        (m for m in est if _is_moved(m, min_sds, min_relative)),
        key=lambda m: (not _headline(m), -abs(m.in_sds), m.name, m.year, m.sex),
    )

    # unknowns and priors
    ps = {str(r["parameter"]): r for _, r in prev.summary.iterrows()}
    cs = {str(r["parameter"]): r for _, r in cur.summary.iterrows()}
    unk: list[Moved] = []
    priors: list[PriorChange] = []
    prior_notes: dict[str, str | None] = {}
    if sc is not None and sc.calibration is not None:
        prior_notes = {u.id: u.prior.note for u in sc.calibration.unknowns}
    for name, r in cs.items():
        if name not in ps:
            continue
        m = _moved(
            "unknown",
            name,
            str(r.get("year") or ""),
            "",
            _quantiles(ps[name], "posterior_"),
            _quantiles(r, "posterior_"),
            prev.sds.get(name),
        )
        if _is_moved(m, min_sds, min_relative):
            unk.append(m)
        before_p = f"{ps[name]['prior']}; {ps[name].get('source', '')}".strip("; ")
        after_p = f"{r['prior']}; {r.get('source', '')}".strip("; ")
        if before_p != after_p:
            priors.append(
                PriorChange(name, before_p, after_p, _claim_ids(prior_notes.get(str(r["unknown"]))))
            )
    for name in (n for n in cs if n not in ps):
        note = prior_notes.get(str(cs[name]["unknown"]))
        priors.append(
            PriorChange(name, "(not an unknown)", str(cs[name]["prior"]), _claim_ids(note))
        )
    unk.sort(key=lambda m: (-abs(m.in_sds), m.name))
    claims = tuple(
        dict.fromkeys(
            [*(c for r in rows for c in r.claims), *(c for p in priors for c in p.claims)]
        )
    )
    return Comparison(
        previous=prev.path,
        current=cur.path,
        previous_scenario=str(prev.meta.get("scenario", "")),
        current_scenario=str(cur.meta.get("scenario", "")),
        estimates=tuple(est),
        unknowns=tuple(unk),
        rows=tuple(rows),
        priors=tuple(priors),
        claims=claims,
        estimates_compared=sum(1 for k in ce if k in pe),
        unknowns_compared=sum(1 for k in cs if k in ps),
        only_previous=tuple(
            sorted({k[0] for k in pe if k not in ce} | {k for k in ps if k not in cs})
        ),
        only_current=tuple(
            sorted({k[0] for k in ce if k not in pe} | {k for k in cs if k not in ps})
        ),
    )


# --------------------------------------------------------------------------- printing
def _g(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _interval(q: tuple[float, float, float]) -> str:
    return f"{_g(q[1])} ({_g(q[0])}–{_g(q[2])})"


def _claims_text(ids: Iterable[int]) -> str:
    ids = list(ids)
    if not ids:
        return ""
    return ("claim " if len(ids) == 1 else "claims ") + ", ".join(str(i) for i in ids)


def print_comparison(comparison: Comparison, console: Any, *, limit: int = 15) -> None:
    """Print a comparison as plain tables (rich).

    Args:
        comparison: From :func:`compare_calibrations`.
        console: A ``rich.console.Console``.
        limit: Most estimate rows shown (the most moved first).
    """
    from rich.markup import escape  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    c = comparison
    console.print(
        escape(
            f"Compared with {c.previous} ('{c.previous_scenario}'): "
            f"{len(c.estimates)} of {c.estimates_compared} estimate rows and "
            f"{len(c.unknowns)} of {c.unknowns_compared} unknowns moved; "
            f"{len(c.rows)} observation row(s) new or changed, {len(c.priors)} prior(s)"
            + (f"; from evidence {_claims_text(c.claims)}" if c.claims else "")
        ),
        highlight=False,
    )
    if not c.changed:
        console.print("nothing moved", highlight=False)
        return
    if c.rows:
        t = Table(title="Observation rows new or changed")
        for col in ("row", "role", "status", "before", "now", "sources", "from"):
            t.add_column(col, overflow="fold")
        for r in c.rows:
            t.add_row(
                escape(r.key),
                r.role,
                r.status,
                escape(r.before or ""),
                escape(r.after or ""),
                escape(", ".join(r.sources)),
                escape(_claims_text(r.claims)),
            )
        console.print(t)
    if c.priors:
        t = Table(title="Priors changed")
        for col in ("unknown", "before", "now", "from"):
            t.add_column(col, overflow="fold")
        for p in c.priors:
            t.add_row(
                escape(p.parameter), escape(p.before), escape(p.after), _claims_text(p.claims)
            )
        console.print(t)
    for title, moved, n in (
        ("Unknowns that moved (median, 90% interval)", c.unknowns, len(c.unknowns)),
        ("Estimates that moved (median, 90% interval)", c.estimates[:limit], len(c.estimates)),
    ):
        if not moved:
            continue
        t = Table(title=title + (f": the {limit} that moved most of {n}" if n > len(moved) else ""))
        for col in ("quantity", "before", "now", "change", "sds", "width", "informed by"):
            t.add_column(
                col, overflow="fold", justify="right" if col in ("sds", "width") else "left"
            )
        for m in moved:
            what = m.name + (f" {m.year}" if m.year else "") + (f" ({m.sex})" if m.sex else "")
            informed = _claims_text(m.claims) or (
                f"via the unknowns ({_claims_text(c.claims)})"
                if c.claims
                else "via the unknowns"
                if c.rows or c.priors
                else ""
            )
            t.add_row(
                escape(what),
                _interval(m.before),
                _interval(m.after),
                f"{m.relative:+.1%}" if math.isfinite(m.relative) else "new",
                f"{m.in_sds:+.2f}" if math.isfinite(m.in_sds) else "–",
                f"×{m.width_ratio:.2f}" if math.isfinite(m.width_ratio) else "–",
                escape(informed),
            )
        console.print(t)
