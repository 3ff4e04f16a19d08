"""Flee benchmark: the 40-place Flee network as a Crossings scenario, against Flee 3.1.

The network, border closure and spawning of ``shared/bench/flee_reference.py`` (rebuilt draw
for draw by `flee_network.build_flee_like_network`) are written as a Crossings scenario
(generated here as a dict, dumped to YAML and loaded with
``crossings.scenario.load.load_scenario_text``):

* **Places and states.** Each of the 40 locations is a place (with lon/lat and its kind:
  origin, border, transit, camp) and one state at it (``at_<name>``).
* **Roads.** Each two-way road is two routes (``road_<a>_<b>``), with a fixed travel time
  of ``floor(km / 360) + 1`` days (Flee's 360 km a day).
* **Leaving and choosing a road** (Flee: a daily leave probability by place kind, then a
  road chosen with weight ``score(end) / (10 + km)``, score 0.25 for a conflict zone, else
  1). Each road out of a place is a competing hazard with daily rate
  ``-ln(1 - movechance) * w_road / sum(w of the open roads out of the place)``: the total
  leave hazard gives the daily leave probability, and given a move the road is chosen with
  probability proportional to its weight. movechance is 0.3 for towns (borders, transits,
  origins before their onset), 0.001 for camps and 1.0 for conflict zones; a certain daily
  move is written as a hazard of `CONFLICT_HAZARD_PER_DAY` (Crossings rates are finite).
  Origins become conflict zones on their onset days, which changes both their own leave
  hazard and the score of the roads into them, so those rates are ``schedule`` rates with
  an entry at each onset day.
* **Border closure** (Home <-> TransitA, days 120..209): a policy with one ``close_route``
  effect per closed road (both directions), from start + 120 days to start + 209 days.
  As Flee offers only open roads, the rates of the other roads out of a place with a
  closed road are renormalised over the open ones for those days (a schedule entry at
  days 120 and 210), so the leave probability stays that of the place.
* **Spawning**: one inflow per origin, entering its state, with a ``schedule`` rate that is
  0 before the origin's onset and afterwards the origin's share ``pop_i / sum(pop of the
  active origins)`` of ``N / days`` per day (times 365.25 per year), recomputed on each
  onset day. Crossings draws the daily entries from a Poisson law around these rates, so
  the total is N give or take about sqrt(N).

Every number cites the source ``FLEE_BENCH`` (the reference script) or states an assumption.
What the scenario does not model, and so where the final distributions may differ:

* camp capacity and crowding: Crossings agents do not interact, so camps never fill (Flee
  stops routing agents to a camp that is over 90% full and refuses over 95%);
* several hops a day: a Flee agent that arrives having covered under 360 km gets another
  leave draw the same day; a Crossings agent spends at least one day (step) in each state,
  and newly spawned agents first move the day after they appear (Flee: the same day);
* agents already on a road when it closes finish the road in Crossings (Flee sends them
  back to its start).

The figure is agent-steps/s as Flee's script computes it: agent-steps = the sum over days
of the agents created so far (``RawResults.agent_steps``; about half of ``N * days``, as
agents are spawned through the run), divided by the wall time of
``crossings.engine.core.Simulation(model, seed).run()`` (best of ``--repeat``; loading and
compiling are timed apart). Flee runs in the same run (``peers.run_flee``) at
``--flee-agents`` (default 100,000: Flee at 1,000,000 agents takes over 10 minutes); a
Crossings size without a Flee run of its own is compared with the largest Flee run, and the
output says so.

Usage::

    python benchmarks/bench_flee.py                           # 100,000 and 1,000,000 agents
    python benchmarks/bench_flee.py --agents 100000 --json benchmarks/out/flee.json
    python benchmarks/bench_flee.py --agents 10000 --no-flee --write-yaml /tmp/flee.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from crossings.compile import compile_scenario
from crossings.scenario.load import LoadedScenario, load_scenario_text
from engine_version import changed_warning, engine_hash
from flee_network import (
    CAMP_MOVECHANCE,
    CONFLICT_MOVECHANCE,
    CONFLICT_WEIGHT,
    DEFAULT_MOVECHANCE,
    DISTANCE_SOFTENING_KM,
    MAX_MOVE_SPEED_KM,
    build_flee_like_network,
)
from peers import PeerResult, peer_python, run_flee
from timing import time_runs

HERE = Path(__file__).resolve().parent
ENGINE_AT_IMPORT = engine_hash()
"""Hash of the engine sources when this module imported the engine."""
START = dt.date(2021, 1, 1)
DAYS_PER_YEAR = 365.25
"""Days per year of Crossings' rates (``per_year / 365.25`` per day)."""
CONFLICT_HAZARD_PER_DAY = 20.0
"""Daily hazard standing for Flee's certain move out of a conflict zone (1 - e^-20 ≈ 1)."""
SOURCE = "FLEE_BENCH"
STATE_KIND = {"origin": "home", "border": "crossing", "transit": "transit", "camp": "arrived"}
ROUND = 12
"""Significant digits kept for the generated rates."""


