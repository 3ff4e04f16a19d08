"""Atomic output: a run directory appears whole or not at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import SupportsInt, cast

from crossings.atomic import atomic_directory
from crossings.results.results import Results


def write_results(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the directory ``out`` (atomically).

    Files: ``run.json``, ``observations.csv`` and Parquet tables (stocks by
    month, flows, outcomes, families, events, classification, sampled agents)
    and ``journeys.jsonl``.
    """

    def fill(d: Path) -> None:
        (d / "run.json").write_text(json.dumps(results.run_info(), indent=2, default=str) + "\n")
        results.observations_frame().to_csv(d / "observations.csv", index=False)
        results.stocks_frame("month").to_parquet(d / "stocks.parquet", index=False)
        results.flows_frame().to_parquet(d / "flows.parquet", index=False)
        results.outcomes_frame().to_parquet(d / "outcomes.parquet", index=False)
        results.cohort_flows_frame().to_parquet(d / "cohort_flows.parquet", index=False)
        results.hazards_frame("year").to_parquet(d / "hazards.parquet", index=False)
        results.hazards_frame("cohort").to_parquet(d / "cohort_hazards.parquet", index=False)
        results.families_frame().to_parquet(d / "families.parquet", index=False)
        ev = results.events_frame()
        ev["date"] = ev["date"].astype(str)
        ev.to_parquet(d / "events.parquet", index=False)
        results.classification_frame().to_parquet(d / "classification.parquet", index=False)
        results.agents_frame().to_parquet(d / "agents.parquet", index=False)
        estimates = results.meta.get("posterior_estimates")
        if estimates and Path(str(estimates)).is_file():
            # runs drawn from a calibration carry its estimates (the report shows them)
            shutil.copyfile(Path(str(estimates)), d / "estimates.csv")
        journeys = results.journeys_frame()
        agents = results.agents_frame()
        with (d / "journeys.jsonl").open("w", encoding="utf-8") as fh:
            by_agent = (
                {int(cast(SupportsInt, k)): g for k, g in journeys.groupby("agent")}
                if len(journeys)
                else {}
            )
            for rec in agents.to_dict("records") if len(agents) else []:
                events = by_agent.get(int(rec["agent"]))
                rec["events"] = (
                    [] if events is None else events.drop(columns=["agent"]).to_dict("records")
                )
                fh.write(json.dumps(rec, default=_json_default) + "\n")

    return atomic_directory(out, fill)


def _json_default(o: object) -> object:
    if hasattr(o, "item"):
        return o.item()  # numpy scalars
    return str(o)
