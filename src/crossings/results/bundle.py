"""The results bundle: a folder that describes itself, written and read here only.

A results folder holds the tables of a run (Parquet and CSV) and two JSON
documents that every reader needs:

* ``run.json`` — the typed :class:`RunRecord`: the bundle format version,
  the run mode, the scenario's name and hash, seeds, variant, overrides,
  the posterior it was drawn from, the Crossings version and timings;
* ``scenario.json`` — the :class:`ScenarioInfo`: everything needed to draw
  and label the tables without the scenario file or the compiler — names,
  kinds and places of states, coordinates of places, the policy timeline,
  observation titles, units and sources, the citations, every sourced
  parameter with its human name, the populations each state belongs to.

The report, the web app, ``crossings journeys`` and ``crossings compare``
read bundles through :func:`open_bundle` and never reload the scenario, so a
bundle stays readable after its scenario file is changed or deleted. A folder
written in an older format gets a clear :class:`BundleError`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    import pandas as pd

BUNDLE_VERSION = 2
"""Format of the results folders this version writes and reads."""

RUN_FILE = "run.json"
SCENARIO_FILE = "scenario.json"


class RunMode(StrEnum):
    """How the numbers of a run were produced."""

    AGENT = "agent"
    """Agent runs (one or more seeds): counts with the engine's noise."""
    EXPECTED = "expected"
    """The exact expected value of every tally (no agents, no noise)."""
    POSTERIOR = "posterior"
    """Agent runs, each with its parameters drawn from a calibration's posterior."""
    POSTERIOR_EXPECTED = "posterior-expected"
    """The exact expected value of every tally for each of several posterior draws.

    The band holds the parameters' uncertainty only (no engine noise), and the
    tallies by entry cohort, the journeys and the time in the system are not
    computed.
    """

    @property
    def drawn(self) -> bool:
        """Whether each run's parameters were drawn from a calibration's posterior."""
        return self in (RunMode.POSTERIOR, RunMode.POSTERIOR_EXPECTED)

    @property
    def noiseless(self) -> bool:
        """Whether the numbers are expected values (no agents, no engine noise)."""
        return self in (RunMode.EXPECTED, RunMode.POSTERIOR_EXPECTED)


