"""Built-in scenarios for the web app: load one with a request's changes, describe one.

Only built-in names are ever loaded (never a path), and the overrides have
already been checked by the request models (:mod:`crossings.web.overrides`):
no request makes the server read a file it names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from crossings.scenario.errors import Issue, Location, ScenarioError, did_you_mean
from crossings.scenario.load import LoadedScenario, builtin_names, load_scenario
from crossings.scenario.provenance import parameter_table
from crossings.scenario.schema import Param
from crossings.web.models import ScenarioSummary, ValidateRequest
from crossings.web.overrides import overrides_problem

log = logging.getLogger("crossings.web")


def override_strings(overrides: Mapping[str, Any]) -> list[str]:
    """``{path: value}`` as ``path=value`` strings for :func:`load_scenario`."""
    out = []
    for k, v in overrides.items():
        text = ("true" if v else "false") if isinstance(v, bool) else str(v)
        out.append(f"{k}={text}")
    return out


def unknown_scenario(name: str) -> ScenarioError:
    """The error for a scenario name that is not built in (with a did-you-mean)."""
    names = builtin_names()
    return ScenarioError(
        [
            Issue(
                f"unknown scenario '{name[:100]}'",
                ("scenario",),
                Location("request"),
                expected="one of: " + ", ".join(names),
                found=repr(name[:100]),
                hint=did_you_mean(name, names),
            )
        ]
    )


def refused_overrides(overrides: Mapping[str, Any]) -> ScenarioError | None:
    """The error for overrides that name a file (e.g. from an old saved variant), or None."""
    problem = overrides_problem(overrides)
    if problem is None:
        return None
    return ScenarioError(
        [
            Issue(
                problem,
                ("overrides",),
                Location("request"),
                expected="a value to change (a number, a date, a word)",
                hint="files cannot be changed from the web app; edit the scenario file instead",
            )
        ]
    )


def load_request(req: ValidateRequest) -> LoadedScenario:
    """Load a built-in scenario with the request's variant and overrides.

    Only built-in names are accepted (never a path); overrides that name a
    file are refused before anything is read.

    Raises:
        ScenarioError: If the scenario, variant or an override is invalid.
    """
    if req.scenario not in builtin_names():
        raise unknown_scenario(req.scenario)
    refused = refused_overrides(req.overrides)
    if refused is not None:
        raise refused
    try:
        return load_scenario(
            req.scenario, overrides=override_strings(req.overrides), variant=req.variant
        )
    except ScenarioError:
        raise
    except Exception as exc:  # a malformed override the loader did not foresee
        log.warning("overrides could not be applied: %r", exc)
        raise ScenarioError(
            [
                Issue(
                    "the overrides could not be applied",
                    ("overrides",),
                    Location("request"),
                    found=f"{type(exc).__name__}",
                    hint="check each path=value pair",
                )
            ]
        ) from None


def _summary(name: str, loaded: LoadedScenario) -> dict[str, Any]:
    sc = loaded.scenario
    return {
        "name": name,
        "title": sc.title,
        "start": sc.time.start.isoformat(),
        "end": sc.time.end.isoformat(),
        "step_days": sc.time.step,
        "variants": [{"name": k, "description": v.description} for k, v in sc.variants.items()],
    }


def summary_of(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`ScenarioSummary` fields of a scenario's detail."""
    keys = ScenarioSummary.model_fields
    return {k: v for k, v in detail.items() if k in keys}


def scenario_detail(name: str) -> dict[str, Any]:
    """Policies and sourced parameters of a built-in scenario, as JSON-ready data."""
    loaded = load_scenario(name)
    sc = loaded.scenario
    policies = []
    for i, p in enumerate(sc.policies):
        effects = []
        for j, e in enumerate(p.effects):
            kind = next(
                k
                for k in ("scale", "close_border", "close_route", "ruleset")
                if getattr(e, k) is not None
            )
            target = e.scale if e.scale is not None else [str(getattr(e, kind))]
            factor = None
            if e.factor is not None:
                factor = {
                    "value": float(e.factor.value),
                    "path": f"policies.{p.id}.effects.{j}.factor.value",
                    "sources": list(e.factor.sources or []),
                    "assumption": e.factor.assumption,
                    "note": e.factor.note,
                }
            effects.append({"kind": kind, "target": list(target), "factor": factor})
        policies.append(
            {
                "id": p.id,
                "index": i,
                "name": p.name,
                "from": p.from_.isoformat(),
                "to": p.to.isoformat() if p.to else None,
                "sources": list(p.sources or []),
                "assumption": p.assumption,
                "note": p.note,
                "effects": effects,
            }
        )
    params = []
    for row in parameter_table(sc):
        number = None
        if row.kind == Param.__name__:
            try:
                number = float(row.value)
            except ValueError:
                number = None
        params.append(
            {
                "path": row.path,
                "label": row.label,
                "kind": row.kind,
                "value": row.value,
                "number": number,
                "sources": list(row.sources),
                "assumption": row.assumption,
                "note": row.note,
            }
        )
    return {
        **_summary(name, loaded),
        "description": sc.description,
        "policies": policies,
        "parameters": params,
        "citations": {k: s.citation for k, s in sc.sources.items()},
    }
