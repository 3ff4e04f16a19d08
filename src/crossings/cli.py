"""The ``crossings`` command line.

User mistakes (an invalid scenario, a bad option) print a clear message and
exit with status 2, never a traceback. ``sys.exit`` is used only here.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crossings.console import err, out
from crossings.evidence.cli import app as evidence_app
from crossings.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from crossings.scenario.load import LoadedScenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="Crossings: simulate escape, capture, repatriation and punishment; compare with "
    "what is counted.",
    pretty_exceptions_enable=False,
)
app.add_typer(evidence_app, name="evidence")


DEFAULT_OUT = Path("crossings-results")


def _default_scenario() -> str:
    from crossings.scenario.load import default_scenario  # noqa: PLC0415

    return default_scenario()


def _fail(message: str, code: int = 2) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _load(scenario: str | None, sets: list[str] | None, variant: str | None) -> LoadedScenario:
    from crossings.scenario.load import load_scenario  # noqa: PLC0415

    try:
        return load_scenario(scenario or _default_scenario(), overrides=sets or [], variant=variant)
    except ScenarioError as exc:
        _fail(exc.format())
        raise  # unreachable


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Built-in scenario name or path to a YAML file (default: the built-in default)."
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a value: path.to.value=X (list items by id or index)."),
]
VariantOpt = Annotated[str | None, typer.Option("--variant", help="A named what-if variant.")]
ExecutorOpt = Annotated[
    str | None,
    typer.Option(
        "--executor",
        help="Where runs execute: local (default), local:N, dask://HOST:PORT, "
        "a Dask scheduler file (.json) or dask-local:N.",
    ),
]


def _executor(spec: str | None, workers: int | None) -> Any:
    """An executor from ``--executor``, or None for the default local processes."""
    if spec is None:
        return None
    from crossings.executors import get_executor  # noqa: PLC0415

    try:
        return get_executor(spec, workers=workers)
    except (ValueError, ConnectionError, OSError) as exc:
        _fail(f"error: --executor {spec}: {exc}")
    return None  # unreachable


RunsOpt = Annotated[
    int,
    typer.Option(
        "--runs",
        min=1,
        max=10_000,
        help="Number of runs (seeds); the default gives a 5–95% band (one run gives none).",
    ),
]
DEFAULT_RUNS = 10
POSTERIOR_EXPECTED_DRAWS = 100
"""Posterior draws of ``run --posterior DIR --expected`` unless --runs says otherwise."""
"""Agent runs by default: enough for a usable 5–95% band in seconds (README, Speed)."""
SeedOpt = Annotated[int | None, typer.Option("--seed", help="First seed.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes.")]
PosteriorOpt = Annotated[
    Path | None,
    typer.Option(
        "--posterior",
        help="A `crossings calibrate` folder: each run draws its parameters from that posterior.",
    ),
]
OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace an output folder that holds another run (another scenario, variant, "
        "set of changes or mode) or is not a results folder.",
    ),
]


@app.command()
def run(
    scenario: ScenarioArg = None,
    runs: RunsOpt = DEFAULT_RUNS,
    seed: SeedOpt = None,
    sets: SetOpt = None,
    variant: VariantOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Results folder (default: crossings-results, or crossings-results-VARIANT "
            "for a what-if).",
        ),
    ] = None,
    workers: WorkersOpt = None,
    shards: Annotated[
        int, typer.Option("--shards", min=1, help="Split each run into id ranges.")
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="The whole summary, not one screen.")
    ] = False,
    posterior: PosteriorOpt = None,
    executor: ExecutorOpt = None,
    expected: Annotated[
        bool,
        typer.Option(
            "--expected",
            help="Exact expected values instead of agent runs: no noise, no "
            "journeys (docs/calibration.md). With --posterior: the expected values "
            f"of each draw (default {POSTERIOR_EXPECTED_DRAWS} draws; no cohort tables).",
        ),
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Validate and run a scenario, print a summary and write results to --out."""
    from crossings.results.bundle import RunMode  # noqa: PLC0415
    from crossings.runs import RunPlan  # noqa: PLC0415

    loaded = _load(scenario, sets, variant)
    if posterior is not None:
        mode = RunMode.POSTERIOR_EXPECTED if expected else RunMode.POSTERIOR
    else:
        mode = RunMode.EXPECTED if expected else RunMode.AGENT
    explicit_runs = runs != DEFAULT_RUNS
    if explicit_runs or mode is RunMode.AGENT or mode is RunMode.POSTERIOR:
        n_runs = runs
    else:  # expected values: one; expected values of posterior draws: cheap, so many
        n_runs = POSTERIOR_EXPECTED_DRAWS if mode is RunMode.POSTERIOR_EXPECTED else 1
    plan = RunPlan(
        mode,
        runs=n_runs,
        seed=seed,
        workers=workers,
        shards=shards,
        posterior=posterior,
    )
    out_dir = out_dir or default_out(variant)
    path, wall = _run_to(loaded, plan, out_dir, executor=executor, quiet=quiet, overwrite=overwrite)
    if not quiet:
        _print_bundle(path, full=full)
    done = "expected values" if mode.noiseless else "results"
    took = "" if mode.noiseless else " simulated"
    out.print(f"{done} written to {path}/ ({wall:.1f} s{took})", highlight=False)
    if variant is not None and not quiet:
        out.print(
            f"what it changes against the baseline: crossings compare {variant}"
            + (f" --scenario {scenario}" if scenario else ""),
            highlight=False,
        )


