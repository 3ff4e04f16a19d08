"""Cycle benchmark: Crossings against the NumPy floor and Starsim on the 4-state cycle.

Every agent moves around a cycle of 4 states with the daily probabilities
(0.02, 0.05, 0.10, 0.01) of ``shared/bench/starsim_reference.py``. Three engines run the
same model in the same run of this script, so their ratios are fair even on a busy machine:

(a) **Crossings**: ``benchmarks/scenarios/cycle4.yaml`` with N agents present on day 0.
    Loading and compiling are timed apart; the figure times only
    ``crossings.engine.core.Simulation(model, seed).run()`` (best of ``--repeat``), as
    ``agent-steps/s = N * days / run_seconds``. Also reported: the events processed, the
    engine's per-agent arrays (``Simulation.memory_bytes() / N``) and, from a separate
    process that loads, compiles and runs the same scenario once, its peak RSS (imports
    included, as the peers' figures are) and the RSS that building and running the engine
    adds above what was resident after compiling (Linux: the ``VmHWM`` mark is reset
    through ``/proc/self/clear_refs`` just before), per agent.
(b) **NumPy floor**: ``shared/bench/numpy_floor.py`` via `peers.run_numpy_floor` (one random
    draw per agent per day, no framework), best of ``--peer-repeat`` (default ``--repeat``)
    runs, so that every engine gets the same number of tries.
(c) **Starsim** 3.7.2: ``shared/bench/starsim_reference.py`` via `peers.run_starsim`, in
    ``.bench-venvs/starsim``, best of ``--peer-repeat`` runs (skipped with a message when that
    venv is missing; make it with ``bash benchmarks/setup_peers.sh``).

The final state counts of Crossings are checked against the floor's (and Starsim's): each is
compared with the exact expectation of the Markov chain (chi-square goodness of fit), and
Crossings with the floor as two samples (chi-square test of homogeneity). Crossings agents
enter on step 0 and make their first move on step 1, so they have ``days - 1`` daily moves
where the floor has ``days``; after a year the chain is stationary to within 0.03 agents
per million, so this does not show.

Usage::

    python benchmarks/bench_cycle.py                       # 1,000,000 agents x 365 days
    python benchmarks/bench_cycle.py --agents 100000 --repeat 3 --json benchmarks/out/c.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from crossings.compile import compile_scenario
from crossings.engine.core import Simulation
from crossings.scenario.load import load_scenario
from engine_version import changed_warning, engine_hash
from peers import PeerResult, peer_python, run_numpy_floor, run_starsim
from timing import time_runs

HERE = Path(__file__).resolve().parent
ENGINE_AT_IMPORT = engine_hash()
"""Hash of the engine sources when this module imported the engine."""
SCENARIO = HERE / "scenarios" / "cycle4.yaml"
P_MOVE = (0.02, 0.05, 0.10, 0.01)
"""Daily move probabilities of the reference model (shared/bench/starsim_reference.py)."""
ALPHA = 1e-3
"""A p-value below this counts as a statistically significant difference."""

_COUNTS_RE = re.compile(r"final state counts = \[([\d,\s]+)\]")


@dataclass
class CrossingsRun:
    """Figures of the Crossings cycle run.

    Attributes:
        n_agents: Agents (all present on day 0).
        n_days: Daily steps.
        seed: Run seed.
        load_s: Seconds to load and validate the scenario.
        compile_s: Seconds to compile it.
        run_s: Best wall time of ``Simulation.run()`` over the repeats.
        run_times_s: Wall time of each repeat.
        agent_steps_per_s: ``n_agents * n_days / run_s``.
        agent_steps: The engine's own count (sum over steps of agents in the system).
        events: Events processed in one run.
        engine_bytes_per_agent: ``Simulation.memory_bytes() / n_agents``.
        final_counts: Agents in each state after the last step.
        peak_rss_bytes: Peak RSS of a separate process doing the same run (imports,
            loading and compiling included), if measured.
        pre_run_rss_bytes: RSS of that process after compiling, before the engine is built.
        run_peak_rss_bytes: Its peak RSS while the engine is built and run.
        rss_bytes_per_agent: ``peak_rss_bytes / n_agents``.
        run_rss_bytes_per_agent: ``(run_peak_rss_bytes - pre_run_rss_bytes) / n_agents``:
            the memory the engine's run adds per agent, temporaries included.
        notes: Remarks printed with the figures.
    """

    n_agents: int
    n_days: int
    seed: int
    load_s: float
    compile_s: float
    run_s: float
    run_times_s: list[float]
    agent_steps_per_s: float
    agent_steps: int
    events: int
    engine_bytes_per_agent: float
    final_counts: list[int]
    peak_rss_bytes: int | None = None
    pre_run_rss_bytes: int | None = None
    run_peak_rss_bytes: int | None = None
    rss_bytes_per_agent: float | None = None
    run_rss_bytes_per_agent: float | None = None
    notes: list[str] = field(default_factory=list)


def _overrides(n_agents: int, n_days: int) -> list[str]:
    """``--set`` overrides giving the agent count and the number of days."""
    start = dt.date(2021, 1, 1)
    end = start + dt.timedelta(days=n_days - 1)
    return [f"inflows.everyone.initial.value={n_agents}", f"time.end={end.isoformat()}"]


def run_crossings(n_agents: int, n_days: int, *, seed: int = 1, repeat: int = 1) -> CrossingsRun:
    """Load, compile and run the cycle4 scenario, timing each part.

    Args:
        n_agents: Agents present on day 0.
        n_days: Daily steps.
        seed: Run seed.
        repeat: Runs of ``Simulation.run()``; the best time counts.

    Returns:
        The figures of the run.
    """
    t0 = time.perf_counter()
    loaded = load_scenario(SCENARIO, overrides=_overrides(n_agents, n_days))
    t1 = time.perf_counter()
    model = compile_scenario(loaded)
    t2 = time.perf_counter()
    if model.n_steps != n_days:
        raise RuntimeError(f"the compiled model has {model.n_steps} steps, not {n_days}")
    timed = time_runs(model, seed, repeat)
    raw, times, best, memory = timed.raw, timed.times_s, timed.best_s, timed.memory_bytes
    final = raw.stocks[-1].sum(axis=1)
    return CrossingsRun(
        n_agents=n_agents,
        n_days=n_days,
        seed=seed,
        load_s=t1 - t0,
        compile_s=t2 - t1,
        run_s=best,
        run_times_s=times,
        agent_steps_per_s=n_agents * n_days / best,
        agent_steps=int(raw.agent_steps),
        events=int(raw.events),
        engine_bytes_per_agent=memory / n_agents,
        final_counts=[int(c) for c in final],
    )


def _proc_status_kb(key: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux), or None."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(m.group(1)) if m else None


def _reset_peak_rss() -> bool:
    """Reset the process's peak-RSS mark (Linux ``clear_refs`` 5); False if unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_child(n_agents: int, n_days: int, seed: int) -> None:
    """Run once in this process and print its memory figures as one JSON line.

    Printed keys: ``peak_rss_bytes`` (the whole process's peak, imports included, from
    ``getrusage``), ``pre_run_rss_bytes`` (resident after loading and compiling, before the
    engine is built) and ``run_peak_rss_bytes`` (the peak while the engine is built and run,
    read from ``VmHWM`` after resetting it; None where that cannot be reset).
    """
    loaded = load_scenario(SCENARIO, overrides=_overrides(n_agents, n_days))
    model = compile_scenario(loaded)
    pre_kb = _proc_status_kb("VmRSS")
    reset = _reset_peak_rss()
    sim = Simulation(model, seed=seed)
    sim.run()
    run_kb = _proc_status_kb("VmHWM") if reset else None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {
                "n_agents": n_agents,
                "peak_rss_bytes": int(kb) * 1024,
                "pre_run_rss_bytes": pre_kb * 1024 if pre_kb is not None else None,
                "run_peak_rss_bytes": run_kb * 1024 if run_kb is not None else None,
                "memory_bytes": sim.memory_bytes(),
            }
        )
    )


