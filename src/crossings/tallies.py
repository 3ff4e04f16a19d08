"""The tally contract: what a run of a scenario produces, with named axes.

Both producers write the same :class:`Tallies`: the agent engine
(:mod:`crossings.engine`, integer counts of one run, ``Tallies[np.int64]``)
and the expected-value mode (:mod:`crossings.expected`, exact expectations,
``Tallies[np.float64]``). Everything downstream — the results tables, the
measurement of observations (:mod:`crossings.measure`), calibration, the
results bundle — reads this one type and never a producer's internals.

The axes of every array are part of its type: each field is annotated with
:class:`Axes`, read by :func:`axes_of`; :meth:`Tallies.check` verifies the
shapes against a compiled model. Axis names:

``step``, ``year`` (calendar year of the event), ``cohort`` (calendar year of
entry into the system), ``state``, ``from_state`` (the states plus one last
index, *outside*, for entries), ``to_state``, ``sex`` (female, male),
``flag``, ``wave``, ``reclassification``, ``consequence``, ``rule``,
``hazard``.

A *stack* of tallies (several runs, or several parameter sets of the
expected-value mode) has one more leading axis, named by ``Tallies.leading``
(``"run"`` or ``"set"``); :func:`stack` builds one and :meth:`Tallies.item`
takes one member out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, get_type_hints

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from crossings.compile.model import CompiledModel

D = TypeVar("D", np.int64, np.float64)

SEX_NAMES = ("female", "male")
"""The values of the ``sex`` axis, in order."""

EVENT_KINDS = ("entry", "hazard", "duration", "flag", "classified", "wave", "reclassified")
"""The ``kind`` codes of journey records, in order (:attr:`JourneySample.events`)."""

JOURNEY_COLUMNS = ("agent", "step", "from_state", "to_state", "kind", "detail", "event", "seq")
"""Columns of the journey records of sampled agents."""

AGENT_COLUMNS = (
    "agent",
    "entry_step",
    "sex",
    "age_band",
    "origin",
    "household",
    "flags",
    "final_state",
)
"""Columns of the attributes of sampled agents.