def default_out(variant: str | None) -> Path:
    """The default results folder: one for the baseline, one per what-if."""
    return DEFAULT_OUT if variant is None else Path(f"{DEFAULT_OUT}-{variant}")


def _guard_out(out_dir: Path, loaded: LoadedScenario, mode: str, overwrite: bool) -> None:
    """Refuse to replace a folder holding another run (or anything else) unless asked."""
    from crossings.results.bundle import BundleError, open_bundle  # noqa: PLC0415

    if overwrite or not out_dir.exists():
        return
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        return
    try:
        old = open_bundle(out_dir).run
    except BundleError:
        _fail(
            f"error: {out_dir} exists and is not a results folder of this version; "
            "choose another --out, or add --overwrite to replace it"
        )
        return
    same = (
        old.scenario == loaded.scenario.name
        and old.variant == loaded.variant
        and list(old.overrides) == list(loaded.overrides)
        and str(old.mode) == mode
    )
    if not same:
        _fail(
            f"error: {out_dir} holds another run ({old.label}, {old.mode}); choose another "
            "--out, or add --overwrite to replace it"
        )


def _run_to(
    loaded: LoadedScenario,
    plan: Any,
    out_dir: Path,
    *,
    executor: str | None,
    quiet: bool,
    overwrite: bool,
) -> tuple[Path, float]:
    """Check, run and write one scenario as ``plan`` says; returns the folder and seconds."""
    from crossings.calibrate.unknowns import CalibrationError  # noqa: PLC0415
    from crossings.compile import preflight  # noqa: PLC0415
    from crossings.expected import ExpectedModeError  # noqa: PLC0415
    from crossings.results.io import write_results  # noqa: PLC0415
    from crossings.runs import RunPlanError, execute  # noqa: PLC0415

    try:
        preflight(loaded, runs=plan.runs)
    except ScenarioError as exc:
        _fail(exc.format())
    try:
        plan.check()
        if plan.mode.noiseless and executor is not None:
            raise RunPlanError("--expected computes expectations without agents; drop --executor")
    except RunPlanError as exc:
        _fail(f"error: {exc}")
    _guard_out(out_dir, loaded, str(plan.mode), overwrite)
    ex = _executor(executor, plan.workers)
    for w in loaded.warnings:
        err.print(w.format(), markup=False, highlight=False, soft_wrap=True)
    label = loaded.scenario.name + (f" [{loaded.variant}]" if loaded.variant else "")
    expected = plan.mode.noiseless
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    ) as progress:
        what = "expected values of" if expected else "running"
        count = "" if expected else f" × {plan.runs}"
        task = progress.add_task(f"{what} {label}{count}", total=1.0)
        try:
            results = execute(
                loaded,
                plan,
                executor=ex,
                progress=lambda f: progress.update(task, completed=f),
            )
        except (CalibrationError, ExpectedModeError, RunPlanError) as exc:
            _fail(f"error: {exc}")
            raise  # unreachable
        finally:
            if ex is not None:
                ex.close()
    return write_results(results, out_dir), results.wall_seconds


