"""The synthetic escape network of the Flee peer benchmark, as plain data (no Flee import).

`build_flee_like_network` replays, draw for draw, ``build_network`` and the onset draws of
``shared/bench/flee_reference.py`` (the Flee 3.1 peer benchmark), so that a Crossings scenario
can run the very same network shape, border closure and spawning as the Flee run it is
compared with.

How Flee 3.1 moves agents (read from ``flee/flee.py``, ``flee/moving.py``, ``flee/scoring.py``,
``flee/spawning.py`` and ``flee/SimulationSettings.py``, with the settings that
``flee_reference.py`` writes to its YAML file)::

    Every day t, in this order: origins whose onset is t become conflict zones; the day's new
    agents are spawned; border closures starting (ending) on day t close (reopen) their links;
    then ``Ecosystem.evolve()`` runs, which is one step for every live agent.

    1. Leaving. Each agent that is at a place (not on a road) draws one uniform number and
       leaves with the daily probability ``movechance`` of the place it is at:
       conflict zone 1.0, camp 0.001, any other place ("town": border points, transit towns,
       origins before their onset) 0.3. Population scaling of movechance is off
       (``movechance_pop_scale_factor`` 0), so these are exact.
    2. Choosing a road. With ``awareness_level`` 1 the agent looks only one road ahead: it picks
       one of the currently open roads out of its place, road r with probability proportional
       to

           w_r = score(end_r) / (10 + distance_km_r) * cap(end_r)

       where ``score`` is 0.25 for a conflict zone (``conflict_weight`` ** intensity, with
       intensity 1 and no decay) and 1.0 for anything else (``camp_weight`` and
       ``foreign_weight`` are 1.0; no place is flagged foreign), 10 km is the distance
       softening, and ``cap`` is the crowding factor of a camp: 1 while the camp holds at most
       90% of its capacity, 0 once it is full, linear in between (1 for places without
       capacity), counting only agents already in the camp (not those on roads to it), at
       the moment of choosing. If every weight is 0 the choice is uniform. A camp chosen
       while its ``cap`` is below 0.5 (over 95% full) is refused at the moment of departure:
       the agent then stays put for the day. Closed roads are not offered at all.
    3. Travelling. An agent on a road covers 360 km a day (``max_move_speed``; walking is
       off). It arrives when the km covered on this road exceed its length (so a road of
       d km takes floor(d / 360) + 1 days). If the road was closed while it was on it, it is
       sent back to the road's start instead. If it arrives having covered under 360 km that
       day, it immediately gets another leave draw at the new place (step 1, with that place's
       movechance) and may take another road the same day; that next road is credited a full
       360 km. So within one day an agent hops on while its day's km stay under 360.
    4. Nobody is removed: agents in camps stay agents (``camps_are_sinks`` is off) and leave a
       camp with the camp's 0.001 daily chance. Route choice is memoryless (no route is kept
       beyond the next road).

    Spawning: each day ``per_day[t]`` new agents (``n_agents // n_days``, plus one on the first
    ``n_agents % n_days`` days) are placed at the current conflict zones, each independently
    at conflict zone i with probability pop_i / sum(pop of current conflict zones). Only
    conflict zones spawn. Three origins are conflict zones from day 0, the other seven from a
    drawn day in 10..89. New agents take their first step the same day (movechance 1.0).

    As a hazard model: a place kind gives a constant daily leave probability p (1.0, 0.3,
    0.001), i.e. a daily hazard -ln(1 - p) (infinite for conflict zones: they leave on their
    first day); the destination is a categorical choice over open roads with weights
    score / (10 + km) times the camp crowding factor; a road takes floor(km / 360) + 1 days;
    the border closure removes the Home-TransitA roads (both ways) from day 120 to day 209
    and turns back agents already on them.

Random streams in the Flee run: ``random.Random(seed + 1000)`` for the network and onset days
(mirrored here exactly), ``numpy.random`` seeded with ``seed`` for spawn places, and Python's
``random`` seeded with ``seed`` for the leave draws and road choices (not mirrored: those are
the simulation itself).

Run ``python benchmarks/flee_network.py`` to print a summary, and ``--check`` to compare the
result with ``flee_reference.build_network`` from the shared bench folder (no Flee needed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Settings written by flee_reference.py to its YAML file (Flee 3.1 defaults otherwise).
CONFLICT_MOVECHANCE = 1.0
CAMP_MOVECHANCE = 0.001
DEFAULT_MOVECHANCE = 0.3
CONFLICT_WEIGHT = 0.25
CAMP_WEIGHT = 1.0
FOREIGN_WEIGHT = 1.0
DISTANCE_SOFTENING_KM = 10.0
CAPACITY_BUFFER = 0.9
MAX_MOVE_SPEED_KM = 360.0
AWARENESS_LEVEL = 1
ROAD_FACTOR = 1.25
EARTH_RADIUS_KM = 6373.0

N_ORIGINS = 10
N_BORDERS = 10
TRANSIT_COUNTRIES = ("TransitA", "TransitB", "TransitC")
N_TRANSIT_PER_COUNTRY = 5
CAMP_COUNTRIES = ("TransitA", "TransitC", "Dest", "Dest", "Dest")
CAMP_CAPACITY_FRACTIONS = (0.10, 0.10, 0.15, 0.15, 0.20)
N_EARLY_ORIGINS = 3
CLOSURE = {"from_country": "Home", "to_country": "TransitA", "start_day": 120, "end_day": 210}


def haversine_km(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle distance between two (lon, lat) points, as flee_reference.py computes it.

    Args:
        a: First point as (lon, lat) in degrees.
        b: Second point as (lon, lat) in degrees.

    Returns:
        The distance in km on a sphere of radius 6373 km.
    """
    lat1, lon1, lat2, lon2 = map(math.radians, (a[1], a[0], b[1], b[0]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return EARTH_RADIUS_KM * 2 * math.atan2(math.sqrt(h), math.sqrt(1 - h))


def spawn_schedule(n_agents: int, n_days: int) -> list[int]:
    """New agents per day: ``n_agents // n_days`` each day, the remainder on the first days.

    Args:
        n_agents: Total number of agents spawned over the run.
        n_days: Number of simulated days.

    Returns:
        A list of ``n_days`` counts summing to ``n_agents``.
    """
    per_day = [n_agents // n_days] * n_days
    for i in range(n_agents - sum(per_day)):
        per_day[i] += 1
    return per_day


def build_flee_like_network(
    seed: int = 1, *, n_agents: int = 100_000, n_days: int = 365
) -> dict[str, Any]:
    """Rebuild flee_reference.py's network, closure and spawning as plain data.

    The random draws are those of ``flee_reference.py``: one ``random.Random(seed + 1000)``
    stream, drawn for the origins (x, y, pop), borders (x, y, pop), transit towns (x, y, pop),
    camps (x, y), and then the onset days of origins 3..9. ``n_agents`` and ``n_days`` draw
    nothing: they only set camp capacities and the daily spawn counts.

    Args:
        seed: The ``--seed`` of flee_reference.py.
        n_agents: The ``--agents`` of flee_reference.py (camp capacities are fractions of it).
        n_days: The ``--days`` of flee_reference.py (agents are spawned evenly over them).

    Returns:
        A dict with keys:

        * ``locations``: 40 dicts in Flee's order (O0..O9, B0..B9, T00..T24, C0..C4) with
          ``name``, ``kind`` (origin|border|transit|camp), ``country``, ``lon``, ``lat``,
          ``movechance`` (daily leave probability; for origins the conflict-zone value that
          applies from their onset day on), ``movechance_before_onset`` (origins only, else
          equal to ``movechance``), ``route_score`` (Flee's endpoint score once active),
          ``pop`` (0 for camps), ``capacity`` (camps only, else None) and
          ``capacity_fraction`` (camps only, else None).
        * ``routes``: 97 two-way roads in Flee's ``linkUp`` order, ``from``, ``to``,
          ``distance_km`` (great-circle km * 1.25, rounded to 0.1 km as Flee gets them).
        * ``closures``: one dict ``from_country``, ``to_country``, ``start_day``, ``end_day``
          (closed on days start_day .. end_day - 1, both directions), plus ``routes`` (the
          roads it closes, as [from, to] pairs).
        * ``spawn``: ``n_agents``, ``n_days``, ``per_day`` (new agents on each day),
          ``origins`` (``name``, ``onset_day``, ``weight`` = pop), and ``rule`` (text).
        * ``movement``: the Flee move settings used (see the module docstring).
    """
    rng = random.Random(seed + 1000)
    coords: dict[str, tuple[float, float]] = {}
    locations: list[dict[str, Any]] = []

    def add(
        name: str,
        kind: str,
        country: str,
        *,
        x: float,
        y: float,
        pop: int,
        capacity_fraction: float | None = None,
    ) -> None:
        coords[name] = (x, y)
        if kind == "camp":
            movechance, before, score = CAMP_MOVECHANCE, CAMP_MOVECHANCE, CAMP_WEIGHT
        elif kind == "origin":
            movechance, before, score = CONFLICT_MOVECHANCE, DEFAULT_MOVECHANCE, CONFLICT_WEIGHT
        else:
            movechance, before, score = DEFAULT_MOVECHANCE, DEFAULT_MOVECHANCE, 1.0
        capacity = None
        if capacity_fraction is not None:
            capacity = max(1, int(capacity_fraction * n_agents))
        locations.append(
            {
                "name": name,
                "kind": kind,
                "country": country,
                "lon": x,
                "lat": y,
                "movechance": movechance,
                "movechance_before_onset": before,
                "route_score": score,
                "pop": pop,
                "capacity": capacity,
                "capacity_fraction": capacity_fraction,
            }
        )

    origins: list[str] = []
    borders: list[str] = []
    transits: list[str] = []
    camps: list[str] = []

    # Home country spans lon 30..34, lat 10..14; border strip at lon ~34.5.
    for i in range(N_ORIGINS):
        x, y = 30 + rng.uniform(0, 4), 10 + rng.uniform(0, 4)
        add(f"O{i}", "origin", "Home", x=x, y=y, pop=int(rng.uniform(5e4, 5e5)))
        origins.append(f"O{i}")
    for i in range(N_BORDERS):
        x, y = 34.5 + rng.uniform(-0.2, 0.2), 10 + 0.4 * i + rng.uniform(0, 0.3)
        add(f"B{i}", "border", "Home", x=x, y=y, pop=int(rng.uniform(5e3, 5e4)))
        borders.append(f"B{i}")
    for c, cname in enumerate(TRANSIT_COUNTRIES):
        for j in range(N_TRANSIT_PER_COUNTRY):
            x = 35.2 + 0.8 * j + rng.uniform(0, 0.3)
            y = 9.5 + 1.7 * c + rng.uniform(0, 1.2)
            add(f"T{c}{j}", "transit", cname, x=x, y=y, pop=int(rng.uniform(1e4, 2e5)))
            transits.append(f"T{c}{j}")
    for k, (country, frac) in enumerate(zip(CAMP_COUNTRIES, CAMP_CAPACITY_FRACTIONS, strict=True)):
        if k < 2:
            x, y = 38.0 + rng.uniform(0, 0.5), 9.8 + 3.5 * k + rng.uniform(0, 0.5)
        else:
            x, y = 39.5 + rng.uniform(0, 1.0), 9.5 + 2.0 * (k - 2) + rng.uniform(0, 0.5)
        add(f"C{k}", "camp", country, x=x, y=y, pop=0, capacity_fraction=frac)
        camps.append(f"C{k}")

    edges: set[tuple[str, str]] = set()
    routes: list[dict[str, Any]] = []

    def link(a: str, b: str) -> None:
        if a == b:
            return
        key = (a, b) if a <= b else (b, a)
        if key in edges:
            return
        edges.add(key)
        distance = round(ROAD_FACTOR * haversine_km(coords[a], coords[b]), 1)
        routes.append({"from": a, "to": b, "distance_km": distance})

    def nearest(src: str, cands: Sequence[str], k: int) -> list[str]:
        return sorted(cands, key=lambda c: haversine_km(coords[src], coords[c]))[:k]

    for o in origins:
        for p in nearest(o, [x for x in origins if x != o], 2):
            link(o, p)
        for b in nearest(o, borders, 2):
            link(o, b)
    for b in borders:
        for t in nearest(b, transits, 2):
            link(b, t)
    for c in range(len(TRANSIT_COUNTRIES)):
        for j in range(N_TRANSIT_PER_COUNTRY - 1):
            link(f"T{c}{j}", f"T{c}{j + 1}")
        if c < len(TRANSIT_COUNTRIES) - 1:
            link(f"T{c}4", f"T{c + 1}4")
    for t in transits:
        for cp in nearest(t, camps, 2):
            link(t, cp)
    for cp in camps:  # every camp reachable (a no-op for the usual seeds, as in the reference)
        if not any(cp in ed for ed in edges):
            link(cp, nearest(cp, transits, 1)[0])

    # Onset days: drawn after the network, in origin order, from the same stream.
    onset = {
        o: (0 if i < N_EARLY_ORIGINS else int(rng.uniform(10, 90))) for i, o in enumerate(origins)
    }

    country_of = {loc["name"]: loc["country"] for loc in locations}
    pair = {CLOSURE["from_country"], CLOSURE["to_country"]}
    closed_routes = [
        [r["from"], r["to"]] for r in routes if {country_of[r["from"]], country_of[r["to"]]} == pair
    ]
    pop_of = {loc["name"]: loc["pop"] for loc in locations}

    return {
        "seed": seed,
        "locations": locations,
        "routes": routes,
        "closures": [{**CLOSURE, "two_way": True, "routes": closed_routes}],
        "spawn": {
            "n_agents": n_agents,
            "n_days": n_days,
            "per_day": spawn_schedule(n_agents, n_days),
            "origins": [
                {"name": o, "onset_day": onset[o], "weight": float(pop_of[o])} for o in origins
            ],
            "rule": (
                "each day t, per_day[t] agents are placed at the origins whose onset_day <= t "
                "(the conflict zones), each at origin i with probability weight_i / sum of the "
                "weights of those origins; they take their first step on day t"
            ),
        },
        "movement": {
            "movechance": {
                "conflict": CONFLICT_MOVECHANCE,
                "camp": CAMP_MOVECHANCE,
                "default": DEFAULT_MOVECHANCE,
            },
            "route_weight": "route_score(end) / (distance_softening_km + distance_km) * cap(end)",
            "distance_softening_km": DISTANCE_SOFTENING_KM,
            "conflict_weight": CONFLICT_WEIGHT,
            "camp_weight": CAMP_WEIGHT,
            "foreign_weight": FOREIGN_WEIGHT,
            "capacity_buffer": CAPACITY_BUFFER,
            "max_move_speed_km_per_day": MAX_MOVE_SPEED_KM,
            "awareness_level": AWARENESS_LEVEL,
        },
    }


class _Recorder:
    """Stands in for a Flee Ecosystem: records addLocation and linkUp calls."""

    def __init__(self) -> None:
        self.locations: list[dict[str, Any]] = []
        self.links: list[tuple[str, str, float]] = []

    def addLocation(self, name: str, **kw: Any) -> None:  # noqa: N802 (Flee's API name)
        self.locations.append({"name": name, **kw})

    def linkUp(self, a: str, b: str, distance: float) -> None:  # noqa: N802 (Flee's API name)
        self.links.append((a, b, distance))


def _default_bench_dir() -> Path:
    env = os.environ.get("CROSSINGS_PEER_BENCH_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "bench"


def check_against_reference(
    seed: int = 1, n_agents: int = 100_000, bench_dir: Path | None = None
) -> list[str]:
    """Compare `build_flee_like_network` with flee_reference.py's own build_network.

    Loads flee_reference.py as a module (its top level imports only the standard library and
    NumPy; Flee is imported inside its ``main``) and runs ``build_network`` on a recorder
    object, with the same seeded stream, then draws the onset days as its ``main`` does.

    Args:
        seed: The seed to compare at.
        n_agents: Agent count (sets camp capacities).
        bench_dir: Folder holding flee_reference.py; the shared bench folder by default.

    Returns:
        A list of mismatch descriptions, empty when everything matches exactly.
    """
    path = (bench_dir or _default_bench_dir()) / "flee_reference.py"
    spec = importlib.util.spec_from_file_location("_flee_reference", path)
    if spec is None or spec.loader is None:
        return [f"cannot load {path}"]
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    rec = _Recorder()
    rng = random.Random(seed + 1000)
    net = module.build_network(rec, n_agents, rng)
    onset = {o: (0 if i < 3 else int(rng.uniform(10, 90))) for i, o in enumerate(net["origins"])}

    mine = build_flee_like_network(seed, n_agents=n_agents)
    problems: list[str] = []
    if len(rec.locations) != len(mine["locations"]):
        problems.append(f"{len(rec.locations)} locations there, {len(mine['locations'])} here")
    for ref, loc in zip(rec.locations, mine["locations"], strict=False):
        want = (
            ref["name"],
            ref["x"],
            ref["y"],
            ref["country"],
            ref.get("pop", 0),
            ref.get("capacity", None),
            ref["location_type"] == "camp",
        )
        got = (
            loc["name"],
            loc["lon"],
            loc["lat"],
            loc["country"],
            loc["pop"],
            loc["capacity"],
            loc["kind"] == "camp",
        )
        if want != got:
            problems.append(f"location {want} != {got}")
    got_links = [(r["from"], r["to"], r["distance_km"]) for r in mine["routes"]]
    if rec.links != got_links:
        problems.append(f"routes differ: {len(rec.links)} there, {len(got_links)} here")
        problems.extend(
            f"  {a} != {b}" for a, b in zip(rec.links, got_links, strict=False) if a != b
        )
    got_onset = {o["name"]: o["onset_day"] for o in mine["spawn"]["origins"]}
    if onset != got_onset:
        problems.append(f"onsets {onset} != {got_onset}")
    if net["n_links"] != len(mine["routes"]):
        problems.append(f"n_links {net['n_links']} != {len(mine['routes'])}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Print the network summary, or with ``--check`` compare it with the reference script.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        The process exit status.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--check", action="store_true", help="compare with flee_reference.py")
    ap.add_argument("--json", action="store_true", help="print the whole network as JSON")
    args = ap.parse_args(argv)

    if args.check:
        bad = 0
        for seed in sorted({args.seed, 1, 2, 3, 42, 2024}):
            problems = check_against_reference(seed, args.agents)
            print(f"seed {seed}: {'identical' if not problems else 'MISMATCH'}")
            for p in problems:
                print("   ", p)
            bad += bool(problems)
        return 1 if bad else 0

    net = build_flee_like_network(args.seed, n_agents=args.agents, n_days=args.days)
    if args.json:
        print(json.dumps(net, indent=1))
        return 0
    kinds: dict[str, int] = {}
    for loc in net["locations"]:
        kinds[loc["kind"]] = kinds.get(loc["kind"], 0) + 1
    print(
        f"seed {args.seed}: {len(net['locations'])} locations {kinds}, "
        f"{len(net['routes'])} two-way routes"
    )
    print("onsets:", {o["name"]: o["onset_day"] for o in net["spawn"]["origins"]})
    for c in net["closures"]:
        print(
            f"closure {c['from_country']}<->{c['to_country']} days "
            f"{c['start_day']}..{c['end_day'] - 1}: {len(c['routes'])} routes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
