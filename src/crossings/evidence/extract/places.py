"""Gazetteer of places: the shipped list merged with caller-supplied names.

The shipped list (``data/places.csv``: id, name, kind, aliases separated by
``|``) is read once at import into an immutable table; names passed by a
caller (a scenario's places) are matched with a second, per-call pattern.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

__all__ = ["Gazetteer", "PlaceMention", "gazetteer_for"]


@dataclass(frozen=True)
class PlaceMention:
    """A place name found in the text.

    Attributes:
        start: Offset of the name.
        end: End offset.
        name: The canonical place name.
    """

    start: int
    end: int
    name: str


def _compile(surfaces: Sequence[str]) -> re.Pattern[str] | None:
    """One case-sensitive whole-word alternation, longest names first.

    Args:
        surfaces: Surface forms.

    Returns:
        The pattern, or ``None`` for no names.
    """
    if not surfaces:
        return None
    alternation = "|".join(re.escape(s) for s in sorted(set(surfaces), key=lambda s: -len(s)))
    # "North Korean" (adjective) is not "North Korea": the look-ahead refuses word characters
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])")


@dataclass(frozen=True)
class Gazetteer:
    """Place names and the canonical name each one stands for.

    Attributes:
        names: (surface form, canonical name) pairs.
        patterns: Compiled alternations over the surface forms.
        lookup: Surface form → canonical name (built from ``names``; a later
            pair wins).
    """

    names: tuple[tuple[str, str], ...]
    patterns: tuple[re.Pattern[str], ...]
    lookup: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", MappingProxyType(dict(self.names)))

    def find(self, text: str, start: int, end: int) -> list[PlaceMention]:
        """Find place names in a span (case-sensitive, whole words).

        Args:
            text: The document text.
            start: Span start.
            end: Span end.

        Returns:
            Non-overlapping mentions in text order, longest first on overlap.
        """
        found: list[PlaceMention] = []
        for pat in self.patterns:
            for m in pat.finditer(text, start, end):
                found.append(PlaceMention(m.start(), m.end(), self.lookup[m.group(0)]))
        found.sort(key=lambda p: (p.start, -(p.end - p.start)))
        out: list[PlaceMention] = []
        for p in found:
            if out and p.start < out[-1].end:
                continue
            out.append(p)
        return out


def _read_shipped() -> tuple[tuple[str, str], ...]:
    """Read ``data/places.csv``.

    Returns:
        (surface, canonical) pairs.
    """
    raw = (
        resources.files("crossings.evidence.extract")
        .joinpath("data/places.csv")
        .read_text(encoding="utf-8")
    )
    pairs: list[tuple[str, str]] = []
    for row in csv.DictReader(io.StringIO(raw)):
        name = row["name"].strip()
        pairs.append((name, name))
        for raw_alias in (row.get("aliases") or "").split("|"):
            alias = raw_alias.strip()
            if alias:
                pairs.append((alias, name))
    return tuple(pairs)


_SHIPPED_NAMES = _read_shipped()
_SHIPPED_PATTERN = _compile([s for s, _ in _SHIPPED_NAMES])


def gazetteer_for(places: Sequence[str]) -> Gazetteer:
    """The shipped gazetteer merged with ``places``.

    Args:
        places: Extra place names (matched as written, canonical name = the
            name itself).

    Returns:
        The gazetteer.
    """
    known = {s for s, _ in _SHIPPED_NAMES}
    extra = tuple(
        (n, n) for n in dict.fromkeys(" ".join(p.split()) for p in places) if n and n not in known
    )
    patterns: list[re.Pattern[str]] = []
    if _SHIPPED_PATTERN is not None:
        patterns.append(_SHIPPED_PATTERN)
    extra_pattern = _compile([s for s, _ in extra])
    if extra_pattern is not None:
        patterns.append(extra_pattern)
    return Gazetteer(_SHIPPED_NAMES + extra, tuple(patterns))
