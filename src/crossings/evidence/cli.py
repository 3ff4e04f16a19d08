"""``crossings evidence``: the evidence base on the command line.

Registered in :mod:`crossings.cli` as a sub-app. User mistakes (a missing
file, a bad database URL, an unknown claim id) print a message and exit with
status 2, never a traceback. Every output goes through
:mod:`crossings.evidence.redact`: confidential sources (and the files of a
confidential batch) are redacted unless ``--show-confidential`` is given,
errors are described without the values of a database statement, every
printed value is cleaned of terminal escape sequences and control characters
(:func:`~crossings.evidence.redact.clean_text`, through :func:`_cell`) and
JSON is written by :func:`~crossings.evidence.redact.safe_json`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from crossings.console import err, out
from crossings.evidence.redact import clean_text, describe_error, file_label, safe_json

if TYPE_CHECKING:
    from crossings.evidence.conflicts import Conflict
    from crossings.evidence.store import EvidenceStore
    from crossings.scenario.load import LoadedScenario

app = typer.Typer(
    name="evidence",
    help="The evidence base: sources, claims, reviews, conflicts and the claims behind "
    "each parameter.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Evidence database: a SQLite file or postgresql://… URL (default: "
        "evidence.sqlite in the user data folder, or $CROSSINGS_DATA_DIR).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
ShowOpt = Annotated[
    bool,
    typer.Option(
        "--show-confidential",
        help="Show confidential sources' identity and quotes (redacted by default).",
    ),
]
ScenarioOpt = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        help="Built-in scenario name or YAML file (default: the scenario of the built-in "
        "evidence).",
    ),
]


def _scenario(ref: str | None) -> str:
    """The scenario a command is about: the option, else the built-in evidence's."""
    from crossings.evidence.builtin import builtin_scenario  # noqa: PLC0415

    return ref or builtin_scenario()


def _stdin_is_tty() -> bool:
    """Whether a person can answer prompts."""
    return sys.stdin.isatty()