def _print_bundle(path: Path, *, full: bool) -> None:
    from crossings.results.bundle import BundleError, open_bundle  # noqa: PLC0415
    from crossings.summary import print_summary  # noqa: PLC0415

    try:
        print_summary(out, open_bundle(path), full=full)
    except BundleError as exc:
        _fail(f"error: {exc}")


@app.command()
def compare(
    variants: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="VARIANT...",
            help="What-if variants of the scenario to compare with its baseline.",
        ),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="Built-in name or YAML file (default: the default)."),
    ] = None,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            help="Compare results folders instead (repeat; the first is the baseline).",
        ),
    ] = None,
    runs: RunsOpt = DEFAULT_RUNS,
    seed: SeedOpt = None,
    sets: SetOpt = None,
    posterior: PosteriorOpt = None,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = None,
    out_dir: Annotated[
        Path,
        typer.Option("--out", help="Folder for the baseline's and each what-if's results."),
    ] = Path("crossings-compare"),
    population: Annotated[
        str | None,
        typer.Option("--population", help="Population to compare (default: the headline one)."),
    ] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """What if: run the baseline and each variant with the same seeds, print the differences.

    Runs with the same seed share random numbers wherever the scenarios agree,
    so each difference comes with a paired 5–95% interval. Results go to
    --out/baseline and --out/VARIANT (never over another run's folder unless
    --overwrite); `crossings report` draws them.
    """
    from crossings.results.bundle import BundleError, RunMode, open_bundle  # noqa: PLC0415
    from crossings.runs import RunPlan  # noqa: PLC0415
    from crossings.summary import print_comparison  # noqa: PLC0415

    if results:
        if variants:
            _fail("error: give variants or --results folders, not both")
        if len(results) < 2:
            _fail("error: --results needs the baseline folder and at least one what-if folder")
        try:
            bundles = [open_bundle(p) for p in results]
        except BundleError as exc:
            _fail(f"error: {exc}")
            return
        print_comparison(out, bundles[0], bundles[1:], population=population)
        return
    if not variants:
        _fail("error: name at least one variant (crossings scenarios lists them), or --results")
        return
    base = _load(scenario, sets, None)
    known = list(base.scenario.variants)
    unknown = [v for v in variants if v not in known]
    if unknown:
        from crossings.scenario.errors import did_you_mean  # noqa: PLC0415

        hint = did_you_mean(unknown[0], known)
        _fail(
            f"error: {base.scenario.name} has no variant {unknown[0]!r}"
            + (f"; {hint}" if hint else "")
            + f" (variants: {', '.join(known) or 'none'})"
        )
    mode = RunMode.POSTERIOR if posterior is not None else RunMode.AGENT
    plan = RunPlan(mode, runs=runs, seed=seed, workers=workers, posterior=posterior)
    paths = [
        _run_to(
            base, plan, out_dir / "baseline", executor=executor, quiet=False, overwrite=overwrite
        )[0]
    ]
    for v in variants:
        loaded = _load(scenario, sets, v)
        paths.append(
            _run_to(loaded, plan, out_dir / v, executor=executor, quiet=False, overwrite=overwrite)[
                0
            ]
        )
    bundles = [open_bundle(p) for p in paths]
    print_comparison(out, bundles[0], bundles[1:], population=population)
    out.print(
        f"results in {out_dir}/; the report: crossings report " + " ".join(str(p) for p in paths),
        highlight=False,
    )


@app.command()
def check(
    scenario: ScenarioArg = None,
    sets: SetOpt = None,
    variant: VariantOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print issues as JSON.")] = False,
) -> None:
    """Validate a scenario without running it (everything `run` would refuse, refused)."""
    from crossings.compile import preflight  # noqa: PLC0415
    from crossings.scenario.load import load_scenario  # noqa: PLC0415

    try:
        loaded = load_scenario(
            scenario or _default_scenario(), overrides=sets or [], variant=variant
        )
        preflight(loaded)
    except ScenarioError as exc:
        if as_json:
            out.print_json(
                json.dumps({"valid": False, "issues": [i.to_dict() for i in exc.issues]})
            )
            raise typer.Exit(2) from None
        _fail(exc.format())
        return
    if as_json:
        out.print_json(
            json.dumps({"valid": True, "issues": [i.to_dict() for i in loaded.warnings]})
        )
        return
    for w in loaded.warnings:
        err.print(w.format(), markup=False, highlight=False, soft_wrap=True)
    sc = loaded.scenario
    out.print(
        f"{loaded.origin}: valid scenario '{sc.name}' — {len(sc.places)} places, "
        f"{len(sc.states) + len(sc.routes) + len(sc.detention) + len(sc.sentences)} "
        f"states, {len(sc.policies)} policies, {len(sc.observations)} observation "
        f"series, {len(sc.sources)} sources",
        highlight=False,
    )


