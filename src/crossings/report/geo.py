"""The basemap shipped with the package: country outlines of East Asia.

``assets/countries.geojson`` holds Natural Earth 1:110m admin-0 outlines
(public domain) for roughly lon 70–150, lat 0–60; see ``assets/README.md``.
Nothing is fetched from the network.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import json
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Country:
    """One country's outline.

    Attributes:
        name: Country name.
        iso_a3: ISO 3166-1 alpha-3 code (``-99`` where Natural Earth has none).
        rings: Outer rings of its polygons as (lon, lat) pairs.
    """

    name: str
    iso_a3: str
    rings: tuple[Ring, ...]

    def label_point(self) -> tuple[float, float]:
        """A point to write the name at: the vertex mean of the largest ring."""
        ring = max(self.rings, key=_ring_area)
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        return sum(lons) / len(lons), sum(lats) / len(lats)


def _ring_area(ring: Ring) -> float:
    area = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        area += x0 * y1 - x1 * y0
    return abs(area) / 2


@functools.cache
def countries() -> tuple[Country, ...]:
    """The country outlines of the shipped basemap (empty if the asset is missing)."""
    try:
        text = (
            importlib.resources.files("crossings.report")
            .joinpath("assets/countries.geojson")
            .read_text(encoding="utf-8")
        )
    except OSError as exc:
        log.warning("basemap not found: %s", exc)
        return ()
    data = json.loads(text)
    out = []
    for feat in data.get("features", []):
        geom = feat.get("geometry") or {}
        polys = (
            geom.get("coordinates", [])
            if geom.get("type") == "MultiPolygon"
            else [geom.get("coordinates", [])]
            if geom.get("type") == "Polygon"
            else []
        )
        rings = tuple([(float(x), float(y)) for x, y in poly[0]] for poly in polys if poly)
        if rings:
            props = feat.get("properties") or {}
            out.append(Country(str(props.get("name", "")), str(props.get("iso_a3", "")), rings))
    return tuple(out)


def outline_path() -> tuple[list[float | None], list[float | None]]:
    """All outlines as one path: lon and lat lists with None between rings."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for c in countries():
        for ring in c.rings:
            lons.extend(p[0] for p in ring)
            lats.extend(p[1] for p in ring)
            lons.append(None)
            lats.append(None)
    return lons, lats