class BundleError(ValueError):
    """A results folder that cannot be read: missing, damaged or in an older format."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PosteriorOrigin(_Model):
    """The calibration a posterior run drew its parameters from.

    Attributes:
        path: The calibration folder, as given.
        scenario_sha256: Hash of the scenario the calibration fitted.
        draws: Posterior draws used (one per run).
        estimates_attached: Whether the calibration's ``estimates.csv`` was
            copied in (only when no variant or override changes the scenario).
    """

    path: str
    scenario_sha256: str = ""
    draws: int = 0
    estimates_attached: bool = False


class RunRecord(_Model):
    """What was run, how and when (``run.json``)."""

    bundle_version: int = BUNDLE_VERSION
    mode: RunMode = RunMode.AGENT
    scenario: str
    scenario_title: str | None = None
    scenario_sha256: str = ""
    scenario_origin: str | None = None
    variant: str | None = None
    overrides: list[str] = []
    seeds: list[int] = []
    runs: int = 1
    posterior: PosteriorOrigin | None = None
    crossings_version: str = ""
    wall_seconds: float = 0.0
    agents_created: list[float] = []
    agent_steps: list[float] = []
    events: list[int] = []
    start: dt.date
    end: dt.date
    step_days: int = 1
    n_steps: int = 0
    created: str = ""
    lumped_states: list[str] = []
    web: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """Scenario, variant and overrides in a few words (legends, headers)."""
        text = self.scenario + (f" [{self.variant}]" if self.variant else "")
        if self.overrides:
            n = len(self.overrides)
            text += f" (+{n} override{'s' if n > 1 else ''})"
        return text


class StateInfo(_Model):
    """A state of the scenario.

    Attributes:
        id: State id.
        name: Readable name.
        kind: State kind (hiding, detained, sentence, …).
        section: The scenario section it comes from (states, routes, …).
        place: Its place id, if any.
        population: The top-level population it belongs to.
        subpopulations: The sub-populations (``within`` another) it belongs to.
        story: A verb phrase for journey sentences, when the scenario gives one.
    """

    id: str
    name: str
    kind: str
    section: str
    place: str | None = None
    population: str | None = None
    subpopulations: list[str] = []
    story: str | None = None


class PlaceInfo(_Model):
    """A place of the scenario (coordinates may be missing)."""

    id: str
    name: str
    kind: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None


class PolicyInfo(_Model):
    """A dated policy: ``end`` is the day after its last day."""

    id: str
    name: str
    start: dt.date
    end: dt.date


class ObservationInfo(_Model):
    """An observation series: what it measures and where it comes from."""

    id: str
    name: str
    unit: str = "people"
    kind: str = "count"
    measure: str = ""
    sources: list[str] = []
    rows_outside_span: int = 0
    population: str | None = None
    role: str = "fit"
    reason: str | None = None


class SourceInfo(_Model):
    """A cited source."""

    id: str
    citation: str
    url: str | None = None
    publisher: str | None = None
    date: str | None = None
    confidence: str | None = None
    note: str | None = None


class ParameterInfo(_Model):
    """A sourced object of the scenario, with its human name."""

    path: str
    label: str
    kind: str
    value: str
    sources: list[str] = []
    assumption: str | None = None
    note: str | None = None


class HazardInfo(_Model):
    """A competing hazard: from a state to a state (``flag:X`` for a flag)."""

    id: str
    names: list[str] = []
    from_state: str
    to_state: str


class EventInfo(_Model):
    """A dated calendar event: a repatriation wave or a reclassification."""

    id: str
    kind: str
    date: dt.date
    happened: bool = True


class PopulationInfo(_Model):
    """A population: a group of states whose people are counted together.

    Attributes:
        id: Population id.
        name: Readable name.
        headline: The people the scenario is about (shown first; one per scenario).
        context: Shown apart as context, never added to the headline figures.
        within: The top-level population a sub-population is part of.
        description: What it is.
    """

    id: str
    name: str
    headline: bool = False
    context: bool = False
    within: str | None = None
    description: str = ""


class ScatterInfo(_Model):
    """How far an observed number may lie from the model's value (the observation model).

    Attributes:
        dispersion: Counts scatter with variance ``mu + dispersion · mu²``
            beyond the engine's own noise (0 for Poisson counts).
        range_sd: Reported ranges and estimates have soft edges of this
            relative size.
        declared: Whether the scenario declares it (otherwise the defaults).
    """

    dispersion: float = 0.0
    range_sd: float = 0.15
    declared: bool = False


class LimitInfo(_Model):
    """Something the scenario does not model, and what that does to its numbers."""

    id: str
    what: str
    effect: str


class ScenarioInfo(_Model):
    """Everything a reader needs to draw and label a run's tables (``scenario.json``)."""

    name: str
    title: str | None = None
    description: str | None = None
    variant: str | None = None
    variant_description: str | None = None
    start: dt.date
    end: dt.date
    step_days: int = 1
    states: list[StateInfo] = []
    places: list[PlaceInfo] = []
    flags: dict[str, str] = {}
    policies: list[PolicyInfo] = []
    observations: list[ObservationInfo] = []
    estimates: dict[str, str] = {}
    sources: list[SourceInfo] = []
    parameters: list[ParameterInfo] = []
    hazards: list[HazardInfo] = []
    consequences: dict[str, str] = {}
    events: list[EventInfo] = []
    populations: list[PopulationInfo] = []
    scatter: ScatterInfo = ScatterInfo()
    limits: list[LimitInfo] = []
    age_bands: list[str] = []
    origins: list[str] = []

    def state(self, state_id: str) -> StateInfo | None:
        """The state with this id, if any."""
        return self._states().get(state_id)

    def _states(self) -> dict[str, StateInfo]:
        return {s.id: s for s in self.states}

    def state_name(self, state_id: str) -> str:
        """A state's readable name (its id, spaced, when unknown)."""
        s = self._states().get(state_id)
        return s.name if s is not None else state_id.replace("_", " ")

    def place(self, place_id: str) -> PlaceInfo | None:
        """The place with this id, if any."""
        return next((p for p in self.places if p.id == place_id), None)

    def observation(self, obs_id: str) -> ObservationInfo | None:
        """The observation series with this id, if any."""
        return next((o for o in self.observations if o.id == obs_id), None)

    def source_ids(self) -> set[str]:
        """Ids of every cited source."""
        return {s.id for s in self.sources}


TABLE_FILES: dict[str, str] = {
    "observations": "observations.csv",
    "stocks": "stocks.parquet",
    "flows": "flows.parquet",
    "outcomes": "outcomes.parquet",
    "cohort_flows": "cohort_flows.parquet",
    "hazards": "hazards.parquet",
    "cohort_hazards": "cohort_hazards.parquet",
    "families": "families.parquet",
    "events": "events.parquet",
    "classification": "classification.parquet",
    "agents": "agents.parquet",
    "estimates": "estimates.csv",
    "identifiability": "identifiability.csv",
    "checks": "checks.csv",
    "sensitivity": "sensitivity.csv",
    "coverage": "coverage.csv",
}
"""Table name → file of a bundle (the last five only when drawn from a calibration)."""

CALIBRATION_TABLES = ("estimates", "identifiability", "checks", "sensitivity", "coverage")
"""Tables a posterior run carries from its calibration (the scenario unchanged)."""

OBSERVATION_COLUMNS = (
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
)
"""Columns of ``observations.csv`` (one place: the writer and every reader use it)."""

REQUIRED_TABLES = ("observations", "stocks", "flows", "outcomes")

FAMILY_ANY = "any"
"""The ``consequence`` of ``families`` rows that count each affected member once."""
JOURNEYS_FILE = "journeys.jsonl"


