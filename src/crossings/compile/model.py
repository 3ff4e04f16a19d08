"""The compiled model: a scenario as flat numpy arrays.

Both the agent engine and (later) the expected-value mode read only this
object, so they cannot drift apart. Time is in integer steps; hazards are
per-step rates, constant within *segments* (intervals between any two dates
at which some rate, policy or rule set changes).

Semantics (discrete time, exactly one transition per agent per step at most):
an agent entering state ``s`` at step ``t`` leaves at the first step
``u > t`` at which the cumulative hazard ``Σ_{v=t+1..u} H(v)`` reaches an
Exp(1) draw, i.e. with per-step probability ``1 − exp(−H)``; which hazard
fires is chosen in proportion to the hazards of that step. A state with a
duration ``D`` (whole steps ≥ 1) is left at ``t + D`` for ``then`` unless a
hazard fires first (a hazard wins a tie).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

NEVER = np.iinfo(np.int32).max
"""Step value meaning "no event scheduled"."""

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


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
        label: Readable name of each component.
        names: The hazard id and tags of each component.
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
    names: tuple[tuple[str, ...], ...] = ()  # id and tags of each component (for reports)
    ids: tuple[str, ...] = ()  # the hazard id (or "from→to") of each component


@dataclass(frozen=True)
class CompiledModel:
    """Everything the engines need, as arrays. Built by :func:`compile_scenario`."""

    name: str
    sha256: str
    seed: int
    start: dt.date
    end: dt.date
    step_days: int
    n_steps: int
    step_year: I32
    years: tuple[int, ...]

    place_ids: tuple[str, ...]
    place_names: tuple[str, ...]
    place_kinds: tuple[str, ...]
    place_lat: F64
    place_lon: F64

    state_ids: tuple[str, ...]
    state_names: tuple[str, ...]
    state_kinds: tuple[str, ...]
    state_section: tuple[str, ...]
    state_place: I32
    terminal: NDArray[np.bool_]
    classify_node: int

    seg_start: I32
    step_seg: I32
    hazards: HazardTable

    dur_ptr: I64
    dur_cdf: F64
    then: Targets  # one distribution per state (empty if none)

    flag_ids: tuple[str, ...]
    flag_names: tuple[str, ...]
    set_on_enter: NDArray[np.uint32]

    sex_ids: tuple[str, str]
    age_ids: tuple[str, ...]
    origin_ids: tuple[str, ...]

    # entries
    combo_inflow: tuple[str, ...]
    combo_sex: NDArray[np.int8]
    combo_origin: NDArray[np.int8]
    combo_state: I32
    combo_age_cdf: F64  # (K, A)
    combo_rate: F64  # expected entries per step, shape (n_steps, K)
    combo_fixed: I64  # fixed entry counts per step (delegations, initial), shape (n_steps, K)
    combo_initial: I64  # of which present at the start (first ids of step 0), shape (K,)

    # classification
    det_prob: F64  # (segments, F)
    seg_ruleset: I32
    ruleset_ids: tuple[str, ...]
    rule_ruleset: I32
    rule_any: NDArray[np.uint32]
    rule_all: NDArray[np.uint32]
    rule_none: NDArray[np.uint32]
    rule_sex: NDArray[np.int8]
    rule_default: NDArray[np.bool_]
    rule_targets: Targets
    rule_labels: tuple[str, ...]

    # waves
    wave_ids: tuple[str, ...]
    wave_step: I32
    wave_state: I32
    wave_share: F64
    wave_active: NDArray[np.bool_]
    wave_targets: Targets

    # reclassifications
    rc_ids: tuple[str, ...]
    rc_step: I32
    rc_milestone: I32  # column in the milestone table
    rc_from: I32
    rc_to: I32
    rc_eligible: NDArray[np.bool_]  # (R, S)
    rc_share: F64
    rc_targets: Targets
    milestone_states: I32  # (M,) states whose last entry step is recorded
    state_milestone: I32  # (S,) column or -1

    # families
    household_cdf: F64  # P(size <= k) for k = 1..K
    consequence_ids: tuple[str, ...]
    family_share: F64  # (S, C)

    # policies (for reports)
    policy_spans: tuple[tuple[str, str, int, int], ...]

    journey_sample: int
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def n_states(self) -> int:
        """Number of states."""
        return len(self.state_ids)

    @property
    def n_flags(self) -> int:
        """Number of flags."""
        return len(self.flag_ids)

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
