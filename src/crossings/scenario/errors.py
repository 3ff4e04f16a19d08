"""Scenario errors as data: file, line, column, field path, expected, found, hint.

Every problem found while loading or validating a scenario becomes an
:class:`Issue`. A failed load raises :class:`ScenarioError` carrying all of
them, so the command line (and later the web app) can show every mistake at
once, each pointing at the place in the file where it was made.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Location:
    """A position in a scenario file (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario.

    Attributes:
        message: What is wrong, in one sentence.
        path: Field path inside the scenario, e.g. ``("routes", 2, "to")``.
        location: Where in which file the offending value was written.
        expected: What would have been valid.
        found: What was found instead.
        hint: How to fix it (a did-you-mean suggestion where possible).
        severity: ``"error"`` or ``"warning"``.
    """

    message: str
    path: Path_ = ()
    location: Location | None = None
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    severity: str = "error"

    @property
    def dotted_path(self) -> str:
        """The field path written as ``routes[2].to``."""
        return format_path(self.path)

    def format(self) -> str:
        """Render the issue as a few human-readable lines."""
        where = str(self.location) if self.location else "<scenario>"
        head = f"{where}: {self.severity}: {self.message}"
        lines = [head]
        if self.path:
            lines.append(f"  field:    {self.dotted_path}")
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.found is not None:
            lines.append(f"  found:    {self.found}")
        if self.hint:
            lines.append(f"  hint:     {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready representation (for the web app and ``--json``)."""
        return {
            "severity": self.severity,
            "message": self.message,
            "path": self.dotted_path,
            "file": self.location.file if self.location else None,
            "line": self.location.line if self.location else None,
            "column": self.location.column if self.location else None,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


@dataclass
class ScenarioError(Exception):
    """Raised when a scenario cannot be loaded; carries every issue found."""

    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.format())

    def format(self) -> str:
        """All issues, one block each, followed by a count."""
        errors = [i for i in self.issues if i.severity == "error"]
        blocks = [i.format() for i in self.issues]
        n = len(errors)
        blocks.append(f"{n} error{'s' if n != 1 else ''} in scenario")
        return "\n".join(blocks)

    def __str__(self) -> str:
        return self.format()


def format_path(path: Sequence[str | int]) -> str:
    """Format a field path as ``a.b[2].c``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Suggest the closest valid spelling of ``word``, if any is close.

    Args:
        word: The misspelt key or id.
        choices: The valid keys or ids.

    Returns:
        A hint such as ``did you mean 'places'?`` or ``None``.
    """
    pool = sorted(set(choices))
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return None


def describe(value: object, limit: int = 60) -> str:
    """Short, quoted representation of a found value for messages."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "a mapping with keys " + ", ".join(repr(k) for k in list(value)[:6])
    elif isinstance(value, list):
        text = f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    elif value is None:
        text = "nothing (null)"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
