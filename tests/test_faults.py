"""Faults: a killed parent leaves no worker processes behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import scaled_timeout

PARENT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from crossings.executors import LocalExecutor

    def task(i):
        Path(sys.argv[1], f"worker-{os.getpid()}").touch()
        time.sleep(600)
        return i

    if __name__ == "__main__":
        LocalExecutor(2).map(task, [0, 1, 2, 3])
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its new parent) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _wait(cond: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(cond())  # type: ignore[operator]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path: Path, sig: signal.Signals) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    marks = tmp_path / "marks"
    marks.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(marks)])
    try:
        assert _wait(lambda: len(list(marks.iterdir())) == 2, scaled_timeout(60)), (
            "the two workers never started"
        )
        workers = [int(p.name.split("-")[1]) for p in marks.iterdir()]
        assert all(_alive(w) for w in workers)
        parent.send_signal(sig)
        parent.wait(timeout=scaled_timeout(30))
        assert _wait(lambda: not any(_alive(w) for w in workers), scaled_timeout(20)), (
            f"workers {workers} outlived their parent killed by {sig.name}"
        )
    finally:
        parent.kill()
        for p in marks.iterdir():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(p.name.split("-")[1]), signal.SIGKILL)
