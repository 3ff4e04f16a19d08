"""Runs of the web app: a one-worker job queue and the run directories on disk.

Every run is stored under ``data_dir/runs/<run_id>/`` by
:func:`crossings.results.io.write_results`. Run ids are random hex tokens;
any id that does not match :data:`RUN_ID_RE` is treated as unknown, so a
request can never name a path outside the runs folder.

At most :data:`MAX_PENDING` runs are queued or running at once
(:class:`QueueFullError` beyond). A queued run can be cancelled at once; a
running one is asked to stop and does so at its next progress report (the
progress callback raises :class:`RunCancelled` inside the simulation). A run
cancelled while its results are being written has its folder removed, so the
runs folder never holds a cancelled run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import shutil
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crossings.api import simulate
from crossings.results.bundle import RunMode, ScenarioInfo
from crossings.results.io import write_results
from crossings.runs import RunPlan, execute
from crossings.scenario.load import LoadedScenario
from crossings.web.data import DamagedResultsError, guarded, open_run, read_json
from crossings.web.models import RunStatus

log = logging.getLogger("crossings.web")

RUN_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")
INFO_CACHE_SIZE = 8
MAX_PENDING = 8
"""Runs that may be queued or running at once."""
PENDING_STATES = ("queued", "running")


class QueueFullError(Exception):
    """Too many runs are queued or running to accept another."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"too many runs queued or running (the limit is {limit}); wait for one to "
            "finish or cancel one with POST /api/runs/{run_id}/cancel"
        )


class StoreClosedError(Exception):
    """The app is shutting down: no run is accepted."""


class NotCancellableError(Exception):
    """The run has already finished (done or failed): there is nothing to cancel."""


class RunCancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a simulation (from its progress callback) to stop it."""


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
    calibration: str | None = None
    calibration_path: Path | None = field(default=None, repr=False)
    expected: bool = False
    state: str = "queued"
    progress: float = 0.0
    error: str | None = None
    summary: dict[str, Any] | None = None
    cancel_requested: bool = False
    future: Future[None] | None = field(default=None, repr=False)

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
            "calibration": self.calibration,
            "expected": self.expected,
            "created": self.created,
            "error": self.error,
            "summary": self.summary,
            "cancel_requested": self.cancel_requested,
        }

    def stopping(self) -> bool:
        """Whether a cancel was asked for (read afresh: another thread sets it)."""
        return self.cancel_requested


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


def _disk_status(run_id: str, info: dict[str, Any]) -> dict[str, Any]:
    """The status of a finished run from its ``run.json`` (checked against the model).

    Raises:
        ValueError: If ``run.json`` holds values of the wrong kind.
    """
    web = info.get("web") or {}
    status = {
        "run_id": run_id,
        "state": "done",
        "progress": 1.0,
        "scenario": web.get("scenario", info.get("scenario")),
        "variant": info.get("variant"),
        "overrides": web.get("overrides") or {},
        "runs": info.get("runs"),
        "seed": (info.get("seeds") or [None])[0],
        "calibration": web.get("calibration"),
        "expected": bool(web.get("expected", False)),
        "created": info.get("created"),
        "summary": _summary(info),
    }
    try:
        RunStatus.model_validate(status)
    except ValidationError as exc:
        raise ValueError(f"unexpected values ({exc.error_count()} field(s))") from None
    return status


class RunStore:
    """Queued, running and finished runs of one app.

    Args:
        data_dir: Folder holding ``runs/``.
        workers: Worker processes per simulation (None: one per CPU; 1: in the thread).
        max_pending: Runs that may be queued or running at once.
    """

    def __init__(
        self, data_dir: Path, workers: int | None = None, max_pending: int = MAX_PENDING
    ) -> None:
        self.root = Path(data_dir) / "runs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.max_pending = max_pending
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._infos: OrderedDict[str, ScenarioInfo] = OrderedDict()
        self.start()

    def start(self) -> None:
        """Start the worker thread (again, after :meth:`shutdown`; the app's lifespan calls it)."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="crossings-run"
                )

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
        calibration: tuple[str, Path] | None = None,
        expected: bool = False,
    ) -> Job:
        """Queue a validated scenario; returns the job record.

        ``calibration`` (a registered calibration's name and folder) makes each
        run draw its parameters from that posterior; ``expected`` computes the
        exact expected values of each draw instead of agent runs.

        Raises:
            QueueFullError: If :attr:`max_pending` runs are queued or running.
            StoreClosedError: If the store has been shut down.
        """
        with self._lock:
            if self._executor is None:
                raise StoreClosedError("the server is shutting down; no run can be started")
            pending = sum(j.state in PENDING_STATES for j in self._jobs.values())
            if pending >= self.max_pending:
                raise QueueFullError(self.max_pending)
            job = Job(
                run_id=self._new_id(),
                scenario=scenario,
                overrides=dict(overrides),
                variant=variant,
                runs=runs,
                seed=seed,
                created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                calibration=calibration[0] if calibration else None,
                calibration_path=calibration[1] if calibration else None,
                expected=expected and calibration is not None,
            )
            self._jobs[job.run_id] = job
            job.future = self._executor.submit(self._work, job, loaded)
        return job

    def cancel(self, run_id: str) -> dict[str, Any] | None:
        """Cancel a queued run, or ask a running one to stop.

        Returns:
            The run's status afterwards (``cancelled``, or ``running`` with
            ``cancel_requested`` until it stops); None for an unknown run.

        Raises:
            NotCancellableError: If the run is done or failed.
        """
        if not RUN_ID_RE.fullmatch(run_id):
            return None
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                if job.state == "queued":
                    if job.future is not None:
                        job.future.cancel()
                    self._mark_cancelled(job)
                elif job.state == "running":
                    job.cancel_requested = True
                elif job.state != "cancelled":
                    raise NotCancellableError(f"run {run_id} is {job.state}: nothing to cancel")
                return job.status()
        status = self.status(run_id)
        if status is not None:
            raise NotCancellableError(f"run {run_id} is {status['state']}: nothing to cancel")
        return None

    @staticmethod
    def _mark_cancelled(job: Job) -> None:
        """Record a job as cancelled (the caller holds the lock)."""
        job.state = "cancelled"
        job.cancel_requested = True
        job.error = "cancelled on request"

    def _progress(self, job: Job, fraction: float) -> None:
        with self._lock:
            if job.stopping():
                raise RunCancelled(job.run_id)
            job.progress = max(job.progress, min(float(fraction), 1.0) * 0.95)

    def _discard(self, run_id: str) -> None:
        """Remove a run's folder: renamed out of sight first, so no reader sees half of it."""
        folder = self.root / run_id
        if not folder.exists():
            return
        hidden = self.root / f".{run_id}.cancelled-{secrets.token_hex(4)}"
        folder.rename(hidden)
        shutil.rmtree(hidden, ignore_errors=True)

    def _work(self, job: Job, loaded: LoadedScenario) -> None:
        with self._lock:
            if job.state != "queued":  # cancelled before it started
                return
            job.state = "running"
        try:
            if job.calibration_path is not None:
                plan = RunPlan(
                    RunMode.POSTERIOR_EXPECTED if job.expected else RunMode.POSTERIOR,
                    runs=job.runs,
                    seed=job.seed,
                    workers=self.workers,
                    posterior=job.calibration_path,
                    # the approximation the calibration was fitted with
                    lump_days=_fit_lumping(loaded) if job.expected else None,
                )
                results = execute(loaded, plan, progress=lambda f: self._progress(job, f))
            else:
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
                "calibration": job.calibration,
                "expected": job.expected,
            }
            with self._lock:
                if job.stopping():
                    raise RunCancelled(job.run_id)
            write_results(results, self.root / job.run_id)
            info = read_json(self.root / job.run_id)
        except RunCancelled:
            log.info("run %s cancelled", job.run_id)
            with self._lock:
                self._mark_cancelled(job)
            return
        except Exception as exc:
            log.exception("run %s failed", job.run_id)
            with self._lock:
                job.state = "failed"
                job.error = f"{type(exc).__name__}: {exc}"[:2000]
            return
        with self._lock:
            if job.stopping():  # asked while the results were being written
                self._discard(job.run_id)
                self._mark_cancelled(job)
                log.info("run %s cancelled after it was written; folder removed", job.run_id)
                return
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
            info = read_json(d)
            status = guarded(d, "run.json", lambda: _disk_status(run_id, info))
        except DamagedResultsError as exc:
            log.warning("%s", exc)
            return {"run_id": run_id, "state": "failed", "progress": 1.0, "error": str(exc)}
        return status

    def list(self) -> list[dict[str, Any]]:
        """Every known run, newest first."""
        ids = {p.name for p in self.root.iterdir() if p.is_dir() and RUN_ID_RE.fullmatch(p.name)}
        with self._lock:
            ids |= set(self._jobs)
        out = [s for s in (self.status(i) for i in ids) if s is not None]
        return sorted(out, key=lambda s: (s.get("created") or "", s["run_id"]), reverse=True)

    def scenario_info(self, run_id: str) -> ScenarioInfo:
        """The description of a finished run's scenario, from its bundle (cached).

        Raises:
            ResultsError: If the run's bundle is damaged or from another version.
        """
        with self._lock:
            if run_id in self._infos:
                self._infos.move_to_end(run_id)
                return self._infos[run_id]
        d = self.run_dir(run_id)
        assert d is not None
        info = open_run(d)
        with self._lock:
            self._infos[run_id] = info
            while len(self._infos) > INFO_CACHE_SIZE:
                self._infos.popitem(last=False)
        return info

    def shutdown(self) -> None:
        """Stop the worker thread: queued runs are cancelled, a running one is asked to stop."""
        with self._lock:
            for job in self._jobs.values():
                if job.state == "queued":
                    self._mark_cancelled(job)
                elif job.state == "running":
                    job.cancel_requested = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _fit_lumping(loaded: LoadedScenario) -> int | None:
    """The lumping of long stays a scenario's calibration is fitted with (None: exact)."""
    cal = loaded.scenario.calibration
    return cal.approximation.lump_days if cal and cal.approximation else None
