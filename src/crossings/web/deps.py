"""Dependencies of the routers: the app's state (on ``request.app.state``) and lookups.

Nothing here is global: the run store, the saved variants, the templates and
the caches live on the application, created by :func:`crossings.web.app.create_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from crossings.scenario.load import builtin_names
from crossings.web.calibrations import CalibrationRegistry
from crossings.web.loading import scenario_detail
from crossings.web.models import ErrorOut
from crossings.web.results import RunResults
from crossings.web.store import RUN_ID_RE, RunStore
from crossings.web.variants import VARIANT_NAME_RE, VariantStore

Responses = dict[int | str, dict[str, Any]]

INVALID: Responses = {422: {"model": ErrorOut, "description": "invalid request or scenario"}}
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "unknown run id"}}
NOT_DONE: Responses = {
    **NOT_FOUND,
    409: {
        "model": ErrorOut,
        "description": "the run has not finished, or one of its results files is damaged",
    },
}


def get_store(request: Request) -> RunStore:
    """The app's runs."""
    store: RunStore = request.app.state.store
    return store


def get_variants(request: Request) -> VariantStore:
    """The app's saved variants."""
    variants: VariantStore = request.app.state.variants
    return variants


def get_results(request: Request) -> RunResults:
    """The app's finished runs opened as the report reads them (a few cached)."""
    results: RunResults = request.app.state.results
    return results


def get_templates(request: Request) -> Jinja2Templates:
    """The app's page templates."""
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_calibrations(request: Request) -> CalibrationRegistry:
    """The calibrations the app was started with."""
    calibrations: CalibrationRegistry = request.app.state.calibrations
    return calibrations


Store = Annotated[RunStore, Depends(get_store)]
Calibrations = Annotated[CalibrationRegistry, Depends(get_calibrations)]
Variants = Annotated[VariantStore, Depends(get_variants)]
Templates = Annotated[Jinja2Templates, Depends(get_templates)]
Results = Annotated[RunResults, Depends(get_results)]


def builtin_or_404(scenario: str) -> None:
    """Raise 404 unless ``scenario`` is a built-in name."""
    if scenario not in builtin_names():
        raise HTTPException(
            404,
            detail=f"unknown scenario '{scenario[:100]}'; built-in: " + ", ".join(builtin_names()),
        )


def cached_detail(request: Request, name: str) -> dict[str, Any]:
    """A built-in scenario's detail, computed once per app.

    Raises:
        HTTPException: 404 for a name that is not built in.
    """
    builtin_or_404(name)
    cache: dict[str, dict[str, Any]] = request.app.state.scenarios
    if name not in cache:
        cache[name] = scenario_detail(name)
    return cache[name]


def variant_or_404(variants: VariantStore, scenario: str, name: str) -> dict[str, Any]:
    """A saved variant, or 404 (the names are never echoed unless well formed)."""
    builtin_or_404(scenario)
    found = variants.get(scenario, name) if VARIANT_NAME_RE.fullmatch(name) else None
    if found is None:
        shown = name if VARIANT_NAME_RE.fullmatch(name) else "(malformed name)"
        raise HTTPException(404, detail=f"unknown saved variant {shown} of '{scenario}'")
    return found


def status_or_404(store: RunStore, run_id: str) -> dict[str, Any]:
    """A run's status, or 404."""
    status = store.status(run_id)
    if status is None:
        shown = run_id if RUN_ID_RE.fullmatch(run_id) else "(malformed id)"
        raise HTTPException(404, detail=f"unknown run id {shown}: no such run")
    return status


def finished(store: RunStore, run_id: str) -> Path:
    """The folder of a finished run; 404 if unknown, 409 if not done (or damaged)."""
    status = status_or_404(store, run_id)
    if status["state"] != "done":
        why = f": {status['error']}" if status.get("error") and status["state"] == "failed" else ""
        raise HTTPException(409, detail=f"run {run_id} is {status['state']}, not finished{why}")
    d = store.run_dir(run_id)
    if d is None:  # pragma: no cover - done runs always have a folder
        raise HTTPException(404, detail=f"unknown run id {run_id}: no results")
    return d
