"""Loading scenarios: built-ins, files, ``extends``, variants and ``--set`` overrides.

The pipeline is: read YAML with positions → resolve ``extends`` (deep merge,
lists of items with ids merged by id) → apply a named variant → apply
``--set`` overrides → read observation files → validate the shape (pydantic)
→ validate the meaning (:mod:`crossings.scenario.validate`). Every problem is
reported with file, line, column and field path; nothing runs on an invalid
scenario.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import importlib.resources
import io
import json
import re
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from crossings.scenario.errors import (
    Issue,
    Location,
    Path_,
    ScenarioError,
    describe,
    did_you_mean,
    format_path,
)
from crossings.scenario.limits import MAX_CSV_BYTES, MAX_OVERRIDE_BYTES
from crossings.scenario.schema import META_KEYS, NumberMap, Scenario, Variant
from crossings.scenario.validate import SpanOrigin, validate_scenario
from crossings.scenario.yamlsource import (
    SourceMap,
    load_yaml,
    load_yaml_file,
    load_yaml_value,
    read_limited,
    size_limit_issue,
)

BUILTIN_PACKAGE = "crossings.scenario.builtin"
DEFAULT_SCENARIO = "example"
"""The Python API's default (small and fast): ``load_scenario()`` loads it."""
MAIN_SCENARIO = "north-korea"
"""The built-in scenario the command line, the web app and the evidence base run by default."""
MAX_EXTENDS_DEPTH = 8


