"""``/api/runs``: start a run, follow or cancel it, read its results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from crossings.results import views
from crossings.scenario.errors import Issue, Location, ScenarioError
from crossings.scenario.load import builtin_names
from crossings.web import data
from crossings.web import results as run_views
from crossings.web.deps import (
    INVALID,
    NOT_DONE,
    NOT_FOUND,
    Calibrations,
    Results,
    Store,
    Variants,
    finished,
)
from crossings.web.deps import status_or_404 as _status_or_404
from crossings.web.loading import load_request, unknown_scenario
from crossings.web.models import (
    MAX_AGENT_RUNS,
    MAX_EXPECTED_DRAWS,
    ArrivalsOut,
    ErrorOut,
    JourneysOut,
    ObservationRow,
    RunCreated,
    RunRequest,
    RunStatus,
    RunSummaryOut,
    StocksOut,
)
from crossings.web.strictjson import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, responses=INVALID)

DEFAULT_STOCK_KINDS = ("hiding", "detained", "sentence")
MAX_STOCK_STATES = 12


@router.post(
    "/api/runs",
    response_model=RunCreated,
    status_code=202,
    tags=["runs"],
    responses={
        422: {"model": ErrorOut, "description": "invalid scenario"},
        429: {"model": ErrorOut, "description": "too many runs queued or running"},
        503: {"model": ErrorOut, "description": "the server is shutting down"},
    },
)
def start_run(
    req: RunRequest, store: Store, variants: Variants, calibrations: Calibrations
) -> dict[str, Any]:
    """Validate and queue a run; poll ``GET /api/runs/{run_id}`` for progress.

    At most 8 runs may be queued or running at once (429 beyond); cancel one
    with ``POST /api/runs/{run_id}/cancel``. With ``calibration`` each run
    draws its parameters from that calibration's posterior (a what-if's
    overrides and variant still apply on top; give the same seed to a
    what-if and its base to pair them draw by draw).
    """
    cal = None
    if req.expected and req.calibration is None:
        raise ScenarioError(
            [
                Issue(
                    "expected values in the web app are computed for a calibration's draws",
                    ("expected",),
                    Location("request"),
                    expected="`calibration` set to a calibration of this scenario",
                    found="expected: true without a calibration",
                    hint="GET /api/calibrations lists them; or drop `expected` for agent runs",
                )
            ]
        )
    if not req.expected and req.runs > MAX_AGENT_RUNS:
        raise ScenarioError(
            [
                Issue(
                    f"at most {MAX_AGENT_RUNS} agent runs per request",
                    ("runs",),
                    Location("request"),
                    expected=f"1 to {MAX_AGENT_RUNS} (up to {MAX_EXPECTED_DRAWS} posterior "
                    "draws with `expected: true` and a calibration)",
                    found=str(req.runs),
                )
            ]
        )
    if req.calibration is not None:
        cal = calibrations.get(req.calibration)
        if cal is None or cal.scenario != req.scenario:
            mine = [c.name for c in calibrations.for_scenario(req.scenario)]
            raise ScenarioError(
                [
                    Issue(
                        f"no calibration '{req.calibration}' of '{req.scenario}'",
                        ("calibration",),
                        Location("request"),
                        expected="a calibration of this scenario the server was started "
                        "with: " + (", ".join(mine) or "none"),
                        found=repr(req.calibration),
                        hint="GET /api/calibrations lists them; start the server with "
                        "`crossings serve --calibration DIR` to add one",
                    )
                ]
            )
    if req.saved_variant is not None:
        if req.scenario not in builtin_names():
            raise unknown_scenario(req.scenario)
        saved = variants.get(req.scenario, req.saved_variant)
        if saved is None:
            raise ScenarioError(
                [
                    Issue(
                        f"unknown saved variant '{req.saved_variant}' of '{req.scenario}'",
                        ("saved_variant",),
                        Location("request"),
                        expected="a variant saved with POST /api/variants",
                        found=repr(req.saved_variant),
                    )
                ]
            )
        merged = {**saved["overrides"], **req.overrides}
        req = req.model_copy(update={"overrides": merged})
    loaded = load_request(req)
    job = store.submit(
        loaded,
        req.scenario,
        dict(req.overrides),
        req.variant,
        req.runs,
        req.seed,
        calibration=(cal.name, cal.path) if cal is not None else None,
        expected=req.expected,
    )
    return {"run_id": job.run_id}


@router.get("/api/runs", response_model=list[RunStatus], tags=["runs"])
def list_runs(store: Store) -> list[dict[str, Any]]:
    """Every run, newest first."""
    return store.list()


@router.get("/api/runs/{run_id}", response_model=RunStatus, tags=["runs"], responses=NOT_FOUND)
def run_status(run_id: str, store: Store) -> dict[str, Any]:
    """State (queued, running, done, failed, cancelled), progress 0–1, error or summary."""
    return _status_or_404(store, run_id)


@router.post(
    "/api/runs/{run_id}/cancel",
    response_model=RunStatus,
    tags=["runs"],
    responses={
        **NOT_FOUND,
        409: {"model": ErrorOut, "description": "the run is done or failed: nothing to cancel"},
    },
)
def cancel_run(run_id: str, store: Store) -> dict[str, Any]:
    """Cancel a queued run, or ask a running one to stop.

    A queued run is ``cancelled`` at once. A running one keeps the state
    ``running`` with ``cancel_requested`` true until it stops at its next
    step, then becomes ``cancelled``; nothing of it is left in the runs
    folder. Cancelling a cancelled run changes nothing.
    """
    status = store.cancel(run_id)
    if status is None:
        return _status_or_404(store, run_id)  # raises 404
    return status


@router.get(
    "/api/runs/{run_id}/observations",
    response_model=list[ObservationRow],
    tags=["results"],
    responses=NOT_DONE,
)
def run_observations(run_id: str, store: Store, results: Results) -> list[dict[str, Any]]:
    """Observed vs simulated (median and 5–95% over runs) for every observed row.

    Each row also comes in words, as the report writes it: the series' title,
    what was observed (a number or a range), the simulated median with its
    band, and the verdict (inside, or outside by how much; none for one run).
    """
    d = finished(store, run_id)
    rows = data.observations(d)
    bundle = results.result_set(d).bundle
    words = views.observed_rows(bundle) if bundle is not None else []
    if len(words) == len(rows):
        for row, w in zip(rows, words, strict=True):
            row.update(
                title=w.title,
                observed_text=w.observed_text,
                simulated_text=w.simulated_text,
                verdict=w.verdict_text,
            )
    return rows


@router.get(
    "/api/runs/{run_id}/summary",
    response_model=RunSummaryOut,
    tags=["results"],
    responses=NOT_DONE,
)
def run_summary(
    run_id: str, store: Store, results: Results, calibrations: Calibrations
) -> dict[str, Any]:
    """What was run and the headline figures per population (model estimates with bands).

    The people the scenario is about come first; a context population (such as
    people in camps before the simulated span) is listed apart, never added in.
    """
    name = (store.status(run_id) or {}).get("calibration")
    cal = calibrations.get(name) if isinstance(name, str) else None
    rs = results.result_set(finished(store, run_id))
    out = run_views.summary(rs, name if isinstance(name, str) else None)
    out["calibration"] = cal.public() if cal is not None else None
    return out


@router.get(
    "/api/runs/{run_id}/figures/{name}",
    tags=["results"],
    responses={
        **NOT_DONE,
        200: {"content": {"application/json": {}}, "description": "a plotly figure"},
        204: {"description": "nothing to draw for this run"},
    },
)
def run_figure(
    run_id: str,
    name: Literal["arrivals", "sankey", "cohorts", "stocks"],
    store: Store,
    results: Results,
) -> Response:
    """One of the report's figures for this run, as plotly JSON (``data`` and ``layout``).

    The same specification the report embeds: arrivals against what was
    counted, where the people went (a Sankey without loops), each cohort's
    fate and the stocks over time, for the headline population.
    """
    text = results.figure_json(finished(store, run_id), name)
    if text is None:
        return Response(status_code=204)
    return Response(text, media_type="application/json")


@router.get(
    "/api/runs/{run_id}/arrivals", response_model=ArrivalsOut, tags=["results"], responses=NOT_DONE
)
def run_arrivals(run_id: str, store: Store) -> dict[str, Any]:
    """Simulated arrivals per year (median, 5–95%) with the observed counts."""
    return data.arrivals(finished(store, run_id))


@router.get(
    "/api/runs/{run_id}/stocks",
    response_model=StocksOut,
    tags=["results"],
    responses={**NOT_DONE, 422: {"model": ErrorOut}},
)
def run_stocks(
    run_id: str,
    store: Store,
    state: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="state ids (repeatable); default: the hiding, detained and sentence states",
        ),
    ] = None,
) -> dict[str, Any]:
    """People in each state at the end of each month: median and 5–95% over runs."""
    d = finished(store, run_id)
    kinds = data.state_kinds(d)
    info = store.scenario_info(run_id)
    if state:
        unknown = [s for s in state if s not in kinds]
        if unknown:
            raise HTTPException(
                422,
                detail=f"unknown state(s) {', '.join(unknown)[:300]}; known: " + ", ".join(kinds),
            )
        chosen = list(dict.fromkeys(state))
    else:
        mine = views.population_states(info, None)  # the headline population's
        per_kind = MAX_STOCK_STATES // len(DEFAULT_STOCK_KINDS)
        chosen = [
            s
            for kind in DEFAULT_STOCK_KINDS
            for s in [s for s, k in kinds.items() if k == kind and s in mine][:per_kind]
        ]
    series = data.stocks(d, chosen)
    for s in series:
        s["name"] = info.state_name(s["state"])
    return {
        "states": list(kinds),
        "groups": run_views.state_groups(info, set(kinds)),
        "series": series,
    }


@router.get(
    "/api/runs/{run_id}/journeys",
    response_model=JourneysOut,
    tags=["results"],
    responses={**NOT_DONE, 422: {"model": ErrorOut}},
)
def run_journeys(
    run_id: str,
    store: Store,
    outcome: Annotated[str | None, Query(max_length=100, description="final state id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> dict[str, Any]:
    """Sampled individual histories as plain sentences (first run's sample)."""
    d = finished(store, run_id)
    info = store.scenario_info(run_id)
    states = [s.id for s in info.states]
    if outcome is not None and outcome not in states:
        raise HTTPException(
            422, detail=f"unknown outcome '{outcome}'; states: " + ", ".join(states)
        )
    return data.journeys(d, info, outcome, limit)