def road_days(km: float) -> int:
    """Days Flee takes on a road of ``km`` km: ``floor(km / 360) + 1``."""
    return math.floor(km / MAX_MOVE_SPEED_KM) + 1


def _sig(x: float) -> float:
    return float(f"{x:.{ROUND}g}")


def _change_days(net: dict[str, Any], n_days: int) -> list[int]:
    """Days on which some road rate can change: day 0, onsets, closure start and end."""
    days = {0}
    days.update(o["onset_day"] for o in net["spawn"]["origins"])
    for c in net["closures"]:
        days.update((c["start_day"], c["end_day"]))
    return sorted(d for d in days if 0 <= d < n_days)


def _date(day: int) -> dt.date:
    return START + dt.timedelta(days=day)


Steps = list[tuple[int, float]]
"""A piecewise-constant series: (from day, value) pairs."""


def road_hazards(net: dict[str, Any], n_days: int) -> dict[tuple[str, str], Steps]:
    """Daily hazard of every directed road, as (from day, hazard per day) steps.

    Args:
        net: The network from `build_flee_like_network`.
        n_days: Simulated days.

    Returns:
        ``{(a, b): [(day, hazard), ...]}`` with one entry per change of value, the first at
        day 0.
    """
    kind = {loc["name"]: loc["kind"] for loc in net["locations"]}
    onset = {o["name"]: o["onset_day"] for o in net["spawn"]["origins"]}
    out: dict[str, list[tuple[str, float]]] = {loc["name"]: [] for loc in net["locations"]}
    for r in net["routes"]:
        out[r["from"]].append((r["to"], r["distance_km"]))
        out[r["to"]].append((r["from"], r["distance_km"]))
    closures = [
        (c["start_day"], c["end_day"], {frozenset(p) for p in c["routes"]}) for c in net["closures"]
    ]

    def conflict(place: str, day: int) -> bool:
        return kind[place] == "origin" and onset[place] <= day

    def closed(a: str, b: str, day: int) -> bool:
        return any(s <= day < e and frozenset((a, b)) in roads for s, e, roads in closures)

    steps: dict[tuple[str, str], Steps] = {}
    for day in _change_days(net, n_days):
        for a, roads in out.items():
            if conflict(a, day):
                leave = (
                    CONFLICT_HAZARD_PER_DAY
                    if CONFLICT_MOVECHANCE >= 1
                    else -math.log1p(-CONFLICT_MOVECHANCE)
                )
            elif kind[a] == "camp":
                leave = -math.log1p(-CAMP_MOVECHANCE)
            else:
                leave = -math.log1p(-DEFAULT_MOVECHANCE)
            weight = {
                b: (CONFLICT_WEIGHT if conflict(b, day) else 1.0) / (DISTANCE_SOFTENING_KM + km)
                for b, km in roads
            }
            open_total = sum(w for b, w in weight.items() if not closed(a, b, day))
            all_total = sum(weight.values())
            for b, w in weight.items():
                # A closed road's rate is zeroed by the policy; give it its all-roads share.
                total = all_total if closed(a, b, day) or open_total <= 0 else open_total
                h = _sig(leave * w / total)
                seq = steps.setdefault((a, b), [])
                if not seq or seq[-1][1] != h:
                    seq.append((day, h))
    return steps