@dataclass
class LoadedScenario:
    """A validated scenario with where it came from.

    Attributes:
        scenario: The validated model.
        source_map: Field path → file position of every value.
        origin: The file or built-in name it was loaded from.
        base_dir: Folder for relative paths (observation files).
        sha256: Hash of the effective (merged, overridden) scenario data.
        warnings: Non-fatal issues found during validation.
        variant: Name of the applied variant, if any.
        overrides: The ``--set`` overrides applied.
    """

    scenario: Scenario
    source_map: SourceMap
    origin: str
    base_dir: Path | None
    sha256: str
    warnings: list[Issue] = field(default_factory=list)
    variant: str | None = None
    overrides: tuple[str, ...] = ()


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    root = importlib.resources.files(BUILTIN_PACKAGE)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file."""
    root = importlib.resources.files(BUILTIN_PACKAGE)
    return Path(str(root.joinpath(f"{name}.yaml")))


def resolve(ref: str, relative_to: Path | None = None) -> Path:
    """Turn a scenario reference (built-in name or path) into a file path.

    Raises:
        ScenarioError: If it is neither an existing file nor a built-in name.
    """
    candidates = []
    p = Path(ref)
    if relative_to is not None and not p.is_absolute():
        candidates.append(relative_to / p)
    candidates.append(p)
    for c in candidates:
        if _is_file(c):
            return c
    names = builtin_names()
    if ref in names:
        return builtin_path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref:
        if _is_dir(p):
            raise ScenarioError(
                [Issue("expected a scenario file, found a directory", (), Location(ref))]
            )
        raise ScenarioError(
            [
                Issue(
                    "scenario file not found",
                    (),
                    Location(ref),
                    hint="check the path; built-in scenarios: " + ", ".join(names),
                )
            ]
        )
    raise ScenarioError(
        [
            Issue(
                f"unknown scenario '{ref}'",
                (),
                Location(ref),
                expected="a built-in name or a path to a .yaml file",
                found=repr(ref),
                hint=(did_you_mean(ref, names) or "built-in scenarios: " + ", ".join(names)),
            )
        ]
    )


def _is_file(p: Path) -> bool:
    """``p.is_file()``, false for names the system refuses (too long, a NUL byte)."""
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(p: Path) -> bool:
    try:
        return p.is_dir()
    except (OSError, ValueError):
        return False


def _kind_of(data: Any) -> str:
    """What a file holds, without quoting it (it may not be a scenario at all)."""
    if isinstance(data, list):
        return f"a list of {len(data)} item{'s' if len(data) != 1 else ''}"
    if data is None:
        return "nothing (null)"
    if isinstance(data, str):
        return f"text ({len(data):,} characters)"
    return f"a single {type(data).__name__} value"


# --------------------------------------------------------------------- merging


def _has_ids(items: list[Any]) -> bool:
    return bool(items) and all(
        isinstance(i, dict) and isinstance(i.get("id"), str | int) for i in items
    )


def _merge(
    base: Any, over: Any, path: Path_, bmap: SourceMap, omap: SourceMap, out_map: SourceMap
) -> Any:
    """Deep-merge ``over`` onto ``base``, building the merged source map."""
    if isinstance(base, dict) and isinstance(over, dict):
        result: dict[str, Any] = {}
        for k in base:
            if k not in over:
                result[k] = base[k]
                out_map.update(bmap.rebase((*path, k), (*path, k)))
        for k, v in over.items():
            # the top-level `sources` table merges by id (an overlay adds sources);
            # `sources:` lists of a value replace the base's as every meta key does
            if k in base and (k not in META_KEYS or (path == () and k == "sources")):
                result[k] = _merge(base[k], v, (*path, k), bmap, omap, out_map)
            else:
                result[k] = v
                out_map.update(omap.rebase((*path, k), (*path, k)))
            if (*path, k) in omap.keys:
                out_map.keys[(*path, k)] = omap.keys[(*path, k)]
        if path in omap.values:
            out_map.values[path] = omap.values[path]
        return result
    if isinstance(base, list) and isinstance(over, list) and _has_ids(base) and _has_ids(over):
        merged: list[Any] = []
        index = {item["id"]: i for i, item in enumerate(base)}
        used: set[str] = set()
        over_by_id = {item["id"]: (j, item) for j, item in enumerate(over)}
        for i, item in enumerate(base):
            if item["id"] in over_by_id:
                j, oitem = over_by_id[item["id"]]
                used.add(item["id"])
                merged.append(
                    _merge(
                        item,
                        oitem,
                        (*path, len(merged)),
                        bmap.rebase((*path, i), (*path, len(merged))),
                        omap.rebase((*path, j), (*path, len(merged))),
                        out_map,
                    )
                )
            else:
                out_map.update(bmap.rebase((*path, i), (*path, len(merged))))
                merged.append(item)
        for j, oitem in enumerate(over):
            if oitem["id"] not in used and oitem["id"] not in index:
                out_map.update(omap.rebase((*path, j), (*path, len(merged))))
                merged.append(oitem)
        return merged
    out_map.update(omap.rebase(path, path))
    return over


def _load_with_extends(
    path: Path, depth: int = 0, chain: tuple[str, ...] = ()
) -> tuple[dict[str, Any], SourceMap]:
    data, smap = load_yaml_file(path)
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    "a scenario must be a mapping of sections",
                    (),
                    smap.locate(()),
                    expected="keys such as name, time, places, states",
                    found=_kind_of(data),
                    hint="see 'crossings schema' or the built-in example",
                )
            ]
        )
    ext = data.get("extends")
    if ext is None:
        return data, smap
    if not isinstance(ext, str):
        raise ScenarioError(
            [
                Issue(
                    "'extends' must name a scenario",
                    ("extends",),
                    smap.locate(("extends",)),
                    expected="a name or path",
                    found=describe(ext),
                )
            ]
        )
    key = str(path.resolve())
    if key in chain or depth >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            [
                Issue(
                    "scenario extends itself (directly or through others)",
                    ("extends",),
                    smap.locate(("extends",)),
                    found=" → ".join((*chain, key)),
                    hint="break the cycle of 'extends'",
                )
            ]
        )
    try:
        base_path = resolve(ext, path.parent)
    except ScenarioError as exc:
        raise ScenarioError(
            [
                Issue(
                    f"cannot find the base scenario '{_short(ext, 100)}'",
                    ("extends",),
                    smap.locate(("extends",)),
                    expected="a built-in name or a path relative to this file",
                    found=repr(_short(ext, 100)),
                    hint=exc.issues[0].hint,
                )
            ]
        ) from None
    base, bmap = _load_with_extends(base_path, depth + 1, (*chain, key))
    merged_map = SourceMap(default_file=str(path))
    over = {k: v for k, v in data.items() if k != "extends"}
    merged = _merge(base, over, (), bmap, smap, merged_map)
    return merged, merged_map


# ------------------------------------------------------------- path operations


def _split_path(text: str) -> list[str]:
    return [p for p in text.replace("[", ".").replace("]", "").split(".") if p]


def _step(node: Any, part: str) -> tuple[Any, str | int]:
    if isinstance(node, dict):
        if part not in node:
            raise KeyError(part)
        return node[part], part
    if isinstance(node, list):
        if part.lstrip("-").isdigit():
            i = int(part)
            return node[i], i
        for i, item in enumerate(node):
            if isinstance(item, dict) and item.get("id") == part:
                return item, i
        raise KeyError(part)
    raise KeyError(part)


def set_path(data: dict[str, Any], dotted: str, value: Any) -> Path_:
    """Set ``value`` at a dotted path (list items by index or by id).

    Returns:
        The resolved field path.

    Raises:
        KeyError: If an intermediate part does not exist.
    """
    parts = _split_path(dotted)
    node: Any = data
    resolved: list[str | int] = []
    for part in parts[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node, key = _step(node, part)
        resolved.append(key)
    last = parts[-1]
    if isinstance(node, dict):
        node[last] = value
        resolved.append(last)
    elif isinstance(node, list):
        _, key = _step(node, last)
        assert isinstance(key, int)
        node[key] = value
        resolved.append(key)
    else:
        raise KeyError(last)
    return tuple(resolved)


def resolve_path(data: dict[str, Any], dotted: str) -> Path_:
    """The field path a dotted path names, without changing anything.

    Parts that do not exist yet are kept as names (``set_path`` would create
    them), so the result says which keys an override would write.

    Raises:
        KeyError: If a list item does not exist.
        IndexError: If a list index is out of range.
    """
    node: Any = data
    resolved: list[str | int] = []
    for part in _split_path(dotted):
        if isinstance(node, list):
            node, key = _step(node, part)
            resolved.append(key)
        elif isinstance(node, dict) and part in node:
            node = node[part]
            resolved.append(part)
        else:
            node = None
            resolved.append(part)
    return tuple(resolved)


def remove_path(data: dict[str, Any], dotted: str) -> Path_:
    """Delete the value at a dotted path (list items by index or by id).

    Returns:
        The resolved field path of what was deleted.
    """
    parts = _split_path(dotted)
    node: Any = data
    resolved: list[str | int] = []
    for part in parts[:-1]:
        node, key = _step(node, part)
        resolved.append(key)
    _, key = _step(node, parts[-1])
    del node[key]
    return (*resolved, key)


FILE_KEYS = ("file", "extends")
"""Keys whose value makes the loader read a file: overrides may not set them."""


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``path.to.value=X`` into the path and the YAML-parsed value.

    The value is read as YAML within the limits of :mod:`crossings.scenario.limits`;
    text that is not valid YAML is taken as it is.

    Raises:
        ScenarioError: If there is no ``=``, the value is too long, breaks a
            YAML limit or cannot be read (an impossible date, for example).
    """
    value, _ = _parse_override(text)
    key = text.split("=", 1)[0]
    return key.strip(), value


