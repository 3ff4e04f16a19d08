"""The evidence base's tables (SQLAlchemy 2 typed ORM).

Tables:

* ``sources``: a publication (built-in ids such as ``S1``; generated ids for
  ingested documents), its metadata, hashes, reliability grade and whether it
  is confidential.
* ``documents``: the extracted text of an ingested source, exactly as stored;
  claim spans refer to it.
* ``claims``: one figure, date or rule stated by a source.
* ``parameter_links`` / ``observation_links``: a scenario parameter (field
  path) or an observed series row and the claims behind it.
* ``audit_log``: append-only record of every change to claims and sources.
* ``evidence_meta``: key/value bookkeeping (built-in data version, links).

The schema is created by the Alembic migrations shipped beside this module
(:mod:`crossings.evidence.migrations`); ``tests/test_evidence_store.py`` checks
that the migrated schema equals this metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Review states of a claim.
REVIEW_STATES = ("suggested", "accepted", "rejected", "edited")

#: Reliability grades of a source (the "Admiralty" scale of source reliability).
RELIABILITY_GRADES = {
    "A": "completely reliable (official statistics of the counting body)",
    "B": "usually reliable (confirmed by independent copies)",
    "C": "fairly reliable (one reputable source, not contradicted)",
    "D": "not usually reliable (secondary, aggregator, contested)",
    "E": "unreliable (known to contradict better sources; do not use)",
    "F": "reliability cannot be judged",
}


def utcnow() -> dt.datetime:
    """The current time in UTC (timezone-aware)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class Source(Base):
    """A publication: an article, report, table or dataset.

    ``reliability`` is a grade of :data:`RELIABILITY_GRADES` (A–F);
    ``confidential`` sources keep their claims usable but their identity is
    redacted in every output (:mod:`crossings.evidence.redact`).
    """

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date)
    date_text: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    retrieved: Mapped[dt.date | None] = mapped_column(Date)
    raw_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    extractor_version: Mapped[str | None] = mapped_column(String(64))
    reliability: Mapped[str] = mapped_column(String(1), default="F")
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    citation: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(64), default="ingested")
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """The extracted text of an ingested source, exactly as stored."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(32))


class Claim(Base):
    """One figure, date or rule stated by a source.

    ``value`` is the number (a share as a fraction); ``value_high`` is the
    upper end when the source gives a range. Date and rule claims may have no
    value; ``statement`` then says in our own words what the claim is.
    ``span_start``/``span_end`` are offsets into the document's stored text and
    ``quote`` is ``text[span_start:span_end]``.
    """

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    value_high: Mapped[float | None] = mapped_column(Float)
    qualifier: Mapped[str] = mapped_column(String(16), default="exact")
    unit: Mapped[str] = mapped_column(String(32), default="people")
    subject: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str | None] = mapped_column(String(8))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    granularity: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(100))
    attributed_to: Mapped[str | None] = mapped_column(Text)
    attribution_start: Mapped[int | None] = mapped_column(Integer)
    attribution_end: Mapped[int | None] = mapped_column(Integer)
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str | None] = mapped_column(Text)
    statement: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(32))
    method_version: Mapped[str] = mapped_column(String(64))
    review_state: Mapped[str] = mapped_column(String(16), default="suggested")
    confidence: Mapped[float] = mapped_column(Float, default=0.5)
    note: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ParameterLink(Base):
    """A scenario parameter (its field path) and a claim behind it.

    ``link`` says how the link was made: ``subject-match`` (a claim of a cited
    source about the same quantity), ``cites-source`` (the parameter cites the
    source; every claim of it is linked), ``scenario-use`` (the source has no
    figure; the claim summarises what the scenario uses it for) or ``manual``
    (linked by hand with ``crossings evidence link``; kept when links are rebuilt).
    """

    __tablename__ = "parameter_links"
    __table_args__ = (UniqueConstraint("scenario", "path", "claim_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario: Mapped[str] = mapped_column(String(100), index=True)
    path: Mapped[str] = mapped_column(String(300))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    link: Mapped[str] = mapped_column(String(32))


class ObservationLink(Base):
    """An observed series row of a scenario and a claim behind it."""

    __tablename__ = "observation_links"
    __table_args__ = (UniqueConstraint("scenario", "observation", "row", "claim_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario: Mapped[str] = mapped_column(String(100), index=True)
    observation: Mapped[str] = mapped_column(String(100))
    row: Mapped[str] = mapped_column(String(64))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    link: Mapped[str] = mapped_column(String(32))


class AuditEntry(Base):
    """One append-only audit record: who did what to which claim, and when.

    Rows are only ever inserted (the store has no update or delete API, and
    the migration adds database triggers that refuse updates and deletes).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Meta(Base):
    """Key/value bookkeeping (built-in data version, scenario link hashes)."""

    __tablename__ = "evidence_meta"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