def _rate(steps: Steps, **prov: Any) -> dict[str, Any]:
    if len(steps) == 1:
        return {"per_day": steps[0][1], **prov}
    return {
        "schedule": [{"from": _date(d), "per_year": _sig(h * DAYS_PER_YEAR)} for d, h in steps],
        **prov,
    }


def spawn_rates(net: dict[str, Any], n_agents: int, n_days: int) -> dict[str, Steps]:
    """People per day entering at each origin, as (from day, rate) steps.

    Args:
        net: The network from `build_flee_like_network`.
        n_agents: Agents spawned over the run.
        n_days: Simulated days.

    Returns:
        ``{origin: [(day, people per day), ...]}``: 0 before the onset, then the origin's
        population share among the origins active that day, times ``n_agents / n_days``.
    """
    origins = net["spawn"]["origins"]
    per_day = n_agents / n_days
    days = sorted({0} | {o["onset_day"] for o in origins if o["onset_day"] < n_days})
    rates: dict[str, Steps] = {o["name"]: [] for o in origins}
    for day in days:
        active = [o for o in origins if o["onset_day"] <= day]
        total = sum(o["weight"] for o in active)
        for o in origins:
            r = per_day * o["weight"] / total if o in active and total > 0 else 0.0
            seq = rates[o["name"]]
            r = _sig(r)
            if not seq or seq[-1][1] != r:
                seq.append((day, r))
    return rates


def build_scenario(
    net: dict[str, Any], n_agents: int, n_days: int, seed: int = 1
) -> dict[str, Any]:
    """The Flee network, closure and spawning as a Crossings scenario (plain data).

    Args:
        net: The network from `build_flee_like_network`.
        n_agents: Agents spawned over the run.
        n_days: Simulated days.
        seed: The scenario's seed.

    Returns:
        A scenario mapping, ready for ``yaml.safe_dump``.
    """
    src = {"sources": [SOURCE]}
    haz = road_hazards(net, n_days)
    places = [
        {
            "id": loc["name"],
            "kind": loc["kind"],
            "country": loc["country"],
            "lon": loc["lon"],
            "lat": loc["lat"],
        }
        for loc in net["locations"]
    ]
    kind = {loc["name"]: loc["kind"] for loc in net["locations"]}
    states: list[dict[str, Any]] = []
    for loc in net["locations"]:
        a = loc["name"]
        hazards = [
            {"id": f"go_{a}_{b}", "to": f"road_{a}_{b}", "rate": _rate(steps, **src)}
            for (x, b), steps in haz.items()
            if x == a
        ]
        states.append(
            {"id": f"at_{a}", "place": a, "kind": STATE_KIND[kind[a]], "hazards": hazards}
        )
    routes = []
    for r in net["routes"]:
        for a, b in ((r["from"], r["to"]), (r["to"], r["from"])):
            routes.append(
                {
                    "id": f"road_{a}_{b}",
                    "from": f"at_{a}",
                    "to": f"at_{b}",
                    "travel_time": {
                        "distribution": "fixed",
                        "value": road_days(r["distance_km"]),
                        "note": f"{r['distance_km']} km at 360 km a day",
                        **src,
                    },
                }
            )
    inflows = []
    for o, steps in spawn_rates(net, n_agents, n_days).items():
        rate = {
            "schedule": [{"from": _date(d), "per_year": _sig(v * DAYS_PER_YEAR)} for d, v in steps],
            **src,
        }
        if len(steps) == 1:
            rate = {"per_day": steps[0][1], **src}
        inflows.append(
            {
                "id": f"spawn_{o}",
                "enter": f"at_{o}",
                "rate": rate,
                "sex": {
                    "female": 0.5,
                    "male": 0.5,
                    "assumption": "Flee's agents have no sex; it plays no part here",
                },
                "origins": {o: 1.0, **src},
            }
        )
    policies = []
    for k, c in enumerate(net["closures"]):
        effects = []
        for a, b in c["routes"]:
            effects.append({"close_route": f"road_{a}_{b}"})
            if c.get("two_way", True):
                effects.append({"close_route": f"road_{b}_{a}"})
        policies.append(
            {
                "id": f"closure_{k}",
                "name": f"border {c['from_country']}-{c['to_country']} closed",
                "from": _date(c["start_day"]),
                "to": _date(c["end_day"] - 1),
                "effects": effects,
                **src,
            }
        )
    return {
        "name": "flee_network",
        "title": "The Flee 3.1 peer benchmark's synthetic escape network",
        "description": (
            f"40 places, {len(net['routes'])} two-way roads, {n_agents} agents spawned over "
            f"{n_days} days at the conflict zones; generated by benchmarks/bench_flee.py "
            f"from flee_network.build_flee_like_network(seed={net['seed']}). Camp capacity "
            "is not modelled (Crossings agents do not interact)."
        ),
        "seed": seed,
        "allow_closed_cycles": True,
        "time": {"start": START, "end": _date(n_days - 1), "step": 1},
        "sources": {
            SOURCE: {
                "citation": (
                    "shared/bench/flee_reference.py (Flee 3.1 peer benchmark): synthetic "
                    "40-place network, movechance conflict 1.0 / camp 0.001 / other 0.3, "
                    "360 km a day, road weight score / (10 + km) with conflict score "
                    "0.25, Home-TransitA closed days 120-209, N agents spawned evenly "
                    "over the days at conflict zones weighted by population"
                ),
                "note": "rebuilt draw for draw by benchmarks/flee_network.py",
            }
        },
        "places": places,
        "states": states,
        "routes": routes,
        "inflows": inflows,
        "policies": policies,
        "journeys": {"sample": 0},
    }