def _fail(message: str, code: int = 2) -> None:
    err.print(clean_text(message, multiline=True), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn store and scenario errors into a message and exit status 2."""
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from crossings.evidence.store import StoreError  # noqa: PLC0415
    from crossings.scenario.errors import ScenarioError  # noqa: PLC0415

    try:
        yield
    except StoreError as exc:
        _fail(f"error: {exc}")
    except ScenarioError as exc:
        _fail(exc.format())
    except SQLAlchemyError as exc:
        _fail(f"database error: {describe_error(exc)}", 1)


def _open(db: str | None) -> EvidenceStore:
    from crossings.evidence.store import open_store  # noqa: PLC0415

    return open_store(db)


def _print_json(data: Any) -> None:
    sys.stdout.write(safe_json(data) + "\n")


def _cell(text: object, *, multiline: bool = False) -> str:
    """A value as rich markup: cleaned for the terminal, markup escaped."""
    return escape(clean_text(text, multiline=multiline))


# ----------------------------------------------------------------------- init
@app.command()
def init(
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Reload even if up to date.")] = False,
) -> None:
    """Create the evidence database and load the built-in evidence (idempotent)."""
    from crossings.evidence.store import open_store  # noqa: PLC0415

    with _errors():
        store = open_store(db, load_builtin=False)
        with store:
            loaded = store.ensure_builtin(force=force)
            n_src, n_claims = len(store.sources()), len(store.claims())
            n_links = sum(len(v) for v in store.parameter_links(_scenario(None)).values())
            url = store.url
    state = "loaded" if loaded else "already up to date"
    out.print(
        clean_text(
            f"evidence base at {url}: built-in evidence {state}; {n_src} sources, "
            f"{n_claims} claims, {n_links} parameter links"
        ),
        highlight=False,
        markup=False,
    )


# ----------------------------------------------------------------------- add
def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"error: --date must be YYYY-MM-DD (got {text!r})")
        raise  # unreachable


def _date_asker(confidential: bool, show: bool) -> Any:
    """Asks for a single file's publication date (naming it only when allowed)."""
    from rich.prompt import Prompt  # noqa: PLC0415

    def ask(path: Path) -> dt.date | None:
        name = file_label(path.name, 1, confidential, show=show)
        while True:
            text = Prompt.ask(
                f"Publication date of {_cell(name)} (YYYY-MM-DD, empty to leave it empty)",
                default="",
                console=err,
                show_default=False,
            )
            if not text.strip():
                return None
            try:
                return dt.date.fromisoformat(text.strip())
            except ValueError:
                err.print("not a date; use YYYY-MM-DD")

    return ask


@app.command()
def add(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files (.txt, .md, .html, .htm) or folders (read recursively)."),
    ],
    title: Annotated[
        str | None, typer.Option("--title", help="Title, when the document has none.")
    ] = None,
    publisher: Annotated[str | None, typer.Option("--publisher")] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Publication date YYYY-MM-DD, when the document has none."),
    ] = None,
    url: Annotated[str | None, typer.Option("--url")] = None,
    language: Annotated[str | None, typer.Option("--language")] = None,
    confidential: Annotated[
        bool,
        typer.Option(
            "--confidential",
            help="Redact the source's identity and quotes in every output; its files are "
            "named [confidential file #N] here.",
        ),
    ] = False,
    reliability: Annotated[
        str,
        typer.Option(
            "--reliability",
            help="Reliability grade A (completely reliable) … E (unreliable), "
            "F (cannot be judged).",
        ),
    ] = "F",
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Add documents: claims are extracted and stored as suggestions to review."""
    from crossings.evidence.ingest import BatchWriteError, IngestOptions, ingest_paths  # noqa: PLC0415
    from crossings.evidence.redact import redact  # noqa: PLC0415

    options = IngestOptions(
        title=title,
        publisher=publisher,
        author=author,
        date=_parse_date(date),
        url=url,
        language=language,
        confidential=confidential,
        reliability=reliability.upper(),
    )
    ask = (
        _date_asker(confidential, show_confidential)
        if (_stdin_is_tty() and not json_out and len(paths) == 1 and paths[0].is_file())
        else None
    )
    with _errors(), _open(db) as store:
        try:
            report = ingest_paths(
                store, paths, options, ask_date=ask, show_confidential=show_confidential
            )
        except BatchWriteError as exc:
            _fail(f"error: {exc}", 1)
            return
    rows = [redact(o, show_confidential=show_confidential) for o in report.outcomes]
    if json_out:
        _print_json({"files": rows})
    else:
        for d in rows:
            name = _cell(d["path"])
            if d["status"] == "stored":
                out.print(
                    f"[green]stored[/green] {name} as {_cell(d['source_id'])}: "
                    f"{d['claims']} suggested claim(s)",
                    highlight=False,
                )
            elif d["status"] == "duplicate":
                out.print(
                    f"[yellow]already stored[/yellow] {name} ({_cell(d['reason'])})",
                    highlight=False,
                )
            else:
                err.print(f"[red]skipped[/red] {name}: {_cell(d['reason'])}", highlight=False)
            for w in d["warnings"]:
                err.print(f"  warning: {name}: {_cell(w)}", highlight=False)
        out.print(
            f"{report.count('stored')} stored, {report.count('duplicate')} already "
            f"stored, {report.count('error')} skipped",
            highlight=False,
        )
    if report.count("error"):
        raise typer.Exit(1)


# ----------------------------------------------------------------------- claims
def _claims_table(title: str, rows: Sequence[dict[str, Any]], *, with_link: bool = False) -> Table:
    """A table of claims given as redacted dicts (:func:`~crossings.evidence.redact.redact`)."""
    t = Table(title=title)
    for col in (
        "id",
        "source",
        "name",
        "subject",
        "sex",
        "period",
        "place",
        "value",
        "state",
        "confidence",
        *(["link"] if with_link else []),
    ):
        t.add_column(
            col,
            justify="right" if col == "id" else "left",
            no_wrap=col in ("name", "source", "period", "value", "confidence"),
            max_width=40 if col == "name" else None,
            overflow="ellipsis",
        )
    for d in rows:
        t.add_row(
            str(d["id"]),
            _cell(d["source_id"]),
            _cell(d["source_label"]),
            _cell(d["subject"]),
            _cell(d["sex"] or ""),
            _cell(d["period"]),
            _cell(d["place"] or ""),
            _cell(d["value_text"]),
            _cell(d["review_state"]),
            f"{d['confidence']:.2f} {d['confidence_label']}",
            *([_cell(d["link"])] if with_link else []),
        )
    return t


@app.command()
def claims(
    source: Annotated[str | None, typer.Option("--source", help="Only this source id.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    state: Annotated[
        str | None,
        typer.Option(
            "--state", help="Only this review state (suggested, accepted, rejected, edited)."
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """List claims (values, periods, sources, review state and confidence)."""
    from crossings.evidence.models import REVIEW_STATES  # noqa: PLC0415
    from crossings.evidence.redact import redact  # noqa: PLC0415

    if state is not None and state not in REVIEW_STATES:
        _fail(f"error: --state must be one of {', '.join(REVIEW_STATES)}")
    with _errors(), _open(db) as store:
        if source is not None and store.source(source) is None:
            _fail(f"error: no source '{source}' (see 'crossings evidence sources')")
        rows = store.claims(source=source, subject=subject, states=[state] if state else None)
    data = [redact(c, show_confidential=show_confidential) for c in rows]
    if json_out:
        _print_json({"claims": data})
        return
    out.print(_claims_table(f"{len(rows)} claim(s)", data))


@app.command()
def show(
    claim_id: Annotated[str, typer.Argument(metavar="CLAIM_ID", help="Claim id or key.")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Show one claim: its value, source, quote, parameters it supports and its history."""
    from crossings.evidence.redact import redact, source_name  # noqa: PLC0415

    with _errors(), _open(db) as store:
        claim = store.claim(claim_id)
        src = store.source(claim.source_id)
        params = store.claim_parameters(claim.id)
        history = store.audit(claim=claim.id)
    conf = frozenset({claim.source_id}) if claim.source_confidential else frozenset()
    data = redact(claim, show_confidential=show_confidential)
    data["source"] = redact(src, show_confidential=show_confidential) if src else None
    data["parameters"] = [{"scenario": s, "path": p, "link": link} for s, p, link in params]
    data["history"] = [
        redact(a, show_confidential=show_confidential, confidential_sources=conf) for a in history
    ]
    if json_out:
        _print_json(data)
        return
    name = source_name(
        claim.source_id,
        claim.source_label,
        claim.source_confidential,
        show_confidential=show_confidential,
    )
    lines = [
        f"[bold]claim {data['id']}[/bold] ({_cell(data['key'])}): {_cell(data['kind'])} "
        f"[bold]{_cell(data['value_text'])}[/bold]",
        f"subject: {_cell(data['subject'])}   sex: {_cell(data['sex'] or 'both')}   "
        f"period: {_cell(data['period'] or 'not stated')} ({_cell(data['granularity'] or '–')})"
        f"   place: {_cell(data['place'] or '–')}",
        f"source: {_cell(claim.source_id)} {_cell(name)} (reliability "
        f"{_cell(claim.source_reliability)})",
        f"review: {_cell(data['review_state'])}   confidence: {data['confidence']:.2f} "
        f"({data['confidence_label']})   method: {_cell(data['method'])} "
        f"{_cell(data['method_version'])}",
    ]
    if data["attributed_to"]:
        lines.append(f"attributed to: {_cell(data['attributed_to'])}")
    if data["statement"]:
        lines.append(f"statement: {_cell(data['statement'])}")
    if data["quote"]:
        span = (
            f" [{data['span_start']}:{data['span_end']}]" if data["span_start"] is not None else ""
        )
        lines.append(f"quote{span}: “{_cell(data['quote'])}”")
    if data["note"]:
        lines.append(f"note: {_cell(data['note'])}")
    for line in lines:
        out.print(line, highlight=False)
    if params:
        out.print(
            "supports: " + ", ".join(f"{_cell(s)}:{_cell(p)} ({link})" for s, p, link in params),
            highlight=False,
        )
    for a in data["history"]:
        out.print(f"  {a['at']} {_cell(a['actor'])}: {_cell(a['action'])}", highlight=False)