def _parse_override(text: str) -> tuple[Any, SourceMap]:
    where = Location(f"--set {_short(text)}")
    if "=" not in text:
        raise ScenarioError(
            [
                Issue(
                    f"override '{_short(text)}' has no '='",
                    (),
                    where,
                    expected="path.to.value=VALUE",
                    found=repr(_short(text)),
                    hint="for example --set time.end=2030-12-31",
                )
            ]
        )
    raw = text.split("=", 1)[1]
    size = len(raw.encode("utf-8"))
    if size > MAX_OVERRIDE_BYTES:
        raise ScenarioError([size_limit_issue(size, MAX_OVERRIDE_BYTES, where, "value")])
    if not raw.strip():
        return "", SourceMap(default_file=where.file)
    try:
        return load_yaml_value(raw, where.file)
    except yaml.YAMLError:
        return raw, SourceMap(default_file=where.file)


def _short(text: str, limit: int = 200) -> str:
    """An override as shown in messages (long values cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names_a_file(path: Path_, value: Any) -> str | None:
    """The key of ``FILE_KEYS`` an override would write (in its path or inside its value)."""
    for part in path:
        if isinstance(part, str) and part in FILE_KEYS:
            return part
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, item in v.items():
                if k in FILE_KEYS:
                    return str(k)
                stack.append(item)
        elif isinstance(v, list):
            stack.extend(v)
    return None


def _file_override_issue(text: str, key: str, found: str) -> Issue:
    return Issue(
        f"cannot set '{key}': overrides cannot name files",
        (),
        Location(f"--set {_short(text)}"),
        expected="a value (overrides cannot name files)",
        found=f"'{found}'",
        hint="'file:' (a CSV file next to the scenario) and 'extends:' belong in a scenario "
        "file; write them there and load that file",
    )


# ------------------------------------------------------- pydantic → issues


def _model_fields_at(path: Path_) -> set[str] | None:
    """Valid keys of the model found at ``path`` inside :class:`Scenario`."""
    types_: list[Any] = [Scenario]
    for part in path:
        nxt: list[Any] = []
        for t in types_:
            nxt.extend(_child_types(t, part))
        types_ = nxt
        if not types_:
            return None
    keys: set[str] = set()
    for t in types_:
        for t2 in _unwrap(t):
            if isinstance(t2, type) and issubclass(t2, BaseModel):
                if issubclass(t2, NumberMap):
                    return None
                for name, f in t2.model_fields.items():
                    keys.add(f.alias or name)
    return keys or None


def _unwrap(t: Any) -> list[Any]:
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(t)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for a in typing.get_args(t):
            out.extend(_unwrap(a))
        return out
    return [t]


def _child_types(t: Any, part: str | int) -> list[Any]:
    out: list[Any] = []
    for u in _unwrap(t):
        origin = typing.get_origin(u)
        if isinstance(u, type) and issubclass(u, BaseModel) and isinstance(part, str):
            for name, f in u.model_fields.items():
                if part in (name, f.alias):
                    out.append(f.annotation)
        elif origin in (list, tuple) and isinstance(part, int):
            args = typing.get_args(u)
            if args:
                out.append(args[0])
        elif origin is dict and isinstance(part, str):
            args = typing.get_args(u)
            if len(args) == 2:
                out.append(args[1])
    return out


_EXPECTED = {
    "float_type": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date without a time",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "missing": "this field",
    "tuple_type": "a list",
    "int_from_float": "a whole number",
    "literal_error": "one of the listed values",
    "string_pattern_mismatch": "an id: a letter, then letters, digits, '_', '-' or '.'",
    "too_short": "more items",
    "too_long": "fewer items",
    "finite_number": "a finite number",
}


def _issue_from_pydantic(err: Any, data: Any, smap: SourceMap) -> Issue:
    loc: Path_ = tuple(p for p in err["loc"] if isinstance(p, str | int))
    # Pydantic adds union-member tags ("str", "Shares", "function-after[...]") to loc.
    clean: list[str | int] = []
    node: Any = data
    for p in loc:
        in_dict = isinstance(node, dict) and isinstance(p, str) and p in node
        in_list = isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node)
        if in_dict or in_list:
            node = node[p]
            clean.append(p)
        elif isinstance(node, dict) and p == "values" and "values" not in node:
            continue
        elif err["type"] in ("missing", "extra_forbidden") and p == loc[-1]:
            clean.append(p)
        else:
            continue
    path = tuple(clean)
    etype = err["type"]
    found_val = err.get("input")
    if etype == "extra_forbidden":
        key = path[-1] if path else "?"
        valid = _model_fields_at(path[:-1]) or set()
        hint = did_you_mean(str(key), valid)
        if not hint and valid:
            hint = "valid keys here: " + ", ".join(sorted(valid))
        return Issue(
            f"unknown key '{key}'",
            path,
            smap.locate(path, key=True),
            expected="one of the keys of " + (format_path(path[:-1]) or "the scenario"),
            found=repr(key),
            hint=hint,
        )
    if etype == "missing":
        name = path[-1] if path else "?"
        return Issue(
            f"missing required field '{name}'",
            path,
            smap.locate(path[:-1]),
            expected=f"'{name}'",
            found="nothing",
            hint=f"add '{name}:' to {format_path(path[:-1]) or 'the scenario'}",
        )
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    expected = _EXPECTED.get(etype)
    ctx = err.get("ctx") or {}
    hint = None
    field_name = f"'{path[-1]}'" if path and isinstance(path[-1], str) else "the value"
    if etype in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        expected = f"a number {'≥' if 'ge' in ctx else '>'} {bound}"
        if bound == 0:
            msg = f"{field_name} " + ("must not be negative" if "ge" in ctx else "must be positive")
            hint = "rates, durations, counts and shares cannot be negative"
    elif etype in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        expected = f"a number {'≤' if 'le' in ctx else '<'} {bound}"
        if bound == 1:
            msg = f"{field_name} is a probability or share, so must lie between 0 and 1"
            hint = "write shares as fractions (0.35, not 35)"
    elif etype == "literal_error":
        expected = "one of " + str(ctx.get("expected", ""))
        msg = f"{describe(found_val)} is not a valid {field_name}"
        if isinstance(found_val, str):
            options = [
                o.strip(" '") for o in str(ctx.get("expected", "")).replace(" or ", ",").split(",")
            ]
            hint = did_you_mean(found_val, options)
    elif etype in ("float_type", "int_type") and isinstance(found_val, str):
        if _is_number(found_val):
            msg = "number written in quotes"
            hint = f"write {found_val.strip()} without quotes"
        else:
            msg = f"expected {expected}, found the text {describe(found_val)}"
            hint = "write the number without quotes or units"
    elif etype == "finite_number":
        msg = f"{field_name} must be a finite number"
        hint = "NaN and infinity (.nan, .inf, or a number too large to store) are not allowed"
    elif etype == "string_pattern_mismatch":
        msg = f"{describe(found_val)} is not a valid id"
        hint = "ids are letters, digits, '_', '-' or '.', starting with a letter"
    elif etype == "value_error":
        hint = _value_error_hint(msg)
    if expected is None and hint is None:
        hint = "see docs/scenario-format.md or 'crossings schema' for what this field takes"
    return Issue(
        msg[0].lower() + msg[1:] if msg else etype,
        path,
        smap.locate(path),
        expected=expected,
        found=describe(found_val),
        hint=hint,
    )


_VALUE_ERROR_HINTS = (
    ("a rate needs exactly one of", "keep one way of writing the rate and delete the others"),
    (
        "'probability' and 'within_days' go together",
        "add 'within_days: DAYS', the period the probability applies to (or use per_year)",
    ),
    (
        "duration needs",
        "give the parameters this distribution takes (docs/scenario-format.md, section 7)",
    ),
    ("prior needs", "give the parameters this prior takes"),
)


def _value_error_hint(msg: str) -> str | None:
    """A fix for the messages of the schema's own checks (model validators)."""
    for start, hint in _VALUE_ERROR_HINTS:
        if start in msg:
            return hint
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------- observation files


