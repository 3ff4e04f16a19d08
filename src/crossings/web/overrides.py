"""What an override sent to the web app may change: values, never files.

An override is ``path → value``; the scenario loader parses a text value as
YAML and sets it at the path. A scenario names files in two places
(``observations[i].file``, read as CSV, and ``extends``), so an override that
reached either could make the server read any file on the machine and echo
it in an error or in a run's observations. The loader refuses them too; the
web app refuses them first, before anything is loaded (defence in depth):

* a path whose last part is ``file`` or ``extends``, or that holds ``..``,
  ``/`` or a backslash (:func:`key_problem`);
* a text value that is YAML holding a ``file`` or ``extends`` key at any
  depth, YAML anchors, aliases or tags, or nesting deeper than
  :data:`MAX_VALUE_DEPTH` (:func:`value_problem`).

Each function returns the reason as a sentence (for a 422), or None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

FILE_KEYS = frozenset({"file", "extends"})
MAX_VALUE_DEPTH = 10

_OPEN = (
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
_REFUSED_TOKENS = (yaml.AliasToken, yaml.AnchorToken, yaml.TagToken)


def path_parts(key: str) -> list[str]:
    """The parts of an override path, split as the scenario loader splits them."""
    return [p for p in key.replace("[", ".").replace("]", "").split(".") if p]


def key_problem(key: str) -> str | None:
    """Why an override path is refused (it names a file or a path), or None."""
    if ".." in key or "/" in key or "\\" in key:
        return "an override path may not contain '..', '/' or '\\'"
    parts = path_parts(key)
    if parts and parts[-1].lower() in FILE_KEYS:
        return (
            f"an override may not set '{parts[-1]}': the web app never reads files "
            "named in a request"
        )
    return None


def _keys(value: Any, depth: int = 0) -> Iterator[str]:
    """Every mapping key inside a parsed YAML value (depth-limited)."""
    if depth > MAX_VALUE_DEPTH:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _keys(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v, depth + 1)


def value_problem(text: str) -> str | None:
    """Why a text override value is refused, or None.

    The text is scanned (not composed) first, so an alias bomb or deep nesting
    is refused before any structure is built.
    """
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _REFUSED_TOKENS):
                return "YAML anchors, aliases and tags are not allowed in an override value"
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_VALUE_DEPTH:
                    return f"an override value may nest at most {MAX_VALUE_DEPTH} levels deep"
            elif isinstance(token, _CLOSE):
                depth -= 1
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # not YAML: the loader keeps it as plain text
    for k in _keys(parsed):
        if k.lower() in FILE_KEYS:
            return f"an override value may not hold a '{k}' key: the web app never reads files"
    return None


def overrides_problem(overrides: Mapping[str, Any]) -> str | None:
    """The first reason any override of a mapping is refused, or None."""
    for key, value in overrides.items():
        problem = key_problem(str(key))
        if problem is None and isinstance(value, str):
            problem = value_problem(value)
        if problem is not None:
            return f"override '{str(key)[:200]}': {problem}"
    return None
