"""Plain, read-only records handed out by the store.

The store (:mod:`crossings.evidence.store`) returns these frozen dataclasses
instead of ORM objects, so nothing outside it holds a database session. They
carry raw data; every output path turns them into text or JSON through
:func:`crossings.evidence.redact.redact`, which hides confidential sources.
:func:`parse_period` and :func:`format_period` (the one text form of a
period) live in :mod:`crossings.evidence.types` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from crossings.evidence.types import Period, as_granularity, format_period, parse_period

__all__ = [
    "AuditRecord",
    "ClaimRecord",
    "FileOutcome",
    "LinkedClaim",
    "SourceRecord",
    "confidence_label",
    "format_period",
    "format_value",
    "parse_period",
]


@dataclass(frozen=True)
class SourceRecord:
    """A stored source (publication).

    Attributes:
        id: Source id (``S1`` for built-ins, ``D…`` for ingested documents).
        title: Title, if known.
        publisher: Publisher, if known.
        author: Author, if known.
        published: Publication date, if known as a full date.
        date_text: The date as stated when it is not a full date ("2025-02").
        url: Address, if known.
        language: Language code, if known.
        retrieved: When the document was added (ingested sources).
        raw_sha256: Hash of the raw file content (ingested sources).
        text_sha256: Hash of the stored text (ingested sources).
        extractor_version: Claim extractor version used (ingested sources).
        reliability: Reliability grade A–F (see ``models.RELIABILITY_GRADES``).
        confidential: Whether the source's identity must be redacted.
        citation: Citation text.
        confidence: The scenario's confidence in the source (high/medium/low).
        origin: ``builtin:<scenario>``, ``scenario:<name>`` or ``ingested``.
        note: Free-text note.
        file_name: The file it was read from (ingested sources).
        n_claims: Number of claims of the source.
    """

    id: str
    title: str | None
    publisher: str | None
    author: str | None
    published: dt.date | None
    date_text: str | None
    url: str | None
    language: str | None
    retrieved: dt.date | None
    raw_sha256: str | None
    text_sha256: str | None
    extractor_version: str | None
    reliability: str
    confidential: bool
    citation: str | None
    confidence: str | None
    origin: str
    note: str | None
    file_name: str | None = None
    n_claims: int = 0

    @property
    def label(self) -> str:
        """A short human name: the title, else the citation, else the id."""
        return self.title or self.citation or self.id


@dataclass(frozen=True)
class ClaimRecord:
    """A stored claim, with the facts of its source needed to judge it.

    Attributes mirror :class:`crossings.evidence.models.Claim`; ``source_*``
    fields are copied from the claim's source (``source_origin``: ``ingested``
    for added documents, ``builtin:NAME`` or ``scenario:NAME`` otherwise).
    """

    id: int
    key: str
    source_id: str
    kind: str
    value: float | None
    value_high: float | None
    qualifier: str
    unit: str
    subject: str
    sex: str | None
    period_start: dt.date | None
    period_end: dt.date | None
    granularity: str | None
    place: str | None
    attributed_to: str | None
    span_start: int | None
    span_end: int | None
    quote: str | None
    statement: str | None
    method: str
    method_version: str
    review_state: str
    confidence: float
    note: str | None
    source_label: str
    source_reliability: str
    source_confidential: bool
    source_confidence: str | None = None
    source_origin: str | None = None

    @property
    def ingested(self) -> bool:
        """Whether the claim comes from a document added to the evidence base."""
        return self.source_origin == "ingested"

    @property
    def period(self) -> Period | None:
        """The claim's period, or ``None`` when not stated."""
        if self.period_start is None and self.period_end is None:
            return None
        return Period(self.period_start, self.period_end, as_granularity(self.granularity))

    @property
    def period_text(self) -> str:
        """The period in compact form ("2009", "2021-Q1", "..2022-12-31")."""
        return format_period(self.period)

    @property
    def value_text(self) -> str:
        """The value with its qualifier and unit ("about 600 people")."""
        return format_value(self.kind, self.value, self.value_high, self.qualifier, self.unit)


@dataclass(frozen=True)
class LinkedClaim:
    """A claim linked to a scenario parameter or observation row.

    Attributes:
        link: How the link was made (``subject-match``, ``cites-source``,
            ``scenario-use``, ``manual``, or ``confirmed``: proposed when the
            claim was accepted and confirmed by the reviewer).
        claim: The claim.
    """

    link: str
    claim: ClaimRecord


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the append-only audit log."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    claim_id: int | None
    source_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file of a batch added to the store.

    Its texts (``reason``, ``warnings``) never name a file or a source's
    identity: :func:`crossings.evidence.redact.redact` adds the path, or the
    placeholder of a confidential file, when it is shown.

    Attributes:
        path: The file.
        status: ``stored``, ``duplicate`` (already stored) or ``error``.
        source_id: The source id (stored or already stored).
        claims: Number of suggested claims stored.
        reason: Why the file was not stored (errors), or that it is already
            stored (duplicates).
        warnings: Missing metadata and dropped claims.
        index: Position of the file in the batch (1-based), which names a
            confidential file in output.
        confidential: The file was added as confidential.
        same_as: For a duplicate within the batch: the earlier file.
        same_as_index: That file's position in the batch.
        existing_confidential: For a duplicate: the stored source is confidential.
    """

    path: Path
    status: Literal["stored", "duplicate", "error"]
    source_id: str | None = None
    claims: int = 0
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    index: int = 0
    confidential: bool = False
    same_as: Path | None = None
    same_as_index: int = 0
    existing_confidential: bool = False


def confidence_label(confidence: float) -> str:
    """``high`` (≥ 0.8), ``medium`` (≥ 0.5) or ``low``."""
    if confidence >= 0.8:
        return "high"
    return "medium" if confidence >= 0.5 else "low"


def _fmt_number(x: float, unit: str) -> str:
    if unit.split(" ", maxsplit=1)[0] == "percent":
        pct = x * 100
        return f"{pct:.1f}%".replace(".0%", "%")
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.4g}"


def format_value(
    kind: str, value: float | None, value_high: float | None, qualifier: str, unit: str
) -> str:
    """A value as text: ``about 80,000–120,000 people``, ``over 70%``."""
    if value is None:
        return "–" if kind in ("date", "rule") else "?"
    text = _fmt_number(value, unit)
    if value_high is not None and value_high != value:
        text += "–" + _fmt_number(value_high, unit)
    if qualifier and qualifier != "exact":
        text = f"{qualifier} {text}"
    if unit.startswith("percent "):
        text += unit[len("percent") :]
    elif unit and unit != "percent":
        text += f" {unit}"
    return text
