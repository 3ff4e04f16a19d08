"""YAML reading that remembers where every value was written.

PyYAML's composer gives nodes with start marks; this module turns the node
tree into plain Python data while recording, for every field path, the file,
line and column of its value. Duplicate keys, which PyYAML would silently
accept, are reported as errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crossings.scenario.errors import Issue, Location, Path_, ScenarioError


@dataclass
class SourceMap:
    """Field path → location of the value (and of its key, for mappings)."""

    values: dict[Path_, Location] = field(default_factory=dict)
    keys: dict[Path_, Location] = field(default_factory=dict)
    default_file: str = "<scenario>"

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The location of the value at ``path``, or of its nearest ancestor.

        Args:
            path: Field path.
            key: Prefer the position of the key (for unknown-key errors).
        """
        p = tuple(path)
        while True:
            if key and p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return Location(self.default_file)
            p = p[:-1]

    def update(self, other: SourceMap) -> None:
        """Add every entry of ``other`` (its entries win)."""
        self.values.update(other.values)
        self.keys.update(other.keys)

    def rebase(self, old: Path_, new: Path_) -> SourceMap:
        """Entries under ``old`` moved to ``new`` (for merged lists)."""
        out = SourceMap(default_file=self.default_file)
        n = len(old)
        for src, dst in ((self.values, out.values), (self.keys, out.keys)):
            for p, loc in src.items():
                if p[:n] == old:
                    dst[new + p[n:]] = loc
        return out


def _loc(file: str, node: yaml.Node) -> Location:
    mark = node.start_mark
    return Location(file, mark.line + 1, mark.column + 1)


def _construct(
    node: yaml.Node, path: Path_, file: str, smap: SourceMap, issues: list[Issue]
) -> Any:
    smap.values[path] = _loc(file, node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                issues.append(
                    Issue(
                        "YAML merge keys ('<<') are not supported",
                        path,
                        _loc(file, key_node),
                        hint="use 'extends:' to build on another scenario, or repeat the values",
                    )
                )
                continue
            try:
                key = _construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            except (ValueError, yaml.YAMLError) as exc:
                issues.append(_bad_scalar(key_node, path, file, exc))
                continue
            if key is None or isinstance(key, list | dict):
                issues.append(
                    Issue(
                        "mapping keys must be plain names",
                        path,
                        _loc(file, key_node),
                        expected="a name",
                        found="a complex key",
                    )
                )
                continue
            key = str(key) if not isinstance(key, int | str) else key
            if isinstance(key, int):
                key_str: str | int = str(key)
            else:
                key_str = key
            child = (*path, key_str)
            if key_str in out:
                issues.append(
                    Issue(
                        f"duplicate key '{key_str}'",
                        child,
                        _loc(file, key_node),
                        expected="each key once per mapping",
                        found=f"'{key_str}' again (first at line {smap.keys[child].line})",
                        hint="remove one of the two, or merge their contents",
                    )
                )
                continue
            smap.keys[child] = _loc(file, key_node)
            out[key_str] = _construct(value_node, child, file, smap, issues)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, (*path, i), file, smap, issues) for i, v in enumerate(node.value)]
    try:
        return _construct_scalar(node)
    except (ValueError, yaml.YAMLError) as exc:
        issues.append(_bad_scalar(node, path, file, exc))
        return None


def _bad_scalar(node: yaml.Node, path: Path_, file: str, exc: Exception) -> Issue:
    """An issue for a scalar PyYAML cannot construct (e.g. the date 2002-02-30)."""
    text = str(node.value)
    if node.tag == "tag:yaml.org,2002:timestamp":
        return Issue(
            f"'{text}' is not a valid date",
            path,
            _loc(file, node),
            expected="a real calendar date written YYYY-MM-DD",
            found=repr(text),
            hint=f"{exc}; check the day and the month",
        )
    return Issue(
        f"cannot read the value '{text}'", path, _loc(file, node), found=repr(text), hint=str(exc)
    )


