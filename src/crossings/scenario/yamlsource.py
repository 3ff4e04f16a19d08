"""YAML reading that remembers where every value was written, within firm limits.

PyYAML's composer gives nodes with start marks; this module turns the node
tree into plain Python data while recording, for every field path, the file,
line and column of its value. Duplicate keys, which PyYAML would silently
accept, are reported as errors.

Hostile or broken input is refused early, each time naming the limit (see
:mod:`crossings.scenario.limits`): files larger than ``MAX_FILE_BYTES`` are
refused before they are read; while the document is composed, nesting deeper
than ``MAX_DEPTH``, more than ``MAX_ALIASES`` alias uses, more than
``MAX_NODES`` values once aliases are expanded ("billion laughs") and an alias
inside the value it names (an infinite structure) stop it at once, so
nothing is ever expanded beyond the limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crossings.scenario.errors import Issue, Location, Path_, ScenarioError
from crossings.scenario.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
)


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

    def drop(self, prefix: Path_) -> None:
        """Forget every entry at or under ``prefix`` (its value was replaced or removed)."""
        n = len(prefix)
        for table in (self.values, self.keys):
            for p in [p for p in table if p[:n] == prefix]:
                del table[p]

    def graft(self, other: SourceMap, old: Path_, new: Path_) -> None:
        """Replace the entries under ``new`` by those of ``other`` under ``old``.

        Used when a variant or an override puts a value at ``new``: errors inside
        that value then point to where the value was written.
        """
        self.drop(new)
        self.update(other.rebase(old, new))

    def remove_item(self, list_path: Path_, index: int) -> None:
        """Forget list item ``index`` of ``list_path`` and move the later items up by one."""
        self.drop((*list_path, index))
        n = len(list_path)
        for table in (self.values, self.keys):
            moved: dict[Path_, Location] = {}
            for p in list(table):
                item = p[n] if len(p) > n and p[:n] == list_path else None
                if isinstance(item, int) and item > index:
                    moved[(*list_path, item - 1, *p[n + 1 :])] = table.pop(p)
            table.update(moved)


def _mark_loc(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def _loc(file: str, node: yaml.Node) -> Location:
    return _mark_loc(file, node.start_mark)


def size_limit_issue(size: int, limit: int, where: Location, what: str = "file") -> Issue:
    """The issue for input larger than a size limit.

    Args:
        size: Size found, in bytes.
        limit: The limit, in bytes.
        where: Where the input came from.
        what: What was too large ("file", "value").

    Returns:
        An error naming the limit.
    """
    return Issue(
        f"the {what} is larger than the limit of {_mib(limit)}",
        (),
        where,
        expected=f"at most {limit:,} bytes",
        found=f"{size:,} bytes",
        hint="a scenario is a few hundred kilobytes at most; check that this is the right "
        "file (observation data can go in CSV files next to it)",
    )


def _mib(n: int) -> str:
    if n >= 1024**2 and n % 1024**2 == 0:
        return f"{n // 1024**2} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n:,} bytes"


class _LimitedLoader(yaml.SafeLoader):
    """A safe loader whose composer enforces the nesting, alias and size limits.

    For every node it tracks the number of values it expands to and its
    height (levels of nested collections), so an alias can be priced before it
    is used: nothing is ever expanded, only counted.
    """

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.doc_starts: list[Location | None] = []
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._open: set[str] = set()
        self._info: dict[str, tuple[int, int]] = {}
        self._acc: list[list[int]] = []

    def compose_document(self) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        explicit = bool(getattr(event, "explicit", False))
        self.doc_starts.append(_mark_loc(self.file, event.start_mark) if explicit else None)
        self._info = {}
        self._open = set()
        node: yaml.Node | None = super().compose_document()
        return node

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(parent, index, event)
        collection = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        anchor = event.anchor
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise self._too_deep(event.start_mark, f"a list or mapping at level {self._depth}")
        self._count(1, event.start_mark)
        if anchor is not None:
            self._open.add(anchor)
        self._acc.append([1, 0])
        node = super().compose_node(parent, index)
        size, child_height = self._acc.pop()
        height = child_height + 1 if collection else 0
        if collection:
            self._depth -= 1
        if anchor is not None:
            self._open.discard(anchor)
            self._info[anchor] = (size, height)
        self._add_to_parent(size, height)
        return node

    def _compose_alias(
        self, parent: yaml.Node | None, index: Any, event: yaml.AliasEvent
    ) -> yaml.Node | None:
        anchor = str(event.anchor)
        mark = event.start_mark
        if anchor in self._open:
            raise ScenarioError(
                [
                    Issue(
                        f"recursive YAML alias '*{anchor}'",
                        (),
                        _mark_loc(self.file, mark),
                        expected="an alias to a value that is already complete",
                        found=f"'*{anchor}' inside the value named '&{anchor}'",
                        hint="an alias inside its own anchor makes an endless structure; "
                        "write the value out instead",
                    )
                ]
            )
        node = super().compose_node(parent, index)
        size, height = self._info.get(anchor, (1, 0))
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise ScenarioError(
                [
                    Issue(
                        f"more YAML aliases than the limit of {MAX_ALIASES:,}",
                        (),
                        _mark_loc(self.file, mark),
                        expected=f"at most {MAX_ALIASES:,} uses of '*name'",
                        found=f"alias number {self._aliases:,} ('*{anchor}')",
                        hint="write the values out, or use 'extends' and variants to share "
                        "parts of scenarios",
                    )
                ]
            )
        self._count(size, mark, alias=anchor)
        if self._depth + height > MAX_DEPTH:
            raise self._too_deep(mark, f"alias '*{anchor}' reaching level {self._depth + height}")
        self._add_to_parent(size, height)
        return node

    def _add_to_parent(self, size: int, height: int) -> None:
        if self._acc:
            acc = self._acc[-1]
            acc[0] += size
            acc[1] = max(acc[1], height)

    def _count(self, n: int, mark: Any, alias: str | None = None) -> None:
        self._nodes += n
        if self._nodes <= MAX_NODES:
            return
        raise ScenarioError(
            [
                Issue(
                    f"the YAML expands to more values than the limit of {MAX_NODES:,}",
                    (),
                    _mark_loc(self.file, mark),
                    expected=f"at most {MAX_NODES:,} values (scalars, lists and mappings) "
                    "once aliases are expanded",
                    found=(
                        f"alias '*{alias}' expanding to {n:,} values"
                        if alias is not None
                        else f"more than {MAX_NODES:,} values"
                    ),
                    hint=(
                        "aliases that repeat other aliases multiply (a 'billion laughs' "
                        "alias bomb); write the values out"
                        if alias is not None
                        else "split the data: observation rows can go in CSV files"
                    ),
                )
            ]
        )

    def _too_deep(self, mark: Any, found: str) -> ScenarioError:
        return ScenarioError(
            [
                Issue(
                    f"YAML nesting deeper than the limit of {MAX_DEPTH} levels",
                    (),
                    _mark_loc(self.file, mark),
                    expected=f"at most {MAX_DEPTH} levels of lists and mappings inside each other",
                    found=found,
                    hint="a scenario needs about ten levels; look for brackets that are opened "
                    "but not closed, or a file that is not a scenario",
                )
            ]
        )


def _compose(text: str, file: str) -> tuple[list[yaml.Node | None], list[Location | None]]:
    """All documents of ``text`` as nodes, within the limits, with their '---' locations."""
    loader = _LimitedLoader(text, file)
    nodes: list[yaml.Node | None] = []
    try:
        while loader.check_node():
            nodes.append(loader.get_node())
    finally:
        loader.dispose()
    return nodes, loader.doc_starts


class _Scalars:
    """Builds scalars with one reusable PyYAML constructor (cached per node)."""

    def __init__(self) -> None:
        self._loader = yaml.SafeLoader("")
        self._cache: dict[int, Any] = {}

    def close(self) -> None:
        """Release the constructor."""
        self._loader.dispose()

    def build(self, node: yaml.Node) -> Any:
        """The Python value of a scalar node (see :func:`_construct_scalar`)."""
        key = id(node)
        if key in self._cache:
            return self._cache[key]
        loader = self._loader
        try:
            value = loader.construct_object(node, deep=True)
        finally:
            loader.constructed_objects.clear()
            loader.recursive_objects.clear()
            loader.deep_construct = False
        if (
            isinstance(value, str)
            and isinstance(node, yaml.ScalarNode)
            and node.style is None
            and _YAML12_FLOAT.match(value)
        ):
            value = float(value)
        self._cache[key] = value
        return value


def _construct(
    node: yaml.Node,
    path: Path_,
    file: str,
    smap: SourceMap,
    issues: list[Issue],
    scalars: _Scalars,
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
                key = scalars.build(key_node) if isinstance(key_node, yaml.ScalarNode) else None
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
            key_str: str = key if isinstance(key, str) else str(key)
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
            out[key_str] = _construct(value_node, child, file, smap, issues, scalars)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(v, (*path, i), file, smap, issues, scalars) for i, v in enumerate(node.value)
        ]
    try:
        return scalars.build(node)
    except (ValueError, OverflowError, yaml.YAMLError) as exc:
        issues.append(_bad_scalar(node, path, file, exc))
        return None


def _bad_scalar(node: yaml.Node, path: Path_, file: str, exc: Exception) -> Issue:
    """An issue for a scalar PyYAML cannot construct (e.g. the date 2002-02-30)."""
    text = str(node.value)
    shown = text if len(text) <= 40 else text[:39] + "…"
    if node.tag == "tag:yaml.org,2002:timestamp":
        return Issue(
            f"'{shown}' is not a valid date",
            path,
            _loc(file, node),
            expected="a real calendar date written YYYY-MM-DD",
            found=repr(shown),
            hint=f"{exc}; check the day and the month",
        )
    return Issue(
        f"cannot read the value '{shown}'",
        path,
        _loc(file, node),
        found=repr(shown),
        hint=str(exc),
    )


_YAML12_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _construct_scalar(node: yaml.Node) -> Any:
    """Construct one scalar with YAML 1.1 safe semantics (dates, numbers, booleans).

    One YAML 1.2 rule is added: a plain (unquoted) scalar such as ``5e-05`` is
    a number, as a reader expects (YAML 1.1 would read it as text).
    """
    scalars = _Scalars()
    try:
        return scalars.build(node)
    finally:
        scalars.close()


def _check_text_size(text: str, file: str) -> None:
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8")) > MAX_FILE_BYTES:
        size = len(text.encode("utf-8"))
        raise ScenarioError([size_limit_issue(size, MAX_FILE_BYTES, Location(file))])


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into Python data plus a :class:`SourceMap`.

    Args:
        text: The YAML document.
        file: Name of the file, used in locations.

    Returns:
        The data and its source map.

    Raises:
        ScenarioError: On syntax errors, an empty document, several
            documents, duplicate keys, or input beyond the limits of
            :mod:`crossings.scenario.limits` (size, nesting, aliases).
    """
    _check_text_size(text, file)
    smap = SourceMap(default_file=file)
    issues: list[Issue] = []
    try:
        nodes, starts = _compose(text, file)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_issue(exc, text, file)]) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError([_reader_issue(exc, text, file)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise ScenarioError([Issue(f"YAML error: {exc}", (), Location(file))]) from None
    if len(starts) == len(nodes):
        docs = [(n, start) for n, start in zip(nodes, starts, strict=True) if not _blank(n)]
    else:  # pragma: no cover - composer and parser always agree
        docs = [(n, None) for n in nodes if not _blank(n)]
    real = [n for n, _ in docs if n is not None]
    if not real:
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
    if len(real) > 1:
        raise ScenarioError(
            [
                Issue(
                    "the file holds several YAML documents ('---')",
                    (),
                    docs[1][1] or _loc(file, real[1]),
                    expected="one document",
                    found=f"{len(real)} documents",
                    hint="keep one scenario per file",
                )
            ]
        )
    scalars = _Scalars()
    try:
        data = _construct(real[0], (), file, smap, issues, scalars)
    finally:
        scalars.close()
    if issues:
        raise ScenarioError(issues)
    return data, smap


def load_yaml_value(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML value (e.g. of a ``--set`` override) within the same limits.

    Unlike :func:`load_yaml`, an empty text is the value ``None`` and the value
    need not be a mapping.

    Args:
        text: The YAML text.
        file: Name used in locations (e.g. ``--set time.end=2030-01-01``).

    Returns:
        The value and its source map (paths relative to the value).

    Raises:
        yaml.MarkedYAMLError: If the text is not valid YAML (callers may then
            take it as plain text).
        ScenarioError: If the text breaks a limit, holds several documents,
            or holds a value that cannot be read (such as the date 2001-02-30).
    """
    _check_text_size(text, file)
    nodes, _ = _compose(text, file)
    real = [n for n in nodes if n is not None]
    smap = SourceMap(default_file=file)
    if not real:
        return None, smap
    if len(real) > 1:
        raise ScenarioError(
            [
                Issue(
                    "the value holds several YAML documents ('---')",
                    (),
                    Location(file),
                    expected="one value",
                    found=f"{len(real)} documents",
                    hint="quote the value if it is text",
                )
            ]
        )
    issues: list[Issue] = []
    scalars = _Scalars()
    try:
        data = _construct(real[0], (), file, smap, issues, scalars)
    finally:
        scalars.close()
    if issues:
        raise ScenarioError(issues)
    return data, smap


def _reader_issue(exc: yaml.reader.ReaderError, text: str, file: str) -> Issue:
    """An issue for a character YAML does not allow (a NUL byte, a control character)."""
    pos = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return Issue(
        "the file holds a character YAML does not allow",
        (),
        Location(file, line, column),
        expected="printable text (UTF-8)",
        found=f"character #x{char:04x}",
        hint="remove the control character; is this file really a scenario?",
    )


_CLOSERS = {"[": "]", "{": "}", '"': '"', "'": "'"}
_WHAT = {"[": "list", "{": "mapping", '"': "text", "'": "text"}


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, file: str) -> Issue:
    """An issue for a YAML syntax error; an unclosed bracket or quote is named where it opened."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    opener = _unclosed_opener(exc, text)
    if opener is not None and exc.context_mark is not None and exc.problem_mark is not None:
        start, end = exc.context_mark, exc.problem_mark
        closer = _CLOSERS[opener]
        got = _what_was_found(problem, end, text)
        return Issue(
            f"YAML syntax error: the {opener!r} opened on line {start.line + 1} is never closed",
            (),
            _mark_loc(file, start),
            expected=f"a {closer!r} closing the {_WHAT[opener]} that starts at line "
            f"{start.line + 1}, column {start.column + 1}",
            found=f"{got} on line {end.line + 1}, column {end.column + 1}, where the parser "
            "gave up",
            hint=(
                f"add the missing {closer!r} (a quote inside quoted text is written twice "
                "('') or escaped (\\\"))"
                if opener in "\"'"
                else f"add the missing {closer!r}, or check the commas between the items"
            ),
        )
    loc = _mark_loc(file, mark) if mark else Location(file)
    suffix = f" ({context})" if context else ""
    return Issue(
        f"YAML syntax error: {problem}{suffix}",
        (),
        loc,
        expected="valid YAML",
        found=_line_at(text, mark.line) if mark else None,
        hint=_syntax_hint(problem),
    )


def _unclosed_opener(exc: yaml.MarkedYAMLError, text: str) -> str | None:
    """The bracket or quote that was never closed, if that is what the error means."""
    problem = exc.problem or ""
    context = exc.context or ""
    start = exc.context_mark
    if start is None:
        return None
    unclosed_flow = context in (
        "while parsing a flow sequence",
        "while parsing a flow mapping",
    ) and problem.startswith("expected ','")
    unclosed_quote = context == "while scanning a quoted scalar" and problem in (
        "found unexpected end of stream",
        "found unexpected document separator",
    )
    if not (unclosed_flow or unclosed_quote):
        return None
    index = getattr(start, "index", None)
    if not isinstance(index, int) or not 0 <= index < len(text):
        return None
    char = text[index]
    return char if char in _CLOSERS else None


def _what_was_found(problem: str, mark: Any, text: str) -> str:
    """Describe the token where the parser gave up ('the end of the file', "':'", …)."""
    if "end of stream" in problem or "<stream end>" in problem:
        return "the end of the file"
    if "document separator" in problem:
        return "a '---' document separator"
    m = re.search(r"but got '(.+)'$", problem)
    if m:
        token = m.group(1)
        return _TOKENS.get(token, token) if token.startswith("<") else f"'{token}'"
    return "more text"


_TOKENS = {
    "<scalar>": "a value",
    "<block mapping start>": "a new mapping",
    "<block sequence start>": "a new list",
    "<block end>": "the end of a block",
    "<document start>": "a '---' document start",
}


def _blank(node: yaml.Node | None) -> bool:
    """Whether a document is empty (nothing, or only comments after '---')."""
    return node is None or (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:null"
        and node.value == ""
    )


def read_limited(path: Path, limit: int) -> bytes:
    """Read a file of at most ``limit`` bytes, refusing a larger one before reading it.

    Args:
        path: The file.
        limit: Largest size accepted, in bytes.

    Returns:
        The file's bytes.

    Raises:
        OSError: If the file cannot be read.
        ScenarioError: If it is larger than ``limit`` (checked on its size
            first, then on what was read, for files that grow or do not
            report a size).
    """
    size = path.stat().st_size
    if size > limit:
        raise ScenarioError([size_limit_issue(size, limit, Location(str(path)))])
    with path.open("rb") as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise ScenarioError([size_limit_issue(len(raw), limit, Location(str(path)))])
    return raw


def load_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    """Read and parse a YAML file (see :func:`load_yaml`).

    Raises:
        ScenarioError: If the file cannot be read, is larger than
            ``MAX_FILE_BYTES``, or cannot be parsed.
    """
    file = str(path)
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
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
        line = lines[line0].strip()
        return repr(line if len(line) <= 80 else line[:79] + "…")
    return None


def _syntax_hint(problem: str) -> str:
    if "tab" in problem or "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted, or a key is indented wrongly"
    if "expected <block end>" in problem or "did not find expected" in problem:
        return "check the indentation of this line against the lines above it"
    return "check indentation, colons and quotes on this line and the one before"
