"""Request and response models of the web API (shown in the OpenAPI spec)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, FiniteFloat, StringConstraints

from crossings.web.overrides import key_problem, value_problem


def _allowed_key(key: str) -> str:
    problem = key_problem(key)
    if problem is not None:
        raise ValueError(problem)
    return key


def _allowed_value(value: str) -> str:
    problem = value_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


OverridePath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_\-\.\[\]]+$"),
    AfterValidator(_allowed_key),
]
OverrideValue = (
    Annotated[str, StringConstraints(max_length=1000), AfterValidator(_allowed_value)]
    | int
    | FiniteFloat
    | bool
)
Overrides = Annotated[
    dict[OverridePath, OverrideValue],
    Field(
        max_length=500,
        description="path → value; a path may not end in 'file' or 'extends' nor hold "
        "'..', '/' or '\\' (the web app never reads a file named in a request)",
    ),
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueOut(BaseModel):
    """One problem in a scenario (``Issue.to_dict``)."""

    severity: str
    message: str
    path: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    expected: str | None = None
    found: str | None = None
    hint: str | None = None


class ErrorOut(BaseModel):
    """An error: a message and, for invalid scenarios, every issue."""

    detail: str
    issues: list[IssueOut] = Field(default_factory=list)


class VariantOut(BaseModel):
    """A named what-if of a scenario."""

    name: str
    description: str | None = None


class ScenarioSummary(BaseModel):
    """A built-in scenario in the list."""

    name: str
    title: str | None
    start: str
    end: str
    step_days: int
    variants: list[VariantOut]


class FactorOut(BaseModel):
    """A policy effect's scale factor with its provenance."""

    value: float
    path: str = Field(description="override path, e.g. policies.crackdown.effects.0.factor.value")
    sources: list[str] = Field(default_factory=list)
    assumption: str | None = None
    note: str | None = None


class EffectOut(BaseModel):
    """One effect of a policy."""

    kind: Literal["scale", "close_border", "close_route", "ruleset"]
    target: list[str]
    factor: FactorOut | None = None


class PolicyOut(BaseModel):
    """One dated policy of the timeline."""

    id: str
    index: int
    name: str | None
    from_: str = Field(alias="from")
    to: str | None
    sources: list[str] = Field(default_factory=list)
    assumption: str | None = None
    note: str | None = None
    effects: list[EffectOut]

    model_config = ConfigDict(populate_by_name=True)


class ParameterOut(BaseModel):
    """One sourced parameter (a row of ``provenance.parameter_table``)."""

    path: str
    label: str = Field("", description="the parameter in words (the path is its secondary id)")
    kind: str
    value: str
    number: float | None = Field(None, description="the editable number (Param rows only)")
    sources: list[str]
    assumption: str | None
    note: str | None


class ScenarioDetail(ScenarioSummary):
    """The main editable parameters of a scenario."""

    description: str | None
    policies: list[PolicyOut]
    parameters: list[ParameterOut]
    citations: dict[str, str]


class ValidateRequest(_Body):
    """A scenario with overrides to check."""

    scenario: Name = "example"
    overrides: Overrides = Field(default_factory=dict)
    variant: Name | None = None


class ValidateResponse(BaseModel):
    """Whether the scenario with these overrides is valid, and every issue."""

    valid: bool
    issues: list[IssueOut]


MAX_AGENT_RUNS = 20
"""Agent runs one web request may ask for."""
MAX_EXPECTED_DRAWS = 100
"""Posterior draws one web request may ask for in the expected-value mode."""

VariantName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
CalibrationName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")]


