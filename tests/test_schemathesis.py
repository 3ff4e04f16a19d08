"""The web API against its own OpenAPI spec: no generated request gets a 5xx.

Schemathesis reads ``/openapi.json`` from the app through its ASGI
integration (no network, no server) and each API operation becomes a
Hypothesis strategy (``operation.as_strategy()``) that this module drives with
plain ``@given`` loops: nothing depends on schemathesis' pytest plugin or on
pytest internals. Every response is checked for server errors and against
the documented status codes, content types and response schemas. A test
checks that the spec holds exactly the operations listed here, so a new
endpoint cannot go untested.

Runs started through ``POST /api/runs`` are made cheap (a three-month span,
at most two seeds) and each is awaited, so no simulation outlives the test.
Skipped when schemathesis is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from fastapi import FastAPI  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crossings.web import create_app  # noqa: E402
from test_web_timing import wait_until  # noqa: E402

pytestmark = pytest.mark.slow

TEST_HOSTS = ("testserver",)  # the Host schemathesis' ASGI client sends
CHEAP_END = "2000-03-31"
MAX_SEEDS = 2
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    ("GET", "/api/scenarios"),
    ("GET", "/api/scenarios/{name}"),
    ("POST", "/api/validate"),
    ("POST", "/api/runs"),
    ("GET", "/api/runs"),
    ("GET", "/api/runs/{run_id}"),
    ("POST", "/api/runs/{run_id}/cancel"),
    ("GET", "/api/runs/{run_id}/observations"),
    ("GET", "/api/runs/{run_id}/arrivals"),
    ("GET", "/api/runs/{run_id}/stocks"),
    ("GET", "/api/runs/{run_id}/journeys"),
    ("GET", "/api/runs/{run_id}/summary"),
    ("GET", "/api/runs/{run_id}/figures/{name}"),
    ("POST", "/api/variants"),
    ("GET", "/api/variants"),
    ("GET", "/api/variants/{scenario}/{name}"),
    ("DELETE", "/api/variants/{scenario}/{name}"),
    ("GET", "/api/compare"),
    ("GET", "/api/calibrations"),
    ("GET", "/api/calibrations/{name}"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(
        tmp_path_factory.mktemp("schemathesis-web"), workers=1, allowed_hosts=TEST_HOSTS
    )
    yield application
    busy = [r for r in application.state.store.list() if r["state"] in ("queued", "running")]
    assert not busy, f"runs left unfinished: {busy}"


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def wait_for_run(app: FastAPI, run_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Wait for a run started by a generated request: none outlives the test."""

    def ended() -> dict[str, Any] | None:
        status: dict[str, Any] | None = app.state.store.status(run_id)
        assert status is not None, run_id
        return status if status["state"] in ("done", "failed", "cancelled") else None

    return wait_until(ended, timeout, f"run {run_id}", interval=0.02)


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


def test_the_spec_lists_every_operation(api_schema: Any) -> None:
    found = []
    for result in api_schema.get_all_operations():
        operation = result.ok()  # raises if an operation's definition is invalid
        found.append((operation.method.upper(), operation.path))
    assert sorted(found) == sorted(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors(api_schema: Any, app: FastAPI, method: str, path: str) -> None:
    operation = api_schema[path][method]
    started: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: Any) -> None:
        cheapen(case)
        response = case.call_and_validate(checks=CHECKS)
        if method == "POST" and path == "/api/runs" and response.status_code == 202:
            run_id = response.json()["run_id"]
            started.append(run_id)
            status = wait_for_run(app, run_id)
            assert status["state"] == "done", status

    check()
    if path == "/api/runs" and method == "POST":
        assert started, "no generated request started a run"
