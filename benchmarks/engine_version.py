"""Which engine a benchmark measured: a hash of the engine sources, checked at start and end.

The engine (``src/crossings/engine``) may be edited while a benchmark runs (the package is
installed in editable mode). A benchmark imports it once at the start, but the
subprocesses it starts (the RSS measurement of ``bench_cycle.py``) import it afresh, so
figures are tied to the hash of the engine sources, and a change during the run is reported.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parents[1] / "src" / "crossings" / "engine"


def engine_hash() -> str:
    """Short SHA-256 (12 hex digits) of the engine's ``*.py`` sources, by name and content."""
    h = hashlib.sha256()
    for path in sorted(ENGINE_DIR.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def changed_warning(at_start: str) -> str | None:
    """A warning if the engine sources differ from those hashed as ``at_start``, else None."""
    now = engine_hash()
    if now == at_start:
        return None
    return (
        f"WARNING: the engine sources changed during this run (hash {at_start} at the "
        f"start, {now} at the end); subprocess figures may come from the newer engine."
    )