@app.command()
def scenarios(
    show: Annotated[str | None, typer.Option("--show", help="Print a scenario's YAML.")] = None,
) -> None:
    """List the built-in scenarios."""
    from crossings.scenario.load import builtin_names, builtin_path, load_scenario  # noqa: PLC0415

    if show is not None:
        names = builtin_names()
        if show not in names:
            _fail(f"unknown built-in scenario '{show}'; built-ins: {', '.join(names)}")
        out.print(builtin_path(show).read_text(encoding="utf-8"), markup=False, highlight=False)
        return
    t = Table(title="Built-in scenarios")
    t.add_column("name")
    t.add_column("title")
    t.add_column("span")
    t.add_column("variants")
    default = _default_scenario()
    for name in builtin_names():
        sc = load_scenario(name).scenario
        t.add_row(
            name + (" (default)" if name == default else ""),
            sc.title or "",
            f"{sc.time.start} → {sc.time.end}",
            ", ".join(sc.variants) or "–",
        )
    out.print(t)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write to a file.")] = None,
) -> None:
    """Print (or write) the JSON Schema of the scenario format."""
    from crossings.scenario.schema import json_schema  # noqa: PLC0415

    text = json.dumps(json_schema(), indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        from crossings.atomic import write_text  # noqa: PLC0415

        write_text(output, text + "\n")
        out.print(f"schema written to {output}")


@app.command()
def sources(
    scenario: ScenarioArg = None,
    sets: SetOpt = None,
    variant: VariantOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
    claims: Annotated[
        bool,
        typer.Option("--claims", help="Show the claims behind each parameter (evidence base)."),
    ] = False,
    db: Annotated[str | None, typer.Option("--db", help="Evidence database (--claims).")] = None,
    show_confidential: Annotated[
        bool,
        typer.Option(
            "--show-confidential", help="With --claims: do not redact confidential sources."
        ),
    ] = False,
) -> None:
    """List every parameter with its source or assumption (and the citations)."""
    from crossings.scenario.provenance import parameter_table  # noqa: PLC0415

    loaded = _load(scenario, sets, variant)
    if claims:
        from crossings.evidence.cli import sources_with_claims  # noqa: PLC0415

        sources_with_claims(loaded, db=db, show_confidential=show_confidential, as_json=as_json)
        return
    sc = loaded.scenario
    rows = parameter_table(sc)
    unlabelled = [r for r in rows if not r.labelled]
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "scenario": sc.name,
                    "parameters": len(rows),
                    "unlabelled": len(unlabelled),
                    "rows": [
                        {
                            "path": r.path,
                            "kind": r.kind,
                            "value": r.value,
                            "sources": list(r.sources),
                            "assumption": r.assumption,
                            "note": r.note,
                        }
                        for r in rows
                    ],
                    "sources": {k: v.model_dump(mode="json") for k, v in sc.sources.items()},
                }
            )
        )
        return
    t = Table(title=f"Parameters of '{sc.name}' and where they come from")
    t.add_column("field")
    t.add_column("value")
    t.add_column("source / assumption")
    for r in rows:
        prov = ", ".join(r.sources)
        if r.assumption:
            prov = (prov + "; " if prov else "") + "assumption: " + r.assumption
        t.add_row(r.path, r.value, prov)
    out.print(t)
    used = sorted({s for r in rows for s in r.sources})
    if used:
        t2 = Table(title="Sources cited")
        t2.add_column("id")
        t2.add_column("citation")
        t2.add_column("confidence")
        for sid in used:
            src = sc.sources[sid]
            t2.add_row(
                sid, src.citation + (f" — {src.url}" if src.url else ""), src.confidence or ""
            )
        out.print(t2)
    n_src = sum(1 for r in rows if r.sources)
    out.print(
        f"{len(rows)} sourced parameter groups: {n_src} cite sources, "
        f"{len(rows) - n_src} state assumptions, {len(unlabelled)} unlabelled"
    )


