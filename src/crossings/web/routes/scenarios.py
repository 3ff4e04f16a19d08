"""``/api/scenarios`` and ``/api/validate``: the built-in scenarios, and checking changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from crossings.scenario.errors import ScenarioError
from crossings.scenario.load import builtin_names
from crossings.web.deps import INVALID, cached_detail
from crossings.web.loading import load_request, summary_of
from crossings.web.models import (
    ErrorOut,
    ScenarioDetail,
    ScenarioSummary,
    ValidateRequest,
    ValidateResponse,
)
from crossings.web.strictjson import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, tags=["scenarios"], responses=INVALID)


@router.get("/api/scenarios", response_model=list[ScenarioSummary])
def list_scenarios(request: Request) -> list[dict[str, Any]]:
    """The built-in scenarios with title, span and variants."""
    return [summary_of(cached_detail(request, n)) for n in builtin_names()]


@router.get(
    "/api/scenarios/{name}", response_model=ScenarioDetail, responses={404: {"model": ErrorOut}}
)
def get_scenario(name: str, request: Request) -> dict[str, Any]:
    """Policy timeline and sourced parameters of a built-in scenario."""
    return cached_detail(request, name)


@router.post("/api/validate", response_model=ValidateResponse)
def validate(req: ValidateRequest) -> dict[str, Any]:
    """Check a scenario with overrides; problems come back as issues (status 200).

    An override that names a file (a path ending in ``file`` or ``extends``)
    is refused with 422 before anything is loaded.
    """
    try:
        loaded = load_request(req)
    except ScenarioError as exc:
        return {"valid": False, "issues": [i.to_dict() for i in exc.issues]}
    return {"valid": True, "issues": [w.to_dict() for w in loaded.warnings]}
