"""``/api/compare``: the arrivals of two finished runs side by side."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from crossings.web import data
from crossings.web.deps import INVALID, NOT_DONE, Results, Store, finished
from crossings.web.models import CompareOut
from crossings.web.results import differences
from crossings.web.strictjson import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, tags=["results"], responses=INVALID)


@router.get("/api/compare", response_model=CompareOut, responses=NOT_DONE)
def compare(
    store: Store,
    results: Results,
    a: Annotated[str, Query(max_length=64)],
    b: Annotated[str, Query(max_length=64)],
) -> dict[str, Any]:
    """Arrivals per year of two runs side by side, with the difference b − a.

    ``differences`` holds the headline figures of B against A (the baseline)
    per population, as the report's what-if answer: paired by seed where the
    runs share seeds (median and 5–95% of the pairs), else the difference of
    the medians.
    """
    da, db = finished(store, a), finished(store, b)
    sa = data.arrivals(da)
    sb = data.arrivals(db)
    va = dict(zip(sa["years"], sa["median"], strict=True))
    vb = dict(zip(sb["years"], sb["median"], strict=True))
    rows = []
    for y in sorted(set(va) | set(vb)):
        x, z = va.get(y), vb.get(y)
        rows.append(
            {"year": y, "a": x, "b": z, "difference": None if x is None or z is None else z - x}
        )
    diffs = differences(results.result_set(da), results.result_set(db))
    return {"a": a, "b": b, "label": sa["label"], "rows": rows, "differences": diffs}