class _NoAliasDumper(yaml.SafeDumper):
    """A YAML dumper that writes shared objects out in full (no ``&id``/``*id`` aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never alias."""
        return True


def scenario_text(scenario: dict[str, Any]) -> str:
    """The scenario as YAML text."""
    return yaml.dump(scenario, Dumper=_NoAliasDumper, sort_keys=False, width=100)


@dataclass
class CrossingsFleeRun:
    """Figures of one Crossings run of the Flee network.

    Attributes:
        n_agents: Agents asked for (spawned over the run, Poisson around the rates).
        n_days: Daily steps.
        seed: Run seed.
        build_s: Seconds to generate the scenario text.
        load_s: Seconds to load and validate it.
        compile_s: Seconds to compile it.
        run_s: Best wall time of ``Simulation.run()``.
        run_times_s: Wall time of each repeat.
        agents_created: Agents the run created.
        agent_steps: Sum over days of the agents created so far (Flee's definition).
        agent_steps_per_s: ``agent_steps / run_s``.
        nominal_agent_steps_per_s: ``n_agents * n_days / run_s``, for reference.
        events: Events processed.
        engine_bytes_per_agent: ``Simulation.memory_bytes() / agents_created``.
        final: Agents at the end by group (camps, roads, origins, borders, transit towns).
        final_camps: Agents in each camp at the end.
        n_segments: Time segments of the compiled model.
    """

    n_agents: int
    n_days: int
    seed: int
    build_s: float
    load_s: float
    compile_s: float
    run_s: float
    run_times_s: list[float]
    agents_created: int
    agent_steps: int
    agent_steps_per_s: float
    nominal_agent_steps_per_s: float
    events: int
    engine_bytes_per_agent: float
    final: dict[str, int]
    final_camps: dict[str, int]
    n_segments: int
    warnings: list[str] = field(default_factory=list)


