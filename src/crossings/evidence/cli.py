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
#: Below this width the claims table drops the source's name and wraps its cells.
WIDE_TABLE = 120


def _value_cell(d: dict[str, Any], *, compact: bool) -> str:
    text = str(d["value_text"])
    if compact and text.endswith(" people"):
        text = text[: -len(" people")]
    return text


def _what_cell(d: dict[str, Any]) -> str:
    parts = [str(d["subject"])]
    if d["sex"]:
        parts.append(str(d["sex"]))
    if d["place"]:
        parts.append(str(d["place"]))
    return ", ".join(parts)


def _claims_table(
    title: str,
    rows: Sequence[dict[str, Any]],
    *,
    with_link: bool = False,
    width: int | None = None,
) -> Table:
    """A table of claims given as redacted dicts (:func:`~crossings.evidence.redact.redact`).

    Readable at 80 columns: below :data:`WIDE_TABLE` columns the source's name
    is left out (its id stays), subject, sex and place share one column, and
    every cell wraps instead of being cut to "…".
    """
    from rich import box  # noqa: PLC0415

    wide = (width or out.width) >= WIDE_TABLE
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    cols: list[tuple[str, dict[str, Any]]] = [
        ("id", {"justify": "right", "min_width": 3}),
        ("source", {"min_width": 6}),
        *([("name", {"max_width": 40, "min_width": 34})] if wide else []),
        ("what", {"ratio": 2, "min_width": 8}),
        ("period", {"min_width": 7}),
        ("value", {"ratio": 1, "min_width": 6}),
        ("state", {"min_width": 6}),
        ("conf.", {"justify": "right", "min_width": 4}),
        *([("link", {})] if with_link else []),
    ]
    for name, opts in cols:
        t.add_column(name, overflow="fold", **opts)
    for d in rows:
        label = str(d["source_label"])
        source = str(d["source_id"])
        if label.startswith("[confidential") and not wide:
            source = label  # "[confidential source D…]": its id, never its identity
        t.add_row(
            str(d["id"]),
            _cell(source),
            *([_cell(label)] if wide else []),
            _cell(_what_cell(d)),
            _cell(d["period"]),
            _cell(_value_cell(d, compact=not wide)),
            _cell(d["review_state"]),
            f"{d['confidence']:.2f}",
            *([_cell(d["link"])] if with_link else []),
        )
    return t


_TEXT_FIELDS = (
    "subject",
    "place",
    "quote",
    "statement",
    "attributed_to",
    "source_label",
    "source_id",
    "note",
    "value_text",
    "key",
)


def _matches_text(d: dict[str, Any], needle: str) -> bool:
    """Whether a redacted claim shows the text (a confidential quote is never searched)."""
    return any(needle in str(d.get(k) or "").lower() for k in _TEXT_FIELDS)


