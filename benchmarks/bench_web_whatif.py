"""A what-if with posterior intervals in the web app: how long a user waits.

Usage:
    python benchmarks/bench_web_whatif.py CALIBRATION_DIR [--mode agents|expected|both]
        [--runs N] [--expected-draws 100] [--variant no_crackdown]
        [--scenario north-korea] [--workers N] [--json PATH]

Two ways of drawing from the posterior are timed (``--mode both``, the default):
agent runs, one per draw (10 draws), and the exact expected values of each draw
(``expected: true``, 100 draws, one batch of the expected-value mode).

Starts the web app in this process with the calibration registered (what
``crossings serve --calibration DIR`` does), then through its JSON API, as the
page's script does: queues the base run and the what-if, both drawn from the
posterior with the same seed (so they are paired draw by draw), and polls until
both are done. Prints the wall time of each run from its request to ``done``,
the total a user waits for the comparison with its 5–95% bands, and the time
of one plain agent run of the same scenario measured in the same process (the
ratio shows what drawing parameters adds: one compilation per draw).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from crossings import load_scenario
from crossings.compile.compiler import compile_scenario
from crossings.engine.core import Simulation
from crossings.web import create_app

TARGET_S = 10.0
"""Issue 15: a what-if with posterior intervals in the web app in at most this many seconds."""


def _wait(client: TestClient, run_id: str, t0: float, timeout: float = 1800) -> float:
    while True:
        s = client.get(f"/api/runs/{run_id}").json()
        if s["state"] in ("done", "failed", "cancelled"):
            if s["state"] != "done":
                raise RuntimeError(f"run {run_id} ended {s['state']}: {s.get('error')}")
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(run_id)
        time.sleep(0.05)


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("calibration", type=Path)
    ap.add_argument("--scenario", default="north-korea")
    ap.add_argument("--variant", default="no_crackdown")
    ap.add_argument(
        "--runs", type=int, default=None, help="draws per run (default: 10 agent, see below)"
    )
    ap.add_argument("--expected-draws", type=int, default=100)
    ap.add_argument("--mode", choices=("agents", "expected", "both"), default="both")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    loaded = load_scenario(args.scenario)
    t0 = time.perf_counter()
    model = compile_scenario(loaded.scenario, sha256=loaded.sha256)
    compile_s = time.perf_counter() - t0
    Simulation(model, seed=args.seed).run()  # warm-up (numba caches)
    t0 = time.perf_counter()
    Simulation(model, seed=args.seed).run()
    agent_s = time.perf_counter() - t0

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Path(tmp),
            workers=args.workers,
            allowed_hosts=("testserver",),
            calibrations=[args.calibration],
        )
        with TestClient(app) as client:
            (cal,) = client.get(f"/api/calibrations?scenario={args.scenario}").json()
            modes = ["agents", "expected"] if args.mode == "both" else [args.mode]
            for mode in modes:
                expected = mode == "expected"
                draws = args.runs or (args.expected_draws if expected else 10)
                base = {
                    "scenario": args.scenario,
                    "runs": draws,
                    "seed": args.seed,
                    "calibration": cal["name"],
                    "expected": expected,
                }
                t_all = time.perf_counter()
                times: dict[str, float] = {}
                ids: dict[str, str] = {}
                for name, body in (("base", base), ("what-if", {**base, "variant": args.variant})):
                    t0 = time.perf_counter()
                    r = client.post("/api/runs", json=body)
                    r.raise_for_status()
                    ids[name] = r.json()["run_id"]
                    times[name] = _wait(client, ids[name], t0)
                t0 = time.perf_counter()
                diff = client.get(f"/api/compare?a={ids['base']}&b={ids['what-if']}")
                diff.raise_for_status()
                compare_s = time.perf_counter() - t0
                total = time.perf_counter() - t_all
                rows = diff.json()["differences"]
                results.append(
                    {
                        "mode": mode,
                        "draws_per_run": draws,
                        "base_s": times["base"],
                        "what_if_s": times["what-if"],
                        "compare_s": compare_s,
                        "total_s": total,
                        "paired_rows": sum(1 for d in rows if d["paired"]),
                        "rows": len(rows),
                    }
                )
    out: dict[str, Any] = {
        "scenario": args.scenario,
        "variant": args.variant,
        "compile_s": compile_s,
        "agent_run_s": agent_s,
        "modes": results,
    }
    print(
        f"{args.scenario}: one compilation {compile_s:.1f} s, one agent run {agent_s:.1f} s "
        "(same process)"
    )
    for r in results:
        how = (
            "expected values of each draw"
            if r["mode"] == "expected"
            else "agent runs, one per draw"
        )
        target = "met" if r["total_s"] <= TARGET_S else "not met"
        print(
            f"web what-if '{args.variant}' with posterior bands, {how}, {r['draws_per_run']} "
            f"draws each: base {r['base_s']:.1f} s, what-if {r['what_if_s']:.1f} s, comparison "
            f"{r['compare_s']:.2f} s; total {r['total_s']:.1f} s "
            f"({r['total_s'] / max(agent_s, 1e-9):.1f}x one agent run; target <= {TARGET_S:.0f} s: "
            f"{target}); {r['paired_rows']} of {r['rows']} differences paired draw by draw"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