def load_flee_scenario(
    n_agents: int, n_days: int, seed: int = 1, net_seed: int = 1
) -> tuple[LoadedScenario, float, float]:
    """Generate and load the scenario.

    Args:
        n_agents: Agents spawned over the run.
        n_days: Simulated days.
        seed: The scenario's seed.
        net_seed: The Flee script's ``--seed`` (sets the network).

    Returns:
        The loaded scenario, the seconds to generate its text and the seconds to load it.
    """
    t0 = time.perf_counter()
    net = build_flee_like_network(net_seed, n_agents=n_agents, n_days=n_days)
    text = scenario_text(build_scenario(net, n_agents, n_days, seed))
    t1 = time.perf_counter()
    loaded = load_scenario_text(text, name=f"flee_network[{n_agents}]")
    return loaded, t1 - t0, time.perf_counter() - t1


def run_crossings(
    n_agents: int, n_days: int, *, seed: int = 1, net_seed: int = 1, repeat: int = 1
) -> CrossingsFleeRun:
    """Generate, load, compile and run the scenario, timing each part.

    Args:
        n_agents: Agents spawned over the run.
        n_days: Simulated days.
        seed: Run seed.
        net_seed: The Flee script's ``--seed`` (sets the network).
        repeat: Runs of ``Simulation.run()``; the best time counts.

    Returns:
        The figures of the run.
    """
    loaded, build_s, load_s = load_flee_scenario(n_agents, n_days, seed, net_seed)
    t0 = time.perf_counter()
    model = compile_scenario(loaded)
    compile_s = time.perf_counter() - t0
    timed = time_runs(model, seed, repeat)
    raw, times, best, memory = timed.raw, timed.times_s, timed.best_s, timed.memory_bytes
    final = raw.stocks[-1].sum(axis=1)
    groups = {"camps": 0, "on_roads": 0, "origins": 0, "borders": 0, "transit_towns": 0}
    camps: dict[str, int] = {}
    place_kind = {p.id: p.kind for p in loaded.scenario.places}
    group_of = {
        "camp": "camps",
        "origin": "origins",
        "border": "borders",
        "transit": "transit_towns",
    }
    for sid, count in zip(model.state_ids, final.tolist(), strict=True):
        if sid.startswith("road_"):
            groups["on_roads"] += count
        elif sid.startswith("at_"):
            kind = place_kind[sid[3:]]
            groups[group_of[kind]] += count
            if kind == "camp":
                camps[sid[3:]] = count
    created = int(raw.agents_created)
    return CrossingsFleeRun(
        n_agents=n_agents,
        n_days=n_days,
        seed=seed,
        build_s=build_s,
        load_s=load_s,
        compile_s=compile_s,
        run_s=best,
        run_times_s=times,
        agents_created=created,
        agent_steps=int(raw.agent_steps),
        agent_steps_per_s=raw.agent_steps / best,
        nominal_agent_steps_per_s=n_agents * n_days / best,
        events=int(raw.events),
        engine_bytes_per_agent=memory / max(created, 1),
        final=groups,
        final_camps=camps,
        n_segments=int(model.seg_start.size),
        warnings=[str(w) for w in loaded.warnings],
    )


def flee_summary(r: PeerResult) -> dict[str, Any] | None:
    """The JSON summary Flee's script prints as its first line, or None."""
    for raw_line in r.raw_output.splitlines():
        line = raw_line.strip()
        if line.startswith("{"):
            try:
                doc: dict[str, Any] = json.loads(line)
            except ValueError:
                continue
            return doc
    return None


def _share(x: int, n: int) -> str:
    return f"{x:>9,} ({100 * x / n:5.1f}%)" if n else f"{x:>9,}"


