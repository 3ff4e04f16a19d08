"""Named variants saved from the web app: a scenario's overrides under a name.

Each is one JSON file ``data_dir/variants/<scenario>/<name>.json``, written
atomically (a temporary file in the same folder, then :func:`os.replace`).
Names must match :data:`VARIANT_NAME_RE` and scenarios must be built-in names,
so a request can never name a path outside the variants folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("crossings.web")

VARIANT_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
SCENARIO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class VariantExistsError(Exception):
    """A variant of that name is already saved for the scenario."""


class VariantStore:
    """Saved variants of one app.

    Args:
        data_dir: Folder holding ``variants/``.
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "variants"
        self._lock = threading.Lock()

    def _path(self, scenario: str, name: str) -> Path | None:
        if not (SCENARIO_NAME_RE.fullmatch(scenario) and VARIANT_NAME_RE.fullmatch(name)):
            return None
        return self.root / scenario / f"{name}.json"

    def get(self, scenario: str, name: str) -> dict[str, Any] | None:
        """A saved variant, or None if unknown (or the names are malformed)."""
        path = self._path(scenario, name)
        if path is None or not path.is_file():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("saved variant %s cannot be read", path)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("overrides"), dict):
            return None
        return data

    def list_for(self, scenario: str) -> list[dict[str, Any]]:
        """Every saved variant of a scenario, by name."""
        if not SCENARIO_NAME_RE.fullmatch(scenario):
            return []
        folder = self.root / scenario
        if not folder.is_dir():
            return []
        out = []
        for p in sorted(folder.glob("*.json")):
            v = self.get(scenario, p.stem)
            if v is not None:
                out.append(v)
        return out

    def save(
        self,
        scenario: str,
        name: str,
        description: str | None,
        overrides: dict[str, Any],
        *,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Store a variant atomically.

        Raises:
            ValueError: If the scenario or variant name is malformed.
            VariantExistsError: If the name is taken and ``replace`` is false.
        """
        path = self._path(scenario, name)
        if path is None:
            raise ValueError(f"malformed scenario or variant name {name!r}")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record = {
            "scenario": scenario,
            "name": name,
            "description": description,
            "overrides": dict(overrides),
            "created": now,
            "updated": now,
        }
        with self._lock:
            if path.exists():
                if not replace:
                    raise VariantExistsError(name)
                old = self.get(scenario, name)
                if old is not None and old.get("created"):
                    record["created"] = old["created"]
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(record, f, indent=2, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return record

    def delete(self, scenario: str, name: str) -> bool:
        """Remove a saved variant; False if there was none."""
        path = self._path(scenario, name)
        if path is None:
            return False
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True
