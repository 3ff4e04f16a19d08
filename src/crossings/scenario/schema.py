"""The scenario format: typed, validated, sourced (pydantic v2).

A scenario is a YAML mapping. This module defines its shape; cross-reference
checks (ids that must exist, dates inside the simulated span, reachability)
live in :mod:`crossings.scenario.validate`.

Every number that is a parameter of the model carries provenance: the object
that holds it has ``sources: [ids]`` (ids of the ``sources`` section) or
``assumption: "why"``. Objects that group several numbers (shares, rates,
duration distributions, modifiers) carry one provenance for all of them.
Coordinates of places and observed data rows are data, not parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Sex = Literal["female", "male"]
SEXES: tuple[Sex, Sex] = ("female", "male")

Num = Annotated[float, Field(strict=True)]
NonNeg = Annotated[float, Field(strict=True, ge=0)]
Prob = Annotated[float, Field(strict=True, ge=0, le=1)]
Pos = Annotated[float, Field(strict=True, gt=0)]
Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-.]*$", max_length=80)]
Story = Annotated[str, Field(min_length=1, max_length=200)]
"""What a person does on entering a state, as a present-tense verb phrase without its
subject (``is handed over at the Tumen bridge``); journeys are told with it."""

PLACE_KINDS = (
    "origin",
    "border",
    "crossing",
    "hideout",
    "transit",
    "destination",
    "detention",
    "interrogation",
    "camp",
    "prison",
    "home",
    "abroad",
    "sea",
    "other",
)
STATE_KINDS = (
    "home",
    "crossing",
    "hiding",
    "travel",
    "transit",
    "detained",
    "interrogation",
    "sentence",
    "released",
    "arrived",
    "dead",
    "abroad",
    "delegation",
    "exited",
    "other",
)
SENTENCE_KINDS = (
    "political_camp",
    "long_term_prison",
    "labour_camp",
    "re_education",
    "detention",
    "execution",
    "other",
)

PlaceKind = Literal[
    "origin",
    "border",
    "crossing",
    "hideout",
    "transit",
    "destination",
    "detention",
    "interrogation",
    "camp",
    "prison",
    "home",
    "abroad",
    "sea",
    "other",
]
StateKind = Literal[
    "home",
    "crossing",
    "hiding",
    "travel",
    "transit",
    "detained",
    "interrogation",
    "sentence",
    "released",
    "arrived",
    "dead",
    "abroad",
    "delegation",
    "exited",
    "other",
]
SentenceKind = Literal[
    "political_camp",
    "long_term_prison",
    "labour_camp",
    "re_education",
    "detention",
    "execution",
    "other",
]

META_KEYS = ("sources", "assumption", "note")

OutsideSpan = Literal["intentional"]
"""Marks a dated event that lies wholly outside the simulated span on purpose."""


class Strict(BaseModel):
    """Base model: unknown keys are errors; every number must be finite (no NaN or infinity)."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, validate_default=False, allow_inf_nan=False
    )


class Sourced(Strict):
    """Mixin for objects whose numbers need provenance.

    Attributes:
        sources: Ids from the scenario's ``sources`` section.
        assumption: Why a number was chosen when no source gives it.
        note: Free text shown beside the value in reports.
    """

    sources: list[str] | None = None
    assumption: str | None = None
    note: str | None = None

    def provenance(self) -> str:
        """A short text naming the sources or the assumption."""
        parts = []
        if self.sources:
            parts.append("sources: " + ", ".join(self.sources))
        if self.assumption:
            parts.append("assumption: " + self.assumption)
        return "; ".join(parts) if parts else "UNSOURCED"


class Param(Sourced):
    """One sourced number: ``{value: 0.2, sources: [S1]}``."""

    value: Num


class NumberMap(Sourced):
    """Named numbers sharing one provenance: ``{female: 0.8, male: 0.2, sources: [S1]}``.

    In YAML the names and the provenance keys sit in one mapping; they are
    split on load into :attr:`values` and the provenance fields.
    """

    values: dict[str, Num] = Field(default_factory=dict)

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "description": "names mapped to numbers, plus sources/assumption/note",
        },
    )

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if isinstance(data, dict) and "values" not in data:
            meta = {k: v for k, v in data.items() if k in META_KEYS}
            values = {str(k): v for k, v in data.items() if k not in META_KEYS}
            return {**meta, "values": values}
        return data