class RunRequest(ValidateRequest):
    """A simulation to start."""

    runs: Annotated[int, Field(ge=1, le=MAX_EXPECTED_DRAWS)] = Field(
        1,
        description=f"agent runs (at most {MAX_AGENT_RUNS}), or with `expected` the "
        f"calibration's posterior draws (at most {MAX_EXPECTED_DRAWS})",
    )
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    saved_variant: VariantName | None = Field(
        None,
        description="a variant saved with POST /api/variants; its overrides apply "
        "under any explicit overrides",
    )
    calibration: CalibrationName | None = Field(
        None,
        description="a calibration the server was started with (GET /api/calibrations): "
        "each run draws its parameters from its posterior, so the band holds the "
        "parameters' uncertainty as well as the engine's noise",
    )
    expected: bool = Field(
        False,
        description="with `calibration`: the exact expected values of each posterior "
        "draw instead of agent runs (seconds instead of minutes; the band holds the "
        "parameters' uncertainty only; no journeys and no tables by year of entry)",
    )


class SaveVariantRequest(_Body):
    """A scenario's overrides to save under a name."""

    scenario: Name
    name: VariantName = Field(
        description="lower case letters, digits, _ and -; "
        "starts with a letter; at most 40 characters"
    )
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    overrides: Overrides = Field(default_factory=dict)
    replace: bool = Field(False, description="overwrite a variant of the same name")


class SavedVariant(BaseModel):
    """A saved variant: overrides of a built-in scenario under a name."""

    scenario: str
    name: str
    description: str | None = None
    overrides: dict[str, Any]
    created: str | None = None
    updated: str | None = None


class RunCreated(BaseModel):
    """The id of a queued run."""

    run_id: str


JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class RunStatus(BaseModel):
    """The state of a run."""

    run_id: str
    state: JobState
    progress: float = Field(ge=0, le=1)
    scenario: str | None = None
    variant: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    runs: int | None = None
    seed: int | None = None
    calibration: str | None = Field(
        None, description="the calibration each run drew its parameters from, if any"
    )
    expected: bool = Field(False, description="expected values of posterior draws, no agents")
    created: str | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None
    cancel_requested: bool = Field(
        False, description="a cancel was asked for (a running run stops at its next step)"
    )


class ObservationRow(BaseModel):
    """Observed vs simulated for one row of an observed series."""

    series: str
    year: str
    sex: str
    observed: float | None
    simulated: float | None
    simulated_p05: float | None
    simulated_p95: float | None
    observed_low: float | None
    observed_high: float | None
    kind: str | None
    unit: str | None
    sources: str | None
    title: str | None = Field(None, description="the series in words")
    observed_text: str | None = Field(None, description="what was observed: number or range")
    simulated_text: str | None = Field(None, description="median (5–95%), or the value alone")
    verdict: str | None = Field(
        None, description="inside, outside by …, or empty without a band (one run)"
    )


class StockSeries(BaseModel):
    """People in one state at the end of each month: median and 5–95% over runs."""

    state: str
    name: str | None = Field(None, description="the state in words")
    kind: str | None
    dates: list[str]
    median: list[float]
    p05: list[float]
    p95: list[float]


class StateRef(BaseModel):
    """A state: its id and its name."""

    id: str
    name: str


class StateGroup(BaseModel):
    """The states of one kind in one population (the state picker's groups)."""

    population: str
    population_title: str
    kind: str
    title: str
    states: list[StateRef]


class StocksOut(BaseModel):
    """Monthly stocks of the chosen states, and every state there is."""

    states: list[str]
    groups: list[StateGroup] = Field(default_factory=list)
    series: list[StockSeries]


class ObservedPoint(BaseModel):
    """One observed value of a yearly series."""

    year: str
    value: float | None
    low: float | None
    high: float | None
    sources: str | None = None


class ArrivalsOut(BaseModel):
    """Simulated arrivals per year (median, 5–95%) and the observed counts."""

    label: str
    states: list[str]
    years: list[int]
    median: list[float]
    p05: list[float]
    p95: list[float]
    observed_series: str | None
    observed: list[ObservedPoint]