def measure_rss(
    n_agents: int, n_days: int, seed: int, timeout_s: float
) -> dict[str, int | None] | None:
    """Memory figures of a fresh process that runs the scenario once.

    Args:
        n_agents: Agents.
        n_days: Daily steps.
        seed: Run seed.
        timeout_s: Give up after this many seconds.

    Returns:
        The child's JSON figures (see `_rss_child`), or None if the child failed.
    """
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--rss-child",
        "--agents",
        str(n_agents),
        "--days",
        str(n_days),
        "--seed",
        str(seed),
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        logging.warning("RSS measurement at %d agents timed out", n_agents)
        return None
    if out.returncode != 0:
        logging.warning("RSS measurement at %d agents failed:\n%s", n_agents, out.stderr[-2000:])
        return None
    try:
        figures: dict[str, int | None] = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        logging.warning("RSS measurement printed no figures (%s): %s", exc, out.stdout[-500:])
        return None
    return figures


def expected_counts(n_agents: int, n_moves: int) -> NDArray[np.float64]:
    """Exact expected state counts after ``n_moves`` daily moves from state 0.

    Args:
        n_agents: Agents, all in state 0 at the start.
        n_moves: Daily transition opportunities.

    Returns:
        Expected agents per state.
    """
    p = np.asarray(P_MOVE)
    k = p.size
    trans = np.diag(1 - p)
    for i in range(k):
        trans[i, (i + 1) % k] = p[i]
    start = np.zeros(k)
    start[0] = 1.0
    return n_agents * (start @ np.linalg.matrix_power(trans, n_moves))


