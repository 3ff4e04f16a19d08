"""Unknowns: priors, their transforms, and how each moves the compiled arrays.

An unknown names a sourced object of the scenario (``crossings sources``
lists their paths). Setting it changes numbers of the scenario; compiling
twice (at two values) shows which entries of the compiled arrays move and by
how much. Calibration only accepts unknowns whose effect is linear in the
value (rates per year or per day, yearly tables, inflow sizes, detection
probabilities, shares that are not renormalised), and checks it with a third
compilation — so the fast path is the compiler's own arithmetic, not a copy.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from crossings.calibrate.params import Component
from crossings.compile.compiler import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.expected import VARYING, ExpectedModel, fixed_without_start
from crossings.scenario.errors import format_path
from crossings.scenario.paths import resolve_path
from crossings.scenario.schema import NumberMap, Param, Prior, Rate, Scenario, Unknown
from crossings.scenario.validate import walk_models

F64 = NDArray[np.float64]

FIXED_ARRAYS = ("dur_cdf", "combo_fixed", "combo_age_cdf", "household_cdf")
"""Compiled arrays no unknown may change (``combo_fixed`` without its start stock)."""
WHOLE_PEOPLE = ("initial",)
"""Varying arrays of whole people: a start stock is split over its entry combinations
by largest remainder, so it follows its number to within one person per combination
(and is scaled exactly in proportion in the expected-value mode)."""


class CalibrationError(ValueError):
    """A calibration set-up the method cannot handle (with a hint)."""


# ---------------------------------------------------------------- priors
def prior_support(p: Prior) -> tuple[float, float]:
    """The prior's support (low, high)."""
    if p.distribution in ("lognormal", "gamma"):
        return 0.0, math.inf
    if p.distribution == "beta":
        return 0.0, 1.0
    if p.distribution == "uniform":
        return float(p.low), float(p.high)  # type: ignore[arg-type]
    return -math.inf, math.inf


def to_z(p: Prior, theta: F64) -> F64:
    """Map values to the unconstrained scale the sampler works on."""
    lo, hi = prior_support(p)
    if p.distribution in ("lognormal", "gamma"):
        return np.log(theta)
    if p.distribution in ("beta", "uniform"):
        u = (theta - lo) / (hi - lo)
        return np.asarray(special.logit(np.clip(u, 1e-12, 1 - 1e-12)), np.float64)
    return np.asarray(theta, np.float64)


def from_z(p: Prior, z: F64) -> F64:
    """Inverse of :func:`to_z`."""
    lo, hi = prior_support(p)
    if p.distribution in ("lognormal", "gamma"):
        return np.exp(z)
    if p.distribution in ("beta", "uniform"):
        return np.asarray(lo + (hi - lo) * special.expit(z), np.float64)
    return np.asarray(z, np.float64)


def log_prior_z(p: Prior, z: F64) -> F64:
    """Log prior density on the unconstrained scale (with the Jacobian)."""
    th = from_z(p, z)
    if p.distribution == "lognormal":
        return np.asarray(stats.norm.logpdf(z, math.log(p.median), p.sigma), np.float64)  # type: ignore[arg-type]
    if p.distribution == "gamma":
        return np.asarray(stats.gamma.logpdf(th, p.shape, scale=p.scale) + z, np.float64)
    if p.distribution in ("beta", "uniform"):
        lo, hi = prior_support(p)
        u = (th - lo) / (hi - lo)
        jac = np.log(hi - lo) + np.log(np.clip(u * (1 - u), 1e-300, None))
        dens = (
            stats.beta.logpdf(u, p.a, p.b)
            if p.distribution == "beta"
            else np.full_like(u, -np.log(hi - lo))
        )
        return np.asarray(dens + jac, np.float64)
    return np.asarray(stats.norm.logpdf(z, p.mean, p.sd), np.float64)


def prior_quantiles(p: Prior, q: F64) -> F64:
    """Quantiles of the prior on the value scale."""
    if p.distribution == "lognormal":
        return np.asarray(stats.lognorm.ppf(q, p.sigma, scale=p.median), np.float64)
    if p.distribution == "gamma":
        return np.asarray(stats.gamma.ppf(q, p.shape, scale=p.scale), np.float64)
    if p.distribution == "beta":
        return np.asarray(stats.beta.ppf(q, p.a, p.b), np.float64)
    if p.distribution == "uniform":
        return np.asarray(stats.uniform.ppf(q, p.low, p.high - p.low), np.float64)  # type: ignore[operator]
    return np.asarray(stats.norm.ppf(q, p.mean, p.sd), np.float64)