def _read_observation_files(
    data: dict[str, Any], base_dir: Path | None, smap: SourceMap
) -> list[Issue]:
    """Replace each observation's ``file:`` by the rows of that CSV file.

    A file is looked for relative to the scenario file that names it and must
    lie inside that file's folder (no absolute paths, no ``..`` or link leading
    out of it). Messages about a file's contents give the line and at most a
    short excerpt.
    """
    issues: list[Issue] = []
    observations = data.get("observations")
    if not isinstance(observations, list):
        return issues  # the schema reports a wrong type
    for i, obs in enumerate(observations):
        if not isinstance(obs, dict) or not isinstance(obs.get("file"), str):
            continue
        where: Path_ = ("observations", i, "file")
        fpath, problem = _observation_path(obs["file"], where, smap, base_dir)
        if problem is not None:
            issues.append(problem)
            continue
        assert fpath is not None
        rows, file_issues = _observation_rows(fpath, where, i, len(obs.get("rows") or []), smap)
        issues.extend(file_issues)
        obs["rows"] = list(obs.get("rows") or []) + rows
        obs.pop("file")
    return issues


def _observation_path(
    rel: str, where: Path_, smap: SourceMap, base_dir: Path | None
) -> tuple[Path | None, Issue | None]:
    """The CSV file an observation names, or the issue that refuses it."""
    loc = smap.locate(where)
    shown = _safe_excerpt(rel, 80)
    written_in = Path(loc.file)
    folder = written_in.parent if written_in.is_file() else base_dir
    expected = "a CSV file in the scenario's folder, e.g. arrivals.csv or data/arrivals.csv"
    if folder is None:
        return None, Issue(
            f"observation file '{shown}' cannot be read: the scenario is not a file",
            where,
            loc,
            expected="rows written in the scenario",
            hint="save the scenario in a folder together with the CSV file",
        )
    try:
        if Path(rel).is_absolute() or rel.startswith(("/", "\\")) or rel[1:2] == ":":
            return None, Issue(
                f"observation file '{shown}' must be a path relative to the scenario file",
                where,
                loc,
                expected=expected,
                found=repr(shown),
                hint="copy the CSV file next to the scenario and give its name",
            )
        root = folder.resolve()
        fpath = (folder / rel).resolve()
        inside = fpath.is_relative_to(root)
        exists = fpath.is_file()
    except (OSError, ValueError):
        return None, Issue(
            f"observation file '{shown}' is not a valid file name", where, loc, expected=expected
        )
    if not inside:
        return None, Issue(
            f"observation file '{shown}' is outside the scenario's folder",
            where,
            loc,
            expected=expected,
            found=repr(shown),
            hint="'..' and links may not lead out of the folder of the scenario file; "
            "copy the CSV file into it",
        )
    if not exists:
        return None, Issue(
            f"observation file '{shown}' not found",
            where,
            loc,
            expected="a CSV file next to the scenario",
            hint=f"looked for {folder / rel}",
        )
    return fpath, None