class Shares(NumberMap):
    """Shares that must sum to 1 (checked in validation), e.g. a target distribution."""


Target = str | Shares


class DateRate(Strict):
    """One step of a piecewise-constant schedule: the value applies from ``from``."""

    from_: dt.date = Field(alias="from")
    per_year: NonNeg


class Rate(Sourced):
    """A rate per year, written in exactly one of several ways.

    * ``per_year``: events per year (a hazard, or people per year for inflows);
    * ``per_day``: events per day;
    * ``mean_days``: mean waiting time in days (hazard = 1 / mean);
    * ``probability`` with ``within_days``: chance of the event within that
      many days when nothing else happens (hazard = -ln(1-p) / days);
    * ``by_year``: ``{2002: 1000, 2003: 1200}`` per-year values, each from
      1 January of that year until the next listed year;
    * ``schedule``: ``[{from: 2016-06-01, per_year: 0.4}, ...]``.
    """

    per_year: NonNeg | None = None
    per_day: NonNeg | None = None
    mean_days: Pos | None = None
    probability: Prob | None = None
    within_days: Pos | None = None
    by_year: dict[int, NonNeg] | None = None
    schedule: list[DateRate] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Rate:
        forms = [
            n
            for n in ("per_year", "per_day", "mean_days", "probability", "by_year", "schedule")
            if getattr(self, n) is not None
        ]
        if len(forms) != 1:
            raise ValueError(
                "a rate needs exactly one of per_year, per_day, mean_days, "
                "probability (+ within_days), by_year, schedule; found "
                + (", ".join(forms) if forms else "none")
            )
        if (self.probability is None) != (self.within_days is None):
            raise ValueError("'probability' and 'within_days' go together")
        if self.probability is not None and self.probability >= 1:
            raise ValueError("'probability' must be below 1 (certain events are durations)")
        return self


DistName = Literal["fixed", "uniform", "exponential", "lognormal", "gamma", "table", "life"]
TimeUnit = Literal["days", "weeks", "months", "years"]


class Duration(Sourced):
    """How long something lasts.

    ``distribution`` is one of ``fixed`` (``value``), ``uniform`` (``min``,
    ``max``), ``exponential`` (``mean``), ``lognormal`` (``median`` and
    ``sigma``, or ``mean`` and ``sd``), ``gamma`` (``mean``, ``sd``), ``table``
    (``values`` with ``weights``) or ``life`` (never ends). Times are in
    ``unit`` (days by default) and are rounded up to whole steps (at least one).
    """

    distribution: DistName = "fixed"
    unit: TimeUnit = "days"
    value: NonNeg | None = None
    min: NonNeg | None = None
    max: NonNeg | None = None
    mean: Pos | None = None
    sd: Pos | None = None
    median: Pos | None = None
    sigma: Pos | None = None
    values: list[NonNeg] | None = None
    weights: list[NonNeg] | None = None

    @model_validator(mode="after")
    def _params(self) -> Duration:
        need: dict[str, tuple[tuple[str, ...], ...]] = {
            "fixed": (("value",),),
            "uniform": (("min", "max"),),
            "exponential": (("mean",),),
            "lognormal": (("median", "sigma"), ("mean", "sd")),
            "gamma": (("mean", "sd"),),
            "table": (("values", "weights"),),
            "life": ((),),
        }
        options = need[self.distribution]
        ok = any(all(getattr(self, f) is not None for f in opt) for opt in options)
        if not ok:
            want = " or ".join("+".join(o) for o in options)
            raise ValueError(f"a {self.distribution} duration needs {want}")
        if (
            self.distribution == "uniform"
            and self.min is not None
            and self.max is not None
            and self.min > self.max
        ):
            raise ValueError(f"uniform duration has min {self.min} above max {self.max}")
        if self.distribution == "table" and self.values is not None and self.weights is not None:
            if len(self.values) != len(self.weights):
                raise ValueError("'values' and 'weights' must have the same length")
            if sum(self.weights) <= 0:
                raise ValueError("table weights must not all be zero")
        return self