def describe_prior(p: Prior) -> str:
    """A short text of a prior."""
    keys = {
        "lognormal": ("median", "sigma"),
        "uniform": ("low", "high"),
        "normal": ("mean", "sd"),
        "beta": ("a", "b"),
        "gamma": ("shape", "scale"),
    }[p.distribution]
    return p.distribution + "(" + ", ".join(f"{k}={getattr(p, k):g}" for k in keys) + ")"


# ---------------------------------------------------------------- scenario edits
def _find(sc: Scenario, path: str) -> object:
    canon = resolve_path(sc, path) or path
    for p, obj in walk_models(sc, ()):
        if format_path(p) == canon:
            return obj
    raise CalibrationError(f"no sourced parameter at {path!r} (see `crossings sources`)")


class InertUnknownError(CalibrationError):
    """An unknown that changes nothing in the compiled model.

    For example a factor on a rate that a variant sets to zero.

    Attributes:
        unknown_id: Its id.
    """

    def __init__(self, message: str, unknown_id: str) -> None:
        super().__init__(message)
        self.unknown_id = unknown_id


def applies(sc: Scenario, u: Unknown) -> bool:
    """Whether every path of an unknown names something in ``sc`` (a variant may remove it)."""
    return all(resolve_path(sc, p) is not None for p in (u.path, *u.also))


def _in_force(table: dict[int, float], year: int) -> float:
    """The value of a ``by_year`` table in force in ``year`` (the first one before it)."""
    years = sorted(table)
    value = table[years[0]]
    for y in years:
        if y <= year:
            value = table[y]
    return float(value)


def component_value(sc: Scenario, c: Component) -> float:
    """The scenario's own value of a component (1 for a ``scale`` unknown).

    Raises:
        CalibrationError: When the path holds no number of the right kind.
    """
    u = c.unknown
    if u.mode == "scale":
        return 1.0
    obj = _find(sc, u.path)
    if u.mode == "series":
        if not isinstance(obj, Rate) or obj.by_year is None:
            raise CalibrationError(
                f"unknown {u.id!r}: `mode: series` needs a `by_year` rate at {u.path!r}"
            )
        assert c.year is not None
        return _in_force(obj.by_year, c.year)
    if isinstance(obj, Param):
        return float(obj.value)
    if isinstance(obj, Rate):
        for name in ("per_year", "per_day"):
            v = getattr(obj, name)
            if v is not None:
                return float(v)
    if isinstance(obj, NumberMap) and len(obj.values) == 1:
        return float(next(iter(obj.values.values())))
    raise CalibrationError(
        f"unknown {u.id!r}: `mode: value` needs a single number at {u.path!r} "
        "(a Param, a per_year/per_day rate or a one-entry map); use `mode: scale`"
    )


def current_value(sc: Scenario, u: Unknown) -> float:
    """The scenario's own value of a single (not series) unknown."""
    return component_value(sc, Component(u.id, u))


def _touched_sections(sc: Scenario, comps: list[Component]) -> dict[str, str] | None:
    """The top-level sections the components' paths lie in: attribute name -> path key.

    ``None`` when a path's section cannot be told (then everything is copied).
    """
    keys = {(f.alias or name): name for name, f in type(sc).model_fields.items()}
    out: dict[str, str] = {}
    for c in comps:
        for path in (c.unknown.path, *c.unknown.also):
            first = path.split(".", 1)[0].split("[", 1)[0]
            if first not in keys:
                return None
            out[keys[first]] = first
    return out


def apply_components(sc: Scenario, comps: list[Component], values: F64) -> Scenario:
    """A copy of ``sc`` with each component set to its value.

    Only the sections the components write into are copied (the others are
    shared with ``sc``, which nothing here or in the compiler changes).
    """
    sections = _touched_sections(sc, comps)
    if sections is None:
        out = sc.model_copy(deep=True)
        index = {format_path(p): obj for p, obj in walk_models(out, ())}
    else:
        out = sc.model_copy(update={name: copy.deepcopy(getattr(sc, name)) for name in sections})
        index = {
            format_path(p): obj
            for name, key in sections.items()
            for p, obj in walk_models(getattr(out, name), (key,))
        }

    def find(path: str) -> object:
        obj = index.get(resolve_path(out, path) or path)
        if obj is None:
            raise CalibrationError(f"no sourced parameter at {path!r} (see `crossings sources`)")
        return obj

    series: dict[str, dict[int, float]] = {}
    for c, th in zip(comps, np.asarray(values, np.float64).tolist(), strict=True):
        u = c.unknown
        for path in (u.path, *u.also):
            if u.mode == "series":
                assert c.year is not None
                series.setdefault(path, {})[c.year] = th
                continue
            _apply_one(find(path), u, th, path)
    for path, years in series.items():
        obj = find(path)
        if not isinstance(obj, Rate) or obj.by_year is None:
            raise CalibrationError(f"`mode: series` needs a `by_year` rate at {path!r}")
        obj.by_year = dict(sorted({**obj.by_year, **years}.items()))
    return out