# ----------------------------------------------------------------------- review
def _interactive_review(store: EvidenceStore, source: str | None, show: bool) -> None:
    from rich.prompt import Prompt  # noqa: PLC0415

    from crossings.evidence.redact import REDACTED, redact  # noqa: PLC0415
    from crossings.evidence.store import StoreError  # noqa: PLC0415

    todo = store.claims(source=source, states=["suggested"])
    if not todo:
        out.print("nothing to review: no suggested claims" + (f" of {source}" if source else ""))
        return
    done = 0
    for i, c in enumerate(todo, 1):
        d = redact(c, show_confidential=show)
        out.rule(f"claim {c.id} ({i} of {len(todo)})")
        out.print(
            f"[bold]{_cell(d['value_text'])}[/bold]  subject {_cell(d['subject'])}, "
            f"sex {_cell(d['sex'] or 'both')}, period {_cell(d['period'] or '–')}, "
            f"place {_cell(d['place'] or '–')}; source {_cell(d['source_label'])}; "
            f"confidence {d['confidence']:.2f}",
            highlight=False,
        )
        text = store.document_text(c.source_id)
        if d["quote"] == REDACTED or text is None or c.span_start is None or c.span_end is None:
            if d["quote"]:
                out.print(f"quote: {_cell(d['quote'])}", highlight=False)
        else:
            a, b = max(0, c.span_start - 120), min(len(text), c.span_end + 120)
            out.print(
                "…"
                + _cell(text[a : c.span_start], multiline=True)
                + "[reverse]"
                + _cell(text[c.span_start : c.span_end], multiline=True)
                + "[/reverse]"
                + _cell(text[c.span_end : b], multiline=True)
                + "…",
                highlight=False,
            )
        choice = Prompt.ask(
            escape("[a]ccept, [r]eject, [e]dit, [s]kip, [q]uit"),
            choices=["a", "r", "e", "s", "q"],
            default="s",
            console=out,
        )
        if choice == "q":
            break
        if choice == "s":
            continue
        if choice in ("a", "r"):
            store.review(c.id, "accept" if choice == "a" else "reject")
            done += 1
            continue
        changes: dict[str, str] = {}
        while True:
            entry = Prompt.ask(
                "field=value (empty to finish)", default="", console=out, show_default=False
            )
            if not entry.strip():
                break
            if "=" not in entry:
                err.print("write field=value, e.g. value=2914 or period=2009")
                continue
            k, v = entry.split("=", 1)
            changes[k.strip()] = v
        if changes:
            try:
                store.review(c.id, "edit", changes)
                done += 1
            except StoreError as exc:
                err.print(f"not saved: {_cell(exc)}", highlight=False)
    out.print(f"{done} claim(s) reviewed")