class Modifiers(Sourced):
    """Multipliers of a hazard by attribute and flag.

    Example: ``{sex: {female: 1.5}, flags: {married_local: 0.3}, sources: [S61]}``
    multiplies the hazard by 1.5 for women and by 0.3 for anyone with the flag.
    """

    sex: dict[Sex, NonNeg] = Field(default_factory=dict)
    age_band: dict[str, NonNeg] = Field(default_factory=dict)
    origin: dict[str, NonNeg] = Field(default_factory=dict)
    flags: dict[str, NonNeg] = Field(default_factory=dict)


class Hazard(Strict):
    """A competing hazard out of a state.

    Attributes:
        id: Optional name; policies can scale it by id or by any of its tags.
        to: Target state (or shares over several targets).
        rate: Rate per year (see :class:`Rate`).
        by: Who causes it (e.g. ``chinese_police``); shown in reports.
        tags: Names used by policies to scale groups of hazards.
        border: A border whose closure stops this hazard.
        modifiers: Multipliers by sex, age band, origin and flags.
        set_flags: Flags set on everyone who takes this transition.
    """

    id: Id | None = None
    name: str | None = None
    to: Target
    rate: Rate
    by: str | None = None
    tags: list[str] = Field(default_factory=list)
    border: str | None = None
    modifiers: Modifiers | None = None
    set_flags: list[str] = Field(default_factory=list)


class TimeSpec(Strict):
    """Simulated span and step: ``{start: 1998-01-01, end: 2025-12-31, step: 1}``.

    ``step`` is in days (an integer, or text like ``"1 day"``, ``"7 days"``,
    ``"1 week"``).
    """

    start: dt.date
    end: dt.date
    step: Annotated[int, Field(ge=1, le=366)] = 1

    @model_validator(mode="before")
    @classmethod
    def _step_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("step"), str):
            text = data["step"].strip().lower()
            parts = text.split()
            units = {"day": 1, "days": 1, "week": 7, "weeks": 7}
            if len(parts) == 2 and parts[0].isdigit() and parts[1] in units:
                data = {**data, "step": int(parts[0]) * units[parts[1]]}
            elif len(parts) == 1 and parts[0] in units:
                data = {**data, "step": units[parts[0]]}
        return data


class Source(Strict):
    """A citation that numbers point to."""

    citation: str
    publisher: str | None = None
    url: str | None = None
    date: str | dt.date | None = None
    confidence: Literal["high", "medium", "low"] | None = None
    note: str | None = None


class Place(Strict):
    """A place on the map."""

    id: Id
    name: str | None = None
    kind: PlaceKind = "other"
    country: str | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    note: str | None = None


class State(Strict):
    """A state an agent can be in (at a place).

    A state with a ``duration`` is left at the end of it for ``then``, unless
    a competing hazard fires first. A state without hazards or duration is
    terminal. ``story`` is what a person does on entering it, as a
    present-tense verb phrase without its subject (``goes into hiding in
    north-east China``), used to tell journeys.
    """

    id: Id
    name: str | None = None
    place: str | None = None
    kind: StateKind = "other"
    description: str | None = None
    story: Story | None = None
    duration: Duration | None = None
    then: Target | None = None
    hazards: list[Hazard] = Field(default_factory=list)


class Route(Strict):
    """A way from one state to another that takes time, with hazards on the way.

    The route itself is a state (kind ``travel``) that people enter via a
    transition whose ``to`` is the route's id. ``story`` is told on entering
    it, as for a state.
    """

    id: Id
    name: str | None = None
    story: Story | None = None
    from_: str = Field(alias="from")
    to: Target
    travel_time: Duration
    hazards: list[Hazard] = Field(default_factory=list)
    place: str | None = None


class AgeBands(Sourced):
    """Age bands drawn on entry: ``shares`` for everyone or ``by_sex``."""

    shares: dict[str, NonNeg] | None = None
    by_sex: dict[Sex, dict[str, NonNeg]] | None = None

    @model_validator(mode="after")
    def _one(self) -> AgeBands:
        if (self.shares is None) == (self.by_sex is None):
            raise ValueError("give exactly one of 'shares' or 'by_sex'")
        return self