def apply_unknowns(sc: Scenario, unknowns: list[Unknown], theta: F64) -> Scenario:
    """A copy of ``sc`` with each single unknown set to ``theta[j]``."""
    return apply_components(sc, [Component(u.id, u) for u in unknowns], theta)


def _apply_one(obj: object, u: Unknown, th: float, path: str) -> None:
    if u.mode == "value":
        if isinstance(obj, Param):
            obj.value = th
        elif isinstance(obj, Rate):
            name = "per_year" if obj.per_year is not None else "per_day"
            setattr(obj, name, th)
        elif isinstance(obj, NumberMap):
            k = next(iter(obj.values))
            obj.values[k] = th
        return
    if isinstance(obj, Param):
        obj.value = obj.value * th
    elif isinstance(obj, NumberMap):
        obj.values = {k: v * th for k, v in obj.values.items()}
    elif isinstance(obj, Rate):
        if obj.per_year is not None:
            obj.per_year *= th
        elif obj.per_day is not None:
            obj.per_day *= th
        elif obj.by_year is not None:
            y0, y1 = u.years if u.years is not None else (-(10**9), 10**9)
            obj.by_year = {y: (v * th if y0 <= y <= y1 else v) for y, v in obj.by_year.items()}
        elif obj.schedule is not None:
            for step in obj.schedule:
                if u.years is None or u.years[0] <= step.from_.year <= u.years[1]:
                    step.per_year *= th
        else:
            raise CalibrationError(
                f"unknown {u.id!r}: {path!r} is written as mean_days or probability, "
                "which is not linear in a scale factor; write it as per_year to calibrate it"
            )
    else:
        raise CalibrationError(f"unknown {u.id!r}: {path!r} holds no number to scale")


# ---------------------------------------------------------------- linear effect
@dataclass
class Effect:
    """How one component moves the compiled arrays: ``entry = base + slope·(θ − θ0)``."""

    component: Component
    theta0: float
    entries: dict[str, tuple[NDArray[np.int64], F64, F64]] = field(default_factory=dict)


def _perturbed(
    sc: Scenario,
    comps: list[Component],
    vals0: F64,
    which: list[int],
    factor: float,
    base_model: CompiledModel,
) -> dict[str, F64]:
    """The varying compiled arrays with the components ``which`` moved by ``factor``."""
    vals = vals0.copy()
    for j in which:
        vals[j] = vals0[j] * factor if vals0[j] != 0 else 0.1
    m = compile_scenario(apply_components(sc, comps, vals))
    for name in FIXED_ARRAYS:
        got, want = getattr(m, name), getattr(base_model, name)
        if name == "combo_fixed":
            got, want = fixed_without_start(m), fixed_without_start(base_model)
        if not np.array_equal(got, want):
            raise CalibrationError(
                f"unknown {comps[which[0]].unknown.id!r} changes {name}, which calibration "
                "cannot vary (durations, fixed entries and age mixes are not supported as "
                "unknowns)"
            )
    return ExpectedModel.varying(m)