@app.command()
def claims(
    source: Annotated[str | None, typer.Option("--source", help="Only this source id.")] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only this subject (arrived, detained, …).")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Only claims whose period overlaps this year.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            "--state",
            help="Only this review state (suggested, accepted, rejected, edited).",
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help="Only claims showing this text (subject, place, quote, statement, source; "
            "case-insensitive; a confidential claim's quote is not searched).",
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """List claims: added documents' first, then the built-in ones (filters narrow it)."""
    from crossings.evidence.models import REVIEW_STATES  # noqa: PLC0415
    from crossings.evidence.redact import redact  # noqa: PLC0415

    if status is not None and status not in REVIEW_STATES:
        _fail(f"error: --status must be one of {', '.join(REVIEW_STATES)}")
    with _errors(), _open(db) as store:
        if source is not None and store.source(source) is None:
            _fail(f"error: no source '{source}' (see 'crossings evidence sources')")
        rows = store.claims(
            source=source,
            subject=subject,
            states=[status] if status else None,
            year=year,
            ingested_first=True,
        )
    data = [redact(c, show_confidential=show_confidential) for c in rows]
    if text:
        needle = text.lower()
        data = [d for d in data if _matches_text(d, needle)]
    if json_out:
        _print_json({"claims": data})
        return
    n_added = sum(1 for d in data if d.get("source_origin") == "ingested")
    title = f"{len(data)} claim(s)" + (
        f": {n_added} from added documents, {len(data) - n_added} built-in" if data else ""
    )
    out.print(_claims_table(title, data))


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
        observed = store.claim_observations(claim.id)
        history = store.audit(claim=claim.id)
    conf = frozenset({claim.source_id}) if claim.source_confidential else frozenset()
    data = redact(claim, show_confidential=show_confidential)
    data["source"] = redact(src, show_confidential=show_confidential) if src else None
    data["parameters"] = [{"scenario": s, "path": p, "link": link} for s, p, link in params]
    data["observations"] = [
        {"scenario": s, "observation": o, "row": r, "link": link} for s, o, r, link in observed
    ]
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
    if observed:
        out.print(
            "observed in: "
            + ", ".join(
                f"{_cell(s)}:{_cell(o)} {_cell(r)} ({_cell(link)})" for s, o, r, link in observed
            ),
            highlight=False,
        )
    for a in data["history"]:
        out.print(f"  {a['at']} {_cell(a['actor'])}: {_cell(a['action'])}", highlight=False)


# ----------------------------------------------------------------------- review
class _Linker:
    """Proposes the links of accepted claims to a scenario, and writes the confirmed ones.

    Args:
        scenario: The scenario (name or file) whose parameters and rows are matched.
        yes: Link without asking.
        ask: Ask on the terminal (else only print the proposal).
    """

    def __init__(self, scenario: str | None, *, yes: bool, ask: bool) -> None:
        from crossings.evidence.matching import StateIndex  # noqa: PLC0415
        from crossings.scenario.load import load_scenario  # noqa: PLC0415

        self.loaded = load_scenario(_scenario(scenario))
        self.index = StateIndex.of(self.loaded.scenario)
        self.yes = yes
        self.ask = ask

    def __call__(self, store: EvidenceStore, claim_id: int) -> None:
        """Propose, confirm and link one accepted claim."""
        from rich.prompt import Confirm  # noqa: PLC0415

        from crossings.evidence.matching import match_claim  # noqa: PLC0415

        sc = self.loaded.scenario
        claim = store.claim(claim_id)
        p = match_claim(claim, sc, index=self.index)
        obs, par = p.best_observation, p.best_parameter
        if claim.kind in ("rate", "share") or claim.unit.startswith(("percent", "per ")):
            obs = None
        else:
            par = None
        if obs is None and par is None:
            why = "; ".join(p.notes[:3]) or "nothing matches"
            out.print(
                f"claim {claim.id}: links to nothing in '{_cell(sc.name)}' ({_cell(why)})",
                highlight=False,
            )
            return
        out.print(f"claim {claim.id}: proposed links in '{_cell(sc.name)}':", highlight=False)
        reasons: list[str] = []
        if obs is not None:
            out.print(f"  observation: {_cell(obs.describe())}", highlight=False)
            out.print(f"    because: {_cell('; '.join(obs.reasons))}", highlight=False)
            reasons += obs.reasons
            for alt in p.observations[1:3]:
                out.print(f"    (also possible: {_cell(alt.describe())})", highlight=False)
        if par is not None:
            out.print(f"  parameter: {_cell(par.describe())}", highlight=False)
            out.print(f"    because: {_cell('; '.join(par.reasons))}", highlight=False)
            reasons += par.reasons
            for alt_p in p.parameters[1:3]:
                out.print(f"    (also possible: {_cell(alt_p.describe())})", highlight=False)
        if not self.yes:
            if not self.ask:
                out.print(
                    f"  not linked: add --yes to link it (or 'crossings evidence link "
                    f"{claim.id} PATH')",
                    highlight=False,
                )
                return
            if not Confirm.ask("  link it?", default=True, console=out):
                out.print("  not linked", highlight=False)
                return
        n = store.link_claim(
            claim.id,
            sc.name,
            observations=[(obs.series, obs.row.label)] if obs is not None else [],
            parameters=[par.path] if par is not None else [],
            reasons=reasons,
        )
        out.print(
            f"  linked ({n} new link(s); see 'crossings evidence show {claim.id}')"
            if n
            else "  already linked",
            highlight=False,
        )


def _interactive_review(
    store: EvidenceStore, source: str | None, show: bool, linker: _Linker | None = None
) -> None:
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
            if choice == "a" and linker is not None:
                linker(store, c.id)
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
    scenario: ScenarioOpt = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Link accepted claims to the proposed rows and parameters."
        ),
    ] = False,
    no_link: Annotated[
        bool, typer.Option("--no-link", help="Do not propose links for accepted claims.")
    ] = False,
    db: DbOpt = None,
    show_confidential: ShowOpt = False,
) -> None:
    """Review suggested claims: interactively, or with --accept/--reject/--edit.

    Accepting a claim proposes the scenario's observation rows and parameters
    it is about (subject, period, place, sex) and links them once confirmed
    (asked on a terminal; --yes links without asking). Every change and link
    appends an entry to the audit log.
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
            linker = None if no_link else _Linker(scenario, yes=yes, ask=True)
            _interactive_review(store, source, show_confidential, linker)
            return
        for ref in accept or []:
            store.claim(ref)
        for ref in [*(reject or []), *(edit or [])]:
            store.claim(ref)  # every id is checked before anything changes
        linker = None if no_link or not accept else _Linker(scenario, yes=yes, ask=_stdin_is_tty())
        done: list[tuple[str, str, bool]] = []
        for action, refs in (("accept", accept), ("reject", reject), ("edit", edit)):
            for ref in refs or []:
                res = store.review(ref, action, parsed if action == "edit" else None)
                done.append((action, str(res.claim.id), res.changed))
        for action, cid, changed in done:
            past = {"accept": "accepted", "reject": "rejected", "edit": "edited"}[action]
            out.print(f"claim {cid}: {past}" + ("" if changed else " (no change)"), highlight=False)
            if action == "accept" and linker is not None:
                linker(store, int(cid))


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
        "max_gap": c.max_gap,
        "score": c.score,
        "material": c.material(),
        "sides": [
            {
                "value": s.value,
                "value_high": s.value_high,
                "qualifier": s.qualifier,
                "value_text": s.value_text,
                "interval": [s.low, s.high],
                "relative_difference": s.relative_difference,
                "gap": s.gap,
                "weight": s.weight,
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
    show_all: Annotated[
        bool,
        typer.Option(
            "--all", help="Every disagreement, rounding and revisions of a few people included."
        ),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            help="Smallest gap that matters, as a fraction of the reference value (default "
            "0.05; shares 0.01, in points).",
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    show_confidential: ShowOpt = False,
) -> None:
    """Claims about one quantity that disagree beyond rounding and their qualifiers, ranked.

    By default only conflicts that matter are listed: a side whose interval
    (its qualifier: exact, about ±5%, at least, …) lies more than 5% of the
    reference value away from the reference's (shares: one point). Ranked by
    the size of the gap and the reliability of the weaker side (source grade
    and confidence). --all lists every disagreement.
    """
    from crossings.evidence.conflicts import (  # noqa: PLC0415
        ABOUT_TOLERANCE,
        MATERIAL_GAP,
        MATERIAL_SHARE_GAP,
        conflicts_that_matter,
        find_conflicts,
    )
    from crossings.evidence.redact import source_name  # noqa: PLC0415

    with _errors(), _open(db) as store:
        every = find_conflicts(store.claims(subject=subject))
    found = conflicts_that_matter(every, threshold=threshold, everything=show_all)
    if json_out:
        _print_json(
            {
                "tolerance_about": ABOUT_TOLERANCE,
                "threshold": threshold if threshold is not None else MATERIAL_GAP,
                "threshold_shares": threshold if threshold is not None else MATERIAL_SHARE_GAP,
                "all": show_all,
                "found": len(every),
                "conflicts": [conflict_json(c, show_confidential) for c in found],
            }
        )
        return
    hidden = len(every) - len(found)
    title = f"{len(found)} conflict(s) between claims" + (
        f" ({hidden} within rounding and qualifiers left out; --all shows them)" if hidden else ""
    )
    t = Table(title=title)
    for col in ("quantity", "value", "rel. diff.", "sources (reliability, confidence)"):
        t.add_column(col, overflow="fold")
    for rank, c in enumerate(found, 1):
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
            if i and s.agrees_with_reference:
                rd += " (agrees)"
            quantity = f"{rank}. {c.key.describe()}" if i == 0 else ""
            if i == 0 and not c.material(threshold):
                quantity += " (within rounding)"
            t.add_row(
                _cell(quantity),
                _cell(s.value_text),
                rd,
                _cell(srcs),
                end_section=i == len(c.sides) - 1,
            )
    out.print(t)


# ----------------------------------------------------------------------- use
@app.command()
def use(
    claim_ids: Annotated[
        list[str], typer.Argument(metavar="CLAIM...", help="Accepted claims (ids or keys).")
    ],
    scenario: ScenarioOpt = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The overlay to write (default: SCENARIO-NAME-evidence.yaml here)."
        ),
    ] = None,
    fit: Annotated[
        bool,
        typer.Option(
            "--fit",
            help="Fit rows from claims that are estimates or reports (default: held back as "
            "checks).",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Replace a row that is already observed (default: leave it)."
        ),
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Turn accepted claims into observations or priors, in an overlay of the scenario.

    A count becomes an observation row ("at least" a lower bound, "about" a
    range as wide as its rounding, a range a range), in the series the claim
    was linked to when accepted; a rate or share about a parameter becomes the
    prior of the unknown that sets it. The overlay extends the scenario, cites
    each claim's source (a confidential one by an opaque id) and names the
    claims in its rows' notes: 'crossings check OVERLAY', then 'crossings
    calibrate OVERLAY'.
    """
    from crossings.evidence.overlay import use_claims  # noqa: PLC0415
    from crossings.scenario.load import load_scenario  # noqa: PLC0415

    ref = _scenario(scenario)
    with _errors():
        if out_path is None:
            out_path = Path(f"{load_scenario(ref).scenario.name}-evidence.yaml")
        with _open(db) as store:
            result = use_claims(store, ref, claim_ids, out_path, fit=fit, replace=replace)
    if json_out:
        _print_json(
            {
                "overlay": str(result.path),
                "name": result.name,
                "extends": result.extends,
                "steps": [
                    {
                        "claim": st.claim_id,
                        "action": st.action,
                        "target": st.target,
                        "message": st.message,
                    }
                    for st in result.steps
                ],
            }
        )
        return
    for st in result.steps:
        colour = "yellow" if st.action == "skipped" else "green"
        out.print(
            f"claim {st.claim_id}: [{colour}]{st.action}[/{colour}] {_cell(st.message)}",
            highlight=False,
        )
    out.print(
        f"wrote {_cell(result.path)} (scenario '{_cell(result.name)}', extends "
        f"{_cell(result.extends)}): {len(result.used)} of {len(result.steps)} claim(s) used",
        highlight=False,
    )
    if result.used:
        out.print(
            f"next: crossings check {_cell(result.path)}; crossings calibrate "
            f"{_cell(result.path)} --out DIR [--compare PREVIOUS_DIR]",
            highlight=False,
        )


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
