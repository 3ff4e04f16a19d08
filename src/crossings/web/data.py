"""Read the stored results of a run for the API: observations, stocks, arrivals, journeys.

A run's folder is a results bundle (:mod:`crossings.results.bundle`): names
and kinds come from its ``scenario.json``, never from reloading the scenario.
Every read of a file goes through :func:`read_parquet`, :func:`read_csv`,
:func:`read_json` or :func:`open_run`: a file that cannot be parsed, or lacks
the columns or fields the app needs (truncated, overwritten, from another
program or an older version), raises :class:`ResultsError` naming the file
and the run (never the folder on this machine), which the app answers with a
409 instead of a 500.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crossings.results import views
from crossings.results.bundle import BundleError, ScenarioInfo, open_bundle
from crossings.results.journeys import describe_journey

READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ValueError,  # also JSON, CSV and most pyarrow errors
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
    EOFError,
    pa.ArrowException,
)
"""What parsing a damaged file (or using what came out of it) can raise."""

T = TypeVar("T")


class ResultsError(Exception):
    """The results of a finished run cannot be used: a file is damaged, or from another version."""


class DamagedResultsError(ResultsError):
    """A results file of a finished run cannot be read or lacks what the app needs.

    Args:
        folder: The run's folder.
        name: The file's name inside it.
        reason: What went wrong (one line, no file contents).
    """

    def __init__(self, folder: Path, name: str, reason: str) -> None:
        self.folder = folder
        self.name = name
        self.reason = reason
        super().__init__(f"results file '{name}' in run {folder.name} is damaged: {reason}")


def open_run(d: Path) -> ScenarioInfo:
    """The description of a run's scenario (``scenario.json``, checked with ``run.json``).

    Raises:
        ResultsError: If the bundle is damaged or written in another format.
    """
    try:
        return open_bundle(d).scenario
    except BundleError as exc:
        raise ResultsError(str(exc).replace(str(d), f"run {d.name}")) from None


def _reason(exc: BaseException) -> str:
    """A short description of a read error: its type and first line, never the data."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def guarded(folder: Path, name: str, fn: Callable[[], T]) -> T:
    """``fn()``, with any read error turned into :class:`DamagedResultsError` for ``name``."""
    try:
        return fn()
    except DamagedResultsError:
        raise
    except READ_ERRORS as exc:
        raise DamagedResultsError(folder, name, _reason(exc)) from None