@dataclass
class Bundle:
    """A results folder opened for reading.

    Attributes:
        path: The folder.
        run: Its run record.
        scenario: Its scenario description.
    """

    path: Path
    run: RunRecord
    scenario: ScenarioInfo
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def has(self, table: str) -> bool:
        """Whether the bundle holds ``table``."""
        return (self.path / TABLE_FILES[table]).is_file()

    def table(self, table: str) -> pd.DataFrame:
        """A table by name (read once, then cached).

        Raises:
            BundleError: If the file is missing or damaged.
        """
        if table not in self._tables:
            self._tables[table] = read_table(self.path / TABLE_FILES[table])
        return self._tables[table]

    def journeys(self) -> list[dict[str, Any]]:
        """The sampled individual histories (one record per agent with its events).

        Raises:
            BundleError: If the file is damaged.
        """
        path = self.path / JOURNEYS_FILE
        if not path.is_file():
            return []
        out = []
        k = 0
        try:
            with path.open(encoding="utf-8") as fh:
                for k, line in enumerate(fh, start=1):  # noqa: B007 - k names the bad line
                    if line.strip():
                        out.append(json.loads(line))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise damaged(path, f"line {k}: {_first_line(exc)}") from None
        return out


def _first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def damaged(path: Path, why: str) -> BundleError:
    """The error for a damaged file of a bundle (it names the file and the folder)."""
    return BundleError(
        f"results file '{path.name}' in {path.parent} is damaged: {why}; write the results "
        "again with 'crossings run --out DIR'"
    )


def read_table(path: Path) -> pd.DataFrame:
    """One table file of a bundle (Parquet or CSV).

    Raises:
        BundleError: If it is missing or damaged (truncated, not Parquet, bad CSV).
    """
    import pandas as pd  # noqa: PLC0415 - the bundle's description is read without pandas

    if not path.is_file():
        raise BundleError(f"results file '{path.name}' is missing from {path.parent}")
    try:
        if path.suffix == ".csv":
            raw = path.read_bytes()
            if raw and not raw.endswith(b"\n"):  # written with a final newline: cut short
                raise ValueError("the file ends in the middle of a line (truncated)")
            return pd.read_csv(io.BytesIO(raw), dtype={"year": str, "series": str})
        return pd.read_parquet(path)
    except (OSError, ValueError, TypeError, KeyError, IndexError, NotImplementedError) as exc:
        # pyarrow's and pandas' errors subclass these (most are ValueError or OSError): a
        # truncated or overwritten file is named, never a traceback
        raise damaged(path, f"cannot read the table ({_first_line(exc)})") from None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise damaged(path, f"cannot read it ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise damaged(path, "not a JSON object")
    return data


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: dict[str, Any], path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise damaged(path, f"{where}: {err['msg']}") from None


def open_bundle(path: Path) -> Bundle:
    """Open a results folder written by ``crossings run --out``.

    Args:
        path: The folder.

    Raises:
        BundleError: If it is missing, not a results folder, written by an
            older version of Crossings, or its description is damaged.
    """
    path = Path(path)
    if not path.exists():
        raise BundleError(f"{path}: no such folder")
    if not path.is_dir():
        raise BundleError(
            f"{path}: not a folder (expected a results folder written by 'crossings run --out DIR')"
        )
    if not (path / RUN_FILE).is_file():
        raise BundleError(
            f"{path}: not a Crossings results folder (no {RUN_FILE}); write one with "
            "'crossings run --out DIR'"
        )
    data = _read_json(path / RUN_FILE)
    version = data.get("bundle_version")
    if version != BUNDLE_VERSION:
        made_by = data.get("crossings_version") or "an older version"
        raise BundleError(
            f"{path}: written by Crossings {made_by} in results format "
            f"{version if version is not None else 1}; this version reads format "
            f"{BUNDLE_VERSION}. Run the scenario again to rewrite the folder "
            f"('crossings run {data.get('scenario') or 'SCENARIO'} --out {path}')"
        )
    missing = [TABLE_FILES[t] for t in REQUIRED_TABLES if not (path / TABLE_FILES[t]).is_file()]
    if not (path / SCENARIO_FILE).is_file():
        missing.insert(0, SCENARIO_FILE)
    if missing:
        raise BundleError(
            f"{path}: not a complete Crossings results folder (missing {', '.join(missing)}); "
            "write one with 'crossings run --out DIR'"
        )
    run = _validated(RunRecord, data, path / RUN_FILE)
    scenario = _validated(ScenarioInfo, _read_json(path / SCENARIO_FILE), path / SCENARIO_FILE)
    return Bundle(path, run, scenario)


def record_json(record: RunRecord | ScenarioInfo) -> str:
    """A run record or scenario description as the JSON text a bundle stores."""
    return record.model_dump_json(indent=2) + "\n"


__all__ = [
    "BUNDLE_VERSION",
    "CALIBRATION_TABLES",
    "FAMILY_ANY",
    "OBSERVATION_COLUMNS",
    "Bundle",
    "BundleError",
    "EventInfo",
    "HazardInfo",
    "ObservationInfo",
    "ParameterInfo",
    "PlaceInfo",
    "PolicyInfo",
    "PopulationInfo",
    "PosteriorOrigin",
    "RunMode",
    "RunRecord",
    "ScenarioInfo",
    "SourceInfo",
    "StateInfo",
    "open_bundle",
    "read_table",
    "record_json",
]
