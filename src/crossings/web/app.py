"""The Crossings web app: edit a scenario's policies, run it, look at the results.

``create_app(data_dir)`` builds a FastAPI app from one router per resource
(:mod:`crossings.web.routes`); its state lives on ``app.state`` (nothing
global). ``serve(host, port, data_dir)`` runs it with uvicorn.

Every request passes, outermost first: the security headers
(:class:`~crossings.web.security.SecurityHeaders`), the ``Host`` check
(:class:`~crossings.web.security.HostGuard`: a request addressed to any other
name than the bound address gets 400, which defeats DNS rebinding) and the
body-size limit. Request bodies are parsed as strict JSON (no ``NaN`` or
``Infinity``). Errors come back as ``{"detail": ..., "issues": [...]}``: 422
for an invalid request or scenario, 409 for a run that is not finished or
whose results file is damaged, 429 when too many runs are queued.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates

from crossings.scenario.errors import ScenarioError
from crossings.scenario.load import builtin_names
from crossings.web import security
from crossings.web.calibrations import CalibrationRegistry
from crossings.web.data import ResultsError
from crossings.web.limits import MAX_BODY_BYTES, BodySizeLimit
from crossings.web.results import RunResults
from crossings.web.routes import calibrations as calibration_routes
from crossings.web.routes import compare, pages, runs, scenarios, static, variants
from crossings.web.security import (
    LOOPBACK_NAMES,
    HostGuard,
    SecurityHeaders,
    plotly_style_hashes,
    policy,
    security_headers,
    with_security_headers,
)
from crossings.web.store import (
    MAX_PENDING,
    NotCancellableError,
    QueueFullError,
    RunStore,
    StoreClosedError,
)
from crossings.web.variants import VariantStore

log = logging.getLogger("crossings.web")

HERE = Path(__file__).parent
MAX_FOUND_CHARS = 100


def _error(status: int, detail: str, issues: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, "issues": issues or []})


def _validation_issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as ``IssueOut`` records: where, what, and why."""
    issues = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "invalid value"))
        ctx = err.get("ctx") or {}
        if err.get("type") == "json_invalid" and ctx.get("error"):
            message = f"the body is not valid JSON: {ctx['error']}"
        found = err.get("input")
        issues.append(
            {
                "severity": "error",
                "message": message,
                "path": loc,
                "found": repr(found)[:MAX_FOUND_CHARS]
                if isinstance(found, str | int | float | bool)
                else None,
                "hint": None,
            }
        )
    return issues


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = _validation_issues(exc)
        first = issues[0] if issues else {"path": "", "message": "invalid request"}
        where = f"{first['path']}: " if first["path"] else ""
        return _error(422, f"invalid request: {where}{first['message']}", issues)

    @app.exception_handler(ScenarioError)
    async def scenario_error(request: Request, exc: ScenarioError) -> JSONResponse:
        return _error(
            422,
            "invalid scenario: " + (exc.issues[0].message if exc.issues else "?"),
            [i.to_dict() for i in exc.issues],
        )

    @app.exception_handler(ResultsError)
    async def unreadable(request: Request, exc: ResultsError) -> JSONResponse:
        log.warning("%s", exc)
        return _error(409, str(exc))

    @app.exception_handler(QueueFullError)
    async def queue_full(request: Request, exc: QueueFullError) -> JSONResponse:
        return _error(429, str(exc))

    @app.exception_handler(StoreClosedError)
    async def closed(request: Request, exc: StoreClosedError) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(NotCancellableError)
    async def not_cancellable(request: Request, exc: NotCancellableError) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # answered outside the middlewares (by Starlette's outermost one): add the headers here
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        response = JSONResponse(status_code=500, content={"detail": "internal error"})
        response.raw_headers = with_security_headers(
            list(response.raw_headers), request.app.state.security_headers
        )
        return response


def create_app(
    data_dir: Path,
    *,
    workers: int | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_NAMES,
    max_pending: int = MAX_PENDING,
    calibrations: Sequence[Path] = (),
) -> FastAPI:
    """Build the web app.

    Args:
        data_dir: Folder for the app's data; runs are stored under ``data_dir/runs/``.
        workers: Worker processes per simulation (None: one per CPU; 1: in-thread).
        allowed_hosts: The ``Host`` header values answered: ``name:port`` (that
            port) or ``name`` (any port); every other request gets 400. The
            default is the loopback names on any port; :func:`serve` passes
            the bound address with its port. (Tests pass ``testserver``, the
            test client's name.)
        max_pending: Runs that may be queued or running at once (429 beyond).
        calibrations: ``crossings calibrate`` folders runs may draw their
            parameters from (named by their folder names; see
            :mod:`crossings.web.calibrations`).

    Returns:
        The FastAPI application (state on ``app.state``).

    Raises:
        CalibrationFolderError: If a calibration folder is not a finished
            calibration of a built-in scenario.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store.start()
        yield
        app.state.store.shutdown()

    app = FastAPI(
        title="Crossings",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Edit a scenario's policy timeline, run it, compare runs with "
        "what is counted. Request bodies are limited to 1 MB and parsed as strict "
        f"JSON (no NaN or Infinity); at most {max_pending} runs may be queued or running.",
    )
    from plotly.offline import get_plotlyjs  # noqa: PLC0415

    plotly_js = str(get_plotlyjs())
    headers = security_headers(policy(styles=("'self'", *plotly_style_hashes(plotly_js))))
    app.state.calibrations = CalibrationRegistry(calibrations, scenarios=builtin_names())
    app.state.store = RunStore(Path(data_dir), workers=workers, max_pending=max_pending)
    app.state.variants = VariantStore(Path(data_dir))
    app.state.results = RunResults()
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.plotly_js = plotly_js.encode("utf-8")
    app.state.security_headers = headers
    app.state.scenarios = {}
    app.state.calibration_infos = {}
    app.state.allowed_hosts = tuple(allowed_hosts)
    # the last added runs first: headers on every response, then the Host check, then the size
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(HostGuard, allowed=tuple(allowed_hosts), headers=headers)
    app.add_middleware(SecurityHeaders, headers=headers)
    _install_error_handlers(app)
    for module in (scenarios, runs, variants, compare, calibration_routes, pages):
        app.include_router(module.router)
    static.mount_static(app)
    return app


def serve(
    host: str = "127.0.0.1",
    port: int = 8787,
    data_dir: Path | str = Path("crossings-web"),
    extra_hosts: Sequence[str] = (),
    calibrations: Sequence[Path] = (),
) -> None:
    """Run the web app with uvicorn (blocks until stopped).

    Only requests addressed to ``host:port`` or to a loopback name with that
    port are answered (see :func:`crossings.web.security.allowed_hosts`).

    Args:
        host: Interface to bind (default: this machine only).
        port: TCP port.
        data_dir: Folder for the app's runs (``data_dir/runs/<run_id>/``).
        extra_hosts: Further ``name`` or ``name:port`` values to answer (e.g.
            the machine's name when bound to all interfaces).
        calibrations: ``crossings calibrate`` folders runs may draw their
            parameters from.

    Raises:
        CalibrationFolderError: If a calibration folder is not a finished
            calibration of a built-in scenario (before the server starts).
    """
    import uvicorn  # noqa: PLC0415

    hosts = (*security.allowed_hosts(host, port), *extra_hosts)
    log.info("answering requests addressed to %s", ", ".join(hosts))
    app = create_app(Path(data_dir), allowed_hosts=hosts, calibrations=calibrations)
    uvicorn.run(app, host=host, port=port, log_level="info")
