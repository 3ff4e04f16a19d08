"""``/api/calibrations``: the calibrations runs may draw their parameters from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from crossings.compile.compiler import compile_scenario
from crossings.results.bundle import ScenarioInfo
from crossings.results.describe import describe
from crossings.scenario.load import load_scenario
from crossings.web.calibrations import detail
from crossings.web.deps import INVALID, Calibrations
from crossings.web.models import CalibrationDetailOut, CalibrationOut, ErrorOut
from crossings.web.strictjson import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, tags=["calibrations"], responses=INVALID)


@router.get("/api/calibrations", response_model=list[CalibrationOut])
def list_calibrations(
    calibrations: Calibrations,
    scenario: str | None = Query(None, max_length=100, description="only those of this scenario"),
) -> list[dict[str, Any]]:
    """The calibrations the server was started with (``crossings serve --calibration DIR``)."""
    cals = calibrations.all() if scenario is None else calibrations.for_scenario(scenario)
    return [c.public() for c in cals]


def _info(request: Request, scenario: str) -> ScenarioInfo:
    """The description of a calibrated scenario (names of estimates and series), cached."""
    cache: dict[str, ScenarioInfo] = request.app.state.calibration_infos
    if scenario not in cache:
        loaded = load_scenario(scenario)
        cache[scenario] = describe(loaded, compile_scenario(loaded.scenario, sha256=loaded.sha256))
    return cache[scenario]


@router.get(
    "/api/calibrations/{name}",
    response_model=CalibrationDetailOut,
    responses={404: {"model": ErrorOut, "description": "unknown calibration"}},
)
def get_calibration(name: str, request: Request, calibrations: Calibrations) -> dict[str, Any]:
    """What a calibration says: its estimates, held-back checks and identifiability.

    Estimates are model results, not counts, each with what the data can tell
    of it; the reported figures kept out of the fit come with their verdicts.
    """
    cal = calibrations.get(name)
    if cal is None:
        known = ", ".join(calibrations.names()) or "none (start the server with --calibration DIR)"
        raise HTTPException(404, detail=f"unknown calibration '{name[:80]}'; known: {known}")
    return detail(cal, _info(request, cal.scenario))