def parse_counts(raw_output: str) -> list[int] | None:
    """The ``final state counts = [...]`` of a peer's output, or None."""
    m = _COUNTS_RE.search(raw_output)
    return [int(x) for x in m.group(1).split(",")] if m else None


def consistency(crossings: CrossingsRun, peers_counts: dict[str, list[int]]) -> dict[str, Any]:
    """Chi-square checks of the final state counts.

    Args:
        crossings: The Crossings run.
        peers_counts: Final counts of each peer that ran (``numpy_floor``, ``starsim``).

    Returns:
        Per engine: counts, expectation and goodness-of-fit p-value; per peer: the
        two-sample p-value against Crossings; and ``consistent`` (no p-value below `ALPHA`).
    """
    d = crossings.n_days
    out: dict[str, Any] = {"alpha": ALPHA, "engines": {}, "two_sample": {}}
    rows = {"crossings": (crossings.final_counts, d - 1)}
    for name, counts in peers_counts.items():
        rows[name] = (counts, d)
    pvals: list[float] = []
    for name, (counts, moves) in rows.items():
        obs = np.asarray(counts, float)
        exp = expected_counts(int(obs.sum()), moves)
        p = float(stats.chisquare(obs, exp).pvalue)
        pvals.append(p)
        out["engines"][name] = {
            "counts": counts,
            "moves": moves,
            "expected": [round(float(x), 1) for x in exp],
            "p_fit": p,
        }
    for name, (counts, _) in rows.items():
        if name == "crossings":
            continue
        table = np.asarray([crossings.final_counts, counts])
        p = float(stats.chi2_contingency(table).pvalue)
        pvals.append(p)
        out["two_sample"][f"crossings_vs_{name}"] = p
    out["consistent"] = all(p >= ALPHA for p in pvals)
    return out


def _fmt_mib(b: int | None) -> str:
    return f"{b / 2**20:.1f}" if b is not None else "?"


def _fmt_num(x: float | None, spec: str = ",.0f") -> str:
    return format(x, spec) if x is not None else "?"