class FlagAcquire(Strict):
    """A hazard of acquiring a flag while in given states."""

    in_: list[str] = Field(alias="in")
    rate: Rate
    modifiers: Modifiers | None = None
    tags: list[str] = Field(default_factory=list)


class Flag(Strict):
    """A fact about a person's time abroad, acquired by hazard or on entering a state."""

    id: Id
    name: str | None = None
    description: str | None = None
    acquire: list[FlagAcquire] = Field(default_factory=list)
    set_on_enter: list[str] = Field(default_factory=list)


class People(Strict):
    """Attributes drawn on entry and flags acquired later."""

    age_bands: AgeBands | None = None
    flags: list[Flag] = Field(default_factory=list)


class Inflow(Strict):
    """People entering the system: attempts per year, split by sex and origin.

    ``rate`` is the total per year; ``sex`` gives shares (or ``rate_by_sex``
    gives a rate per sex). ``origins`` gives shares over origin places; ``enter``
    names the first state (or one per origin). ``initial`` is a number of
    people already in the entry state on the first day (split like the rate).
    Policies scale an inflow by its id or any of its ``tags``.
    """

    id: Id
    name: str | None = None
    enter: str | dict[str, str]
    rate: Rate | None = None
    sex: Shares | None = None
    rate_by_sex: dict[Sex, Rate] | None = None
    origins: Shares | None = None
    age_bands: AgeBands | None = None
    initial: Param | None = None
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rate_form(self) -> Inflow:
        if (self.rate is None) == (self.rate_by_sex is None):
            raise ValueError("give exactly one of 'rate' (with 'sex' shares) or 'rate_by_sex'")
        if self.initial is not None and (
            self.initial.value < 0 or self.initial.value != int(self.initial.value)
        ):
            raise ValueError("'initial' must be a whole number of people ≥ 0")
        if self.rate is not None and self.sex is None:
            raise ValueError("'rate' needs 'sex' shares, e.g. {female: 0.5, male: 0.5, ...}")
        return self


class Delegation(Strict):
    """A delegation abroad (e.g. athletes at the Olympics): a small defection window.

    Members are created on ``depart`` in a state of kind ``delegation`` at
    ``place``. Each defects before ``return`` with probability
    ``defection_probability × (1 − surveillance)`` and goes to ``defect_to``;
    the rest go to ``on_return`` (shares over states such as rewarded,
    punished, home). A departure outside the simulated span is an error unless
    the delegation says ``outside_span: intentional``. ``story`` is told on
    entering the delegation, as for a state.
    """

    id: Id
    name: str | None = None
    story: Story | None = None
    place: str
    depart: dt.date
    return_: dt.date = Field(alias="return")
    size: Param
    female_share: Param
    surveillance: Param
    defection_probability: Param
    defect_to: Target
    on_return: Target
    age_band: str | None = None
    outside_span: OutsideSpan | None = None


class Wave(Sourced):
    """A dated repatriation wave: each member of the queue goes with probability ``share``.

    A wave dated outside the simulated span is an error unless it says
    ``outside_span: intentional``.
    """

    id: Id | None = None
    name: str | None = None
    date: dt.date
    share: Prob = 1.0
    to: Target | None = None
    outside_span: OutsideSpan | None = None


class Queue(Strict):
    """A detention queue: its members leave in dated waves and/or at a rate.

    ``story`` is told on entering it, as for a state. The same wave id may be
    used by several queues: it is one dated event (one repatriation wave)
    that empties each of them; it is measured over all of them.
    """

    id: Id
    name: str | None = None
    story: Story | None = None
    place: str | None = None
    to: Target
    border: str | None = None
    rate: Rate | None = None
    tags: list[str] = Field(default_factory=list)
    waves: list[Wave] = Field(default_factory=list)
    hazards: list[Hazard] = Field(default_factory=list)


