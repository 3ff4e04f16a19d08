"""The web API against its own OpenAPI spec: no generated request gets a 5xx.

Schemathesis reads ``/openapi.json`` from the app through its ASGI
integration (no network, no server) and sends requests generated from the
spec to every operation. Runs started through ``POST /api/runs`` are made
cheap (a three-month span, at most two seeds) and each is awaited, so no
simulation outlives the test. Skipped when schemathesis is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from fastapi import FastAPI  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from crossings.web import create_app  # noqa: E402

CHEAP_END = "2000-03-31"
MAX_SEEDS = 2


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(tmp_path_factory.mktemp("schemathesis-web"), workers=1)
    yield application
    busy = [r for r in application.state.store.list() if r["state"] in ("queued", "running")]
    assert not busy, f"runs left unfinished: {busy}"


def wait_for_run(app: FastAPI, run_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait for a run started by a generated request: none outlives the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] | None = app.state.store.status(run_id)
        assert status is not None, run_id
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


def cheapen(case: Any) -> None:
    """Shorten a well-formed run request so that a started simulation takes milliseconds."""
    if case.method != "POST" or case.path != "/api/runs" or not isinstance(case.body, dict):
        return
    overrides = case.body.get("overrides", {})
    if isinstance(overrides, dict):
        case.body["overrides"] = {**overrides, "time.end": CHEAP_END}
    runs = case.body.get("runs")
    if isinstance(runs, int) and not isinstance(runs, bool) and runs > MAX_SEEDS:
        case.body["runs"] = MAX_SEEDS


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, app: FastAPI) -> None:
    cheapen(case)
    response = case.call_and_validate(checks=[not_a_server_error])
    if case.path == "/api/runs" and case.method == "POST" and response.status_code == 202:
        status = wait_for_run(app, response.json()["run_id"])
        assert status["state"] == "done", status