def _parse_changes(items: Sequence[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            _fail(f"error: expected FIELD=VALUE, got {item!r} (e.g. value=2914 period=2009)")
        k, v = item.split("=", 1)
        changes[k.strip()] = v
    return changes


@app.command()
def review(
    changes: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FIELD=VALUE]...",
            help="Changes for --edit (value, value_high, qualifier, "
            "unit, subject, sex, period, place, kind, note, …).",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source's claims (interactive).")
    ] = None,
    accept: Annotated[
        list[str] | None, typer.Option("--accept", help="Accept this claim (repeatable).")
    ] = None,
    reject: Annotated[
        list[str] | None, typer.Option("--reject", help="Reject this claim (repeatable).")
    ] = None,
    edit: Annotated[
        list[str] | None,
        typer.Option("--edit", help="Edit this claim with the FIELD=VALUE arguments (repeatable)."),
    ] = None,
    db: DbOpt = None,
    show_confidential: ShowOpt = False,
) -> None:
    """Review suggested claims: interactively, or with --accept/--reject/--edit.

    Every change appends an entry to the audit log.
    """
    scripted = bool(accept or reject or edit)
    if changes and not edit:
        _fail("error: FIELD=VALUE arguments need --edit CLAIM_ID")
    if edit and not changes:
        _fail(
            "error: --edit CLAIM_ID needs at least one FIELD=VALUE argument "
            "(e.g. value=2914 period=2009)"
        )
    parsed = _parse_changes(changes or [])
    with _errors(), _open(db) as store:
        if not scripted:
            if not _stdin_is_tty():
                _fail(
                    "error: interactive review needs a terminal; use --accept ID, "
                    "--reject ID or --edit ID FIELD=VALUE"
                )
            if source is not None and store.source(source) is None:
                _fail(f"error: no source '{source}' (see 'crossings evidence sources')")
            _interactive_review(store, source, show_confidential)
            return
        for ref in accept or []:
            store.claim(ref)
        for ref in [*(reject or []), *(edit or [])]:
            store.claim(ref)  # every id is checked before anything changes
        done: list[tuple[str, str, bool]] = []
        for action, refs in (("accept", accept), ("reject", reject), ("edit", edit)):
            for ref in refs or []:
                res = store.review(ref, action, parsed if action == "edit" else None)
                done.append((action, str(res.claim.id), res.changed))
    for action, cid, changed in done:
        past = {"accept": "accepted", "reject": "rejected", "edit": "edited"}[action]
        out.print(f"claim {cid}: {past}" + ("" if changed else " (no change)"), highlight=False)


