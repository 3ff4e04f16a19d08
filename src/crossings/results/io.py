"""Writing a results bundle: every table and its self-description, atomically.

The folder appears whole or not at all (:func:`crossings.atomic.atomic_directory`);
:mod:`crossings.results.bundle` reads it back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import SupportsInt, cast

from crossings.atomic import atomic_directory
from crossings.results.bundle import (
    CALIBRATION_TABLES,
    JOURNEYS_FILE,
    RUN_FILE,
    SCENARIO_FILE,
    TABLE_FILES,
    record_json,
)
from crossings.results.describe import describe
from crossings.results.results import Results


def write_results(results: Results, out: Path) -> Path:
    """Write ``results`` as a results bundle in the folder ``out`` (atomically).

    Files: ``run.json`` (the run record), ``scenario.json`` (what a reader
    needs to label the tables), ``observations.csv``, the Parquet tables
    (stocks by month, flows, outcomes, cohort flows, hazards, families,
    events, classification, sampled agents), ``journeys.jsonl`` and, for runs
    drawn from a calibration of the unchanged scenario, its ``estimates.csv``
    with its ``identifiability.csv``, ``checks.csv``, ``sensitivity.csv`` and
    ``coverage.csv``.

    Raises:
        ValueError: If the results have no scenario (a bundle describes it).
    """
    if results.loaded is None:
        raise ValueError("results without their scenario cannot be written as a bundle")
    info = describe(results.loaded, results.model)
    tables = TABLE_FILES

    def fill(d: Path) -> None:
        (d / RUN_FILE).write_text(record_json(results.record()), encoding="utf-8")
        (d / SCENARIO_FILE).write_text(record_json(info), encoding="utf-8")
        results.observations_frame().to_csv(d / tables["observations"], index=False)
        results.stocks_frame("month").to_parquet(d / tables["stocks"], index=False)
        results.flows_frame().to_parquet(d / tables["flows"], index=False)
        results.outcomes_frame().to_parquet(d / tables["outcomes"], index=False)
        by_cohort = all(r.cohort_flows is not None for r in results.runs)
        if by_cohort:  # not in posterior-expected runs: readers then go without them
            results.cohort_flows_frame().to_parquet(d / tables["cohort_flows"], index=False)
        results.hazards_frame("year").to_parquet(d / tables["hazards"], index=False)
        if by_cohort:
            results.hazards_frame("cohort").to_parquet(d / tables["cohort_hazards"], index=False)
        results.families_frame().to_parquet(d / tables["families"], index=False)
        ev = results.events_frame()
        ev["date"] = ev["date"].astype(str)
        ev.to_parquet(d / tables["events"], index=False)
        results.classification_frame().to_parquet(d / tables["classification"], index=False)
        agents = results.agents_frame()
        agents.to_parquet(d / tables["agents"], index=False)
        if results.estimates is not None and results.estimates.is_file():
            # the calibration's estimates and, beside them, what it says of them
            for name in CALIBRATION_TABLES:
                src = results.estimates.with_name(tables[name])
                if src.is_file():
                    shutil.copyfile(src, d / tables[name])
        journeys = results.journeys_frame()
        with (d / JOURNEYS_FILE).open("w", encoding="utf-8") as fh:
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
