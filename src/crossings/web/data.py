"""Read the stored results of a run for the API: observations, stocks, arrivals, journeys."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crossings.compile.model import CompiledModel
from crossings.results.journeys import describe_journey

EVENT_COLUMNS = ["seq", "step", "date", "kind", "from_state", "to_state", "detail"]


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
    df = pd.read_csv(d / "observations.csv", dtype={"year": str, "sources": str})
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
    df = pd.read_parquet(d / "stocks.parquet", columns=["state", "kind"])
    first = df.drop_duplicates("state")
    return {str(s): str(k) for s, k in zip(first["state"], first["kind"], strict=True)}


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
    df = pd.read_parquet(
        d / "stocks.parquet",
        columns=["run", "date", "state", "count"],
        filters=[("state", "in", states)] if states else None,
    )
    n_runs = int(json.loads((d / "run.json").read_text()).get("runs") or 1)
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
    info = json.loads((d / "run.json").read_text())
    n_runs = int(info.get("runs") or 1)
    years = list(range(int(str(info["start"])[:4]), int(str(info["end"])[:4]) + 1))
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
        flows = pd.read_parquet(
            d / "flows.parquet",
            columns=["run", "year", "from_state", "to_state", "count"],
            filters=[("to_state", "in", targets)],
        )
        flows = flows[~flows["from_state"].isin(targets)]
        table = flows.pivot_table(
            index="year", columns="run", values="count", aggfunc="sum", fill_value=0
        )
        table = table.reindex(index=years, columns=range(n_runs), fill_value=0)
        med, p05, p95 = _quantiles(table)
        label = "arrivals (entries into " + ", ".join(targets) + ")"
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
    out = []
    with (d / "journeys.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
    return out


def journeys(d: Path, model: CompiledModel, outcome: str | None, limit: int) -> dict[str, Any]:
    """Histories as plain sentences, optionally only those ending in ``outcome``."""
    agents = read_journeys(d)
    outcomes = sorted({str(a["final_state"]) for a in agents})
    picked = [a for a in agents if outcome is None or str(a["final_state"]) == outcome]
    out = []
    for rec in picked[:limit]:
        events = pd.DataFrame(rec.get("events") or [], columns=EVENT_COLUMNS)
        agent = {k: v for k, v in rec.items() if k != "events"}
        out.append(
            {
                "agent": int(rec["agent"]),
                "sex": str(rec["sex"]),
                "final_state": str(rec["final_state"]),
                "entry_date": str(rec.get("entry_date", "")),
                "text": describe_journey(model, agent, events),
            }
        )
    return {"outcomes": outcomes, "total": len(picked), "journeys": out}
