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
import hashlib
import importlib.resources
import json
import types
import typing
from dataclasses import dataclass, field
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
from crossings.scenario.schema import META_KEYS, NumberMap, Scenario
from crossings.scenario.yamlsource import SourceMap, load_yaml, load_yaml_file

BUILTIN_PACKAGE = "crossings.scenario.builtin"
DEFAULT_SCENARIO = "example"
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
    data: dict[str, Any] = field(default_factory=dict)


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
        if c.is_file():
            return c
    names = builtin_names()
    if ref in names:
        return builtin_path(ref)
    if p.suffix in (".yaml", ".yml") or "/" in ref:
        if p.exists() and p.is_dir():
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


# --------------------------------------------------------------------- merging


def _has_ids(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "id" in i for i in items)


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
            if k in base and k not in META_KEYS:
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
                    found=describe(data),
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
                    f"cannot find the base scenario '{ext}'",
                    ("extends",),
                    smap.locate(("extends",)),
                    expected="a built-in name or a path relative to this file",
                    found=repr(ext),
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


def remove_path(data: dict[str, Any], dotted: str) -> None:
    """Delete the value at a dotted path (list items by index or by id)."""
    parts = _split_path(dotted)
    node: Any = data
    for part in parts[:-1]:
        node, _ = _step(node, part)
    _, key = _step(node, parts[-1])
    del node[key]


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``path.to.value=X`` into the path and the YAML-parsed value.

    Raises:
        ScenarioError: If there is no ``=`` or the value is not valid YAML.
    """
    if "=" not in text:
        raise ScenarioError(
            [
                Issue(
                    f"override '{text}' has no '='",
                    (),
                    Location("--set"),
                    expected="path.to.value=VALUE",
                    found=repr(text),
                    hint="for example --set time.end=2030-12-31",
                )
            ]
        )
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


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
    elif etype == "string_pattern_mismatch":
        msg = f"{describe(found_val)} is not a valid id"
        hint = "ids are letters, digits, '_', '-' or '.', starting with a letter"
    return Issue(
        msg[0].lower() + msg[1:] if msg else etype,
        path,
        smap.locate(path),
        expected=expected,
        found=describe(found_val),
        hint=hint,
    )


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
    issues: list[Issue] = []
    for i, obs in enumerate(data.get("observations") or []):
        if not isinstance(obs, dict) or not isinstance(obs.get("file"), str):
            continue
        rel = obs["file"]
        fpath = (base_dir / rel) if base_dir is not None else Path(rel)
        where = ("observations", i, "file")
        if not fpath.is_file():
            issues.append(
                Issue(
                    f"observation file '{rel}' not found",
                    where,
                    smap.locate(where),
                    expected="a CSV file next to the scenario",
                    hint=f"looked for {fpath}",
                )
            )
            continue
        rows = list(obs.get("rows") or [])
        with fpath.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = set(reader.fieldnames or [])
            if "year" not in cols or not ({"total", "female", "male"} & cols):
                issues.append(
                    Issue(
                        "observation CSV needs a 'year' column and at least one of "
                        "total, female, male",
                        where,
                        Location(str(fpath), 1),
                        found=", ".join(sorted(cols)),
                    )
                )
                continue
            for lineno, rec in enumerate(reader, start=2):
                row = _csv_row(rec)
                if row is None:
                    continue
                if isinstance(row, str):
                    issues.append(Issue(row, where, Location(str(fpath), lineno)))
                    continue
                smap.values[("observations", i, "rows", len(rows))] = Location(str(fpath), lineno)
                rows.append(row)
        obs["rows"] = rows
        obs.pop("file")
    return issues


def _csv_row(rec: dict[str, str]) -> dict[str, Any] | str | None:
    """One observation row from a CSV record (``year`` may be a bucket ``1999-2001``).

    Rows labelled ``cumulative…``, ``until…`` or ``~YEAR`` (everything up to that
    year, back to an unknown start) are skipped: a simulation that starts on a
    given date cannot be compared with them.
    """
    year = (rec.get("year") or "").strip()
    if not year or year.startswith(("cumulative", "until", "~")):
        return None
    row: dict[str, Any] = {}
    bucket = year
    if "-" in bucket:
        a, b = bucket.split("-", 1)
        if not (a.isdigit() and b.isdigit()):
            return f"cannot read year '{year}'"
        row["years"] = [int(a), int(b)]
    elif bucket.isdigit():
        row["year"] = int(bucket)
    else:
        return f"cannot read year '{year}'"
    for col in ("total", "female", "male"):
        val = (rec.get(col) or "").strip()
        if val:
            try:
                row[col] = float(val.replace(",", ""))
            except ValueError:
                return f"cannot read {col} value '{val}'"
    if rec.get("source_ids"):
        row["note"] = (row.get("note", "") + " sources: " + rec["source_ids"]).strip()
    return row


# ------------------------------------------------------------------- main API


def load_scenario(
    ref: str | Path = DEFAULT_SCENARIO,
    *,
    overrides: typing.Sequence[str] = (),
    variant: str | None = None,
) -> LoadedScenario:
    """Load, merge, override and validate a scenario.

    Args:
        ref: A built-in name (``crossings scenarios``) or a path to a YAML file.
        overrides: ``path.to.value=X`` strings applied last.
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
    if variant is not None:
        _apply_variant(data, variant, smap)
    applied: list[str] = []
    issues: list[Issue] = []
    for text in overrides:
        key, value = parse_override(text)
        try:
            resolved = set_path(data, key, value)
        except (KeyError, IndexError, TypeError):
            issues.append(
                Issue(
                    f"cannot set '{key}': no such field",
                    (),
                    Location(f"--set {text}"),
                    expected="an existing path, e.g. time.end",
                    found=repr(key),
                    hint=_override_hint(data, key),
                )
            )
            continue
        for n in range(1, len(resolved) + 1):
            # new keys (a misspelt path) are located at the override, not in the file
            if resolved[:n] not in smap.values:
                smap.values[resolved[:n]] = Location(f"--set {text}")
        smap.values[resolved] = Location(f"--set {text}")
        applied.append(text)
    issues.extend(_read_observation_files(data, base_dir, smap))
    if issues:
        raise ScenarioError(issues)
    return _validated(data, smap, str(path), base_dir, variant=variant, overrides=tuple(applied))


