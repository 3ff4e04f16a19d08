"""The HTML pages: the scenario form, runs, one run, its report, comparison and journeys.

Pages hold no inline script or style (the Content-Security-Policy allows only
``/static/``); data a page's script needs is in a ``<script type="application/json">``
block, which is data, not code.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import plotly.io as pio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from crossings.report.data import PolicySpan
from crossings.report.figures import policy_timeline_figure
from crossings.scenario.load import DEFAULT_SCENARIO, builtin_names
from crossings.web.deps import Calibrations, Store, Templates, cached_detail
from crossings.web.security import inline_policy
from crossings.web.store import RUN_ID_RE

log = logging.getLogger("crossings.web")

router = APIRouter(include_in_schema=False)


def page(
    templates: Templates, request: Request, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A rendered template."""
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(
    templates: Templates, request: Request, message: str, status_code: int = 404
) -> HTMLResponse:
    """The error page (404 "Not found" unless told otherwise)."""
    title = "Not found" if status_code == 404 else "Cannot show this run"
    return page(templates, request, "error.html", status_code, title=title, message=message)


DEFAULT = "north-korea"
"""The scenario the app opens on (as ``crossings run`` runs it), when it is built in."""


def default_scenario() -> str:
    """The built-in scenario the app opens on: North Korea, or the loader's default."""
    return DEFAULT if DEFAULT in builtin_names() else DEFAULT_SCENARIO


def timeline_json(detail: dict[str, Any]) -> str:
    """The scenario's policy timeline as the report draws it (plotly JSON for the page)."""
    lo, hi = dt.date.fromisoformat(detail["start"]), dt.date.fromisoformat(detail["end"])
    spans = []
    for p in detail["policies"]:
        end = dt.date.fromisoformat(p["to"]) + dt.timedelta(days=1) if p["to"] else hi
        spans.append(
            PolicySpan(p["id"], p["name"] or p["id"], dt.date.fromisoformat(p["from"]), end)
        )
    fig = policy_timeline_figure(spans, lo, hi, "As written in the scenario")
    return str(pio.to_json(fig, validate=False, remove_uids=True))


@router.get("/", response_class=HTMLResponse)
def scenario_page(
    request: Request, templates: Templates, calibrations: Calibrations, scenario: str | None = None
) -> HTMLResponse:
    """The scenario form: policies, parameters, run and save buttons (default: North Korea)."""
    scenario = scenario or default_scenario()
    if scenario not in builtin_names():
        return error_page(
            templates, request, f"There is no built-in scenario called '{scenario[:100]}'."
        )
    detail = cached_detail(request, scenario)
    return page(
        templates,
        request,
        "scenario.html",
        title="Scenario",
        detail=detail,
        names=builtin_names(),
        timeline=json.loads(timeline_json(detail)) if detail["policies"] else None,
        calibrations=[c.public() for c in calibrations.for_scenario(scenario)],
    )


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, templates: Templates, store: Store) -> HTMLResponse:
    """Every run with its progress."""
    return page(templates, request, "runs.html", title="Runs", runs=store.list())


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, templates: Templates, store: Store) -> HTMLResponse:
    """One run: progress, then its charts and observations."""
    status = store.status(run_id)
    if status is None:
        return error_page(templates, request, "There is no run with this id.")
    return page(templates, request, "run.html", title=f"Run {run_id}", status=status)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def run_report(
    request: Request, run_id: str, templates: Templates, store: Store, compare: str = ""
) -> HTMLResponse:
    """The full report of a finished run (the same charts as ``crossings report``).

    The report is one offline file with inline scripts; it is served with a
    policy allowing exactly those scripts, by their hashes.
    """
    from crossings.report import ReportError, build_report  # noqa: PLC0415

    folder = store.run_dir(run_id)  # None unless finished (and the id well formed)
    if folder is None:
        return error_page(templates, request, "There is no finished run with this id.")
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
            message = str(exc)
            for f in folders:  # name runs by id, not by their folder on this machine
                message = message.replace(str(f), f"run {f.name}")
            return error_page(
                templates,
                request,
                f"The report of this run could not be built: {message}",
                status_code=409,
            )
    html = target.read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": inline_policy(html)})


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, templates: Templates, store: Store, a: str = "", b: str = ""
) -> HTMLResponse:
    """Two finished runs side by side."""
    done = [r for r in store.list() if r["state"] == "done"]
    return page(
        templates,
        request,
        "compare.html",
        title="Compare runs",
        runs=done,
        a=a if RUN_ID_RE.fullmatch(a) else "",
        b=b if RUN_ID_RE.fullmatch(b) else "",
    )


@router.get("/journeys/{run_id}", response_class=HTMLResponse)
def journeys_page(
    request: Request, run_id: str, templates: Templates, store: Store
) -> HTMLResponse:
    """Sampled individual histories of a run."""
    status = store.status(run_id)
    if status is None:
        return error_page(templates, request, "There is no run with this id.")
    return page(
        templates, request, "journeys.html", title=f"Journeys of run {run_id}", status=status
    )