def format_report(
    runs: Sequence[CrossingsFleeRun], flee: dict[int, PeerResult], flee_note: str
) -> tuple[str, list[dict[str, Any]]]:
    """The printed figures, ratios, distributions and notes.

    Args:
        runs: The Crossings runs.
        flee: Flee runs by agent count.
        flee_note: Why Flee did not run (when it did not).

    Returns:
        The text, and one comparison record per Crossings run (for the JSON file).
    """
    lines: list[str] = []
    header = (
        f"{'engine':<10} {'agents':>10} {'days':>5} {'agent-steps':>14} "
        f"{'agent-steps/s':>14} {'run s':>8} {'events':>12} {'B/agent':>9}"
    )
    lines += [header, "-" * len(header)]
    for c in runs:
        lines.append(
            f"{'crossings':<10} {c.agents_created:>10,} {c.n_days:>5} {c.agent_steps:>14,} "
            f"{c.agent_steps_per_s:>14,.0f} {c.run_s:>8.2f} {c.events:>12,} "
            f"{c.engine_bytes_per_agent:>9.1f}"
        )
    for n, f in sorted(flee.items()):
        s = flee_summary(f) or {}
        bpa = f"{f.bytes_per_agent:.0f}" if f.bytes_per_agent is not None else "?"
        lines.append(
            f"{'flee':<10} {n:>10,} {f.n_days:>5} {s.get('agent_steps', 0):>14,} "
            f"{f.agent_steps_per_s:>14,.0f} {s.get('sim_loop_s', float('nan')):>8.2f} "
            f"{'':>12} {bpa:>9}"
        )
    lines.append(
        "(Crossings B/agent: Simulation.memory_bytes() / agents created; Flee B/agent: "
        "peak RSS of its process / agents)"
    )
    for c in runs:
        lines.append(
            f"crossings {c.n_agents:,}: generate {c.build_s:.2f} s, load {c.load_s:.2f} s, "
            f"compile {c.compile_s:.3f} s ({c.n_segments} time segments), runs "
            + ", ".join(f"{t:.2f}" for t in c.run_times_s)
            + " s; events per agent "
            f"{c.events / max(c.agents_created, 1):.1f}"
        )
    lines.append("")
    records: list[dict[str, Any]] = []
    for c in runs:
        rec: dict[str, Any] = {
            "n_agents": c.n_agents,
            "flee_agents": None,
            "ratio": None,
            "reused": False,
        }
        if flee:
            same = flee.get(c.n_agents)
            f = same if same is not None else flee[max(flee)]
            ratio = c.agent_steps_per_s / f.agent_steps_per_s
            rec.update(flee_agents=f.n_agents, ratio=ratio, reused=same is None)
            note = (
                ""
                if same is not None
                else (
                    f"  (Flee figure at {f.n_agents:,} agents reused: Flee at {c.n_agents:,} "
                    "agents takes over 10 minutes)"
                )
            )
            lines.append(f"ratio Crossings/Flee at {c.n_agents:,} agents = {ratio:,.1f}{note}")
        else:
            lines.append(f"ratio Crossings/Flee at {c.n_agents:,} agents = ? ({flee_note})")
        records.append(rec)
    lines += ["", f"final distribution (day {runs[0].n_days - 1 if runs else '?'}):"]
    for c in runs:
        n = c.agents_created
        lines.append(
            f"  crossings {c.n_agents:>9,}: in camps {_share(c.final['camps'], n)}, "
            f"on roads {_share(c.final['on_roads'], n)}, in origins "
            f"{_share(c.final['origins'], n)}, borders {_share(c.final['borders'], n)}, "
            f"transit towns {_share(c.final['transit_towns'], n)}"
        )
        lines.append(f"      camps: {c.final_camps}")
    for n_f, f in sorted(flee.items()):
        s = flee_summary(f)
        if s is None:
            continue
        n = int(s.get("agents_spawned", n_f))
        camps = int(s.get("final_in_camps", 0))
        roads = int(s.get("final_on_links", 0))
        origins = int(s.get("final_in_origins", 0))
        rest = n - camps - roads - origins
        lines.append(
            f"  flee      {n_f:>9,}: in camps {_share(camps, n)}, on roads "
            f"{_share(roads, n)}, in origins {_share(origins, n)}, "
            f"borders+transit towns {_share(rest, n)}"
        )
        lines.append(
            f"      camps: {s.get('final_camp_occupancy')}  capacity: {s.get('camp_capacity')}"
        )
    lines += [
        "",
        "notes: camp capacity is not modelled in Crossings (its agents do not interact), so",
        "  its camps never fill, while Flee's camps hold 70% of N in all and stop taking",
        "  agents when over 90-95% full; a Crossings agent spends at least one day in each",
        "  state (Flee agents can hop on the same day while under 360 km, and move on the day",
        "  they spawn); agents already on a road when it closes finish it in Crossings (Flee",
        "  sends them back). Crossings spawns a Poisson number around N/days a day (Flee:",
        "  exactly N // days), so its agent count differs from N by about sqrt(N).",
    ]
    return "\n".join(lines), records


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark.

    Args:
        argv: Command-line arguments (``sys.argv[1:]`` when None).

    Returns:
        0 when every Crossings run finished, else 1.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1, help="Crossings run seed")
    ap.add_argument("--net-seed", type=int, default=1, help="Flee script's --seed (network)")
    ap.add_argument("--repeat", type=int, default=1, help="best of k runs of Crossings")
    ap.add_argument(
        "--flee-agents",
        type=int,
        nargs="*",
        default=[100_000],
        help="agent counts for Flee runs (none: skip Flee)",
    )
    ap.add_argument("--no-flee", action="store_true", help="skip Flee")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per Flee run")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument(
        "--write-yaml",
        type=Path,
        default=None,
        help="also write the generated scenario (first --agents size) here",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = dt.datetime.now().isoformat(timespec="seconds")

    if args.write_yaml is not None:
        net = build_flee_like_network(args.net_seed, n_agents=args.agents[0], n_days=args.days)
        text = scenario_text(build_scenario(net, args.agents[0], args.days, args.seed))
        args.write_yaml.parent.mkdir(parents=True, exist_ok=True)
        args.write_yaml.write_text(text)
        print(f"wrote {args.write_yaml} ({len(text):,} characters)")

    runs: list[CrossingsFleeRun] = []
    for n in args.agents:
        runs.append(
            run_crossings(n, args.days, seed=args.seed, net_seed=args.net_seed, repeat=args.repeat)
        )
    flee: dict[int, PeerResult] = {}
    flee_note = ""
    if args.no_flee or not args.flee_agents:
        flee_note = "Flee skipped (--no-flee)"
    elif peer_python("flee") is None:
        flee_note = "no .bench-venvs/flee; make it with bash benchmarks/setup_peers.sh flee"
        print(f"Flee skipped: {flee_note}")
    else:
        for n in args.flee_agents:
            r = run_flee(n, args.days, args.net_seed, timeout_s=args.timeout)
            if r is not None:
                flee[n] = r
        if not flee:
            flee_note = "the Flee run failed (see the warning above)"

    text, records = format_report(runs, flee, flee_note)
    print(f"Flee network (seed {args.net_seed}) as a Crossings scenario, {args.days} days")
    print(text)
    print(f"engine sources sha256[:12] = {ENGINE_AT_IMPORT}")
    warning = changed_warning(ENGINE_AT_IMPORT)
    if warning:
        print(warning)
    for c in runs:
        for w in c.warnings:
            print(f"validation warning ({c.n_agents:,}): {w}")

    if args.json is not None:
        doc = {
            "benchmark": "flee_network",
            "started": started,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "numpy": np.__version__,
            },
            "engine_sha256_12": ENGINE_AT_IMPORT,
            "engine_sha256_12_at_end": engine_hash(),
            "crossings": [asdict(c) for c in runs],
            "flee": {
                str(n): {
                    **{k: v for k, v in asdict(f).items() if k != "raw_output"},
                    "summary": flee_summary(f),
                }
                for n, f in flee.items()
            },
            "comparisons": records,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1, default=str))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
