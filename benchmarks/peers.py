"""Run the peer benchmarks (NumPy floor, Starsim, Flee) as subprocesses and parse their figures.

The peer scripts live in the shared bench folder (``<repo>/../shared/bench``, or the folder
named by the environment variable ``CROSSINGS_PEER_BENCH_DIR``):

* ``numpy_floor.py N DAYS``: the 4-state daily-transition model in plain NumPy, run by the
  current interpreter (``sys.executable``).
* ``starsim_reference.py N DAYS 1``: the same model as a Starsim 3.7.2 module, run by
  ``<repo>/.bench-venvs/starsim/bin/python`` with ``STARSIM_INSTALL_FONTS=0``.
* ``flee_reference.py --agents N --days DAYS --seed S --json FILE``: Flee 3.1 on a synthetic
  40-place escape network (see ``flee_network.py``), run by
  ``<repo>/.bench-venvs/flee/bin/python`` with ``FLEE_TYPE_CHECK=false``.

Each run is wrapped in ``/usr/bin/time -v`` when that is GNU time, else in a small Python
wrapper reading ``getrusage(RUSAGE_CHILDREN)``, to get the peak resident set size. A peer whose
virtual environment is missing, or whose run fails, gives None and a logged warning; the venvs
are made by ``benchmarks/setup_peers.sh`` (see `setup_instructions`).

Try it alone: ``python benchmarks/peers.py`` runs all three at small sizes and prints a table.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PeerResult",
    "bench_dir",
    "format_table",
    "main",
    "marginal_bytes_per_agent",
    "peer_python",
    "run_flee",
    "run_numpy_floor",
    "run_starsim",
    "setup_instructions",
]

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
VENVS_DIR = REPO_ROOT / ".bench-venvs"
BENCH_DIR_ENV = "CROSSINGS_PEER_BENCH_DIR"
VENVS_DIR_ENV = "CROSSINGS_BENCH_VENVS"
GNU_TIME = Path("/usr/bin/time")

STARSIM_VERSION = "3.7.2"
FLEE_VERSION = "3.1"

_RATE_RE = re.compile(r"agent-steps/s \(run only\) = ([\d,]+(?:\.\d+)?)")
_RSS_RE = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")

# Runs the command given as arguments as its only child, then writes that child's peak RSS
# in GNU time's wording to the file named by the first argument; exits with the child's status.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(f'Maximum resident set size (kbytes): {kb}\\n')\n"
    "sys.exit(rc)\n"
)


@dataclass(frozen=True)
class PeerResult:
    """One peer benchmark run.

    Attributes:
        name: Peer name: ``numpy_floor``, ``starsim`` or ``flee``.
        n_agents: Agents simulated (for Flee: spawned over the run, evenly per day).
        n_days: Simulated days (daily steps).
        agent_steps_per_s: The peer's own figure: agent-steps over the wall time of its
            simulation loop only (import and set-up excluded). For Flee, agent-steps are the
            live agents summed over days, about half of ``n_agents * n_days``, as agents are
            spawned through the run.
        wall_s: Wall time of the whole subprocess, interpreter start and imports included.
        peak_rss_bytes: Peak resident set size of the peer process, or None if unknown.
        bytes_per_agent: ``peak_rss_bytes / n_agents`` (interpreter and libraries included;
            see `marginal_bytes_per_agent` for the per-agent slope), or None.
        raw_output: The peer's stdout followed by its stderr.
    """

    name: str
    n_agents: int
    n_days: int
    agent_steps_per_s: float
    wall_s: float
    peak_rss_bytes: int | None
    bytes_per_agent: float | None
    raw_output: str


def bench_dir() -> Path:
    """Return the folder holding the peer scripts.

    Returns:
        ``$CROSSINGS_PEER_BENCH_DIR`` if set, else ``<repo>/../shared/bench``.
    """
    env = os.environ.get(BENCH_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return REPO_ROOT.parent / "shared" / "bench"


def peer_python(name: str) -> Path | None:
    """Return the interpreter of a peer's virtual environment, if it exists.

    Args:
        name: The venv name under ``<repo>/.bench-venvs`` (``starsim`` or ``flee``), or under
            ``$CROSSINGS_BENCH_VENVS`` when that is set (as for ``setup_peers.sh``).

    Returns:
        The path of ``.bench-venvs/<name>/bin/python``, or None when it is missing.
    """
    root = Path(os.environ.get(VENVS_DIR_ENV) or VENVS_DIR)
    python = root / name / "bin" / "python"
    return python if python.exists() else None


def setup_instructions() -> str:
    """Describe how to create the peers' virtual environments.

    Returns:
        Shell commands (and notes) to run from the repository root.
    """
    venvs = ".bench-venvs"
    return "\n".join(
        [
            "Peer benchmarks need two virtual environments under <repo>/.bench-venvs",
            "(gitignored). Create both with:",
            "",
            "    bash benchmarks/setup_peers.sh",
            "",
            "or by hand, from the repository root:",
            "",
            f"    python3 -m venv {venvs}/starsim",
            f"    {venvs}/starsim/bin/pip install starsim=={STARSIM_VERSION}",
            f"    python3 -m venv {venvs}/flee",
            f"    {venvs}/flee/bin/pip install flee=={FLEE_VERSION}",
            "",
            "The NumPy floor runs with the current interpreter (needs numpy only).",
            "Starsim runs with STARSIM_INSTALL_FONTS=0, Flee with FLEE_TYPE_CHECK=false.",
            f"Peer scripts are read from {bench_dir()} (override with ${BENCH_DIR_ENV}).",
            "Flee at 1,000,000 agents x 365 days takes over 10 minutes on 2 cores.",
        ]
    )


def _time_prefix(rss_file: Path) -> list[str]:
    """Command prefix that writes the child's peak RSS to ``rss_file``."""
    if GNU_TIME.exists() and os.access(GNU_TIME, os.X_OK):
        return [str(GNU_TIME), "-v", "-o", str(rss_file)]
    return [sys.executable, "-c", _RUSAGE_WRAPPER, str(rss_file)]