class Condition(Strict):
    """When a classification rule applies (all given parts must hold)."""

    detected_any: list[str] = Field(default_factory=list)
    detected_all: list[str] = Field(default_factory=list)
    detected_none: list[str] = Field(default_factory=list)
    sex: Sex | None = None


class Rule(Sourced):
    """One classification rule: if ``when`` holds, draw a sentence from ``sentence``."""

    name: str | None = None
    when: Condition | None = None
    default: bool = False
    sentence: Target


class Classification(Strict):
    """Ordered rules evaluated at interrogation; the first matching rule decides.

    ``detection`` gives, per flag, the probability that interrogation finds it.
    ``rulesets`` are named rule lists; policies can switch the active one.
    ``story`` is told when a person is classified, as for a state.
    """

    id: Id = "classification"
    name: str | None = None
    story: Story | None = None
    detection: NumberMap = Field(default_factory=NumberMap)
    rules: list[Rule] | None = None
    rulesets: dict[str, list[Rule]] | None = None
    default_ruleset: str = "default"

    @model_validator(mode="after")
    def _rules(self) -> Classification:
        if (self.rules is None) == (self.rulesets is None):
            raise ValueError("give exactly one of 'rules' or 'rulesets'")
        if self.rules is not None:
            self.rulesets = {self.default_ruleset: self.rules}
            self.rules = None
        return self


class Sentence(Strict):
    """A sentence kind: a state at a camp or prison with a duration (or life).

    ``story`` is told on entering it, as for a state.
    """

    id: Id
    name: str | None = None
    story: Story | None = None
    kind: SentenceKind = "other"
    place: str | None = None
    duration: Duration
    then: Target | None = None
    hazards: list[Hazard] = Field(default_factory=list)


class CohortSelector(Strict):
    """Who a reclassification applies to.

    ``entered``: people who entered any of these states between ``from`` and
    ``to`` (inclusive), wherever they are now; ``currently_in`` / ``not_in``
    restrict by current state.
    """

    entered: list[str]
    from_: dt.date = Field(alias="from")
    to: dt.date
    currently_in: list[str] | None = None
    not_in: list[str] = Field(default_factory=list)


class Reclassification(Sourced):
    """On ``date``, move a cohort to a new state (e.g. a new sentence).

    A date outside the simulated span is an error unless the item says
    ``outside_span: intentional``.
    """

    id: Id
    name: str | None = None
    date: dt.date
    select: CohortSelector
    to: Target
    share: Prob = 1.0
    outside_span: OutsideSpan | None = None


class FamilyOutcome(Strict):
    """What happens to the household when a member enters given states."""

    name: str | None = None
    on_enter: list[str]
    consequences: NumberMap


class Families(Strict):
    """Households left behind, counted per outcome (not simulated as agents)."""

    household_size: NumberMap
    outcomes: list[FamilyOutcome] = Field(default_factory=list)


class Effect(Strict):
    """One effect of a policy.

    Exactly one of: ``scale`` (hazard ids/tags) with ``factor``;
    ``close_border``; ``close_route``; ``ruleset``.
    """

    scale: list[str] | None = None
    factor: Param | None = None
    close_border: str | None = None
    close_route: str | None = None
    ruleset: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Effect:
        kinds = [
            k
            for k in ("scale", "close_border", "close_route", "ruleset")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "an effect needs exactly one of scale (+factor), close_border, "
                "close_route, ruleset; found " + (", ".join(kinds) or "none")
            )
        if (self.scale is None) != (self.factor is None):
            raise ValueError("'scale' and 'factor' go together")
        if self.factor is not None and self.factor.value < 0:
            raise ValueError("a scale factor cannot be negative")
        return self


class Policy(Sourced):
    """A dated interval with effects (``to`` omitted: until the end).

    A policy wholly outside the simulated span is an error unless it says
    ``outside_span: intentional``.
    """

    id: Id
    name: str | None = None
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None
    effects: list[Effect]
    outside_span: OutsideSpan | None = None


