"""The compiled model: a scenario as flat numpy arrays.

Both the agent engine and the expected-value mode read only this object, so
they cannot drift apart. Time is in integer steps; hazards are per-step
rates, constant within *segments* (intervals between any two dates at which
some rate, policy or rule set changes).

Semantics (discrete time, exactly one transition per agent per step at most):
an agent entering state ``s`` at step ``t`` leaves at the first step
``u > t`` at which the cumulative hazard ``Σ_{v=t+1..u} H(v)`` reaches an
Exp(1) draw, i.e. with per-step probability ``1 − exp(−H)``; which hazard
fires is chosen in proportion to the hazards of that step. A state with a
duration ``D`` (whole steps ≥ 1) is left at ``t + D`` for ``then`` unless a
hazard fires first (a hazard wins a tie).

The fields are flat (the engines index them in tight loops) but grouped in
the order the compiler builds them, one group per scenario section (see
:mod:`crossings.compile.compiler`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

NEVER = np.iinfo(np.int32).max
"""Step value meaning "no event scheduled"."""

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class Targets:
    """Target distributions in CSR form: ``ptr[i]:ptr[i+1]`` indexes ``state``/``cum``."""

    ptr: I64
    state: I32
    cum: F64

    def n(self) -> int:
        """Number of distributions."""
        return len(self.ptr) - 1


@dataclass(frozen=True)
class HazardTable:
    """Competing hazard components (one target each) grouped by source state.

    Attributes:
        state: Source state of each component.
        target: Target state (≥ 0) or ``-(1 + flag)`` for a flag acquisition.
        rate: Per-step hazard by segment, shape (segments, components).
        mult_sex: Multiplier by sex (female = 0, male = 1), shape (H, 2).
        mult_age: Multiplier by age band, shape (H, A).
        mult_origin: Multiplier by origin, shape (H, O).
        mult_flag: Multiplier applied when a flag is set, shape (H, F).
        flag_mask: Bit mask of flags with a multiplier ≠ 1, per component.
        set_flags: Bit mask of flags set on everyone taking the component.
        ptr: CSR pointer: components of state s are ``ptr[s]:ptr[s+1]``.
        label: Readable name of each component (``from → to (id)``).
        names: The hazard id and tags of each component (what policies scale).
        ids: The hazard id of each component (``from→to`` when unnamed).
    """

    state: I32
    target: I32
    rate: F64
    mult_sex: F64
    mult_age: F64
    mult_origin: F64
    mult_flag: F64
    flag_mask: NDArray[np.uint32]
    set_flags: NDArray[np.uint32]
    ptr: I64
    label: tuple[str, ...]
    names: tuple[tuple[str, ...], ...]
    ids: tuple[str, ...]


@dataclass(frozen=True)
class CompiledModel:
    """Everything the engines need, as arrays. Built by :func:`compile_scenario`.

    Attributes:
        name: Scenario name.
        sha256: Hash of the effective scenario data.
        seed: Default random seed.
        start: First simulated day.
        end: Last simulated day.
        step_days: Days per step.
        n_steps: Number of steps.
        step_year: Calendar year of each step, shape (n_steps,).
        years: The calendar years of the span.
        place_ids: Place ids, in the order of the scenario.
        state_ids: Every state of every section (states, routes, detention,
            sentences, delegations, then the classification node).
        state_names: Readable name of each state.
        state_kinds: Kind of each state (``detained``, ``sentence``, ...).
        state_section: Scenario section that defines each state.
        state_place: Place index of each state (-1 if none).
        state_stories: The ``story`` of each state (a present-tense verb
            phrase for journeys; ``""`` when none is written).
        state_sentence_kind: Sentence kind of each sentence state
            (``political_camp``, ...), ``""`` for other states.
        classify_node: Index of the classification node (-1 if none).
        population_ids: Declared populations (top-level and sub-populations,
            in the order written), or the one implicit ``everyone``.
        population_names: Readable name of each population.
        population_descriptions: Description of each population (``""`` if none).
        population_headline: Whether each population is the headline one.
        population_context: Whether each population is context (shown apart,
            never added into headline totals).
        population_parent: Index of the parent of a sub-population (-1 for a
            top-level population).
        population_member: Whether each state belongs to each population,
            shape (P, S); the top-level rows partition the states.
        state_population: Index of the top-level population of each state.
        seg_start: First step of each segment.
        step_seg: Segment of each step.
        hazards: The competing hazards.
        dur_ptr: CSR pointer into ``dur_cdf`` per state (empty: no duration).
        dur_cdf: Concatenated duration CDFs over whole steps.
        then: Where each state's duration ends (one distribution per state).
        flag_ids: Flag ids (bit ``i`` of a person's flags is flag ``i``).
        flag_names: Readable name of each flag.
        set_on_enter: Flags set on entering each state (bit mask per state).
        age_ids: Age bands.
        origin_ids: Origins (places named as inflow origins or delegation places).
        combo_inflow: Inflow (or delegation) id of each entry combination.
        combo_sex: Sex of each combination (0 female, 1 male).
        combo_origin: Origin index of each combination.
        combo_state: Entry state of each combination.
        combo_age_cdf: Age-band CDF of each combination, shape (K, A).
        combo_rate: Expected entries per step, shape (n_steps, K).
        combo_fixed: Fixed entry counts per step (delegations, initial
            stocks), shape (n_steps, K).
        combo_initial: Of which present at the start (first ids of step 0), (K,).
        wave_ids: Id of each wave (one per queue and wave; a wave id shared
            by several queues appears once per queue).
        wave_step: Step of each wave.
        wave_state: Queue each wave empties.
        wave_share: Probability that each member of the queue goes.
        wave_active: False for a wave skipped because its border is closed.
        wave_targets: Where each wave sends people.
        det_prob: Probability that interrogation detects each flag, (segments, F).
        seg_ruleset: Rule set in force in each segment.
        ruleset_ids: Rule set ids.
        rule_ruleset: Rule set of each rule.
        rule_any: Flags of which any detected makes the rule match (bit mask).
        rule_all: Flags all of which must be detected (bit mask).
        rule_none: Flags none of which may be detected (bit mask).
        rule_sex: Sex a rule applies to (-1 for both).
        rule_default: Whether each rule is its rule set's default.
        rule_targets: Sentence distribution of each rule.
        rule_labels: Readable name of each rule (``ruleset: rule``).
        rc_ids: Reclassification ids.
        rc_step: Step of each reclassification.
        rc_milestone: Row of ``milestone_member`` whose entry each selects on.
        rc_from: First step of each cohort window.
        rc_to: Last step of each cohort window.
        rc_eligible: States each may move people from, shape (R, S).
        rc_share: Share of the selected cohort each moves.
        rc_targets: Where each moves people.
        milestone_member: States whose last entry step is recorded, one row
            per distinct cohort selection, shape (M, S).
        household_cdf: ``P(size ≤ k)`` for household sizes k = 1..K.
        consequence_ids: Family consequence ids.
        family_share: Share of family members affected per state entered
            and consequence, shape (S, C).
        policy_spans: Per policy: id, name, first step, step after the last.
        journey_sample: Number of individual histories to keep.
    """

    # ---- time
    name: str
    sha256: str
    seed: int
    start: dt.date
    end: dt.date
    step_days: int
    n_steps: int
    step_year: I32
    years: tuple[int, ...]

    # ---- places and states
    place_ids: tuple[str, ...]
    state_ids: tuple[str, ...]
    state_names: tuple[str, ...]
    state_kinds: tuple[str, ...]
    state_section: tuple[str, ...]
    state_place: I32
    state_stories: tuple[str, ...]
    classify_node: int

    # ---- sentences
    state_sentence_kind: tuple[str, ...]

    # ---- populations
    population_ids: tuple[str, ...]
    population_names: tuple[str, ...]
    population_descriptions: tuple[str, ...]
    population_headline: B
    population_context: B
    population_parent: I32
    population_member: B
    state_population: I32

    # ---- segments and hazards
    seg_start: I32
    step_seg: I32
    hazards: HazardTable

    # ---- durations
    dur_ptr: I64
    dur_cdf: F64
    then: Targets

    # ---- flags, ages, origins
    flag_ids: tuple[str, ...]
    flag_names: tuple[str, ...]
    set_on_enter: NDArray[np.uint32]
    age_ids: tuple[str, ...]
    origin_ids: tuple[str, ...]

    # ---- entries (inflows and delegations)
    combo_inflow: tuple[str, ...]
    combo_sex: NDArray[np.int8]
    combo_origin: NDArray[np.int8]
    combo_state: I32
    combo_age_cdf: F64
    combo_rate: F64
    combo_fixed: I64
    combo_initial: I64

    # ---- detention waves
    wave_ids: tuple[str, ...]
    wave_step: I32
    wave_state: I32
    wave_share: F64
    wave_active: B
    wave_targets: Targets

    # ---- classification
    det_prob: F64
    seg_ruleset: I32
    ruleset_ids: tuple[str, ...]
    rule_ruleset: I32
    rule_any: NDArray[np.uint32]
    rule_all: NDArray[np.uint32]
    rule_none: NDArray[np.uint32]
    rule_sex: NDArray[np.int8]
    rule_default: B
    rule_targets: Targets
    rule_labels: tuple[str, ...]

    # ---- reclassifications and milestones
    rc_ids: tuple[str, ...]
    rc_step: I32
    rc_milestone: I32
    rc_from: I32
    rc_to: I32
    rc_eligible: B
    rc_share: F64
    rc_targets: Targets
    milestone_member: B

    # ---- families
    household_cdf: F64
    consequence_ids: tuple[str, ...]
    family_share: F64

    # ---- policies (for reports)
    policy_spans: tuple[tuple[str, str, int, int], ...]

    journey_sample: int

    @property
    def n_states(self) -> int:
        """Number of states."""
        return len(self.state_ids)

    @property
    def n_flags(self) -> int:
        """Number of flags."""
        return len(self.flag_ids)

    @property
    def headline_population(self) -> int:
        """Index of the headline population."""
        return int(np.flatnonzero(self.population_headline)[0])

    @property
    def extras(self) -> Mapping[str, object]:
        """Deprecated: ``milestone_member`` under its old untyped name.

        Kept only until ``engine/core.py`` and ``expected/__init__.py`` read
        :attr:`milestone_member`; remove it then.
        """
        return {"milestone_member": self.milestone_member}

    def step_date(self, step: int) -> dt.date:
        """Calendar date on which a step begins."""
        return self.start + dt.timedelta(days=int(step) * self.step_days)

    def date_step(self, d: dt.date) -> int:
        """The step containing date ``d``."""
        return (d - self.start).days // self.step_days

    def state_index(self, sid: str) -> int:
        """Index of a state id.

        Raises:
            KeyError: For an unknown id.
        """
        try:
            return self.state_ids.index(sid)
        except ValueError:
            raise KeyError(sid) from None

    def population_index(self, pid: str) -> int:
        """Index of a population id.

        Raises:
            KeyError: For an unknown id.
        """
        try:
            return self.population_ids.index(pid)
        except ValueError:
            raise KeyError(pid) from None

    def population_states(self, pid: str) -> tuple[int, ...]:
        """Indices of the states of a population (top-level or sub-population).

        Raises:
            KeyError: For an unknown id.
        """
        row = self.population_member[self.population_index(pid)]
        return tuple(int(s) for s in np.flatnonzero(row))

    def wave_indices(self, wave_id: str) -> tuple[int, ...]:
        """Every compiled wave with this id (one per queue the wave empties)."""
        return tuple(i for i, w in enumerate(self.wave_ids) if w == wave_id)
