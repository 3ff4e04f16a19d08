"""Queued runs of the web app: a limit on how many wait, and cancelling them.

The simulation is held at a gate (a stand-in that reports progress until it
is released, then runs the real simulation), so which run is queued and which
is running is known exactly; one test cancels a real North Korea run in the
middle of its steps. A cancelled run leaves nothing in the runs folder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import crossings.web.store as store_module
from crossings.web import create_app
from test_web_timing import scaled, wait_until

TEST_HOSTS = ("testserver",)
SHORT = {"time.end": "2003-12-31"}
MISSING = "0123456789abcdef"


class Gate:
    """Stands in for ``simulate``: reports progress until released, then simulates."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def __call__(self, loaded: Any, **kwargs: Any) -> Any:
        self.entered.release()
        progress = kwargs["progress"]
        while not self.release.wait(0.01):
            progress(0.5)  # the cancellation point: raises once a cancel is asked
        return self.real(loaded, **kwargs)

    def wait_entered(self) -> None:
        assert self.entered.acquire(timeout=scaled(30)), "no run reached the simulation"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    g = Gate(store_module.simulate)
    monkeypatch.setattr(store_module, "simulate", g)
    return g


@pytest.fixture
def client(tmp_path: Path, gate: Gate) -> Iterator[TestClient]:
    app = create_app(tmp_path, workers=1, allowed_hosts=TEST_HOSTS, max_pending=3)
    with TestClient(app) as c:
        yield c
    gate.release.set()


def start(client: TestClient, seed: int = 1) -> Any:
    return client.post("/api/runs", json={"scenario": "example", "overrides": SHORT, "seed": seed})