_YAML12_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _construct_scalar(node: yaml.Node) -> Any:
    """Construct one scalar with YAML 1.1 safe semantics (dates, numbers, booleans).

    One YAML 1.2 rule is added: a plain (unquoted) scalar such as ``5e-05`` is
    a number, as a reader expects (YAML 1.1 would read it as text).
    """
    loader = yaml.SafeLoader("")
    try:
        value = loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
    if (
        isinstance(value, str)
        and isinstance(node, yaml.ScalarNode)
        and node.style is None
        and _YAML12_FLOAT.match(value)
    ):
        return float(value)
    return value


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into Python data plus a :class:`SourceMap`.

    Args:
        text: The YAML document.
        file: Name of the file, used in locations.

    Returns:
        The data and its source map.

    Raises:
        ScenarioError: On syntax errors, an empty document, several
            documents, or duplicate keys.
    """
    smap = SourceMap(default_file=file)
    issues: list[Issue] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise ScenarioError(
            [
                Issue(
                    f"YAML syntax error: {problem}{context}",
                    (),
                    loc,
                    expected="valid YAML",
                    found=_line_at(text, mark.line) if mark else None,
                    hint=_syntax_hint(problem),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise ScenarioError([Issue(f"YAML error: {exc}", (), Location(file))]) from None
    starts = _document_starts(text, file)
    if len(starts) == len(nodes):
        docs = [(n, start) for n, start in zip(nodes, starts, strict=True) if not _blank(n)]
    else:  # pragma: no cover - composer and parser always agree
        docs = [(n, None) for n in nodes if not _blank(n)]
    nodes = [n for n, _ in docs]
    if not nodes:
        only_comments = bool(text.strip())
        raise ScenarioError(
            [
                Issue(
                    "the scenario file holds only comments"
                    if only_comments
                    else "the scenario file is empty",
                    (),
                    Location(file, 1, 1),
                    expected="a mapping with at least 'name' and 'time'",
                    found="only comments and blank lines" if only_comments else "no content",
                    hint="start from 'crossings scenarios --show example' "
                    "or see 'crossings schema'",
                )
            ]
        )
    if len(nodes) > 1:
        raise ScenarioError(
            [
                Issue(
                    "the file holds several YAML documents ('---')",
                    (),
                    docs[1][1] or _loc(file, nodes[1]),
                    expected="one document",
                    found=f"{len(nodes)} documents",
                    hint="keep one scenario per file",
                )
            ]
        )
    data = _construct(nodes[0], (), file, smap, issues)
    if issues:
        raise ScenarioError(issues)
    return data, smap


def _blank(node: yaml.Node | None) -> bool:
    """Whether a document is empty (nothing, or only comments after '---')."""
    return node is None or (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:null"
        and node.value == ""
    )


def _document_starts(text: str, file: str) -> list[Location | None]:
    """Per document, the location of its explicit '---' marker (None if implicit)."""
    out: list[Location | None] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.DocumentStartEvent):
            mark = event.start_mark
            out.append(
                Location(file, mark.line + 1, mark.column + 1)
                if event.explicit and mark is not None
                else None
            )
    return out


def load_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file (see :func:`load_yaml`).

    Raises:
        ScenarioError: If the file cannot be read or parsed.
    """
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(
            [
                Issue(
                    "scenario file not found",
                    (),
                    Location(file),
                    hint="give a path to a .yaml file or the name of a built-in scenario "
                    "('crossings scenarios' lists them)",
                )
            ]
        ) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Issue("expected a file, found a directory", (), Location(file))]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Issue(f"cannot read the file: {exc.strerror}", (), Location(file))]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Issue(
                    "the file is not UTF-8 text",
                    (),
                    Location(file, line),
                    expected="UTF-8 encoded YAML",
                    found=f"byte 0x{raw[exc.start]:02x}",
                    hint="save the file as UTF-8",
                )
            ]
        ) from None
    return load_yaml(text, file)


def _line_at(text: str, line0: int) -> str | None:
    lines = text.splitlines()
    if 0 <= line0 < len(lines):
        return repr(lines[line0].strip())
    return None


def _syntax_hint(problem: str) -> str:
    if "tab" in problem or "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or a key is indented wrongly"
    if "expected <block end>" in problem or "did not find expected" in problem:
        return "check the indentation of this line against the lines above it"
    return "check indentation, colons and quotes on this line and the one before"