def linearise(sc: Scenario, comps: list[Component]) -> tuple[CompiledModel, list[Effect]]:
    """Compile the scenario and find each component's (checked) linear effect.

    The components of one unknown are moved together, coded by the bits of
    their index (compile ``b`` moves the components whose index + 1 has bit
    ``b`` set), so a series of ``n`` years costs ``log2(n + 1)`` compilations:
    an entry of the compiled arrays that changes is attributed to the
    component whose code its pattern of changes spells. One more compilation
    with every component moved at once (to other values) checks the result:
    each entry must follow the effects found — linear in its components'
    values, proportional ones multiplying — or the unknown is refused.

    Raises:
        CalibrationError: When a component moves arrays calibration cannot
            vary, moves nothing, or does not act linearly.
    """
    base_model = compile_scenario(sc)
    base = ExpectedModel.varying(base_model)
    vals0 = np.array([component_value(sc, c) for c in comps], np.float64)
    factor = 1.5
    effects: list[Effect | None] = [None] * len(comps)
    blocks: dict[str, list[int]] = {}
    for j, c in enumerate(comps):
        blocks.setdefault(c.unknown.id, []).append(j)
    for members in blocks.values():
        n_bits = max(1, len(members).bit_length())
        codes: dict[str, NDArray[np.int64]] = {}
        deltas: dict[str, F64] = {}
        for bit in range(n_bits):
            which = [j for k, j in enumerate(members) if (k + 1) >> bit & 1]
            arr = _perturbed(sc, comps, vals0, which, factor, base_model)
            for name in VARYING:
                d = (arr[name] - base[name]).ravel()
                ch = d != 0
                codes.setdefault(name, np.zeros(d.size, np.int64))
                deltas.setdefault(name, np.zeros(d.size))
                codes[name][ch] |= 1 << bit
                deltas[name][ch] = d[ch]  # the same change in every compile that moves it
        for k, j in enumerate(members):
            c = comps[j]
            eff = Effect(c, float(vals0[j]))
            step = (vals0[j] * (factor - 1.0)) if vals0[j] != 0 else 0.1
            for name in VARYING:
                idx = np.flatnonzero(codes[name] == k + 1)
                if idx.size:
                    eff.entries[name] = (
                        idx,
                        base[name].ravel()[idx].copy(),
                        deltas[name][idx] / step,
                    )
            if not eff.entries:
                where = f" in {c.year}" if c.year is not None else ""
                raise InertUnknownError(
                    f"unknown {c.name!r} changes nothing in the compiled model{where} "
                    f"(is {c.unknown.path!r} used, and within the years given?)",
                    c.unknown.id,
                )
            effects[j] = eff
    done = [e for e in effects if e is not None]
    _check_effects(sc, comps, vals0, base_model, done)
    return base_model, done


def _check_effects(
    sc: Scenario, comps: list[Component], vals0: F64, model: CompiledModel, effects: list[Effect]
) -> None:
    """Every component moved at once: the compiled arrays must follow the effects."""
    rng = np.random.default_rng(20250101)
    mult = rng.uniform(0.6, 1.6, len(comps))
    vals = np.where(vals0 != 0, vals0 * mult, 0.05 * mult)
    got = ExpectedModel.varying(compile_scenario(apply_components(sc, comps, vals)))
    pred = batch_arrays(model, effects, vals[None], clip=False)
    for name in VARYING:
        atol = 1.0 if name in WHOLE_PEOPLE else 1e-14
        if not np.allclose(pred[name][0], got[name], rtol=1e-8, atol=atol):
            bad = np.flatnonzero(~np.isclose(pred[name][0], got[name], rtol=1e-8, atol=atol))
            owners = sorted(
                {
                    e.component.unknown.id
                    for e in effects
                    if name in e.entries and np.isin(e.entries[name][0], bad).any()
                }
            )
            raise CalibrationError(
                f"unknowns {owners or '(several)'} do not act linearly (or independently) on "
                f"the compiled {name}: probability-within-days and mean-wait rates, or "
                "renormalised shares, are not linear; write the number as per_year or use "
                "another unknown"
            )


def batch_arrays(
    model: CompiledModel, effects: list[Effect], values: F64, *, clip: bool = True
) -> dict[str, F64]:
    """The varying arrays for each row of component ``values`` (P, C).

    An entry proportional to a component's value (zero when it is zero: a rate
    times a factor, a yearly value) is multiplied by ``value / value0``, so
    that several factors acting on one entry (a scale, a policy's factor)
    compose as products; other entries move additively.
    """
    P = values.shape[0]
    base = ExpectedModel.varying(model)
    out = {k: np.repeat(np.asarray(v, np.float64)[None], P, axis=0) for k, v in base.items()}
    for j, eff in enumerate(effects):
        for name, (idx, b, slope) in eff.entries.items():
            flat = out[name].reshape(P, -1)
            th = values[:, j][:, None]
            whole = name in WHOLE_PEOPLE  # rounded to people: proportional by construction
            if eff.theta0 != 0 and (
                whole or np.allclose(b, slope * eff.theta0, rtol=1e-9, atol=0.0)
            ):
                flat[:, idx] *= th / eff.theta0  # entries proportional to the number
            else:
                flat[:, idx] += slope[None] * (th - eff.theta0)
    if clip:
        for name in ("det_prob", "wave_share", "rc_share", "family_share"):
            np.clip(out[name], 0.0, 1.0, out=out[name])
        np.clip(out["rate"], 0.0, None, out=out["rate"])
        np.clip(out["combo_rate"], 0.0, None, out=out["combo_rate"])
        np.clip(out["initial"], 0.0, None, out=out["initial"])
    return out
