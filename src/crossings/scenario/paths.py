"""Parameter paths: ``transitions.hiding[0].rate``, with list items by index or by id."""

from __future__ import annotations

from pydantic import BaseModel

from crossings.scenario.errors import format_path
from crossings.scenario.schema import Scenario


def _tokens(path: str) -> list[str | int] | None:
    """``a.b[2].c`` → ``["a", "b", 2, "c"]`` (``None`` for a malformed path)."""
    out: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            if not idx.isdigit():
                return None
            out.append(int(idx))
            rest = rest[1:] if rest.startswith("[") else rest
            if rest:
                return None
    return out


def resolve_path(sc: Scenario, path: str) -> str | None:
    """The canonical (index) path of a parameter path, or ``None`` if nothing is there.

    List items may be named by their id instead of their index
    (``policies.covid_closure.effects[1].factor`` for
    ``policies[3].effects[1].factor``), which keeps a path valid when a
    variant removes an earlier item.
    """
    tokens = _tokens(path)
    if tokens is None:
        return None
    obj: object = sc
    canon: list[str | int] = []
    for token in tokens:
        tok = token
        if isinstance(obj, list):
            if isinstance(tok, str):
                hit = next((i for i, x in enumerate(obj) if getattr(x, "id", None) == tok), None)
                if hit is None:
                    return None
                tok = hit
            if not 0 <= tok < len(obj):
                return None
            obj = obj[tok]
        elif isinstance(tok, int):
            return None
        elif isinstance(obj, dict):
            if tok not in obj:
                return None
            obj = obj[tok]
        elif not isinstance(obj, BaseModel):
            return None
        else:
            fields = type(obj).model_fields
            key = next((n for n, f in fields.items() if (f.alias or n) == tok), None)
            if key is None:
                return None
            obj = getattr(obj, key)
        canon.append(tok)
    return format_path(canon)