@app.command()
def report(
    result_dirs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[RESULTS_DIR]...",
            help="Results folders written by 'crossings run --out' (default: crossings-results); "
            "with several, the first is the baseline of a what-if comparison.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    figures: Annotated[
        Path | None,
        typer.Option("--figures", help="Also write every figure as PNG and SVG into this folder."),
    ] = None,
) -> None:
    """Write one self-contained HTML report (opens from disk, no network)."""
    from crossings.report import ReportError, build_report  # noqa: PLC0415

    try:
        path = build_report(result_dirs or [DEFAULT_OUT], output, figures_dir=figures)
    except ReportError as exc:
        _fail(f"error: {exc}")
        return
    size = path.stat().st_size / 1e6
    out.print(
        f"report written to {path} ({size:.1f} MB)"
        + (f"; figures in {figures}/" if figures is not None else ""),
        highlight=False,
    )


@app.command()
def journeys(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[RESULTS_DIR | SCENARIO]",
            help="A results folder (default: crossings-results, when it exists) or a "
            "scenario to run once first.",
        ),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, max=1000, help="How many histories.")] = 5,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (with a scenario).")] = None,
    sets: SetOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Tell individual simulated histories as plain sentences (from a results folder)."""
    import tempfile  # noqa: PLC0415

    from crossings.results.bundle import BundleError, open_bundle  # noqa: PLC0415
    from crossings.results.journeys import journeys_text  # noqa: PLC0415

    folder = Path(target) if target is not None else DEFAULT_OUT
    with tempfile.TemporaryDirectory(prefix="crossings-journeys-") as tmp:
        if folder.is_dir() and not sets and variant is None and seed is None:
            err.print(f"simulated histories from {folder}/", highlight=False)
        else:
            from crossings.results.io import write_results  # noqa: PLC0415
            from crossings.runs import RunPlan, execute  # noqa: PLC0415

            loaded = _load(target, sets, variant)
            err.print(
                f"simulated histories from one run of {loaded.scenario.name}", highlight=False
            )
            folder = write_results(execute(loaded, RunPlan(seed=seed)), Path(tmp) / "run")
        try:
            texts = journeys_text(open_bundle(folder), n)
        except BundleError as exc:
            _fail(f"error: {exc}")
            return
    if not texts:
        _fail("no journeys were sampled (set 'journeys: {sample: N}' in the scenario)", 1)
    for i, text in enumerate(texts, 1):
        out.print(f"[bold]{i}.[/bold] {text}\n", highlight=False)


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8787,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (local only by default).")
    ] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option("--data", help="Where runs are stored.")] = Path(
        "crossings-web"
    ),
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Also answer requests addressed to this host name (repeatable); by default "
            "only the bound address and the loopback names are answered.",
        ),
    ] = None,
    calibration: Annotated[
        list[Path] | None,
        typer.Option(
            "--calibration",
            help="A `crossings calibrate` folder of a built-in scenario (repeatable): runs "
            "started in the app may draw their parameters from its posterior, and its "
            "estimates are shown with what the data can tell of each.",
        ),
    ] = None,
) -> None:
    """Start the local web app (scenario form, runs, charts, journeys, JSON API)."""
    from crossings.scenario.load import builtin_names  # noqa: PLC0415
    from crossings.web import serve as serve_app  # noqa: PLC0415
    from crossings.web.calibrations import (  # noqa: PLC0415
        CalibrationFolderError,
        CalibrationRegistry,
    )

    folders = tuple(calibration or ())
    try:
        CalibrationRegistry(folders, scenarios=builtin_names())  # refuse bad folders first
    except CalibrationFolderError as exc:
        _fail(str(exc))
    out.print(f"Crossings web app on http://{host}:{port}/ (Ctrl-C to stop)", highlight=False)
    serve_app(
        host=host,
        port=port,
        data_dir=data_dir,
        extra_hosts=tuple(allow_host or ()),
        calibrations=folders,
    )


PosteriorSeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the posterior draws.")]
DrawsOpt = Annotated[
    int, typer.Option("--draws", min=10, max=1_000_000, help="Posterior draws to keep.")
]
MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        help="importance: the exact posterior (adaptive Pareto-smoothed importance sampling); "
        "hmc: the exact posterior by Hamiltonian Monte Carlo on a surrogate of the model, each "
        "kept draw run exactly and importance-weighted; laplace: a normal approximation at the "
        "mode (a fast preview).",
    ),
]
EssOpt = Annotated[
    float,
    typer.Option("--target-ess", min=50, help="Effective sample size to reach (hmc, importance)."),
]
MaxIterOpt = Annotated[
    int,
    typer.Option(
        "--max-iter",
        min=1,
        max=200,
        help=(
            "Mode search: fresh Jacobians at most (d + 1 model runs each; the Broyden "
            "steps between them are not counted)."
        ),
    ),
]
LumpOpt = Annotated[
    int | None,
    typer.Option(
        "--lump-days",
        min=1,
        help="Faster, near-exact: one duration ring per sex in states "
        "whose stays can exceed this many days (default: the "
        "scenario's calibration.approximation).",
    ),
]
ExactOpt = Annotated[
    bool, typer.Option("--exact", help="No lumping at all: the exact expected-value mode.")
]


def _calibration_options(
    method: str,
    seed: int,
    draws: int,
    target_ess: float,
    max_iter: int,
    lump_days: int | None,
    exact: bool,
    prior_draws: int = 200,
    alternatives: bool = True,
) -> Any:
    from crossings.calibrate.fit import METHODS  # noqa: PLC0415
    from crossings.calibrate.outputs import Options  # noqa: PLC0415

    if method not in METHODS:
        _fail(f"error: --method {method}: choose {' or '.join(METHODS)}")
    return Options(
        method=method,
        seed=seed,
        draws=draws,
        target_ess=target_ess,
        max_iter=max_iter,
        lump_days=lump_days,
        exact=exact,
        prior_draws=prior_draws,
        alternatives=alternatives,
    )


@app.command()
def calibrate(
    scenario: ScenarioArg = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path(
        "crossings-calibration"
    ),
    method: MethodOpt = "importance",
    seed: PosteriorSeedOpt = 1,
    draws: DrawsOpt = 1000,
    target_ess: EssOpt = 1000.0,
    max_iter: MaxIterOpt = 30,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a killed run from its last checkpoint.")
    ] = False,
    lump_days: LumpOpt = None,
    exact: ExactOpt = False,
    prior_draws: Annotated[
        int,
        typer.Option(
            "--prior-draws",
            min=0,
            help="Draws from the prior run through the model, for the identifiability of "
            "the estimates (0 skips it).",
        ),
    ] = 200,
    no_alternatives: Annotated[
        bool,
        typer.Option(
            "--no-alternatives", help="Do not refit under the scenario's structural alternatives."
        ),
    ] = False,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A previous calibration folder: which estimates moved, by how much, and "
            "which new rows (evidence claims) moved them.",
        ),
    ] = None,
    sets: SetOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Fit the scenario's declared unknowns to its observations (Bayesian posterior)."""
    from crossings.calibrate.compare import (  # noqa: PLC0415
        CompareError,
        compare_calibrations,
        print_comparison,
        read_calibration,
    )
    from crossings.calibrate.outputs import calibrate_to_dir  # noqa: PLC0415
    from crossings.calibrate.unknowns import CalibrationError  # noqa: PLC0415
    from crossings.console import JobProgress  # noqa: PLC0415
    from crossings.expected import ExpectedModeError  # noqa: PLC0415
    from crossings.summary import print_calibration  # noqa: PLC0415

    loaded = _load(scenario, sets, variant)
    opts = _calibration_options(
        method,
        seed,
        draws,
        target_ess,
        max_iter,
        lump_days,
        exact,
        prior_draws,
        not no_alternatives,
    )
    previous = None
    if compare is not None:
        try:
            previous = read_calibration(compare)  # before the fit: --out may be that folder
        except CompareError as exc:
            _fail(f"error: {exc}")
    with JobProgress(f"calibrating {loaded.scenario.name}") as job:
        try:
            calibrate_to_dir(loaded, out_dir, opts, resume=resume, progress=job.update)
        except (CalibrationError, ExpectedModeError) as exc:
            _fail(f"error: {exc}")
            return
    print_calibration(out, out_dir)
    if previous is not None:
        try:
            print_comparison(compare_calibrations(previous, out_dir, scenario=loaded), out)
        except CompareError as exc:
            _fail(f"error: {exc}")