def _parse_peak_rss(text: str) -> int | None:
    """Peak RSS in bytes from GNU ``time -v`` output, or None."""
    match = _RSS_RE.search(text)
    return int(match.group(1)) * 1024 if match else None


def _parse_rate(text: str) -> float | None:
    """The ``agent-steps/s (run only) = 123,456`` figure from a peer's output, or None."""
    match = _RATE_RE.search(text)
    return float(match.group(1).replace(",", "")) if match else None


def _run_peer(
    name: str,
    argv: Sequence[str],
    tmp: Path,
    *,
    n_agents: int,
    n_days: int,
    env: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> tuple[str, float, int | None] | None:
    """Run one peer command under the RSS wrapper, in a scratch folder.

    Args:
        name: Peer name, for messages.
        argv: The command (interpreter, script, arguments).
        tmp: Scratch folder: the working directory, and where the RSS report goes.
        n_agents: Agents, for messages.
        n_days: Days, for messages.
        env: Extra environment variables.
        timeout_s: Give up after this many seconds (None: no limit).

    Returns:
        (stdout + stderr, wall seconds, peak RSS bytes or None), or None if the run failed.
    """
    rss_file = tmp / "rss.txt"
    cmd = [*_time_prefix(rss_file), *argv]
    logger.info("running %s: %s", name, " ".join(cmd))
    t0 = time.perf_counter()
    try:
        # A session of its own, so that a timeout can end the wrapper and the peer together.
        with subprocess.Popen(
            cmd,
            cwd=tmp,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                logger.warning(
                    "%s (%d agents x %d days) timed out after %s s",
                    name,
                    n_agents,
                    n_days,
                    timeout_s,
                )
                return None
    except OSError as exc:
        logger.warning("%s could not start: %s", name, exc)
        return None
    wall_s = time.perf_counter() - t0
    raw = stdout + stderr
    if proc.returncode != 0:
        logger.warning(
            "%s (%d agents x %d days) exited with status %d; last output:\n%s",
            name,
            n_agents,
            n_days,
            proc.returncode,
            raw[-2000:],
        )
        return None
    rss_text = rss_file.read_text() if rss_file.exists() else ""
    return raw, wall_s, _parse_peak_rss(rss_text)


def _result(
    name: str, *, n_agents: int, n_days: int, rate: float, wall_s: float, rss: int | None, raw: str
) -> PeerResult:
    return PeerResult(
        name=name,
        n_agents=n_agents,
        n_days=n_days,
        agent_steps_per_s=rate,
        wall_s=wall_s,
        peak_rss_bytes=rss,
        bytes_per_agent=(rss / n_agents) if rss is not None and n_agents > 0 else None,
        raw_output=raw,
    )


def _script(file_name: str) -> Path | None:
    path = bench_dir() / file_name
    if not path.is_file():
        logger.warning("peer script %s not found (set $%s)", path, BENCH_DIR_ENV)
        return None
    return path


def run_numpy_floor(
    n_agents: int, n_days: int, *, timeout_s: float | None = None
) -> PeerResult | None:
    """Run the plain-NumPy floor of the 4-state model with the current interpreter.

    Args:
        n_agents: Number of agents.
        n_days: Number of daily steps.
        timeout_s: Give up after this many seconds (None: no limit).

    Returns:
        The parsed result, or None (with a logged warning) if the run failed.
    """
    script = _script("numpy_floor.py")
    if script is None:
        return None
    argv = [sys.executable, str(script), str(n_agents), str(n_days)]
    return _finish_rate_run(
        "numpy_floor", argv, n_agents=n_agents, n_days=n_days, env=None, timeout_s=timeout_s
    )


def run_starsim(
    n_agents: int, n_days: int, *, crn: bool = True, timeout_s: float | None = None
) -> PeerResult | None:
    """Run Starsim's 4-state reference model in ``.bench-venvs/starsim``.

    Args:
        n_agents: Number of agents.
        n_days: Number of daily steps.
        crn: Common random numbers on (the reference script's default).
        timeout_s: Give up after this many seconds (None: no limit).

    Returns:
        The parsed result, or None (with a logged warning) if the venv is missing or the run
        failed.
    """
    python = peer_python("starsim")
    if python is None:
        logger.warning("no .bench-venvs/starsim; skipping Starsim. %s", setup_instructions())
        return None
    script = _script("starsim_reference.py")
    if script is None:
        return None
    argv = [str(python), str(script), str(n_agents), str(n_days), str(int(crn))]
    env = {"STARSIM_INSTALL_FONTS": "0"}
    return _finish_rate_run(
        "starsim", argv, n_agents=n_agents, n_days=n_days, env=env, timeout_s=timeout_s
    )


def _finish_rate_run(
    name: str,
    argv: Sequence[str],
    *,
    n_agents: int,
    n_days: int,
    env: Mapping[str, str] | None,
    timeout_s: float | None,
) -> PeerResult | None:
    """Run a peer that prints ``agent-steps/s (run only) = ...`` and build its result."""
    with tempfile.TemporaryDirectory(prefix=f"crossings-peer-{name}-") as td:
        ran = _run_peer(
            name, argv, Path(td), n_agents=n_agents, n_days=n_days, env=env, timeout_s=timeout_s
        )
    if ran is None:
        return None
    raw, wall_s, rss = ran
    rate = _parse_rate(raw)
    if rate is None:
        logger.warning("%s printed no 'agent-steps/s (run only)' line:\n%s", name, raw[-2000:])
        return None
    return _result(
        name, n_agents=n_agents, n_days=n_days, rate=rate, wall_s=wall_s, rss=rss, raw=raw
    )


def run_flee(
    n_agents: int, n_days: int, seed: int = 1, *, timeout_s: float | None = None
) -> PeerResult | None:
    """Run Flee 3.1 on the synthetic escape network in ``.bench-venvs/flee``.

    The figure is the ``agent_steps_per_s`` key of the script's ``--json`` summary (other
    keys there: ``agent_steps``, ``sim_loop_s``, ``setup_s``, ``total_in_script_s``,
    ``agents_spawned``, ``final_in_camps``, ``final_camp_occupancy``, ``camp_capacity``, ...;
    the summary is also the first line of ``raw_output``). Flee takes about 0.1 ms per
    agent-step on one core: 1,000,000 agents x 365 days takes over 10 minutes.

    Args:
        n_agents: Agents spawned over the run.
        n_days: Number of daily steps.
        seed: The script's ``--seed``.
        timeout_s: Give up after this many seconds (None: no limit).

    Returns:
        The parsed result, or None (with a logged warning) if the venv is missing or the run
        failed.
    """
    python = peer_python("flee")
    if python is None:
        logger.warning("no .bench-venvs/flee; skipping Flee. %s", setup_instructions())
        return None
    script = _script("flee_reference.py")
    if script is None:
        return None
    env = {"FLEE_TYPE_CHECK": "false"}
    with tempfile.TemporaryDirectory(prefix="crossings-peer-flee-") as td:
        json_path = Path(td) / "flee.json"
        argv = [
            str(python),
            str(script),
            "--agents",
            str(n_agents),
            "--days",
            str(n_days),
            "--seed",
            str(seed),
            "--json",
            str(json_path),
        ]
        ran = _run_peer(
            "flee", argv, Path(td), n_agents=n_agents, n_days=n_days, env=env, timeout_s=timeout_s
        )
        if ran is None:
            return None
        raw, wall_s, rss = ran
        try:
            summary = json.loads(json_path.read_text())
            rate = float(summary["agent_steps_per_s"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("flee wrote no usable %s (%s):\n%s", json_path, exc, raw[-2000:])
            return None
    return _result(
        "flee", n_agents=n_agents, n_days=n_days, rate=rate, wall_s=wall_s, rss=rss, raw=raw
    )


def marginal_bytes_per_agent(small: PeerResult, large: PeerResult) -> float | None:
    """Per-agent memory slope between two runs of one peer at different sizes.

    ``(peak_rss(large) - peak_rss(small)) / (n_agents(large) - n_agents(small))``: this
    removes the interpreter and library baseline that `PeerResult.bytes_per_agent` includes.

    Args:
        small: The run with fewer agents.
        large: The run with more agents.

    Returns:
        Bytes per extra agent, or None if a peak RSS is unknown or the sizes are equal.
    """
    if small.peak_rss_bytes is None or large.peak_rss_bytes is None:
        return None
    d_agents = large.n_agents - small.n_agents
    if d_agents == 0:
        return None
    return (large.peak_rss_bytes - small.peak_rss_bytes) / d_agents


def format_table(results: Sequence[PeerResult]) -> str:
    """Format peer results as a plain-text table.

    Args:
        results: The runs to show.

    Returns:
        One header line and one line per run.
    """
    header = (
        f"{'peer':<12} {'agents':>10} {'days':>5} {'agent-steps/s':>15} {'wall s':>8} "
        f"{'peak RSS MiB':>12} {'B/agent':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        rss = f"{r.peak_rss_bytes / 2**20:.1f}" if r.peak_rss_bytes is not None else "?"
        bpa = f"{r.bytes_per_agent:.0f}" if r.bytes_per_agent is not None else "?"
        lines.append(
            f"{r.name:<12} {r.n_agents:>10,} {r.n_days:>5} {r.agent_steps_per_s:>15,.0f} "
            f"{r.wall_s:>8.2f} {rss:>12} {bpa:>9}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three peers at small sizes and print a table.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        0 if every peer ran, 1 otherwise.
    """
    ap = argparse.ArgumentParser(description="Run the peer benchmarks at small sizes.")
    ap.add_argument("--agents", type=int, default=100_000, help="NumPy floor and Starsim")
    ap.add_argument("--flee-agents", type=int, default=10_000, help="Flee (slow: ~0.1 ms/step)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1, help="Flee's seed")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per peer")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    runs = [
        run_numpy_floor(args.agents, args.days, timeout_s=args.timeout),
        run_starsim(args.agents, args.days, timeout_s=args.timeout),
        run_flee(args.flee_agents, args.days, args.seed, timeout_s=args.timeout),
    ]
    done = [r for r in runs if r is not None]
    print(format_table(done))
    if len(done) < len(runs):
        print(f"\n{len(runs) - len(done)} peer(s) did not run.\n\n{setup_instructions()}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
