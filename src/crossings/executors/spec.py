"""Choose an executor from a short text (the CLI's ``--executor SPEC``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from crossings.executors.base import Executor
from crossings.executors.dask_executor import DEFAULT_TIMEOUT, DaskExecutor
from crossings.executors.process import LocalExecutor

log = logging.getLogger(__name__)

DEFAULT_DASK_PORT = 8786

ACCEPTED_FORMS = (
    "local, local:N            worker processes on this machine (local:1: in this process)",
    "dask://HOST[:PORT]        a running Dask scheduler (also tcp://HOST[:PORT]; "
    f"port {DEFAULT_DASK_PORT} by default)",
    "PATH.json                 a Dask scheduler file (also dask-scheduler-file:PATH)",
    "dask-local, dask-local:N  a temporary Dask cluster of N processes on this machine",
)
"""The forms :func:`parse_executor_spec` accepts, for help texts and error messages."""

Kind = Literal["local", "dask", "dask-local"]


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """A parsed executor specification.

    Attributes:
        kind: ``"local"`` (processes here), ``"dask"`` (a running scheduler, by
            ``address`` or ``scheduler_file``) or ``"dask-local"`` (a temporary
            Dask cluster here).
        workers: Worker processes given in the spec (``local:N``, ``dask-local:N``).
        address: Scheduler address (``tcp://HOST:PORT``).
        scheduler_file: Scheduler file.
    """

    kind: Kind
    workers: int | None = None
    address: str | None = None
    scheduler_file: Path | None = None


def _bad(spec: str, why: str = "") -> ValueError:
    reason = f" ({why})" if why else ""
    forms = "\n  ".join(ACCEPTED_FORMS)
    return ValueError(f"unknown executor {spec!r}{reason}; use one of:\n  {forms}")


def _count(spec: str, text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) < 1:
        raise _bad(spec, f"the number of workers must be a whole number ≥ 1, not {text!r}")
    return int(text)


def _address(spec: str) -> str:
    parts = urlsplit(spec.strip())
    try:
        port = parts.port
    except ValueError as exc:
        raise _bad(spec, f"bad port: {exc}") from None
    host = parts.hostname
    if not host:
        raise _bad(spec, "no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise _bad(spec, "expected only HOST[:PORT] after the scheme")
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"tcp://{host}:{port or DEFAULT_DASK_PORT}"


def parse_executor_spec(spec: str | None) -> ExecutorSpec:
    """Parse an executor specification (see :data:`ACCEPTED_FORMS`).

    Args:
        spec: ``None`` or ``"local"`` (the default), ``"local:N"``,
            ``"dask://HOST[:PORT]"``, ``"tcp://HOST[:PORT]"``, ``"PATH.json"``,
            ``"dask-scheduler-file:PATH"``, ``"dask-local"`` or ``"dask-local:N"``.

    Returns:
        The parsed specification (nothing is started or connected).

    Raises:
        ValueError: If the text is not one of the accepted forms; the message lists them.
    """
    if spec is None:
        return ExecutorSpec("local")
    text = spec.strip()
    low = text.lower()
    if low == "local":
        return ExecutorSpec("local")
    if low.startswith("local:"):
        return ExecutorSpec("local", workers=_count(spec, text[len("local:") :]))
    if low == "dask-local":
        return ExecutorSpec("dask-local")
    if low.startswith("dask-local:"):
        return ExecutorSpec("dask-local", workers=_count(spec, text[len("dask-local:") :]))
    if low.startswith("dask-scheduler-file:"):
        path = text[len("dask-scheduler-file:") :].strip()
        if not path:
            raise _bad(spec, "no scheduler file path")
        return ExecutorSpec("dask", scheduler_file=Path(path))
    if low.startswith(("dask://", "tcp://")):
        return ExecutorSpec("dask", address=_address(text))
    if low.endswith(".json") and "://" not in low:
        return ExecutorSpec("dask", scheduler_file=Path(text))
    raise _bad(spec)


def get_executor(
    spec: str | None, *, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Executor:
    """The executor a specification names, started or connected.

    Args:
        spec: See :func:`parse_executor_spec`; ``None`` means ``"local"``.
        workers: Worker processes for ``local`` and ``dask-local`` when the spec
            gives no number (default: one per CPU); ignored for a running scheduler.
        timeout: Seconds to wait for a Dask scheduler.

    Returns:
        The executor; close it (or use it as a context manager) when done.

    Raises:
        ValueError: If the specification is not one of the accepted forms.
        SchedulerConnectionError: If a Dask scheduler cannot be reached in ``timeout``
            (a :class:`ConnectionError`; the message gives the address and a hint).
    """
    parsed = parse_executor_spec(spec)
    n = parsed.workers or workers
    if parsed.kind == "local":
        return LocalExecutor(n)
    if parsed.kind == "dask-local":
        return DaskExecutor.local(n, timeout=timeout)
    if workers is not None:
        log.debug("workers=%d ignored: the Dask cluster has its own workers", workers)
    if parsed.scheduler_file is not None:
        return DaskExecutor(scheduler_file=parsed.scheduler_file, timeout=timeout)
    return DaskExecutor(parsed.address, timeout=timeout)