@app.command()
def validate(
    scenario: ScenarioArg = None,
    holdout_from: Annotated[
        int, typer.Option("--holdout-from", help="Fit on years before this one; forecast the rest.")
    ] = 2016,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    method: MethodOpt = "importance",
    seed: PosteriorSeedOpt = 1,
    draws: DrawsOpt = 1000,
    target_ess: EssOpt = 1000.0,
    max_iter: MaxIterOpt = 30,
    lump_days: LumpOpt = None,
    exact: ExactOpt = False,
    sets: SetOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Refit everything on the years before --holdout-from and score the forecast of the rest."""
    from crossings.calibrate.outputs import validate as run_validation  # noqa: PLC0415
    from crossings.calibrate.unknowns import CalibrationError  # noqa: PLC0415
    from crossings.console import JobProgress  # noqa: PLC0415
    from crossings.expected import ExpectedModeError  # noqa: PLC0415

    loaded = _load(scenario, sets, variant)
    opts = _calibration_options(method, seed, draws, target_ess, max_iter, lump_days, exact, 0)
    with JobProgress(
        f"validating {loaded.scenario.name} from {holdout_from}", quiet=as_json
    ) as job:
        try:
            res = run_validation(loaded, holdout_from, opts, progress=job.update)
        except (CalibrationError, ExpectedModeError) as exc:
            _fail(f"error: {exc}")
            return
    if as_json:
        out.print_json(
            json.dumps({k: v for k, v in res.items() if k != "holdout_rows"}, default=str)
        )
        return
    out.print(
        f"Every unknown was refitted on the observed numbers of the years before "
        f"{holdout_from} only (the search starting from the priors); the years from "
        f"{holdout_from} are forecast with the scenario's dated policies as what-ifs and the "
        "yearly series continuing as their smoothness priors allow.",
        highlight=False,
    )
    t = Table(title=f"{res['scenario']}: fit before {holdout_from}, forecast from it")
    for c in ("", "in-sample", "held-out"):
        t.add_column(c, justify="right" if c else "left")
    t.add_row("rows", str(res["rows_in_sample"]), str(res["rows_holdout"]))
    t.add_row(
        "ARD (Σ|sim − obs| / Σ obs)", f"{res['ard_in_sample']:.3f}", f"{res['ard_holdout']:.3f}"
    )
    t.add_row(
        "observed inside 50% interval",
        f"{res['coverage50_in_sample']:.0%}",
        f"{res['coverage50_holdout']:.0%}",
    )
    t.add_row(
        "observed inside 90% interval",
        f"{res['coverage90_in_sample']:.0%}",
        f"{res['coverage90_holdout']:.0%}",
    )
    ws_in, ws_out = res["women_share_in_sample"], res["women_share_holdout"]
    t.add_row(
        "women's share (observed → predicted)",
        f"{ws_in['observed']:.1%} → {ws_in['predicted']:.1%}",
        f"{ws_out['observed']:.1%} → {ws_out['predicted']:.1%}",
    )
    out.print(t)
    if not res["converged"]:
        why = "damping grew past its bound" if res["stopped_by"] == "damping" else "its limit"
        err.print(
            f"warning: the mode search stopped at {why} after {res['iterations']} "
            f"Jacobian{'' if res['iterations'] == 1 else 's'} "
            f"before converging (log posterior {res['log_posterior_at_mode']:.1f}): the "
            "forecast is from the last point it reached; --max-iter raises the limit.",
            markup=False,
            highlight=False,
        )
    if res["importance_failed"]:
        fail = res["importance_failed"]
        err.print(
            "note: the intervals are the Laplace approximation "
            f"({fail.get('sampler', 'importance')} sampling failed: k̂ {fail['khat']:.3g}, "
            f"effective sample size {fail['ess']:.0f}).",
            markup=False,
            highlight=False,
        )


def main() -> None:
    """Entry point of the ``crossings`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except ScenarioError as exc:  # a scenario problem that escaped a command
        err.print(exc.format(), markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted; nothing was written")
        sys.exit(130)


if __name__ == "__main__":
    main()