def _observation_rows(
    fpath: Path, where: Path_, obs_index: int, first_row: int, smap: SourceMap
) -> tuple[list[dict[str, Any]], list[Issue]]:
    """Rows of one observation CSV file (and the issues found in it)."""
    file = str(fpath)
    try:
        raw = read_limited(fpath, MAX_CSV_BYTES)
    except ScenarioError as exc:
        return [], [replace(i, path=where) for i in exc.issues]
    except OSError as exc:
        return [], [
            Issue(f"cannot read the observation file: {exc.strerror}", where, Location(file))
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            Issue(
                "the observation file is not UTF-8 text",
                where,
                Location(file, line),
                expected="a UTF-8 encoded CSV file",
                found=f"byte 0x{raw[exc.start]:02x}",
                hint="save the file as UTF-8 CSV",
            )
        ]
    rows: list[dict[str, Any]] = []
    issues: list[Issue] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        cols = set(reader.fieldnames or [])
        if "year" not in cols or not ({"total", "female", "male"} & cols):
            return [], [
                Issue(
                    "observation CSV needs a 'year' column and at least one of total, female, male",
                    where,
                    Location(file, 1),
                    expected="a first line such as year,total,female,male",
                    found=_describe_columns(reader.fieldnames or []),
                )
            ]
        for rec in reader:
            lineno = reader.line_num
            row = _csv_row(rec)
            if row is None:
                continue
            if isinstance(row, str):
                issues.append(Issue(row, where, Location(file, lineno)))
                continue
            smap.values[("observations", obs_index, "rows", first_row + len(rows))] = Location(
                file, lineno
            )
            rows.append(row)
    except csv.Error as exc:
        issues.append(
            Issue(
                f"cannot read the observation file as CSV: {exc}",
                where,
                Location(file, reader.line_num or 1),
                expected="comma-separated values",
                hint="check the quotes on this line",
            )
        )
    return rows, issues