class Measure(Strict):
    """What an observation series counts in the simulation (exactly one).

    ``entries``: people entering these states per year; ``stock``: people in
    these states on 31 December (or on the row's ``date``); ``flow``: moves from
    one state to another per year; ``wave``: people moved by a named wave;
    ``family``: family members affected per year by these consequences (by
    sex not available); a list sums the consequences (a member who suffers two
    counts twice), ``[any]`` counts each member once, whatever they suffer.
    """

    entries: list[str] | None = None
    stock: list[str] | None = None
    flow: dict[Literal["from", "to"], str] | None = None
    wave: str | None = None
    family: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> Measure:
        kinds = [
            k
            for k in ("entries", "stock", "flow", "wave", "family")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError("a measure needs exactly one of entries, stock, flow, wave, family")
        if self.flow is not None and set(self.flow) != {"from", "to"}:
            raise ValueError("a flow measure needs 'from' and 'to'")
        if self.family is not None and "any" in self.family and len(self.family) > 1:
            raise ValueError(
                "family: [any] counts each member once and stands alone; "
                "list consequences without 'any' to sum them"
            )
        return self


class Range(Strict):
    """A reported range; one bound may be omitted ("more than 2,000": ``{low: 2000}``)."""

    low: NonNeg | None = None
    high: NonNeg | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low is None and self.high is None:
            raise ValueError("a range needs 'low', 'high' or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"range low {self.low} is above high {self.high}")
        return self

    def point(self) -> float:
        """A single value to plot against: the midpoint, or the one bound given."""
        if self.low is not None and self.high is not None:
            return (self.low + self.high) / 2
        return float(self.low if self.low is not None else self.high)  # type: ignore[arg-type]


ObsValue = NonNeg | Range


class ObsRow(Strict):
    """One observed row: a year, a bucket of years, or a date, with values by sex."""

    year: int | None = None
    years: tuple[int, int] | None = None
    date: dt.date | None = None
    total: ObsValue | None = None
    female: ObsValue | None = None
    male: ObsValue | None = None
    sources: list[str] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _when(self) -> ObsRow:
        given = [k for k in ("year", "years", "date") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a row needs exactly one of year, years [from, to], date")
        if self.total is None and self.female is None and self.male is None:
            raise ValueError("a row needs at least one of total, female, male")
        if self.years is not None and self.years[0] > self.years[1]:
            raise ValueError(f"bucket years {list(self.years)} are out of order")
        return self


class Observation(Sourced):
    """A named observed series to compare the simulation with.

    ``population`` names the population the series is shown with; by default
    the one that holds every state it measures. A series that measures states
    of several populations (a camp population counting returnees and other
    prisoners alike) must name one. ``role: check`` keeps the series out of
    the calibration's likelihood: it is compared with the posterior
    predictive afterwards, as an out-of-fit check (``reason`` says why).
    """

    id: Id
    name: str | None = None
    measure: Measure
    unit: str = "people"
    kind: Literal["count", "estimate"] = "count"
    population: str | None = None
    role: Literal["fit", "check"] = "fit"
    reason: str | None = None
    rows: list[ObsRow] = Field(default_factory=list)
    file: str | None = None

    @model_validator(mode="after")
    def _role(self) -> Observation:
        if self.role == "check" and not self.reason:
            raise ValueError(
                "a series held back as a check ('role: check') needs 'reason:' — why it is "
                "kept out of the fit, written down before looking at the fit"
            )
        return self


PriorName = Literal["lognormal", "uniform", "normal", "beta", "gamma"]


class Prior(Sourced):
    """A prior distribution for an unknown.

    ``lognormal``: ``median``, ``sigma`` (of the log); ``uniform``: ``low``,
    ``high``; ``normal``: ``mean``, ``sd``; ``beta``: ``a``, ``b``; ``gamma``:
    ``shape``, ``scale``. Its choice names a source or an assumption.
    """

    distribution: PriorName
    median: Pos | None = None
    sigma: Pos | None = None
    low: Num | None = None
    high: Num | None = None
    mean: Num | None = None
    sd: Pos | None = None
    a: Pos | None = None
    b: Pos | None = None
    shape: Pos | None = None
    scale: Pos | None = None

    @model_validator(mode="after")
    def _params(self) -> Prior:
        need = {
            "lognormal": ("median", "sigma"),
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "beta": ("a", "b"),
            "gamma": ("shape", "scale"),
        }
        wanted = need[self.distribution]
        missing = [k for k in wanted if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"a {self.distribution} prior needs {' and '.join(wanted)}; "
                f"missing {', '.join(missing)}"
            )
        extra = [
            k
            for ks in need.values()
            for k in ks
            if k not in wanted and getattr(self, k) is not None
        ]
        if extra:
            raise ValueError(
                f"a {self.distribution} prior takes {' and '.join(wanted)}, "
                f"not {', '.join(sorted(set(extra)))}"
            )
        if self.distribution == "uniform" and not (self.low < self.high):  # type: ignore[operator]
            raise ValueError("a uniform prior needs low < high")
        return self


class Smoothness(Strict):
    """How a yearly series may change: a random walk on the log of its value.

    ``step_sd`` is the prior of the walk's step size (the standard deviation
    of the change of the log value from one knot to the next): the data and
    this prior decide how smooth the series is. ``every`` is the number of
    years between knots (values in between are interpolated linearly).
    """

    step_sd: Prior
    every: Annotated[int, Field(ge=1, le=50)] = 1


class Unknown(Strict):
    """A number (or group of numbers) of the scenario to estimate.

    ``path`` is a parameter path as listed by ``crossings sources``
    (``transitions.hiding_ne[1].rate``). ``mode: scale`` (default) multiplies
    every number of that object (only the ``years`` of a ``by_year`` table when
    given) by the unknown, whose prior is then on the factor (1 = the value
    written in the scenario); ``mode: value`` sets a single number to the
    unknown; ``mode: series`` makes every year of a ``by_year`` table (within
    ``years``) an unknown: ``prior`` is the first year's value and
    ``smoothness`` how far each further year may move from the one before
    (a random walk on the log scale), so no yearly shape is written by hand.
    ``also`` lists further paths set to the same value in the same way (one
    number written in several places, such as a rate shared by two states).
    """

    id: Id
    path: str
    also: list[str] = Field(default_factory=list)
    years: tuple[int, int] | None = None
    mode: Literal["scale", "value", "series"] = "scale"
    prior: Prior
    smoothness: Smoothness | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _series(self) -> Unknown:
        if self.mode == "series":
            if self.years is None:
                raise ValueError("a series unknown needs 'years: [FIRST, LAST]'")
            if self.smoothness is None:
                raise ValueError(
                    "a series unknown needs 'smoothness: {step_sd: PRIOR}' (how much the "
                    "value may change from one knot to the next, on the log scale)"
                )
            if self.years[1] <= self.years[0]:
                raise ValueError("a series unknown's years must run forward")
        elif self.smoothness is not None:
            raise ValueError("'smoothness' is for 'mode: series' only")
        return self


class ObservationModel(Sourced):
    """How observed numbers scatter around the model's expectation.

    ``counts``: yearly counts are negative binomial with variance
    ``mu + dispersion * mu^2`` (``dispersion`` 0.0025 ≈ a 5% coefficient of
    variation on large counts) or Poisson. ``range_sd``: reported ranges and
    estimates have soft edges of this relative size.
    """

    counts: Literal["negative_binomial", "poisson"] = "negative_binomial"
    dispersion: Annotated[float, Field(ge=0, le=10)] = 0.0025
    range_sd: Annotated[float, Field(gt=0, le=5)] = 0.15


class Estimate(Strict):
    """An uncounted quantity to report with intervals after calibration.

    ``population`` names the population the estimate is reported for, as for
    an :class:`Observation`.
    """

    id: Id
    name: str | None = None
    measure: Measure
    population: str | None = None


class Approximation(Sourced):
    """Numerical shortcuts the fit may take, with the reason they are safe.

    ``lump_days``: in states whose stays can exceed this many days, and whose
    hazards are the same for every type of one sex, keep one duration ring per
    sex instead of one per type (see docs/calibration.md). ``crossings
    calibrate --exact`` ignores it; ``--lump-days`` overrides it.
    """

    lump_days: Annotated[int, Field(ge=1)] | None = None


class CoveragePeriod(Strict):
    """A span of years over which predictive coverage is reported apart."""

    id: Id
    name: str | None = None
    years: tuple[int, int]


class Calibration(Strict):
    """What ``crossings calibrate`` estimates, and how observations are treated.

    ``alternatives`` names variants of the scenario that are *structural*
    alternatives (another way the system may work, not a what-if): the
    calibration refits under each and reports how much the estimates move.
    ``periods`` are spans of years whose predictive coverage is reported apart
    (for example a border closure).
    """

    unknowns: list[Unknown] = Field(default_factory=list)
    observation_model: ObservationModel = Field(default_factory=ObservationModel)
    estimates: list[Estimate] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    approximation: Approximation | None = None
    alternatives: list[str] = Field(default_factory=list)
    periods: list[CoveragePeriod] = Field(default_factory=list)


class Variant(Strict):
    """A named what-if: changes applied to the scenario before validation.

    ``remove``: paths to delete (``policies.covid_closure``); ``set``: path →
    value; ``add``: section → items appended.
    """

    description: str | None = None
    remove: list[str] = Field(default_factory=list)
    set: dict[str, Any] = Field(default_factory=dict)
    add: dict[str, list[Any]] = Field(default_factory=dict)


class JourneySpec(Strict):
    """How many individual histories to keep."""

    sample: Annotated[int, Field(ge=0, le=1_000_000)] = 200


class Population(Strict):
    """A group of people that never mixes with another: the states they can be in.

    Populations are by state: when a scenario declares any, every state
    belongs to exactly one top-level population, and nobody moves from a
    state of one top-level population to a state of another. ``headline``
    marks the people the scenario is about (exactly one top-level
    population); ``context`` marks one shown apart, never added into headline
    totals (a camp population that was there before the simulated span).
    ``inflows`` and ``delegations`` are who enters it (each belongs to one
    top-level population). A population ``within`` another is a
    sub-population: a subset of its parent's states (the returnees among the
    people who left), with no headline or context of its own.
    """

    id: Id
    name: str | None = None
    description: str | None = None
    headline: bool = False
    context: bool = False
    within: str | None = None
    states: list[str] = Field(default_factory=list)
    inflows: list[str] = Field(default_factory=list)
    delegations: list[str] = Field(default_factory=list)


class KnownLimit(Strict):
    """Something the scenario does not model, and what that does to its numbers.

    Shown with every calibration summary and report next to the estimates.
    """

    id: Id
    what: str
    effect: str
    sources: list[str] = Field(default_factory=list)


class Scenario(Strict):
    """A complete scenario (see the module docstring and ``crossings schema``)."""

    name: str
    title: str | None = None
    description: str | None = None
    extends: str | None = None
    seed: int = 1
    allow_closed_cycles: bool = False
    time: TimeSpec
    sources: dict[str, Source] = Field(default_factory=dict)
    places: list[Place] = Field(default_factory=list)
    states: list[State] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    people: People = Field(default_factory=People)
    inflows: list[Inflow] = Field(default_factory=list)
    delegations: list[Delegation] = Field(default_factory=list)
    transitions: dict[str, list[Hazard]] = Field(default_factory=dict)
    detention: list[Queue] = Field(default_factory=list)
    classification: Classification | None = None
    sentences: list[Sentence] = Field(default_factory=list)
    reclassifications: list[Reclassification] = Field(default_factory=list)
    families: Families | None = None
    policies: list[Policy] = Field(default_factory=list)
    populations: list[Population] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    variants: dict[str, Variant] = Field(default_factory=dict)
    journeys: JourneySpec = Field(default_factory=JourneySpec)
    calibration: Calibration | None = None
    limits: list[KnownLimit] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Crossings scenario"
    defs = schema.get("$defs", {})
    meta_props = {
        "sources": {"type": "array", "items": {"type": "string"}},
        "assumption": {"type": "string"},
        "note": {"type": "string"},
    }
    for name in ("NumberMap", "Shares"):
        if name in defs:
            defs[name] = {
                "type": "object",
                "title": name,
                "description": (defs[name].get("description") or "")
                + " Names mapped to numbers, with sources or assumption.",
                "properties": meta_props,
                "additionalProperties": {"type": "number"},
            }
    return schema