# ----------------------------------------------------------------------- sources
@app.command()
def sources(
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """List sources with their reliability grade and number of claims."""
    from crossings.evidence.redact import redact  # noqa: PLC0415

    with _errors(), _open(db) as store:
        rows = store.sources()
    data = [redact(s, show_confidential=show_confidential) for s in rows]
    if json_out:
        _print_json({"sources": data})
        return
    t = Table(title=f"{len(rows)} source(s)")
    for col in ("id", "source", "date", "reliability", "confidential", "claims", "origin"):
        t.add_column(col)
    for d in data:
        t.add_row(
            _cell(d["id"]),
            _cell(str(d["label"])[:90]),
            _cell(d["published"] or d["date_text"] or ""),
            _cell(d["reliability"]),
            "yes" if d["confidential"] else "",
            str(d["n_claims"]),
            _cell(d["origin"]),
        )
    out.print(t)


# ----------------------------------------------------------------------- conflicts
def conflict_json(c: Conflict, show: bool) -> dict[str, Any]:
    """One conflict as a JSON-ready dict (claims redacted)."""
    from crossings.evidence.redact import redact  # noqa: PLC0415

    return {
        "quantity": {
            "kind": c.key.kind,
            "subject": c.key.subject,
            "sex": c.key.sex,
            "period": c.key.period,
            "place": c.key.place or None,
            "unit": c.key.unit,
        },
        "reference": c.reference.value_text,
        "max_relative_difference": c.max_relative_difference,
        "sides": [
            {
                "value": s.value,
                "value_high": s.value_high,
                "qualifier": s.qualifier,
                "value_text": s.value_text,
                "interval": [s.low, s.high],
                "relative_difference": s.relative_difference,
                "agrees_with_reference": s.agrees_with_reference,
                "sources": list(s.sources),
                "claims": [redact(x, show_confidential=show) for x in s.claims],
            }
            for s in c.sides
        ],
    }


@app.command()
def conflicts(
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Claims about the same quantity whose values disagree (beyond their qualifiers)."""
    from crossings.evidence.conflicts import ABOUT_TOLERANCE, find_conflicts  # noqa: PLC0415
    from crossings.evidence.redact import source_name  # noqa: PLC0415

    with _errors(), _open(db) as store:
        found = find_conflicts(store.claims(subject=subject))
    if json_out:
        _print_json(
            {
                "tolerance_about": ABOUT_TOLERANCE,
                "conflicts": [conflict_json(c, show_confidential) for c in found],
            }
        )
        return
    t = Table(title=f"{len(found)} conflict(s) between claims")
    for col in ("quantity", "value", "rel. diff.", "sources (reliability, confidence)"):
        t.add_column(col)
    for c in found:
        for i, s in enumerate(c.sides):
            srcs = ", ".join(
                dict.fromkeys(
                    f"{x.source_id}"
                    + (
                        ""
                        if not x.source_confidential or show_confidential
                        else " " + source_name(x.source_id, "", True)
                    )
                    + f" ({x.source_reliability}, {x.confidence:.1f})"
                    for x in s.claims
                )
            )
            rd = "reference" if i == 0 else f"{s.relative_difference:+.1%}"
            t.add_row(
                _cell(c.key.describe()) if i == 0 else "",
                _cell(s.value_text),
                rd,
                _cell(srcs),
                end_section=i == len(c.sides) - 1,
            )
    out.print(t)


# ----------------------------------------------------------------------- bench
def _flatten(prefix: str, value: object, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, rows)
    elif isinstance(value, float):
        rows.append((prefix, f"{value:.3f}"))
    elif isinstance(value, int | str | bool) or value is None:
        rows.append((prefix, str(value)))
    elif isinstance(value, list | tuple):
        rows.append((prefix, f"{len(value)} entries (see --json)"))
    else:
        rows.append((prefix, str(value)[:120]))


@app.command()
def bench(
    path: Annotated[
        Path | None, typer.Option("--path", help="Labelled set folder (default: the shipped one).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Measure claim extraction against the labelled set (precision, recall, F1)."""
    from crossings.evidence.builtin import named_periods  # noqa: PLC0415
    from crossings.evidence.extract.bench import run_benchmark  # noqa: PLC0415

    if path is not None and not path.exists():
        _fail(f"error: no such folder: {path}")
    try:
        result = run_benchmark(path, named_periods=named_periods())
    except (OSError, ValueError) as exc:
        _fail(f"error: {exc}")
        return
    if json_out:
        _print_json(result)
        return
    t = Table(title="Claim extraction benchmark")
    t.add_column("measure")
    t.add_column("value", justify="right")
    rows: list[tuple[str, str]] = []
    first: list[str] = [k for k in ("precision", "recall", "f1") if k in result]
    for name in first:
        _flatten(name, result[name], rows)
    for name, value in result.items():
        if name not in first:
            _flatten(name, value, rows)
    for name, text in rows:
        t.add_row(_cell(name), _cell(text))
    if not rows:
        t.add_row("(no results)", "")
    out.print(t)


# ----------------------------------------------------------------------- parameters
def parameter_evidence(
    store: EvidenceStore, loaded: LoadedScenario, *, show: bool
) -> list[dict[str, Any]]:
    """Every parameter of a scenario with its claims (redacted) or its assumption.

    Links the scenario first when it has not been linked in this version.
    """
    from crossings.evidence.builtin import link_scenario  # noqa: PLC0415
    from crossings.evidence.redact import redact  # noqa: PLC0415
    from crossings.scenario.provenance import parameter_table  # noqa: PLC0415

    link_scenario(store, loaded)
    links = store.parameter_links(loaded.scenario.name)
    return [
        {
            "path": r.path,
            "kind": r.kind,
            "value": r.value,
            "sources": list(r.sources),
            "assumption": r.assumption,
            "note": r.note,
            "claims": [redact(lc, show_confidential=show) for lc in links.get(r.path, [])],
        }
        for r in parameter_table(loaded.scenario)
    ]


def _claim_line(d: dict[str, Any]) -> str:
    where = " ".join(x for x in (d["period"], d["place"] or "") if x)
    what = d["statement"] if d["kind"] in ("rule", "date") and d["statement"] else d["subject"]
    who = (
        d["source_label"] if str(d["source_label"]).startswith("[confidential") else d["source_id"]
    )
    text = f"{who}: {d['value_text']} {what}".replace(" – ", " ")
    if d["sex"]:
        text += f" ({d['sex']})"
    if where:
        text += f", {where}"
    return f"{text} [{d['confidence_label']}, {d['link']}]"


def print_parameter_claims(rows: Sequence[dict[str, Any]], title: str, *, limit: int = 4) -> None:
    """A table of parameters with the claims behind them (or their assumption)."""
    t = Table(title=title)
    t.add_column("field")
    t.add_column("value")
    t.add_column("claims (confidence, link) / assumption")
    for r in rows:
        lines = [_claim_line(c) for c in r["claims"][:limit]]
        if len(r["claims"]) > limit:
            lines.append(
                f"… and {len(r['claims']) - limit} more ('crossings evidence param {r['path']}')"
            )
        if r["assumption"]:
            lines.append(f"assumption: {r['assumption']}")
        t.add_row(
            _cell(r["path"]), _cell(r["value"]), _cell("\n".join(lines) or "–", multiline=True)
        )
    out.print(t)


def sources_with_claims(
    loaded: LoadedScenario,
    *,
    db: str | None = None,
    show_confidential: bool = False,
    as_json: bool = False,
) -> None:
    """``crossings sources --claims``: every parameter with the claims behind it.

    Args:
        loaded: The scenario.
        db: Evidence database (default: the user's).
        show_confidential: Do not redact confidential sources.
        as_json: Print one JSON document.
    """
    with _errors(), _open(db) as store:
        rows = parameter_evidence(store, loaded, show=show_confidential)
    with_claims = sum(1 for r in rows if r["claims"])
    only_assumption = sum(1 for r in rows if not r["claims"] and r["assumption"])
    neither = [r["path"] for r in rows if not r["claims"] and not r["assumption"]]
    if as_json:
        _print_json(
            {
                "scenario": loaded.scenario.name,
                "parameters": len(rows),
                "with_claims": with_claims,
                "assumption_only": only_assumption,
                "without_evidence": neither,
                "rows": rows,
            }
        )
        return
    print_parameter_claims(
        rows, f"Parameters of '{loaded.scenario.name}' and the claims behind them"
    )
    out.print(
        f"{len(rows)} parameters: {with_claims} with claims, {only_assumption} with an "
        f"assumption only, {len(neither)} with neither",
        highlight=False,
    )


@app.command()
def param(
    path: Annotated[
        str,
        typer.Argument(
            help="Parameter field path, e.g. delegations[0].size (see 'crossings sources')."
        ),
    ],
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Show the claims behind one parameter (and its assumption, if any)."""
    from crossings.scenario.load import load_scenario  # noqa: PLC0415

    with _errors():
        loaded = load_scenario(_scenario(scenario))
        with _open(db) as store:
            rows = parameter_evidence(store, loaded, show=show_confidential)
    match = [r for r in rows if r["path"] == path]
    if not match:
        prefix = [r for r in rows if r["path"].startswith(path)]
        if not prefix:
            _fail(
                f"error: '{path}' is not a sourced parameter of '{loaded.scenario.name}' "
                f"(see 'crossings sources')"
            )
        match = prefix
    if json_out:
        _print_json({"scenario": loaded.scenario.name, "parameters": match})
        return
    for r in match:
        out.print(
            f"[bold]{_cell(r['path'])}[/bold] = {_cell(r['value'])} ({_cell(r['kind'])})",
            highlight=False,
        )
        if r["assumption"]:
            out.print(f"assumption: {_cell(r['assumption'])}", highlight=False)
        if r["claims"]:
            out.print(_claims_table(f"claims behind {r['path']}", r["claims"], with_link=True))
        elif not r["assumption"]:
            out.print("no claims linked", highlight=False)


@app.command()
def link(
    claim_id: Annotated[str, typer.Argument(metavar="CLAIM_ID", help="Claim id or key.")],
    path: Annotated[str, typer.Argument(help="Parameter field path (see 'crossings sources').")],
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
) -> None:
    """Link a claim to a scenario parameter by hand (kept when links are rebuilt)."""
    from crossings.evidence.builtin import link_scenario  # noqa: PLC0415
    from crossings.scenario.load import load_scenario  # noqa: PLC0415
    from crossings.scenario.provenance import parameter_table  # noqa: PLC0415

    with _errors():
        loaded = load_scenario(_scenario(scenario))
        if path not in {r.path for r in parameter_table(loaded.scenario)}:
            _fail(
                f"error: '{path}' is not a sourced parameter of '{loaded.scenario.name}' "
                f"(see 'crossings sources')"
            )
        with _open(db) as store:
            link_scenario(store, loaded)
            added = store.link_parameter(claim_id, loaded.scenario.name, path)
            cid = store.claim(claim_id).id
    out.print(
        clean_text(
            f"claim {cid} {'linked to' if added else 'was already linked to'} "
            f"{loaded.scenario.name}:{path}"
        ),
        highlight=False,
        markup=False,
    )


# ----------------------------------------------------------------------- audit
@app.command()
def audit(
    claim: Annotated[str | None, typer.Option("--claim", help="Only this claim's entries.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Print the append-only audit log."""
    from crossings.evidence.redact import redact  # noqa: PLC0415

    with _errors(), _open(db) as store:
        entries = store.audit(claim=claim)
        confidential = frozenset(s.id for s in store.sources() if s.confidential)
    data = [
        redact(a, show_confidential=show_confidential, confidential_sources=confidential)
        for a in entries
    ]
    if json_out:
        _print_json({"entries": data})
        return
    t = Table(title=f"{len(data)} audit entr{'y' if len(data) == 1 else 'ies'}")
    for col in ("id", "when", "who", "action", "claim", "source"):
        t.add_column(col)
    for d in data:
        t.add_row(
            str(d["id"]),
            _cell(d["at"]),
            _cell(d["actor"]),
            _cell(d["action"]),
            _cell(d["claim_id"] or ""),
            _cell(d["source_id"] or ""),
        )
    out.print(t)