_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ .\-]{0,19}")


def _describe_columns(names: typing.Sequence[str]) -> str:
    """The first line of a CSV file, showing only what looks like column names."""
    shown = [n if _COLUMN_NAME.fullmatch(n) else "(not a column name)" for n in names[:6]]
    more = f" and {len(names) - 6} more" if len(names) > 6 else ""
    count = f"{len(names)} column{'s' if len(names) != 1 else ''}"
    return f"{count}: " + ", ".join(shown) + more if names else "no columns"


_UNSAFE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]")


def _safe_excerpt(text: str, limit: int = 20) -> str:
    """At most ``limit`` characters of file content, control characters replaced by '?'."""
    clean = _UNSAFE.sub("?", text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _csv_row(rec: dict[str | Any, str | Any]) -> dict[str, Any] | str | None:
    """One observation row from a CSV record (``year`` may be a bucket ``1999-2001``).

    Rows labelled ``cumulative…``, ``until…`` or ``~YEAR`` (everything up to that
    year, back to an unknown start) are skipped: a simulation that starts on a
    given date cannot be compared with them. A problem is returned as text
    quoting at most a short excerpt of the cell.
    """
    year = str(rec.get("year") or "").strip()
    if not year or year.startswith(("cumulative", "until", "~")):
        return None
    row: dict[str, Any] = {}
    bucket = year
    if "-" in bucket:
        a, b = bucket.split("-", 1)
        if not (a.isdigit() and b.isdigit() and len(a) <= 4 and len(b) <= 4):
            return f"cannot read year '{_safe_excerpt(year)}'"
        row["years"] = [int(a), int(b)]
    elif bucket.isdigit() and len(bucket) <= 4:
        row["year"] = int(bucket)
    else:
        return f"cannot read year '{_safe_excerpt(year)}'"
    for col in ("total", "female", "male"):
        val = str(rec.get(col) or "").strip()
        if val:
            try:
                row[col] = float(val.replace(",", ""))
            except ValueError:
                return f"cannot read {col} value '{_safe_excerpt(val)}'"
    if rec.get("source_ids"):
        note = " sources: " + _safe_excerpt(str(rec["source_ids"]), 200)
        row["note"] = note.strip()
    return row


# ------------------------------------------------------------------- main API
def default_scenario() -> str:
    """The scenario the command line, the web app and the evidence base use by default."""
    return MAIN_SCENARIO if MAIN_SCENARIO in builtin_names() else DEFAULT_SCENARIO


def load_scenario(
    ref: str | Path = DEFAULT_SCENARIO,
    *,
    overrides: typing.Sequence[str] = (),
    variant: str | None = None,
) -> LoadedScenario:
    """Load, merge, override and validate a scenario.

    Args:
        ref: A built-in name (``crossings scenarios``) or a path to a YAML file.
        overrides: ``path.to.value=X`` strings applied last. They may not name
            files (``file``, ``extends``).
        variant: Name of a variant declared in the scenario's ``variants``.

    Returns:
        The validated scenario with its source map and hash.

    Raises:
        ScenarioError: With every problem found (file, line, field, hint).
    """
    path = resolve(str(ref))
    data, smap = _load_with_extends(path)
    data = copy.deepcopy(data)
    base_dir = path.parent
    written = _written_span(data, smap)
    if variant is not None:
        _apply_variant(data, variant, smap)
    applied: list[str] = []
    issues: list[Issue] = []
    for text in overrides:
        problem = _apply_override(data, text, smap)
        if problem is not None:
            issues.append(problem)
        else:
            applied.append(text)
    if issues:
        raise ScenarioError(issues)
    issues.extend(_read_observation_files(data, base_dir, smap))
    if issues:
        raise ScenarioError(issues)
    return _validated(
        data,
        smap,
        str(path),
        base_dir,
        variant=variant,
        overrides=tuple(applied),
        span=_span_origin(data, written),
    )


def _apply_override(data: dict[str, Any], text: str, smap: SourceMap) -> Issue | None:
    """Apply one ``--set`` override to ``data``; the issue that refuses it, if any."""
    key = text.split("=", 1)[0].strip()
    where = Location(f"--set {_short(text)}")
    try:
        target: Path_ | None = resolve_path(data, key)
    except (KeyError, IndexError, TypeError, ValueError):
        target = None
    try:
        value, vmap = _parse_override(text)
    except ScenarioError as exc:
        first = exc.issues[0]
        return replace(first, path=(*(target or ()), *first.path), location=where)
    if target is not None:
        named = _names_a_file(target, value)
        if named is not None:
            return _file_override_issue(text, key, named)
    try:
        resolved = set_path(data, key, value)
    except (KeyError, IndexError, TypeError, ValueError):
        return Issue(
            f"cannot set '{key}': no such field",
            (),
            where,
            expected="an existing path, e.g. time.end",
            found=repr(key),
            hint=_override_hint(data, key),
        )
    for n in range(1, len(resolved)):
        # new keys (a misspelt path) are located at the override, not in the file
        if resolved[:n] not in smap.values:
            smap.values[resolved[:n]] = where
    vmap = SourceMap(values=dict.fromkeys(vmap.values, where), keys=dict.fromkeys(vmap.keys, where))
    smap.graft(vmap, (), resolved)
    smap.values[resolved] = where
    return None


def _written_span(data: dict[str, Any], smap: SourceMap) -> dict[str, tuple[Any, str]]:
    """The span as written in the scenario files: bound → (value, file that wrote it)."""
    time = data.get("time")
    if not isinstance(time, dict):
        return {}
    return {b: (time.get(b), smap.locate(("time", b)).file) for b in ("start", "end")}


def _span_origin(data: dict[str, Any], written: dict[str, tuple[Any, str]]) -> SpanOrigin:
    """Where the span was written, and whether a variant or ``--set`` changed each bound."""
    time = data.get("time")
    files: dict[str, str | None] = {}
    for bound, (value, file) in written.items():
        same = isinstance(time, dict) and time.get(bound) == value
        files[bound] = file if same else None
    start, end = (written.get(b, (None, ""))[0] for b in ("start", "end"))
    dates = (start, end) if isinstance(start, dt.date) and isinstance(end, dt.date) else None
    return SpanOrigin(files, dates)


def _validated(
    data: dict[str, Any],
    smap: SourceMap,
    origin: str,
    base_dir: Path | None,
    variant: str | None = None,
    overrides: tuple[str, ...] = (),
    span: SpanOrigin | None = None,
) -> LoadedScenario:
    """Check shape (pydantic) and meaning (:mod:`validate`) of merged scenario data.

    Raises:
        ScenarioError: With every problem found.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_issue_from_pydantic(e, data, smap) for e in exc.errors()]) from None
    problems = validate_scenario(scenario, smap, span=span, variant=variant)
    if any(p.severity == "error" for p in problems):
        raise ScenarioError(problems)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return LoadedScenario(
        scenario=scenario,
        source_map=smap,
        origin=origin,
        base_dir=base_dir,
        sha256=digest,
        warnings=problems,
        variant=variant,
        overrides=overrides,
    )


def _override_hint(data: dict[str, Any], key: str) -> str:
    """A did-you-mean for the first part of an override path that does not exist."""
    node: Any = data
    for part in _split_path(key):
        try:
            node, _ = _step(node, part)
        except (KeyError, IndexError, TypeError):
            choices: list[str] = []
            if isinstance(node, dict):
                choices = [str(k) for k in node]
            elif isinstance(node, list):
                choices = [str(i["id"]) for i in node if isinstance(i, dict) and "id" in i]
            return (
                did_you_mean(part, choices)
                or "the path must exist in the scenario (list items by index or id)"
            )
    return "the path must exist in the scenario (list items by index or id)"


def _apply_variant(data: dict[str, Any], name: str, smap: SourceMap) -> None:
    variants = data.get("variants") or {}
    if not isinstance(variants, dict) or name not in variants:
        names = sorted(variants) if isinstance(variants, dict) else []
        raise ScenarioError(
            [
                Issue(
                    f"unknown variant '{name}'",
                    ("variants",),
                    smap.locate(("variants",)),
                    expected="one of: "
                    + (", ".join(names) or "(this scenario declares no variants)"),
                    found=repr(name),
                    hint=did_you_mean(name, names),
                )
            ]
        )
    where: Path_ = ("variants", name)
    spec = variants[name]
    try:
        checked = Variant.model_validate(spec)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            e2 = dict(e)
            e2["loc"] = (*where, *e["loc"])
            errors.append(_issue_from_pydantic(e2, data, smap))
        raise ScenarioError(errors) from None
    original = copy.deepcopy(spec)
    for dotted in checked.remove:
        try:
            removed = remove_path(data, str(dotted))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ScenarioError(
                [
                    Issue(
                        f"variant '{name}' removes '{dotted}', which does not exist",
                        (*where, "remove"),
                        smap.locate((*where, "remove")),
                        hint="list items are named by id or index",
                    )
                ]
            ) from None
        if removed and isinstance(removed[-1], int):
            smap.remove_item(removed[:-1], removed[-1])
        else:
            smap.drop(removed)
    for dotted, value in checked.set.items():
        try:
            resolved = set_path(data, str(dotted), copy.deepcopy(value))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ScenarioError(
                [
                    Issue(
                        f"variant '{name}' sets '{dotted}', which does not exist",
                        (*where, "set"),
                        smap.locate((*where, "set")),
                    )
                ]
            ) from None
        src: Path_ = (*where, "set", dotted)
        smap.graft(smap, src, resolved)
        smap.values[resolved] = smap.locate(src)
    for section, items in checked.add.items():
        target = data.setdefault(section, [])
        if not isinstance(target, list):
            raise ScenarioError(
                [
                    Issue(
                        f"variant '{name}' can only add items to list sections",
                        (*where, "add", section),
                        smap.locate((*where, "add", section), key=True),
                    )
                ]
            )
        first = len(target)
        target.extend(copy.deepcopy(original["add"][section]))
        for j in range(len(items)):
            src_item: Path_ = (*where, "add", section, j)
            smap.graft(smap, src_item, (section, first + j))


def load_scenario_text(text: str, name: str = "<text>") -> LoadedScenario:
    """Validate a scenario given as YAML text (used by tests and the web app).

    Raises:
        ScenarioError: With every problem found.
    """
    data, smap = load_yaml(text, name)
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    "a scenario must be a mapping of sections",
                    (),
                    smap.locate(()),
                    found=_kind_of(data),
                )
            ]
        )
    if "extends" in data:
        raise ScenarioError(
            [
                Issue(
                    "'extends' needs a file; save the text first",
                    ("extends",),
                    smap.locate(("extends",)),
                )
            ]
        )
    written = _written_span(data, smap)
    issues = _read_observation_files(data, None, smap)
    if issues:
        raise ScenarioError(issues)
    return _validated(data, smap, name, None, span=_span_origin(data, written))
