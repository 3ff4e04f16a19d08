"""Evidence for the report and the web app: plain, already-redacted data.

Every function returns frozen dataclasses made only of strings, numbers,
booleans, ``None`` and tuples of them (:func:`as_dict` turns any of them into
a JSON-ready dict). They are built from :func:`crossings.evidence.redact.redact`,
so a confidential source's identity (title, publisher, author, URL,
citation, note, file name, hashes) and its claims' quotes, attributions and
notes never appear in them, nor its document's text, unless
``show_confidential=True`` is passed explicitly. Renderers only have to
escape the text for their medium.

Each function takes an open store or anything :func:`~crossings.evidence.store.open_store`
takes (a SQLite path, a ``postgresql://`` URL, ``None`` for the user's
database)::

    from crossings.evidence.views import scenario_evidence, source_views
    ev = scenario_evidence("evidence.sqlite", "north-korea")
    for p in ev.parameters:       # every parameter with its claims, or its assumption
        ...
    for row in ev.observations:   # every observation row with its claims
        for c in row.claims:
            c.quote                # QuoteView: the quote and its span in the document text
    source_views(None)             # sources with their reliability grades
    conflict_views(None)           # conflicts that matter, ranked
    document_view(None, "D1a2b…")  # a document's text with every claim's span to highlight

What is where:

* :func:`scenario_evidence` → :class:`ScenarioEvidence`: :class:`ParameterView`
  and :class:`ObservationRowView` rows, each with :class:`ClaimView` claims;
  a claim from an added document carries a :class:`QuoteView` (the quote, a
  little text on either side, and the quote's ``start``/``end`` offsets in the
  document text, for highlighting).
* :func:`source_views` → :class:`SourceView` (grade and what it means).
* :func:`conflict_views` → :class:`ConflictView` (ranked; the sides with their
  claims).
* :func:`document_view` → :class:`DocumentView` (the whole stored text and the
  spans of its claims; no text for a confidential source).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.evidence.records import ClaimRecord, LinkedClaim, SourceRecord
from crossings.evidence.redact import redact
from crossings.evidence.store import EvidenceStore, open_store
from crossings.scenario.load import LoadedScenario, load_scenario
from crossings.scenario.schema import Range

__all__ = [
    "ClaimView",
    "ConflictSideView",
    "ConflictView",
    "DocumentView",
    "Highlight",
    "ObservationRowView",
    "ParameterView",
    "QuoteView",
    "ScenarioEvidence",
    "SourceView",
    "as_dict",
    "conflict_views",
    "document_view",
    "scenario_evidence",
    "source_views",
]

StoreLike = EvidenceStore | str | Path | None

#: Characters of the document shown before and after a quote.
CONTEXT = 160


@dataclass(frozen=True)
class QuoteView:
    """A claim's quote in its document, for highlighting.

    Attributes:
        quote: The quoted text (``text[start:end]`` of the document).
        before: Up to :data:`CONTEXT` characters of the document before it.
        after: Up to :data:`CONTEXT` characters after it.
        start: Offset of the quote in the document's stored text.
        end: End offset (exclusive).
    """

    quote: str
    before: str
    after: str
    start: int
    end: int


@dataclass(frozen=True)
class ClaimView:
    """One claim, redacted.

    Attributes:
        id: Claim id.
        key: Stable key.
        kind: count, rate, share, date or rule.
        value_text: The value with qualifier and unit ("at least 2,600 people").
        value: The number (lower end of a range).
        value_high: Upper end of a range.
        qualifier: exact, about, at least, …
        unit: people, percent, …
        subject: What it counts.
        sex: female, male or ``None`` (both).
        period: The period ("2023-06", "..2022-12-31").
        place: The place, if any.
        statement: For rules and dates: what it says, in our words.
        source_id: The source's id.
        source_name: Its name, or ``[confidential source …]``.
        source_reliability: Its grade (A–F).
        confidential: Whether the source is confidential.
        confidence: 0–1.
        confidence_label: high, medium or low.
        review_state: suggested, accepted, rejected or edited.
        attributed_to: Who the source attributes it to (``[redacted]`` when confidential).
        link: How it is linked (for claims of a parameter or row).
        quote: The quote in its document (``None`` when the source is
            confidential, built-in or the span is unknown).
    """

    id: int
    key: str
    kind: str
    value_text: str
    value: float | None
    value_high: float | None
    qualifier: str
    unit: str
    subject: str
    sex: str | None
    period: str
    place: str | None
    statement: str | None
    source_id: str
    source_name: str
    source_reliability: str
    confidential: bool
    confidence: float
    confidence_label: str
    review_state: str
    attributed_to: str | None
    link: str | None
    quote: QuoteView | None


@dataclass(frozen=True)
class ParameterView:
    """A parameter of a scenario with its claims (or its assumption).

    Attributes:
        path: Field path (its id).
        label: In the scenario's words.
        kind: Param, Rate, Shares, Duration, …
        value: Its numbers as text.
        sources: Source ids it cites.
        assumption: Its stated assumption.
        note: Its note.
        claims: The claims behind it.
    """

    path: str
    label: str
    kind: str
    value: str
    sources: tuple[str, ...]
    assumption: str | None
    note: str | None
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class ObservationRowView:
    """An observation row of a scenario with its claims.

    Attributes:
        series: Observation id.
        series_name: Its name.
        row: Year, bucket or date (``2009``, ``1999-2001``, ``2023-06-30``).
        values: ``total`` / ``female`` / ``male`` → the observed value as text.
        sources: The row's sources.
        note: The row's note.
        in_scenario: Whether the scenario has the row (``False``: a claim was
            linked to a row the scenario does not observe yet).
        claims: The claims behind it.
    """

    series: str
    series_name: str
    row: str
    values: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    note: str | None
    in_scenario: bool
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class ScenarioEvidence:
    """Every parameter and observation row of a scenario with its claims.

    Attributes:
        scenario: The scenario's name.
        parameters: Its parameters, in file order.
        observations: Its observation rows, by series.
    """

    scenario: str
    parameters: tuple[ParameterView, ...]
    observations: tuple[ObservationRowView, ...]


@dataclass(frozen=True)
class SourceView:
    """A source with its grade, redacted.

    Attributes:
        id: Source id.
        name: Its name (title or citation), or ``[confidential source …]``.
        reliability: Grade A–F.
        reliability_meaning: What the grade means.
        confidential: Whether its identity is withheld.
        published: Publication date (ISO) or the date as written.
        publisher: Publisher (``None`` or ``[redacted]`` when confidential).
        url: Address (same).
        citation: Citation (same).
        origin: builtin:NAME, scenario:NAME or ingested.
        claims: Its number of claims.
    """

    id: str
    name: str
    reliability: str
    reliability_meaning: str
    confidential: bool
    published: str | None
    publisher: str | None
    url: str | None
    citation: str | None
    origin: str
    claims: int


@dataclass(frozen=True)
class ConflictSideView:
    """One side of a conflict: a value and the claims stating it.

    Attributes:
        value_text: The value ("about 600 people").
        relative_difference: Against the reference (0 for it).
        gap: How far its interval lies from the reference's (0: they overlap).
        agrees_with_reference: Whether the intervals overlap.
        reference: Whether it is the reference.
        claims: Its claims.
    """

    value_text: str
    relative_difference: float
    gap: float
    agrees_with_reference: bool
    reference: bool
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True)
class ConflictView:
    """Claims about one quantity that disagree.

    Attributes:
        rank: 1 for the one that matters most.
        quantity: What it is about ("arrived (total) 2023 [people]").
        subject: The subject.
        sex: total, female or male.
        period: The period.
        place: The place, if any.
        score: How much it matters.
        max_gap: Its largest gap.
        material: Beyond rounding and the qualifiers.
        sides: The reference first.
    """

    rank: int
    quantity: str
    subject: str
    sex: str
    period: str
    place: str | None
    score: float
    max_gap: float
    material: bool
    sides: tuple[ConflictSideView, ...]


@dataclass(frozen=True)
class Highlight:
    """A claim's span in a document's text.

    Attributes:
        claim_id: The claim.
        start: Offset of the quote.
        end: End offset (exclusive).
        value_text: The claim's value, for a tooltip.
        review_state: Its review state.
    """

    claim_id: int
    start: int
    end: int
    value_text: str
    review_state: str


@dataclass(frozen=True)
class DocumentView:
    """An added document's text with the spans of its claims.

    Attributes:
        source: The source.
        text: The stored text (``None`` for a confidential source).
        highlights: Claim spans, in order (none for a confidential source).
    """

    source: SourceView
    text: str | None
    highlights: tuple[Highlight, ...]


# --------------------------------------------------------------------------- helpers
def as_dict(view: Any) -> Any:
    """A view (or a tuple or list of them) as JSON-ready dicts and lists."""
    if isinstance(view, list | tuple):
        return [as_dict(v) for v in view]
    return dataclasses.asdict(view)


@contextlib.contextmanager
def _store(db: StoreLike) -> Iterator[EvidenceStore]:
    if isinstance(db, EvidenceStore):
        yield db
        return
    with open_store(db) as store:
        yield store


def _quote(
    c: ClaimRecord, texts: dict[str, str | None], store: EvidenceStore, show: bool
) -> QuoteView | None:
    if (c.source_confidential and not show) or c.span_start is None or c.span_end is None:
        return None
    if c.source_id not in texts:
        texts[c.source_id] = store.document_text(c.source_id)
    text = texts[c.source_id]
    if text is None or c.span_end > len(text):
        return None
    a, b = max(0, c.span_start - CONTEXT), min(len(text), c.span_end + CONTEXT)
    return QuoteView(
        quote=text[c.span_start : c.span_end],
        before=text[a : c.span_start],
        after=text[c.span_end : b],
        start=c.span_start,
        end=c.span_end,
    )


def _claim(
    c: ClaimRecord,
    link: str | None,
    texts: dict[str, str | None],
    store: EvidenceStore,
    show: bool,
) -> ClaimView:
    d = redact(c, show_confidential=show)
    attributed = d.get("attributed_to")
    return ClaimView(
        id=c.id,
        key=c.key,
        kind=c.kind,
        value_text=str(d["value_text"]),
        value=c.value,
        value_high=c.value_high,
        qualifier=c.qualifier,
        unit=c.unit,
        subject=c.subject,
        sex=c.sex,
        period=str(d["period"]),
        place=c.place,
        statement=d.get("statement"),
        source_id=c.source_id,
        source_name=str(d["source_label"]),
        source_reliability=c.source_reliability,
        confidential=c.source_confidential,
        confidence=c.confidence,
        confidence_label=str(d["confidence_label"]),
        review_state=c.review_state,
        attributed_to=None if attributed is None else str(attributed),
        link=link,
        quote=_quote(c, texts, store, show),
    )


def _linked(
    lcs: list[LinkedClaim], texts: dict[str, str | None], store: EvidenceStore, show: bool
) -> tuple[ClaimView, ...]:
    return tuple(_claim(lc.claim, lc.link, texts, store, show) for lc in lcs)


def _text(v: float | Range | None) -> str | None:
    if v is None:
        return None
    if isinstance(v, Range):
        if v.low is not None and v.high is not None:
            return f"{v.low:,.0f}–{v.high:,.0f}"
        return f"at least {v.low:,.0f}" if v.low is not None else f"up to {v.high:,.0f}"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


# --------------------------------------------------------------------------- views
def scenario_evidence(
    db: StoreLike,
    scenario: LoadedScenario | str | Path,
    *,
    show_confidential: bool = False,
    link: bool = True,
) -> ScenarioEvidence:
    """Every parameter and observation row of a scenario with its claims and quotes.

    Args:
        db: An open store, or a database path or URL (``None``: the user's).
        scenario: A loaded scenario, a built-in name or a file.
        show_confidential: Show confidential sources in full (explicit opt-in).
        link: Link the scenario's parameters to claims first when it has not
            been linked in this version (writes links; ``False`` only reads).

    Returns:
        The scenario's evidence.
    """
    from crossings.evidence.builtin import link_scenario  # noqa: PLC0415
    from crossings.evidence.matching import row_key_of  # noqa: PLC0415
    from crossings.scenario.provenance import parameter_table  # noqa: PLC0415

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    sc = loaded.scenario
    texts: dict[str, str | None] = {}
    with _store(db) as store:
        if link:
            link_scenario(store, loaded)
        plinks = store.parameter_links(sc.name)
        olinks = store.observation_links(sc.name)
        params = tuple(
            ParameterView(
                path=r.path,
                label=r.label,
                kind=r.kind,
                value=r.value,
                sources=r.sources,
                assumption=r.assumption,
                note=r.note,
                claims=_linked(plinks.get(r.path, []), texts, store, show_confidential),
            )
            for r in parameter_table(sc)
        )
        rows: list[ObservationRowView] = []
        seen: set[tuple[str, str]] = set()
        names = {o.id: o.name or o.id for o in sc.observations}
        for obs in sc.observations:
            for row in obs.rows:
                label = row_key_of(row).label
                seen.add((obs.id, label))
                values = tuple(
                    (sex, t)
                    for sex in ("total", "female", "male")
                    if (t := _text(getattr(row, sex))) is not None
                )
                rows.append(
                    ObservationRowView(
                        series=obs.id,
                        series_name=names[obs.id],
                        row=label,
                        values=values,
                        sources=tuple(row.sources or obs.sources or ()),
                        note=row.note,
                        in_scenario=True,
                        claims=_linked(
                            olinks.get((obs.id, label), []), texts, store, show_confidential
                        ),
                    )
                )
        for (series, label), lcs in sorted(olinks.items()):
            if (series, label) not in seen:
                rows.append(
                    ObservationRowView(
                        series=series,
                        series_name=names.get(series, series),
                        row=label,
                        values=(),
                        sources=(),
                        note=None,
                        in_scenario=False,
                        claims=_linked(lcs, texts, store, show_confidential),
                    )
                )
    return ScenarioEvidence(sc.name, params, tuple(rows))


def _source(s: SourceRecord, show: bool) -> SourceView:
    from crossings.evidence.models import RELIABILITY_GRADES  # noqa: PLC0415

    d = redact(s, show_confidential=show)
    published = d.get("published") or d.get("date_text")
    return SourceView(
        id=s.id,
        name=str(d["label"]),
        reliability=s.reliability,
        reliability_meaning=RELIABILITY_GRADES.get(s.reliability, ""),
        confidential=s.confidential,
        published=None if published is None else str(published),
        publisher=d.get("publisher"),
        url=d.get("url"),
        citation=d.get("citation"),
        origin=s.origin,
        claims=s.n_claims,
    )


def source_views(db: StoreLike, *, show_confidential: bool = False) -> tuple[SourceView, ...]:
    """Every source with its reliability grade (built-in first), redacted."""
    with _store(db) as store:
        return tuple(_source(s, show_confidential) for s in store.sources())


def conflict_views(
    db: StoreLike,
    *,
    subject: str | None = None,
    everything: bool = False,
    threshold: float | None = None,
    show_confidential: bool = False,
) -> tuple[ConflictView, ...]:
    """Conflicts between claims, those that matter first (see :mod:`~crossings.evidence.conflicts`).

    Args:
        db: An open store, or a database path or URL.
        subject: Only this subject.
        everything: Every disagreement, rounding included.
        threshold: The smallest gap that matters (default 5%; shares one point).
        show_confidential: Show confidential sources in full.
    """
    from crossings.evidence.conflicts import conflicts_that_matter, find_conflicts  # noqa: PLC0415

    texts: dict[str, str | None] = {}
    with _store(db) as store:
        found = conflicts_that_matter(
            find_conflicts(store.claims(subject=subject)),
            threshold=threshold,
            everything=everything,
        )
        return tuple(
            ConflictView(
                rank=i,
                quantity=c.key.describe(),
                subject=c.key.subject,
                sex=c.key.sex,
                period=c.key.period,
                place=c.key.place or None,
                score=c.score,
                max_gap=c.max_gap,
                material=c.material(threshold),
                sides=tuple(
                    ConflictSideView(
                        value_text=s.value_text,
                        relative_difference=s.relative_difference,
                        gap=s.gap,
                        agrees_with_reference=s.agrees_with_reference,
                        reference=j == 0,
                        claims=tuple(
                            _claim(x, None, texts, store, show_confidential) for x in s.claims
                        ),
                    )
                    for j, s in enumerate(c.sides)
                ),
            )
            for i, c in enumerate(found, 1)
        )


def document_view(
    db: StoreLike, source_id: str, *, show_confidential: bool = False
) -> DocumentView | None:
    """An added document's text with its claims' spans (``None``: no such source).

    A confidential source's text is never returned (it would identify it)
    unless ``show_confidential``; its claims are still listed by
    :func:`scenario_evidence` without quotes.
    """
    with _store(db) as store:
        src = store.source(source_id)
        if src is None:
            return None
        view = _source(src, show_confidential)
        if src.confidential and not show_confidential:
            return DocumentView(view, None, ())
        text = store.document_text(source_id)
        claims = store.claims(source=source_id)
    highlights = tuple(
        Highlight(c.id, c.span_start, c.span_end, c.value_text, c.review_state)
        for c in sorted(claims, key=lambda c: (c.span_start or 0, c.id))
        if c.span_start is not None and c.span_end is not None
    )
    return DocumentView(view, text, highlights if text is not None else ())
