"""The Crossings web app: edit a scenario's policies, run it, look at the results.

``create_app(data_dir)`` builds a FastAPI app whose state lives on ``app.state``
(nothing global); ``serve(host, port, data_dir)`` runs it with uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from crossings.scenario.errors import Issue, Location, ScenarioError, did_you_mean
from crossings.scenario.load import LoadedScenario, builtin_names, load_scenario
from crossings.scenario.provenance import parameter_table
from crossings.scenario.schema import Param
from crossings.web import data
from crossings.web.limits import MAX_BODY_BYTES, BodySizeLimit
from crossings.web.models import (
    ArrivalsOut,
    CompareOut,
    ErrorOut,
    JourneysOut,
    ObservationRow,
    RunCreated,
    RunRequest,
    RunStatus,
    SavedVariant,
    SaveVariantRequest,
    ScenarioDetail,
    ScenarioSummary,
    StocksOut,
    ValidateRequest,
    ValidateResponse,
)
from crossings.web.store import RUN_ID_RE, RunStore, override_strings
from crossings.web.variants import VARIANT_NAME_RE, VariantExistsError, VariantStore

log = logging.getLogger("crossings.web")

HERE = Path(__file__).parent
DEFAULT_STOCK_KINDS = ("hiding", "detained", "sentence")
MAX_STOCK_STATES = 12

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "unknown run id"}
}
NOT_DONE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"model": ErrorOut, "description": "the run has not finished"},
}


# ------------------------------------------------------------------ scenarios
def _unknown_scenario(name: str) -> ScenarioError:
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


def load_request(req: ValidateRequest) -> LoadedScenario:
    """Load a built-in scenario with the request's variant and overrides.

    Only built-in names are accepted (never a path).

    Raises:
        ScenarioError: If the scenario, variant or an override is invalid.
    """
    if req.scenario not in builtin_names():
        raise _unknown_scenario(req.scenario)
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


# ------------------------------------------------------------------ helpers
def _store(request: Request) -> RunStore:
    store: RunStore = request.app.state.store
    return store


def _variants(request: Request) -> VariantStore:
    variants: VariantStore = request.app.state.variants
    return variants


def _builtin_or_404(scenario: str) -> None:
    if scenario not in builtin_names():
        raise HTTPException(
            404,
            detail=f"unknown scenario '{scenario[:100]}'; built-in: " + ", ".join(builtin_names()),
        )


def _variant_or_404(request: Request, scenario: str, name: str) -> dict[str, Any]:
    _builtin_or_404(scenario)
    found = _variants(request).get(scenario, name) if VARIANT_NAME_RE.fullmatch(name) else None
    if found is None:
        shown = name if VARIANT_NAME_RE.fullmatch(name) else "(malformed name)"
        raise HTTPException(404, detail=f"unknown saved variant {shown} of '{scenario}'")
    return found


def _status_or_404(request: Request, run_id: str) -> dict[str, Any]:
    status = _store(request).status(run_id)
    if status is None:
        shown = run_id if RUN_ID_RE.fullmatch(run_id) else "(malformed id)"
        raise HTTPException(404, detail=f"unknown run id {shown}: no such run")
    return status


def _finished(request: Request, run_id: str) -> Path:
    status = _status_or_404(request, run_id)
    if status["state"] != "done":
        raise HTTPException(409, detail=f"run {run_id} is {status['state']}, not finished")
    d = _store(request).run_dir(run_id)
    if d is None:  # pragma: no cover - done runs always have a folder
        raise HTTPException(404, detail=f"unknown run id {run_id}: no results")
    return d


def _issue_dicts(exc: ScenarioError) -> list[dict[str, object]]:
    return [i.to_dict() for i in exc.issues]


def _plotly_js(request: Request) -> bytes:
    cached: bytes | None = request.app.state.plotly_js
    if cached is None:
        from plotly.offline import get_plotlyjs  # noqa: PLC0415

        cached = str(get_plotlyjs()).encode("utf-8")
        request.app.state.plotly_js = cached
    return cached


# ------------------------------------------------------------------ the app
def create_app(data_dir: Path, *, workers: int | None = None) -> FastAPI:
    """Build the web app.

    Args:
        data_dir: Folder for the app's data; runs are stored under ``data_dir/runs/``.
        workers: Worker processes per simulation (None: one per CPU; 1: in-thread).

    Returns:
        The FastAPI application (state on ``app.state``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.shutdown()

    app = FastAPI(
        title="Crossings",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Edit a scenario's policy timeline, run it, compare runs with "
        "what is counted. Request bodies are limited to 1 MB.",
    )
    app.state.store = RunStore(Path(data_dir), workers=workers)
    app.state.variants = VariantStore(Path(data_dir))
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.plotly_js = None
    app.state.scenarios = {}
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)

    @app.exception_handler(ScenarioError)
    async def scenario_error(request: Request, exc: ScenarioError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": "invalid scenario: " + (exc.issues[0].message if exc.issues else "?"),
                "issues": _issue_dicts(exc),
            },
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    def detail_cached(name: str) -> dict[str, Any]:
        if name not in builtin_names():
            raise HTTPException(
                404,
                detail=f"unknown scenario '{name[:100]}'; built-in: " + ", ".join(builtin_names()),
            )
        cache: dict[str, dict[str, Any]] = app.state.scenarios
        if name not in cache:
            cache[name] = scenario_detail(name)
        return cache[name]

    # -------------------------------------------------------------- API
    @app.get("/api/scenarios", response_model=list[ScenarioSummary], tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """The built-in scenarios with title, span and variants."""
        keys = ScenarioSummary.model_fields
        return [{k: v for k, v in detail_cached(n).items() if k in keys} for n in builtin_names()]

    @app.get(
        "/api/scenarios/{name}",
        response_model=ScenarioDetail,
        tags=["scenarios"],
        responses={404: {"model": ErrorOut}},
    )
    def get_scenario(name: str) -> dict[str, Any]:
        """Policy timeline and sourced parameters of a built-in scenario."""
        return detail_cached(name)

    @app.post("/api/validate", response_model=ValidateResponse, tags=["scenarios"])
    def validate(req: ValidateRequest) -> dict[str, Any]:
        """Check a scenario with overrides; problems come back as issues (status 200)."""
        try:
            loaded = load_request(req)
        except ScenarioError as exc:
            return {"valid": False, "issues": _issue_dicts(exc)}
        return {"valid": True, "issues": [w.to_dict() for w in loaded.warnings]}

    @app.post(
        "/api/runs",
        response_model=RunCreated,
        status_code=202,
        tags=["runs"],
        responses={422: {"model": ErrorOut, "description": "invalid scenario"}},
    )
    def start_run(req: RunRequest, request: Request) -> dict[str, Any]:
        """Validate and queue a run; poll ``GET /api/runs/{run_id}`` for progress."""
        if req.saved_variant is not None:
            if req.scenario not in builtin_names():
                raise _unknown_scenario(req.scenario)
            saved = _variants(request).get(req.scenario, req.saved_variant)
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
        job = _store(request).submit(
            loaded, req.scenario, dict(req.overrides), req.variant, req.runs, req.seed
        )
        return {"run_id": job.run_id}

    # -------------------------------------------------------------- saved variants
    @app.post(
        "/api/variants",
        response_model=SavedVariant,
        status_code=201,
        tags=["variants"],
        responses={
            409: {"model": ErrorOut, "description": "the name is taken"},
            422: {"model": ErrorOut, "description": "invalid name or scenario"},
        },
    )
    def save_variant(req: SaveVariantRequest, request: Request) -> dict[str, Any]:
        """Validate a scenario's overrides and save them under a name.

        A name already saved for the scenario gives 409 unless ``replace`` is true.
        """
        load_request(ValidateRequest(scenario=req.scenario, overrides=req.overrides))
        try:
            return _variants(request).save(
                req.scenario, req.name, req.description, dict(req.overrides), replace=req.replace
            )
        except VariantExistsError:
            raise HTTPException(
                409,
                detail=f"a variant '{req.name}' of '{req.scenario}' "
                "is already saved; send replace: true to overwrite it",
            ) from None

    @app.get(
        "/api/variants",
        response_model=list[SavedVariant],
        tags=["variants"],
        responses={404: {"model": ErrorOut}},
    )
    def list_variants(
        request: Request, scenario: Annotated[str, Query(max_length=100)]
    ) -> list[dict[str, Any]]:
        """The variants saved for a built-in scenario, by name."""
        _builtin_or_404(scenario)
        return _variants(request).list_for(scenario)

    @app.get(
        "/api/variants/{scenario}/{name}",
        response_model=SavedVariant,
        tags=["variants"],
        responses={404: {"model": ErrorOut}},
    )
    def get_variant(scenario: str, name: str, request: Request) -> dict[str, Any]:
        """One saved variant."""
        return _variant_or_404(request, scenario, name)

    @app.delete(
        "/api/variants/{scenario}/{name}",
        status_code=204,
        tags=["variants"],
        responses={404: {"model": ErrorOut}},
    )
    def delete_variant(scenario: str, name: str, request: Request) -> Response:
        """Remove a saved variant."""
        _variant_or_404(request, scenario, name)
        if not _variants(request).delete(scenario, name):  # pragma: no cover - a race
            raise HTTPException(404, detail=f"unknown saved variant {name} of '{scenario}'")
        return Response(status_code=204)

    @app.get("/api/runs", response_model=list[RunStatus], tags=["runs"])
    def list_runs(request: Request) -> list[dict[str, Any]]:
        """Every run, newest first."""
        return _store(request).list()

    @app.get("/api/runs/{run_id}", response_model=RunStatus, tags=["runs"], responses=NOT_FOUND)
    def run_status(run_id: str, request: Request) -> dict[str, Any]:
        """State (queued, running, done, failed), progress 0–1, error or summary."""
        return _status_or_404(request, run_id)

    @app.get(
        "/api/runs/{run_id}/observations",
        response_model=list[ObservationRow],
        tags=["results"],
        responses=NOT_DONE,
    )
    def run_observations(run_id: str, request: Request) -> list[dict[str, Any]]:
        """Observed vs simulated (median and 5–95% over runs) for every observed row."""
        return data.observations(_finished(request, run_id))

    @app.get(
        "/api/runs/{run_id}/arrivals",
        response_model=ArrivalsOut,
        tags=["results"],
        responses=NOT_DONE,
    )
    def run_arrivals(run_id: str, request: Request) -> dict[str, Any]:
        """Simulated arrivals per year (median, 5–95%) with the observed counts."""
        return data.arrivals(_finished(request, run_id))

    @app.get(
        "/api/runs/{run_id}/stocks",
        response_model=StocksOut,
        tags=["results"],
        responses={**NOT_DONE, 422: {"model": ErrorOut}},
    )
    def run_stocks(
        run_id: str,
        request: Request,
        state: Annotated[
            list[str] | None,
            Query(
                max_length=50,
                description="state ids (repeatable); default: "
                "the hiding, detained and sentence states",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """People in each state at the end of each month: median and 5–95% over runs."""
        d = _finished(request, run_id)
        kinds = data.state_kinds(d)
        if state:
            unknown = [s for s in state if s not in kinds]
            if unknown:
                raise HTTPException(
                    422,
                    detail=f"unknown state(s) {', '.join(unknown)[:300]}; "
                    "known: " + ", ".join(kinds),
                )
            chosen = list(dict.fromkeys(state))
        else:
            chosen = [s for s, k in kinds.items() if k in DEFAULT_STOCK_KINDS][:MAX_STOCK_STATES]
        return {"states": list(kinds), "series": data.stocks(d, chosen)}

    @app.get(
        "/api/runs/{run_id}/journeys",
        response_model=JourneysOut,
        tags=["results"],
        responses={**NOT_DONE, 422: {"model": ErrorOut}},
    )
    def run_journeys(
        run_id: str,
        request: Request,
        outcome: Annotated[str | None, Query(max_length=100, description="final state id")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> dict[str, Any]:
        """Sampled individual histories as plain sentences (first run's sample)."""
        d = _finished(request, run_id)
        model = _store(request).model(run_id)
        if outcome is not None and outcome not in model.state_ids:
            raise HTTPException(
                422, detail=f"unknown outcome '{outcome}'; states: " + ", ".join(model.state_ids)
            )
        return data.journeys(d, model, outcome, limit)

    @app.get("/api/compare", response_model=CompareOut, tags=["results"], responses=NOT_DONE)
    def compare(
        request: Request,
        a: Annotated[str, Query(max_length=64)],
        b: Annotated[str, Query(max_length=64)],
    ) -> dict[str, Any]:
        """Arrivals per year of two runs side by side, with the difference b − a."""
        sa = data.arrivals(_finished(request, a))
        sb = data.arrivals(_finished(request, b))
        va = dict(zip(sa["years"], sa["median"], strict=True))
        vb = dict(zip(sb["years"], sb["median"], strict=True))
        rows = []
        for y in sorted(set(va) | set(vb)):
            x, z = va.get(y), vb.get(y)
            rows.append(
                {"year": y, "a": x, "b": z, "difference": None if x is None or z is None else z - x}
            )
        return {"a": a, "b": b, "label": sa["label"], "rows": rows}

    # -------------------------------------------------------------- pages
    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        templates: Jinja2Templates = app.state.templates
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def not_found_page(request: Request, message: str) -> HTMLResponse:
        return page(request, "error.html", 404, title="Not found", message=message)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def scenario_page(request: Request, scenario: str = "example") -> HTMLResponse:
        if scenario not in builtin_names():
            return not_found_page(
                request, f"There is no built-in scenario called '{scenario[:100]}'."
            )
        return page(
            request,
            "scenario.html",
            title="Scenario",
            detail=detail_cached(scenario),
            names=builtin_names(),
        )

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request) -> HTMLResponse:
        return page(request, "runs.html", title="Runs", runs=_store(request).list())

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        status = _store(request).status(run_id)
        if status is None:
            return not_found_page(request, "There is no run with this id.")
        return page(request, "run.html", title=f"Run {run_id}", status=status)

    @app.get("/runs/{run_id}/report", response_class=HTMLResponse, include_in_schema=False)
    def run_report(request: Request, run_id: str, compare: str = "") -> HTMLResponse:
        """The full report of a finished run (the same charts as ``crossings report``)."""
        from crossings.report import ReportError, build_report  # noqa: PLC0415

        store = _store(request)
        folder = store.run_dir(run_id)  # None unless finished (and the id well formed)
        if folder is None:
            return not_found_page(request, "There is no finished run with this id.")
        folders = [folder]
        other = store.run_dir(compare) if RUN_ID_RE.fullmatch(compare) else None
        if other is not None:
            folders.append(other)
        target = folder / (f"report-{compare}.html" if other is not None else "report.html")
        if not target.exists():
            try:
                build_report(folders, target)
            except ReportError as exc:
                log.warning("report of run %s failed: %s", run_id, exc)
                return not_found_page(request, "The report of this run could not be built.")
        return HTMLResponse(target.read_text(encoding="utf-8"))

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(request: Request, a: str = "", b: str = "") -> HTMLResponse:
        done = [r for r in _store(request).list() if r["state"] == "done"]
        return page(
            request,
            "compare.html",
            title="Compare runs",
            runs=done,
            a=a if RUN_ID_RE.fullmatch(a) else "",
            b=b if RUN_ID_RE.fullmatch(b) else "",
        )

    @app.get("/journeys/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def journeys_page(request: Request, run_id: str) -> HTMLResponse:
        status = _store(request).status(run_id)
        if status is None:
            return not_found_page(request, "There is no run with this id.")
        return page(request, "journeys.html", title=f"Journeys of run {run_id}", status=status)

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly_js(request: Request) -> Response:
        return Response(
            _plotly_js(request),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app


def serve(
    host: str = "127.0.0.1", port: int = 8787, data_dir: Path | str = Path("crossings-web")
) -> None:
    """Run the web app with uvicorn (blocks until stopped).

    Args:
        host: Interface to bind (default: this machine only).
        port: TCP port.
        data_dir: Folder for the app's runs (``data_dir/runs/<run_id>/``).
    """
    import uvicorn  # noqa: PLC0415

    uvicorn.run(create_app(Path(data_dir)), host=host, port=port, log_level="info")
