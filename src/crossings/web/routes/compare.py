"""``/api/compare``: the arrivals of two finished runs side by side."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from crossings.web import data
from crossings.web.deps import INVALID, NOT_DONE, Store, finished
from crossings.web.models import CompareOut
from crossings.web.strictjson import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, tags=["results"], responses=INVALID)


@router.get("/api/compare", response_model=CompareOut, responses=NOT_DONE)
def compare(
    store: Store,
    a: Annotated[str, Query(max_length=64)],
    b: Annotated[str, Query(max_length=64)],
) -> dict[str, Any]:
    """Arrivals per year of two runs side by side, with the difference b − a."""
    sa = data.arrivals(finished(store, a))
    sb = data.arrivals(finished(store, b))
    va = dict(zip(sa["years"], sa["median"], strict=True))
    vb = dict(zip(sb["years"], sb["median"], strict=True))
    rows = []
    for y in sorted(set(va) | set(vb)):
        x, z = va.get(y), vb.get(y)
        rows.append(
            {"year": y, "a": x, "b": z, "difference": None if x is None or z is None else z - x}
        )
    return {"a": a, "b": b, "label": sa["label"], "rows": rows}
