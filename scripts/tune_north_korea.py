#!/usr/bin/env python3
"""How the hand-set yearly rates of the North Korea scenario were chosen.

Nobody counts how many people cross into China each year, nor how many of
those hiding there leave for the South. The built-in scenario therefore sets
two yearly series by hand, openly, as assumptions:

* attempts per year by sex (``river_crossers``) follow a narrative written
  here (famine-era stock, a late-2000s wave of broker-planned escapes, the
  2012 tightening, the 2020 closure) — see ``ATTEMPTS`` below;
* the yearly onward-departure hazards of people hiding in China
  (``onward_female``, ``onward_male``, ``onward_married``) are adjusted by
  fixed-point iteration until the simulated arrivals by sex match the
  Ministry of Unification's table (S1, S3, S4).

This is a hand calibration of one series, not an estimate with uncertainty;
``crossings calibrate`` (a later issue) replaces it with a posterior. Run:

    python scripts/tune_north_korea.py [--iterations 8] [--seeds 3]

It prints the ``by_year`` tables; ``--write`` puts them into
``src/crossings/scenario/builtin/north-korea.yaml``.
"""

from __future__ import annotations

import argparse
import copy
import re
from typing import Any

import numpy as np
import yaml

from crossings.api import simulate
from crossings.scenario.load import builtin_path, load_scenario_text

# attempts per year (before policy factors), women and men
ATTEMPTS: dict[int, tuple[float, float]] = {
    1998: (1800, 1800),
    2000: (1900, 1500),
    2002: (2000, 1200),
    2004: (2300, 800),
    2006: (3000, 800),
    2007: (3600, 1000),
    2008: (3800, 1000),
    2009: (3600, 950),
    2010: (3200, 900),
    2011: (3200, 900),
    2012: (2800, 700),
    2014: (2600, 600),
    2016: (2500, 550),
    2018: (2400, 500),
    2020: (2200, 450),
    2024: (1800, 400),
}
# broker-arranged departures straight after crossing (per year, per person)
DIRECT: dict[int, float] = {
    1998: 0.1,
    2001: 0.3,
    2003: 0.8,
    2005: 3.0,
    2006: 8.0,
    2007: 18.0,
    2010: 10.0,
    2011: 8.0,
    2012: 3.0,
    2014: 2.0,
    2016: 1.5,
    2018: 1.5,
    2020: 0.3,
}
MARRIED_FACTOR = 0.5  # onward rate of married women relative to other women


def _set_rate(data: dict[str, Any], state: str, hazard: str, table: dict[int, float]) -> None:
    for h in data["transitions"][state]:
        if h.get("id") == hazard:
            h["rate"]["by_year"] = {int(k): float(round(v, 5)) for k, v in table.items()}


def _arrivals(data: dict[str, Any], seeds: int) -> dict[str, np.ndarray]:
    loaded = load_scenario_text(yaml.safe_dump(data, sort_keys=False), "north-korea (tuning)")
    res = simulate(loaded, runs=seeds, workers=min(seeds, 2))
    e = np.mean([res.entries(["arrived_south"], r) for r in range(res.n_runs)], axis=0)
    years = np.array(res.model.years)
    return {"years": years, "female": e[:, 0], "male": e[:, 1]}


def _fmt(table: dict[int, float]) -> str:
    def num(v: float) -> str:
        if float(v).is_integer():
            return str(int(v))
        text = f"{v:.3g}"
        return f"{v:.6f}".rstrip("0") if "e" in text else text

    return "{" + ", ".join(f"{y}: {num(v)}" for y, v in sorted(table.items())) + "}"


def write_tables(tables: dict[str, dict[int, float]]) -> None:
    """Replace the ``by_year`` maps after each anchor line in the scenario file."""
    path = builtin_path("north-korea")
    text = path.read_text(encoding="utf-8")
    anchors = {
        "attempts_female": r"rate_by_sex:\s*\n\s*female:",
        "attempts_male": r"rate_by_sex:\s*\n\s*female:[^\n]*\n\s*male:",
        "direct_broker": r"- id: direct_broker",
        "onward_female": r"- id: onward_female",
        "onward_male": r"- id: onward_male",
        "onward_married": r"- id: onward_married",
    }
    for name, pattern in anchors.items():
        m = re.search(pattern, text)
        if m is None:
            raise SystemExit(f"anchor for {name} not found")
        start = text.index("by_year: {", m.end())
        end = text.index("}", start) + 1
        text = text[:start] + "by_year: " + _fmt(tables[name]) + text[end:]
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    """Iterate the onward hazards until simulated arrivals match the MOU table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="write the tables into the scenario")
    args = ap.parse_args()
    base = yaml.safe_load(builtin_path("north-korea").read_text(encoding="utf-8"))
    obs = next(o for o in base["observations"] if o["id"] == "arrivals")
    target: dict[int, tuple[float, float]] = {}
    for row in obs["rows"]:
        if "year" in row and "female" in row:
            target[int(row["year"])] = (float(row["female"]), float(row["male"]))
        elif "year" in row and "total" in row:
            share_f = 0.12 if row["year"] < 1999 else 0.45
            target[int(row["year"])] = (row["total"] * share_f, row["total"] * (1 - share_f))
    data = copy.deepcopy(base)
    inflow = next(i for i in data["inflows"] if i["id"] == "river_crossers")
    inflow["rate_by_sex"]["female"]["by_year"] = {y: v[0] for y, v in ATTEMPTS.items()}
    inflow["rate_by_sex"]["male"]["by_year"] = {y: v[1] for y, v in ATTEMPTS.items()}
    for st in ("new_in_china",):
        _set_rate(data, st, "direct_broker", DIRECT)
    years = sorted(target)
    onward_f = {y: 0.03 for y in years}
    onward_m = {y: 0.03 for y in years}
    for it in range(args.iterations):
        _set_rate(data, "hiding_ne", "onward_female", onward_f)
        _set_rate(data, "hiding_ne", "onward_male", onward_m)
        _set_rate(
            data,
            "hiding_married",
            "onward_married",
            {y: v * MARRIED_FACTOR for y, v in onward_f.items()},
        )
        sim = _arrivals(data, args.seeds)
        worst = 0.0
        for i, y in enumerate(sim["years"]):
            if y not in target:
                continue
            for sex, table, k in (("female", onward_f, 0), ("male", onward_m, 1)):
                got = max(sim[sex][i], 0.5)
                want = max(target[y][k], 0.5)
                worst = max(worst, abs(got - want) / want)
                table[int(y)] = float(np.clip(table[int(y)] * (want / got) ** 0.8, 1e-4, 5.0))
        print(f"iteration {it + 1}: worst relative error {worst:.2f}")
    print("\nyear  women sim/obs   men sim/obs   total ratio")
    for i, y in enumerate(sim["years"]):
        if y in target:
            f, m_ = sim["female"][i], sim["male"][i]
            tf, tm = target[y]
            print(f"{y}  {f:7.0f}/{tf:<7.0f} {m_:7.0f}/{tm:<7.0f} {(f + m_) / (tf + tm):.2f}")
    married = {y: v * MARRIED_FACTOR for y, v in onward_f.items()}
    tables = {
        "attempts_female": {y: v[0] for y, v in ATTEMPTS.items()},
        "attempts_male": {y: v[1] for y, v in ATTEMPTS.items()},
        "direct_broker": DIRECT,
        "onward_female": onward_f,
        "onward_male": onward_m,
        "onward_married": married,
    }
    for name, table in tables.items():
        print(f"{name}: {_fmt(table)}")
    if args.write:
        write_tables(tables)


if __name__ == "__main__":
    main()