The flags interrogation detected are the ``detail`` of a journey's
``classified`` record (a bit mask over the scenario's flags).
"""


@dataclass(frozen=True)
class Axes:
    """Names of an array's axes, attached to a field's type with ``Annotated``."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        object.__setattr__(self, "names", tuple(names))


@dataclass
class JourneySample:
    """Individual histories of a random sample of the agents of one run.

    Attributes:
        events: Column → array of the event records (:data:`JOURNEY_COLUMNS`),
            sorted by agent and sequence.
        agents: Column → array of the sampled agents' attributes
            (:data:`AGENT_COLUMNS`).
    """

    events: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    agents: dict[str, NDArray[np.int64]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> JourneySample:
        """A sample with no agents."""
        return cls(
            {c: np.zeros(0, np.int64) for c in JOURNEY_COLUMNS},
            {c: np.zeros(0, np.int64) for c in AGENT_COLUMNS},
        )

    @classmethod
    def merge(cls, parts: list[JourneySample]) -> JourneySample:
        """The samples of id-range shards of one run, as one sample."""

        def cat(dicts: list[dict[str, NDArray[np.int64]]], by: tuple[str, ...]) -> dict[str, Any]:
            keys = dicts[0].keys() if dicts else ()
            merged = {k: np.concatenate([d[k] for d in dicts]) for k in keys}
            if merged and "agent" in merged:
                order = np.lexsort(tuple(merged[k] for k in reversed(by)))
                merged = {k: v[order] for k, v in merged.items()}
                if "seq" in merged:
                    merged["seq"] = np.arange(order.size, dtype=np.int64)
            return merged

        return cls(
            cat([p.events for p in parts], ("agent", "seq")),
            cat([p.agents for p in parts], ("agent",)),
        )


@dataclass
class Tallies(Generic[D]):
    """The tallies of one run (or one parameter set, or a stack of them).

    Counts of the agent engine are ``np.int64``; expectations of the
    expected-value mode are ``np.float64``. The tallies by entry cohort are
    ``None`` where they were not computed (a calibration batch of the
    expected-value mode); time in the system, the journey sample and the
    work counters exist only for the agent engine.

    Attributes:
        stocks: People in each state at the end of each step.
        flows: Moves per calendar year from state to state (from ``outside`` = entry).
        flag_flows: Flags acquired per year, in each state.
        wave_moved: People moved by each repatriation wave.
        rc_moved: People moved by each reclassification.
        family_members: Family members affected per year, consequence and
            the outcome state that caused it.
        family_households: Households affected (the same axes).
        rule_counts: Classification decisions per year and rule.
        hazard_counts: Times each competing hazard fired, per calendar year.
        cohort_outcomes: Where each entry cohort is at the end (``None``: not computed).
        cohort_flows: Every move of each entry cohort (``None``: not computed).
        hazard_counts_cohort: Times each hazard fired, by entry cohort
            (``None``: not computed).
        family_affected: Family members affected by at least one consequence, per
            year and the outcome state that caused it — each person once,
            where ``family_members`` counts each consequence (``None``: not
            computed).
        family_affected_households: Households with at least one such member.
        steps_in_system: Sum over entries into each outcome state, per year,
            of the steps since the person entered the system (``None`` where
            not tracked: the expected-value mode).
        journeys: Individual histories of sampled agents (agent engine only).
        agents_created: People created (agent engine), or expected entries.
        agent_steps: Sum over steps of the people in the system.
        events: Events processed (agent engine).
        leading: ``None`` for one run; ``"run"`` or ``"set"`` when every
            array has one more leading axis (a stack).
    """

    stocks: Annotated[NDArray[D], Axes("step", "state", "sex")]
    flows: Annotated[NDArray[D], Axes("year", "from_state", "to_state", "sex")]
    flag_flows: Annotated[NDArray[D], Axes("year", "flag", "state", "sex")]
    wave_moved: Annotated[NDArray[D], Axes("wave", "sex")]
    rc_moved: Annotated[NDArray[D], Axes("reclassification", "sex")]
    family_members: Annotated[NDArray[D], Axes("year", "consequence", "state")]
    family_households: Annotated[NDArray[D], Axes("year", "consequence", "state")]
    rule_counts: Annotated[NDArray[D], Axes("year", "rule", "sex")]
    hazard_counts: Annotated[NDArray[D], Axes("year", "hazard")]
    cohort_outcomes: Annotated[NDArray[D] | None, Axes("cohort", "state", "sex")] = None
    cohort_flows: Annotated[NDArray[D] | None, Axes("cohort", "from_state", "to_state")] = None
    hazard_counts_cohort: Annotated[NDArray[D] | None, Axes("cohort", "hazard")] = None
    family_affected: Annotated[NDArray[D] | None, Axes("year", "state")] = None
    family_affected_households: Annotated[NDArray[D] | None, Axes("year", "state")] = None
    steps_in_system: Annotated[NDArray[np.int64] | None, Axes("year", "state")] = None
    journeys: JourneySample | None = None
    agents_created: float = 0
    agent_steps: float = 0
    events: int = 0
    leading: str | None = None

    # ------------------------------------------------------------------ shape
    @classmethod
    def array_fields(cls) -> tuple[str, ...]:
        """Names of the fields that hold arrays with named axes, in order."""
        return tuple(f for f in axes_table(cls))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The array fields that are present (the optional ones may be absent)."""
        out: dict[str, NDArray[Any]] = {}
        for name in self.array_fields():
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @property
    def n(self) -> int:
        """Members of a stack (1 for a single run)."""
        if self.leading is None:
            return 1
        return int(self.stocks.shape[0])

    def check(self, model: CompiledModel) -> None:
        """Verify every array's shape against ``model`` (sizes of the named axes).

        Raises:
            ValueError: If an array does not have the shape its axes imply.
        """
        sizes = axis_sizes(model)
        for name, arr in self.arrays().items():
            axes = axes_of(name)
            want = tuple(sizes[a] for a in axes)
            got = arr.shape[1:] if self.leading is not None else arr.shape
            if got != want:
                raise ValueError(f"tally {name}: shape {got}, expected {want} for axes {axes}")

    def item(self, i: int) -> Tallies[D]:
        """Member ``i`` of a stack (a single run or parameter set)."""
        if self.leading is None:
            raise ValueError("not a stack of tallies")
        kw: dict[str, Any] = {n: a[i] for n, a in self.arrays().items()}
        return Tallies(**kw, agents_created=self.agents_created, leading=None)

    # ------------------------------------------------------------------ merge
    @classmethod
    def merge(cls, parts: list[Tallies[D]]) -> Tallies[D]:
        """The tallies of id-range shards of one run, added up (exact for counts)."""
        first = parts[0]
        kw: dict[str, Any] = {}
        for name, arr in first.arrays().items():
            total = arr.copy()
            for p in parts[1:]:
                total += getattr(p, name)
            kw[name] = total
        samples = [p.journeys for p in parts if p.journeys is not None]
        return cls(
            **kw,
            journeys=JourneySample.merge(samples) if samples else None,
            agents_created=sum(p.agents_created for p in parts),
            agent_steps=sum(p.agent_steps for p in parts),
            events=sum(p.events for p in parts),
        )


def stack(parts: list[Tallies[Any]], leading: str = "run") -> Tallies[Any]:
    """Stack runs (or parameter sets) on a new leading axis named ``leading``.

    Arrays absent from any member (``steps_in_system`` of expected values)
    are absent from the stack.
    """
    if not parts:
        raise ValueError("nothing to stack")
    names = [n for n in Tallies.array_fields() if all(getattr(p, n) is not None for p in parts)]
    kw: dict[str, Any] = {n: np.stack([getattr(p, n) for p in parts]) for n in names}
    return Tallies(**kw, leading=leading)


def axes_table(cls: type = Tallies) -> dict[str, tuple[str, ...]]:
    """Field name → axis names, read from the ``Annotated`` field types."""
    hints = get_type_hints(cls, include_extras=True)
    out: dict[str, tuple[str, ...]] = {}
    for f in dataclasses.fields(cls):
        meta = getattr(hints[f.name], "__metadata__", ())
        for m in meta:
            if isinstance(m, Axes):
                out[f.name] = m.names
    return out


def axes_of(name: str) -> tuple[str, ...]:
    """The axis names of tally field ``name``.

    Raises:
        KeyError: If ``name`` is not a tally array.
    """
    return axes_table()[name]


def axis_sizes(model: CompiledModel) -> dict[str, int]:
    """Length of every named axis for a compiled model."""
    S = model.n_states
    Y = len(model.years)
    return {
        "step": model.n_steps,
        "year": Y,
        "cohort": Y,
        "state": S,
        "from_state": S + 1,
        "to_state": S,
        "sex": 2,
        "flag": max(model.n_flags, 1),
        "wave": len(model.wave_ids),
        "reclassification": len(model.rc_ids),
        "consequence": len(model.consequence_ids),
        "rule": max(len(model.rule_labels), 1),
        "hazard": max(model.hazards.target.size, 1),
    }


COHORT_FIELDS = ("cohort_outcomes", "cohort_flows", "hazard_counts_cohort")
"""The tallies by entry cohort (optional in the expected-value mode)."""


def zeros(
    model: CompiledModel,
    dtype: type[D],
    *,
    cohorts: bool = True,
    track_time: bool = True,
    leading: int | None = None,
) -> Tallies[D]:
    """Empty tallies of the right shapes for ``model``.

    Args:
        model: The compiled model.
        dtype: ``np.int64`` (counts) or ``np.float64`` (expectations).
        cohorts: Whether the tallies by entry cohort are kept.
        track_time: Whether ``steps_in_system`` is kept.
        leading: The length of a leading stack axis (``"set"``); None for one run.
    """
    sizes = axis_sizes(model)
    lead = () if leading is None else (leading,)
    kw: dict[str, Any] = {}
    for name, axes in axes_table().items():
        if (name == "steps_in_system" and not track_time) or (
            name in COHORT_FIELDS and not cohorts
        ):
            kw[name] = None
            continue
        kind = np.int64 if name == "steps_in_system" else dtype
        kw[name] = np.zeros(lead + tuple(sizes[a] for a in axes), kind)
    return Tallies(**kw, leading=None if leading is None else "set")


__all__ = [
    "AGENT_COLUMNS",
    "COHORT_FIELDS",
    "EVENT_KINDS",
    "JOURNEY_COLUMNS",
    "SEX_NAMES",
    "Axes",
    "JourneySample",
    "Tallies",
    "axes_of",
    "axes_table",
    "axis_sizes",
    "stack",
    "zeros",
]