def _require(folder: Path, name: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise DamagedResultsError(folder, name, "missing column(s) " + ", ".join(lacking))


def read_parquet(
    d: Path, name: str, columns: Sequence[str], filters: list[Any] | None = None
) -> pd.DataFrame:
    """Columns of a Parquet table of a run (optionally filtered).

    Raises:
        DamagedResultsError: If the file cannot be read or lacks a column.
    """

    def read() -> pd.DataFrame:
        schema_names = pq.read_schema(d / name).names
        missing = [c for c in columns if c not in schema_names]
        if missing:
            raise DamagedResultsError(d, name, "missing column(s) " + ", ".join(missing))
        return pd.read_parquet(d / name, columns=list(columns), filters=filters)

    return guarded(d, name, read)


def read_csv(d: Path, name: str, columns: Sequence[str], dtype: dict[str, Any]) -> pd.DataFrame:
    """A CSV table of a run.

    Raises:
        DamagedResultsError: If the file cannot be read or lacks a column.
    """

    def read() -> pd.DataFrame:
        raw = (d / name).read_bytes()
        if raw and not raw.endswith(b"\n"):  # every table is written with a final newline
            raise DamagedResultsError(d, name, "it ends in the middle of a line (truncated)")
        return pd.read_csv(io.BytesIO(raw), dtype=dtype)

    frame = guarded(d, name, read)
    _require(d, name, frame, columns)
    return frame


def read_json(d: Path, name: str = "run.json") -> dict[str, Any]:
    """A JSON object file of a run (``run.json``).

    Raises:
        DamagedResultsError: If the file cannot be read or is not an object.
    """
    info = guarded(d, name, lambda: json.loads((d / name).read_text(encoding="utf-8")))
    if not isinstance(info, dict):
        raise DamagedResultsError(d, name, "not a JSON object")
    return info


def _num(x: Any) -> float | None:
    """A float, or None for missing values (JSON has no NaN)."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def _text(x: Any) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return str(x)


def observations(d: Path) -> list[dict[str, Any]]:
    """Rows of ``observations.csv`` (observed vs simulated, median and 5–95%)."""
    df = read_csv(
        d, "observations.csv", ("series", "year", "sex"), dtype={"year": str, "sources": str}
    )
    return guarded(d, "observations.csv", lambda: _observation_rows(df))


def _observation_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for rec in df.to_dict("records"):
        rows.append(
            {
                "series": str(rec["series"]),
                "year": str(rec["year"]),
                "sex": str(rec["sex"]),
                **{
                    k: _num(rec.get(k))
                    for k in (
                        "observed",
                        "simulated",
                        "simulated_p05",
                        "simulated_p95",
                        "observed_low",
                        "observed_high",
                    )
                },
                "kind": _text(rec.get("kind")),
                "unit": _text(rec.get("unit")),
                "sources": _text(rec.get("sources")),
            }
        )
    return rows


def state_kinds(d: Path) -> dict[str, str]:
    """State id → kind, in the scenario's order."""
    df = read_parquet(d, "stocks.parquet", ["state", "kind"])

    def kinds() -> dict[str, str]:
        first = df.drop_duplicates("state")
        return {str(s): str(k) for s, k in zip(first["state"], first["kind"], strict=True)}

    return guarded(d, "stocks.parquet", kinds)


def _quantiles(table: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    """Median, 5% and 95% over the columns (runs) of each row."""
    vals = table.to_numpy(dtype=float)
    if vals.size == 0:
        return [], [], []
    q = np.quantile(vals, [0.5, 0.05, 0.95], axis=1)
    return (
        [round(float(v), 3) for v in q[0]],
        [round(float(v), 3) for v in q[1]],
        [round(float(v), 3) for v in q[2]],
    )


def stocks(d: Path, states: list[str]) -> list[dict[str, Any]]:
    """Monthly stocks of ``states`` (summed over places and sexes), median and 5–95%."""
    kinds = state_kinds(d)
    df = read_parquet(
        d,
        "stocks.parquet",
        ["run", "date", "state", "count"],
        filters=[("state", "in", states)] if states else None,
    )
    n_runs = guarded(d, "run.json", lambda: int(read_json(d).get("runs") or 1))
    return guarded(d, "stocks.parquet", lambda: _stock_series(df, states, kinds, n_runs))


def _stock_series(
    df: pd.DataFrame, states: list[str], kinds: dict[str, str], n_runs: int
) -> list[dict[str, Any]]:
    out = []
    for state in states:
        sub = df[df["state"] == state]
        table = sub.pivot_table(
            index="date", columns="run", values="count", aggfunc="sum", fill_value=0
        )
        table = table.reindex(columns=range(n_runs), fill_value=0).sort_index()
        med, p05, p95 = _quantiles(table)
        out.append(
            {
                "state": state,
                "kind": kinds.get(state),
                "dates": [pd.Timestamp(t).date().isoformat() for t in table.index],
                "median": med,
                "p05": p05,
                "p95": p95,
            }
        )
    return out


def arrivals(d: Path) -> dict[str, Any]:
    """Yearly entries into the arrival states (median, 5–95%) with the observed counts.

    Falls back to the first observed count series when the scenario has no
    state of kind ``arrived``.
    """
    info = read_json(d)

    def span() -> tuple[int, list[int]]:
        years = list(range(int(str(info["start"])[:4]), int(str(info["end"])[:4]) + 1))
        return int(info.get("runs") or 1), years

    n_runs, years = guarded(d, "run.json", span)
    kinds = state_kinds(d)
    targets = [s for s, k in kinds.items() if k == "arrived"]
    obs = observations(d)
    count_series = [r["series"] for r in obs if r["kind"] == "count"]
    series = "arrivals" if "arrivals" in count_series else count_series[0] if count_series else None
    observed = [
        {
            "year": r["year"],
            "value": r["observed"],
            "low": r["observed_low"],
            "high": r["observed_high"],
            "sources": r["sources"],
        }
        for r in obs
        if r["series"] == series and r["sex"] == "total"
    ]
    if targets:
        flows = read_parquet(
            d,
            "flows.parquet",
            ["run", "year", "from_state", "to_state", "count"],
            filters=[("to_state", "in", targets)],
        )

        def yearly() -> tuple[list[float], list[float], list[float]]:
            entries = flows[~flows["from_state"].isin(targets)]
            table = entries.pivot_table(
                index="year", columns="run", values="count", aggfunc="sum", fill_value=0
            )
            return _quantiles(table.reindex(index=years, columns=range(n_runs), fill_value=0))

        med, p05, p95 = guarded(d, "flows.parquet", yearly)
        info_s = open_run(d)
        label = "Arrivals in safety (" + ", ".join(info_s.state_name(s) for s in targets) + ")"
    else:
        rows = [
            r for r in obs if r["series"] == series and r["sex"] == "total" and r["year"].isdigit()
        ]
        years = [int(r["year"]) for r in rows]
        med = [r["simulated"] or 0.0 for r in rows]
        p05 = [r["simulated_p05"] or 0.0 for r in rows]
        p95 = [r["simulated_p95"] or 0.0 for r in rows]
        label = series or "no count series"
    return {
        "label": label,
        "states": targets,
        "years": years,
        "median": med,
        "p05": p05,
        "p95": p95,
        "observed_series": series,
        "observed": observed,
    }


def read_journeys(d: Path) -> list[dict[str, Any]]:
    """The sampled agents of run 0 with their events (``journeys.jsonl``)."""

    def read() -> list[dict[str, Any]]:
        out = []
        with (d / "journeys.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    if not isinstance(rec, dict) or "final_state" not in rec:
                        raise ValueError("a line is not a sampled agent")
                    out.append(rec)
        return out

    return guarded(d, "journeys.jsonl", read)


def journeys(d: Path, info: ScenarioInfo, outcome: str | None, limit: int) -> dict[str, Any]:
    """Histories as plain sentences, optionally only those ending in ``outcome``."""
    agents = read_journeys(d)
    outcomes = sorted({str(a["final_state"]) for a in agents})
    picked = [a for a in agents if outcome is None or str(a["final_state"]) == outcome]
    out = guarded(d, "journeys.jsonl", lambda: _described(info, picked[:limit]))
    return {
        "outcomes": outcomes,
        "outcome_names": [info.state_name(o) for o in outcomes],
        "total": len(picked),
        "journeys": out,
    }


def _described(info: ScenarioInfo, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        events = rec.get("events") or []
        if not isinstance(events, list):
            raise TypeError("the events of an agent are not a list")
        out.append(
            {
                "agent": int(rec["agent"]),
                "sex": str(rec["sex"]),
                "final_state": str(rec["final_state"]),
                "final_name": info.state_name(str(rec["final_state"])),
                "entry_date": str(rec.get("entry_date", "")),
                "text": views.story_text(info, rec, events) or describe_journey(info, rec, events),
                "detected": detected_flags(info, events),
            }
        )
    return out


def detected_flags(info: ScenarioInfo, events: list[Any]) -> list[str] | None:
    """What interrogation detected in a history: the flag names of its ``classified`` events.

    Empty when interrogation detected nothing; None when the person was never interrogated.
    """
    found: list[str] | None = None
    for ev in events:
        if isinstance(ev, dict) and ev.get("kind") == "classified":
            found = found or []
            found += [
                n for n in views.detected_names(info, str(ev.get("detail") or "")) if n not in found
            ]
    return found