def _validated(
    data: dict[str, Any],
    smap: SourceMap,
    origin: str,
    base_dir: Path | None,
    variant: str | None = None,
    overrides: tuple[str, ...] = (),
) -> LoadedScenario:
    """Check shape (pydantic) and meaning (:mod:`validate`) of merged scenario data.

    Raises:
        ScenarioError: With every problem found.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_issue_from_pydantic(e, data, smap) for e in exc.errors()]) from None
    from crossings.scenario.validate import validate_scenario  # noqa: PLC0415

    problems = validate_scenario(scenario, smap)
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
        data=data,
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
    spec = variants[name]
    if not isinstance(spec, dict):
        raise ScenarioError(
            [
                Issue(
                    "a variant must be a mapping",
                    ("variants", name),
                    smap.locate(("variants", name)),
                )
            ]
        )
    where: Path_ = ("variants", name)
    for dotted in spec.get("remove") or []:
        try:
            remove_path(data, str(dotted))
        except (KeyError, IndexError, TypeError):
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
    for dotted, value in (spec.get("set") or {}).items():
        try:
            set_path(data, str(dotted), value)
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(
                [
                    Issue(
                        f"variant '{name}' sets '{dotted}', which does not exist",
                        (*where, "set"),
                        smap.locate((*where, "set")),
                    )
                ]
            ) from None
    for section, items in (spec.get("add") or {}).items():
        target = data.setdefault(section, [])
        if not isinstance(target, list) or not isinstance(items, list):
            raise ScenarioError(
                [
                    Issue(
                        f"variant '{name}' can only add items to list sections",
                        (*where, "add", section),
                        smap.locate((*where, "add", section)),
                    )
                ]
            )
        target.extend(copy.deepcopy(items))


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
                    found=describe(data),
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
    return _validated(data, smap, name, None)