class JourneyOut(BaseModel):
    """One sampled person's history as plain sentences."""

    agent: int
    sex: str
    final_state: str
    final_name: str | None = Field(None, description="where the person was at the end, in words")
    entry_date: str
    text: str
    detected: list[str] | None = Field(
        None,
        description="what interrogation detected (flag names; empty: nothing; "
        "null: never interrogated)",
    )


class JourneysOut(BaseModel):
    """Sampled histories, filtered by final state."""

    outcomes: list[str]
    outcome_names: list[str] = Field(default_factory=list, description="the outcomes in words")
    total: int
    journeys: list[JourneyOut]


class CompareRow(BaseModel):
    """One year of the comparison."""

    year: int
    a: float | None
    b: float | None
    difference: float | None


class DifferenceOut(BaseModel):
    """One headline figure of run B against run A (the baseline), paired by seed."""

    population: str
    population_title: str
    key: str
    label: str
    base: str
    other: str
    difference: str
    paired: int


class CompareOut(BaseModel):
    """Arrivals of two runs side by side, and the differences of the headline figures."""

    a: str
    b: str
    label: str
    rows: list[CompareRow]
    differences: list[DifferenceOut] = Field(default_factory=list)


class FigureRow(BaseModel):
    """A headline figure: a model estimate, median and 5–95% over runs."""

    key: str
    label: str
    text: str
    median: float | None
    p05: float | None
    p95: float | None


class PopulationFigures(BaseModel):
    """The headline figures of one population."""

    id: str
    title: str
    headline: bool
    context: bool
    description: str
    figures: list[FigureRow]


class SeriesCheckOut(BaseModel):
    """How many observed numbers of a series lie inside the simulation's band."""

    series: str
    title: str
    rows: int
    inside: int
    worst: str | None


class EstimateOut(BaseModel):
    """A calibration's model estimate (not a count), with what the data can tell of it."""

    quantity: str
    title: str
    year: str
    sex: str
    median: float | None
    p05: float | None
    p95: float | None
    text: str = Field(description="median (5% to 95%), in words")
    label: str = Field(
        description='"set by the data", "partly set by the data" or "prior-driven: …" '
        "(posterior against prior width); empty when the calibration measured none"
    )


class HeldBackCheckOut(BaseModel):
    """A reported figure the calibration kept out of its fit, against its prediction."""

    series: str
    title: str
    year: str
    observed: str
    predicted: str
    verdict: str


class LabelCount(BaseModel):
    """How many of a calibration's numbers carry one identifiability label."""

    label: str
    count: int


class CalibrationOut(BaseModel):
    """A calibration the server was started with."""

    name: str
    scenario: str
    method: str
    importance_failed: str | None = Field(
        None,
        description="why the exact posterior could not be sampled (the Laplace "
        "approximation was reported instead); null when it was",
    )
    draws: int
    ess: float | None
    converged: bool


class CalibrationDetailOut(CalibrationOut):
    """What a calibration says: estimates with labels, held-back checks, identifiability."""

    estimates: list[EstimateOut]
    checks: list[HeldBackCheckOut]
    identifiability: list[LabelCount]


class RunSummaryOut(BaseModel):
    """What was run, the headline figures per population and the checks against counts."""

    title: str
    scenario: str
    how: str
    start: str
    end: str
    variant: str | None
    variant_description: str | None
    overrides: list[str]
    banded: bool
    note: str
    declared_populations: bool
    populations: list[PopulationFigures]
    checks: list[SeriesCheckOut]
    calibration: CalibrationOut | None = Field(
        None, description="the calibration the runs drew their parameters from, if any"
    )
    estimates: list[EstimateOut] = Field(
        default_factory=list,
        description="the calibration's estimates (runs of the scenario as it was fitted "
        "only: a what-if's runs carry none)",
    )
    held_back: list[HeldBackCheckOut] = Field(default_factory=list)
    identifiability: list[LabelCount] = Field(default_factory=list)
