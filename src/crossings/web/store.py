"""Runs of the web app: a one-worker job queue and the run directories on disk.

Every run is stored under ``data_dir/runs/<run_id>/`` by
:func:`crossings.results.io.write_results`. Run ids are random hex tokens;
any id that does not match :data:`RUN_ID_RE` is treated as unknown, so a
request can never name a path outside the runs folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossings.api import simulate
from crossings.compile.compiler import compile_scenario
from crossings.compile.model import CompiledModel
from crossings.results.io import write_results
from crossings.scenario.load import LoadedScenario, load_scenario

log = logging.getLogger("crossings.web")

RUN_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")
MODEL_CACHE_SIZE = 8


def override_strings(overrides: dict[str, Any]) -> list[str]:
    """``{path: value}`` as ``path=value`` strings for :func:`load_scenario`."""
    out = []
    for k, v in overrides.items():
        text = ("true" if v else "false") if isinstance(v, bool) else str(v)
        out.append(f"{k}={text}")
    return out


@dataclass
class Job:
    """A run started from the web app (kept in memory while the app lives)."""

    run_id: str
    scenario: str
    overrides: dict[str, Any]
    variant: str | None
    runs: int
    seed: int | None
    created: str
    state: str = "queued"
    progress: float = 0.0
    error: str | None = None
    summary: dict[str, Any] | None = None
    model: CompiledModel | None = field(default=None, repr=False)

    def status(self) -> dict[str, Any]:
        """The job as a ``RunStatus`` mapping."""
        return {
            "run_id": self.run_id,
            "state": self.state,
            "progress": min(max(self.progress, 0.0), 1.0),
            "scenario": self.scenario,
            "variant": self.variant,
            "overrides": dict(self.overrides),
            "runs": self.runs,
            "seed": self.seed,
            "created": self.created,
            "error": self.error,
            "summary": self.summary,
        }


def _summary(info: dict[str, Any]) -> dict[str, Any]:
    """The headline facts of a finished run, from its ``run.json``."""
    created = info.get("agents_created") or []
    return {
        "scenario": info.get("scenario"),
        "start": info.get("start"),
        "end": info.get("end"),
        "runs": info.get("runs"),
        "seeds": info.get("seeds"),
        "wall_seconds": info.get("wall_seconds"),
        "agents_created": sorted(created)[len(created) // 2] if created else None,
        "overrides": info.get("overrides") or [],
    }


class RunStore:
    """Queued, running and finished runs of one app.

    Args:
        data_dir: Folder holding ``runs/``.
        workers: Worker processes per simulation (None: one per CPU; 1: in the thread).
    """

    def __init__(self, data_dir: Path, workers: int | None = None) -> None:
        self.root = Path(data_dir) / "runs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crossings-run")
        self._models: OrderedDict[str, CompiledModel] = OrderedDict()

    # ------------------------------------------------------------ paths
    def run_dir(self, run_id: str) -> Path | None:
        """The folder of a finished run, or None for a malformed or unknown id."""
        if not RUN_ID_RE.fullmatch(run_id):
            return None
        d = self.root / run_id
        return d if (d / "run.json").is_file() else None

    def _new_id(self) -> str:
        while True:
            run_id = secrets.token_hex(8)
            if run_id not in self._jobs and not (self.root / run_id).exists():
                return run_id

    # ------------------------------------------------------------ jobs
    def submit(
        self,
        loaded: LoadedScenario,
        scenario: str,
        overrides: dict[str, Any],
        variant: str | None,
        runs: int,
        seed: int | None,
    ) -> Job:
        """Queue a validated scenario; returns the job record."""
        with self._lock:
            job = Job(
                run_id=self._new_id(),
                scenario=scenario,
                overrides=dict(overrides),
                variant=variant,
                runs=runs,
                seed=seed,
                created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
            self._jobs[job.run_id] = job
        self._executor.submit(self._work, job, loaded)
        return job

    def _progress(self, job: Job, fraction: float) -> None:
        with self._lock:
            job.progress = max(job.progress, min(float(fraction), 1.0) * 0.95)

    def _work(self, job: Job, loaded: LoadedScenario) -> None:
        with self._lock:
            job.state = "running"
        try:
            results = simulate(
                loaded,
                seed=job.seed,
                runs=job.runs,
                workers=self.workers,
                progress=lambda f: self._progress(job, f),
            )
            results.meta["web"] = {
                "scenario": job.scenario,
                "overrides": job.overrides,
                "variant": job.variant,
                "runs": job.runs,
                "seed": job.seed,
            }
            write_results(results, self.root / job.run_id)
            info = json.loads((self.root / job.run_id / "run.json").read_text())
        except Exception as exc:
            log.exception("run %s failed", job.run_id)
            with self._lock:
                job.state = "failed"
                job.error = f"{type(exc).__name__}: {exc}"[:2000]
            return
        with self._lock:
            job.model = results.model
            job.summary = _summary(info)
            job.progress = 1.0
            job.state = "done"

    def status(self, run_id: str) -> dict[str, Any] | None:
        """The status of a run (in memory, or finished on disk); None if unknown."""
        if not RUN_ID_RE.fullmatch(run_id):
            return None
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                return job.status()
        d = self.run_dir(run_id)
        if d is None:
            return None
        try:
            info = json.loads((d / "run.json").read_text())
        except (OSError, ValueError):
            return {
                "run_id": run_id,
                "state": "failed",
                "progress": 1.0,
                "error": "run.json cannot be read",
            }
        web = info.get("web") or {}
        return {
            "run_id": run_id,
            "state": "done",
            "progress": 1.0,
            "scenario": web.get("scenario", info.get("scenario")),
            "variant": info.get("variant"),
            "overrides": web.get("overrides") or {},
            "runs": info.get("runs"),
            "seed": (info.get("seeds") or [None])[0],
            "created": info.get("created"),
            "summary": _summary(info),
        }

    def list(self) -> list[dict[str, Any]]:
        """Every known run, newest first."""
        ids = {p.name for p in self.root.iterdir() if p.is_dir() and RUN_ID_RE.fullmatch(p.name)}
        with self._lock:
            ids |= set(self._jobs)
        out = [s for s in (self.status(i) for i in ids) if s is not None]
        return sorted(out, key=lambda s: (s.get("created") or "", s["run_id"]), reverse=True)

    def model(self, run_id: str) -> CompiledModel:
        """The compiled model of a finished run (rebuilt from ``run.json`` if needed).

        Raises:
            ScenarioError: If the run's scenario no longer loads.
        """
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None and job.model is not None:
                return job.model
            if run_id in self._models:
                self._models.move_to_end(run_id)
                return self._models[run_id]
        d = self.run_dir(run_id)
        assert d is not None
        info = json.loads((d / "run.json").read_text())
        web = info.get("web") or {}
        loaded = load_scenario(
            str(web.get("scenario") or info.get("scenario")),
            overrides=list(info.get("overrides") or []),
            variant=info.get("variant"),
        )
        model = compile_scenario(loaded)
        with self._lock:
            self._models[run_id] = model
            while len(self._models) > MODEL_CACHE_SIZE:
                self._models.popitem(last=False)
        return model

    def shutdown(self) -> None:
        """Stop the worker thread (queued runs are dropped)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