def format_report(
    c: CrossingsRun,
    floor: PeerResult | None,
    starsim: PeerResult | None,
    check: dict[str, Any],
    *,
    starsim_skipped: str = "",
    peer_repeat: int = 1,
) -> str:
    """The printed table, ratios and consistency check.

    Args:
        c: The Crossings run.
        floor: The NumPy floor run, or None.
        starsim: The Starsim run, or None.
        check: The result of `consistency`.
        starsim_skipped: Why Starsim did not run (when it did not).
        peer_repeat: Runs of each peer (the best counts).

    Returns:
        Text to print.
    """
    lines = [
        f"4-state cycle, {c.n_agents:,} agents x {c.n_days} days "
        f"(Crossings best of {len(c.run_times_s)}: "
        + ", ".join(f"{t:.2f}" for t in c.run_times_s)
        + f" s; peers best of {peer_repeat})",
        f"Crossings load {c.load_s:.3f} s, compile {c.compile_s:.3f} s (not in the figure); "
        f"events processed {c.events:,} ({c.events / c.n_agents:.2f} per agent); "
        f"engine agent-steps {c.agent_steps:,}",
        "",
    ]
    header = (
        f"{'engine':<12} {'agent-steps/s':>15} {'run s':>8} {'wall s':>8} "
        f"{'peak RSS MiB':>12} {'RSS B/agent':>11} {'run B/agent':>11} "
        f"{'engine B/agent':>14}"
    )
    lines += [header, "-" * len(header)]
    lines.append(
        f"{'crossings':<12} {c.agent_steps_per_s:>15,.0f} {c.run_s:>8.2f} "
        f"{c.load_s + c.compile_s + c.run_s:>8.2f} {_fmt_mib(c.peak_rss_bytes):>12} "
        f"{_fmt_num(c.rss_bytes_per_agent):>11} {_fmt_num(c.run_rss_bytes_per_agent):>11} "
        f"{c.engine_bytes_per_agent:>14.1f}"
    )
    for r in (floor, starsim):
        if r is None:
            continue
        run_s = r.n_agents * r.n_days / r.agent_steps_per_s
        lines.append(
            f"{r.name:<12} {r.agent_steps_per_s:>15,.0f} {run_s:>8.2f} {r.wall_s:>8.2f} "
            f"{_fmt_mib(r.peak_rss_bytes):>12} {_fmt_num(r.bytes_per_agent):>11} "
            f"{'':>11} {'':>14}"
        )
    lines.append("")
    if floor is not None:
        ratio = c.agent_steps_per_s / floor.agent_steps_per_s
        lines.append(f"ratio Crossings/floor   = {ratio:.2f}")
    else:
        lines.append("ratio Crossings/floor   = ? (the NumPy floor did not run)")
    if starsim is not None:
        lines.append(
            f"ratio Crossings/Starsim = {c.agent_steps_per_s / starsim.agent_steps_per_s:.2f}"
        )
    else:
        lines.append(f"ratio Crossings/Starsim = ? (Starsim skipped: {starsim_skipped})")
    lines += [
        "",
        "peak RSS: whole process (imports included); RSS B/agent = peak RSS / agents; run",
        "B/agent = Crossings' RSS high-water mark while building and running the engine minus",
        "the RSS after compiling, per agent; engine B/agent = Simulation.memory_bytes() / agents.",
    ]
    lines += ["", "final state counts (s0, s1, s2, s3):"]
    for name, e in check["engines"].items():
        lines.append(
            f"  {name:<12} {e['counts']}  expected after {e['moves']} moves "
            f"{[round(x) for x in e['expected']]}  goodness-of-fit p = {e['p_fit']:.3f}"
        )
    for name, p in check["two_sample"].items():
        lines.append(f"  two-sample chi-square {name}: p = {p:.3f}")
    verdict = "consistent" if check["consistent"] else "NOT consistent"
    lines.append(f"  -> final counts {verdict} at alpha = {ALPHA:g}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        0 when Crossings ran and its final counts are consistent with the floor's, else 1.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="best of k runs of Crossings")
    ap.add_argument(
        "--peer-repeat",
        type=int,
        default=None,
        help="best of k runs of each peer (default: --repeat)",
    )
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    ap.add_argument("--no-starsim", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per subprocess")
    ap.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        _rss_child(args.agents, args.days, args.seed)
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = dt.datetime.now().isoformat(timespec="seconds")
    c = run_crossings(args.agents, args.days, seed=args.seed, repeat=args.repeat)
    if not args.no_rss:
        mem = measure_rss(args.agents, args.days, args.seed, args.timeout)
        if mem is not None:
            c.peak_rss_bytes = mem.get("peak_rss_bytes")
            c.pre_run_rss_bytes = mem.get("pre_run_rss_bytes")
            c.run_peak_rss_bytes = mem.get("run_peak_rss_bytes")
            if c.peak_rss_bytes is not None:
                c.rss_bytes_per_agent = c.peak_rss_bytes / args.agents
            if c.run_peak_rss_bytes is not None and c.pre_run_rss_bytes is not None:
                c.run_rss_bytes_per_agent = (
                    c.run_peak_rss_bytes - c.pre_run_rss_bytes
                ) / args.agents
    peer_repeat = args.peer_repeat if args.peer_repeat is not None else args.repeat
    floor = _best(
        [
            run_numpy_floor(args.agents, args.days, timeout_s=args.timeout)
            for _ in range(max(1, peer_repeat))
        ]
    )
    starsim = None
    starsim_skipped = ""
    if args.no_starsim:
        starsim_skipped = "--no-starsim"
    elif peer_python("starsim") is None:
        starsim_skipped = "no .bench-venvs/starsim; make it with bash benchmarks/setup_peers.sh"
        print(f"Starsim skipped: {starsim_skipped}")
    else:
        starsim = _best(
            [
                run_starsim(args.agents, args.days, timeout_s=args.timeout)
                for _ in range(max(1, peer_repeat))
            ]
        )
        if starsim is None:
            starsim_skipped = "its run failed (see the warning above)"
    peer_counts: dict[str, list[int]] = {}
    for r in (floor, starsim):
        if r is not None:
            counts = parse_counts(r.raw_output)
            if counts is not None:
                peer_counts[r.name] = counts
    check = consistency(c, peer_counts)
    print(
        format_report(
            c, floor, starsim, check, starsim_skipped=starsim_skipped, peer_repeat=peer_repeat
        )
    )
    print(f"engine sources sha256[:12] = {ENGINE_AT_IMPORT}")
    warning = changed_warning(ENGINE_AT_IMPORT)
    if warning:
        print(warning)

    if args.json is not None:
        doc = {
            "benchmark": "cycle4",
            "started": started,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "numpy": np.__version__,
            },
            "engine_sha256_12": ENGINE_AT_IMPORT,
            "engine_sha256_12_at_end": engine_hash(),
            "crossings": asdict(c),
            "peer_repeat": peer_repeat,
            "numpy_floor": _peer_dict(floor),
            "starsim": _peer_dict(starsim),
            "ratios": {
                "crossings_over_floor": (
                    c.agent_steps_per_s / floor.agent_steps_per_s if floor else None
                ),
                "crossings_over_starsim": (
                    c.agent_steps_per_s / starsim.agent_steps_per_s if starsim else None
                ),
            },
            "final_counts_check": check,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1))
        print(f"\nwrote {args.json}")
    return 0 if (floor is None or check["consistent"]) else 1


def _best(results: list[PeerResult | None]) -> PeerResult | None:
    """The run with the highest agent-steps/s, or None if none ran."""
    ran = [r for r in results if r is not None]
    return max(ran, key=lambda r: r.agent_steps_per_s) if ran else None


def _peer_dict(r: PeerResult | None) -> dict[str, Any] | None:
    if r is None:
        return None
    d = asdict(r)
    d.pop("raw_output")
    d["final_counts"] = parse_counts(r.raw_output)
    return d


if __name__ == "__main__":
    sys.exit(main())
