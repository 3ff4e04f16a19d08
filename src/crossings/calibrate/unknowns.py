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

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from crossings.calibrate.params import Component
from crossings.compile.compiler import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.expected import VARYING
from crossings.scenario.errors import format_path
from crossings.scenario.schema import NumberMap, Param, Prior, Rate, Scenario, Unknown
from crossings.scenario.validate import walk_models

F64 = NDArray[np.float64]

FIXED_ARRAYS = ("dur_cdf", "combo_fixed", "combo_initial", "combo_age_cdf", "household_cdf")


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
    for p, obj in walk_models(sc, ()):
        if format_path(p) == path:
            return obj
    raise CalibrationError(f"no sourced parameter at {path!r} (see `crossings sources`)")


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


def apply_components(sc: Scenario, comps: list[Component], values: F64) -> Scenario:
    """A copy of ``sc`` with each component set to its value."""
    out = sc.model_copy(deep=True)
    series: dict[str, dict[int, float]] = {}
    for c, th in zip(comps, np.asarray(values, np.float64).tolist(), strict=True):
        u = c.unknown
        if u.mode == "series":
            assert c.year is not None
            series.setdefault(u.path, {})[c.year] = th
            continue
        _apply_one(out, u, th)
    for path, years in series.items():
        obj = _find(out, path)
        if not isinstance(obj, Rate) or obj.by_year is None:
            raise CalibrationError(f"`mode: series` needs a `by_year` rate at {path!r}")
        obj.by_year = dict(sorted({**obj.by_year, **years}.items()))
    return out


def apply_unknowns(sc: Scenario, unknowns: list[Unknown], theta: F64) -> Scenario:
    """A copy of ``sc`` with each single unknown set to ``theta[j]``."""
    return apply_components(sc, [Component(u.id, u) for u in unknowns], theta)


def _apply_one(out: Scenario, u: Unknown, th: float) -> None:
    obj = _find(out, u.path)
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
                f"unknown {u.id!r}: {u.path!r} is written as mean_days or probability, "
                "which is not linear in a scale factor; write it as per_year to calibrate it"
            )
    else:
        raise CalibrationError(f"unknown {u.id!r}: {u.path!r} holds no number to scale")


# ---------------------------------------------------------------- linear effect
@dataclass
class Effect:
    """How one component moves the compiled arrays: ``entry = base + slope·(θ − θ0)``."""

    component: Component
    theta0: float
    entries: dict[str, tuple[NDArray[np.int64], F64, F64]] = field(default_factory=dict)


def _arrays(m: CompiledModel) -> dict[str, F64]:
    return {
        "rate": m.hazards.rate,
        "combo_rate": m.combo_rate,
        "det_prob": m.det_prob,
        "wave_share": m.wave_share,
        "rc_share": m.rc_share,
        "family_share": m.family_share,
    }


def linearise(sc: Scenario, comps: list[Component]) -> tuple[CompiledModel, list[Effect]]:
    """Compile the scenario and find each component's (checked) linear effect.

    Each component is moved alone (to 1.5× and 0.5× its value) and the
    compiled arrays compared: the change must be linear in the value and
    confined to arrays the expected-value mode can vary.

    Raises:
        CalibrationError: When a component moves arrays calibration cannot
            vary, moves nothing, or does not act linearly.
    """
    base_model = compile_scenario(sc)
    base = _arrays(base_model)
    vals0 = np.array([component_value(sc, c) for c in comps])
    effects = []
    for j, c in enumerate(comps):
        u = c.unknown
        th0 = float(vals0[j])
        th1 = th0 * 1.5 if th0 != 0 else 0.1
        th2 = th0 * 0.5 if th0 != 0 else 0.05
        vals = vals0.copy()
        vals[j] = th1
        m1 = compile_scenario(apply_components(sc, comps, vals))
        for name in FIXED_ARRAYS:
            if not np.array_equal(getattr(m1, name), getattr(base_model, name)):
                raise CalibrationError(
                    f"unknown {u.id!r} changes {name}, which calibration cannot vary "
                    "(durations, fixed entries and age mixes are not supported as unknowns)"
                )
        eff = Effect(c, th0)
        a1 = _arrays(m1)
        for name in VARYING:
            d = (a1[name] - base[name]).ravel()
            idx = np.flatnonzero(d != 0)
            if idx.size:
                eff.entries[name] = (idx, base[name].ravel()[idx].copy(), d[idx] / (th1 - th0))
        if not eff.entries:
            where = f" in {c.year}" if c.year is not None else ""
            raise CalibrationError(
                f"unknown {c.name!r} changes nothing in the compiled model{where} "
                f"(is {u.path!r} used, and within the years given?)"
            )
        vals[j] = th2
        a2 = _arrays(compile_scenario(apply_components(sc, comps, vals)))
        for name, (idx, b, slope) in eff.entries.items():
            pred = b + slope * (th2 - th0)
            got = a2[name].ravel()[idx]
            if not np.allclose(got, pred, rtol=1e-9, atol=1e-15):
                raise CalibrationError(
                    f"unknown {u.id!r} does not act linearly on the compiled {name} "
                    "(probability-within-days and mean-wait rates, or renormalised shares, "
                    "are not linear); write the number as per_year or use another unknown"
                )
        effects.append(eff)
    return base_model, effects


def batch_arrays(model: CompiledModel, effects: list[Effect], values: F64) -> dict[str, F64]:
    """The varying arrays for each row of component ``values`` (P, C)."""
    P = values.shape[0]
    base = _arrays(model)
    out = {k: np.repeat(np.asarray(v, np.float64)[None], P, axis=0) for k, v in base.items()}
    for j, eff in enumerate(effects):
        for name, (idx, b, slope) in eff.entries.items():
            flat = out[name].reshape(P, -1)
            th = values[:, j][:, None]
            if (
                eff.component.unknown.mode == "scale"
                and eff.theta0 != 0
                and np.allclose(b, slope * eff.theta0, rtol=1e-9)
            ):
                flat[:, idx] *= th / eff.theta0  # entries proportional to the number
            else:
                flat[:, idx] += slope[None] * (th - eff.theta0)
    for name in ("det_prob", "wave_share", "rc_share", "family_share"):
        np.clip(out[name], 0.0, 1.0, out=out[name])
    np.clip(out["rate"], 0.0, None, out=out["rate"])
    np.clip(out["combo_rate"], 0.0, None, out=out["combo_rate"])
    return out