def status(client: TestClient, run_id: str) -> dict[str, Any]:
    r = client.get(f"/api/runs/{run_id}")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def wait_state(client: TestClient, run_id: str, *states: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        s = status(client, run_id)
        return s if s["state"] in states else None

    return wait_until(reached, 60, f"run {run_id} {'/'.join(states)}")


def run_folders(root: Path) -> list[str]:
    """Everything in the runs folder (hidden temporary folders included)."""
    return sorted(p.name for p in (root / "runs").iterdir())


def test_limit_and_cancel(client: TestClient, gate: Gate, tmp_path: Path) -> None:
    ids = []
    for seed in (1, 2, 3):
        r = start(client, seed)
        assert r.status_code == 202, r.text
        ids.append(r.json()["run_id"])
    first, second, third = ids
    gate.wait_entered()
    assert status(client, first)["state"] == "running"
    assert status(client, second)["state"] == status(client, third)["state"] == "queued"

    # a fourth is refused while three wait or run
    r = start(client, 4)
    assert r.status_code == 429
    assert "too many runs queued or running (the limit is 3)" in r.json()["detail"]
    assert "cancel" in r.json()["detail"]

    # a queued run is cancelled at once, which frees a place
    r = client.post(f"/api/runs/{third}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" and r.json()["cancel_requested"] is True
    assert r.json()["error"] == "cancelled on request"
    again = client.post(f"/api/runs/{third}/cancel")  # nothing changes
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    r = start(client, 5)
    assert r.status_code == 202
    fourth = r.json()["run_id"]
    assert start(client, 6).status_code == 429

    # a running run is asked to stop, and stops at its next step
    r = client.post(f"/api/runs/{first}/cancel")
    assert r.status_code == 200
    assert r.json()["state"] in ("running", "cancelled") and r.json()["cancel_requested"]
    assert wait_state(client, first, "cancelled", "done", "failed")["state"] == "cancelled"

    gate.wait_entered()  # the second one is running now: let it and the fourth finish
    gate.release.set()
    assert wait_state(client, second, "done", "failed")["state"] == "done"
    assert wait_state(client, fourth, "done", "failed")["state"] == "done"

    # only finished runs are on disk; nothing half-written, no hidden leftovers
    assert run_folders(tmp_path) == sorted([second, fourth])
    listed = {r["run_id"]: r["state"] for r in client.get("/api/runs").json()}
    assert listed[first] == listed[third] == "cancelled"
    r = client.get(f"/api/runs/{first}/observations")
    assert r.status_code == 409 and "cancelled, not finished" in r.json()["detail"]

    # finished runs cannot be cancelled; unknown ones are unknown
    r = client.post(f"/api/runs/{second}/cancel")
    assert r.status_code == 409 and "nothing to cancel" in r.json()["detail"]
    assert client.post(f"/api/runs/{MISSING}/cancel").status_code == 404
    assert client.post("/api/runs/..%2F..%2Fetc/cancel").status_code == 404
    assert client.get(f"/runs/{first}").status_code == 200  # the page shows the state


def test_cancel_while_writing_removes_the_folder(
    client: TestClient, gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = threading.Event()
    proceed = threading.Event()
    real_write = store_module.write_results

    def slow_write(results: Any, out: Path) -> Path:
        path = real_write(results, out)
        written.set()
        assert proceed.wait(scaled(30))
        return path

    monkeypatch.setattr(store_module, "write_results", slow_write)
    gate.release.set()
    run_id = start(client).json()["run_id"]
    assert written.wait(scaled(60)), "the results were not written"
    assert (tmp_path / "runs" / run_id / "run.json").is_file()
    r = client.post(f"/api/runs/{run_id}/cancel")
    assert r.status_code == 200 and r.json()["cancel_requested"] is True
    proceed.set()
    assert wait_state(client, run_id, "cancelled", "done")["state"] == "cancelled"
    assert run_folders(tmp_path) == []


def test_shutdown_cancels_what_is_left(tmp_path: Path, gate: Gate) -> None:
    app = create_app(tmp_path, workers=1, allowed_hosts=TEST_HOSTS)
    with TestClient(app) as c:
        running = start(c, 1).json()["run_id"]
        queued = start(c, 2).json()["run_id"]
        gate.wait_entered()
    store = app.state.store
    assert store.status(queued)["state"] == "cancelled"

    def stopped() -> str | None:
        state: str = store.status(running)["state"]
        return state if state != "running" else None

    assert wait_until(stopped, 30, "the running run stopped") == "cancelled"
    assert run_folders(tmp_path) == []


def test_cancel_a_real_run_midway(tmp_path: Path) -> None:
    """North Korea (≈ 2 s alone): cancelled once it has started, it stops within its steps."""
    app = create_app(tmp_path, workers=1, allowed_hosts=TEST_HOSTS)
    with TestClient(app) as c:
        r = c.post("/api/runs", json={"scenario": "north-korea", "runs": 1, "seed": 1})
        assert r.status_code == 202, r.text
        run_id = r.json()["run_id"]

        def started() -> dict[str, Any] | None:
            s = status(c, run_id)
            assert s["state"] in ("queued", "running"), s
            return s if s["state"] == "running" and s["progress"] > 0 else None

        wait_until(started, 60, "the run under way", interval=0.01)
        r = c.post(f"/api/runs/{run_id}/cancel")
        assert r.status_code == 200
        final = wait_state(c, run_id, "cancelled", "done", "failed")
        assert final["state"] == "cancelled", final
        assert final["progress"] < 0.95
        assert run_folders(tmp_path) == []
        page = c.get(f"/runs/{run_id}")
        assert 'id="cancel-button"' in page.text and "cancelled" in page.text


def test_openapi_documents_cancel_and_limits(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path, workers=1, allowed_hosts=TEST_HOSTS)) as c:
        spec = c.get("/openapi.json").json()
    cancel = spec["paths"]["/api/runs/{run_id}/cancel"]["post"]
    assert set(cancel["responses"]) >= {"200", "404", "409", "422"}
    assert cancel["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RunStatus"
    )
    assert "429" in spec["paths"]["/api/runs"]["post"]["responses"]
    states = spec["components"]["schemas"]["RunStatus"]["properties"]["state"]["enum"]
    assert "cancelled" in states
    for path, ops in spec["paths"].items():  # every 422 is the one error shape
        for op in ops.values():
            if "422" in op["responses"]:
                ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), path
