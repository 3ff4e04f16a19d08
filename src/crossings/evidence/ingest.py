"""Adding documents to the evidence store: text, markdown and HTML files.

:func:`ingest_paths` reads files (folders recursively, in sorted order),
turns each into stored text (HTML through
:func:`crossings.evidence.extract.text.html_to_text`), extracts claims with
:func:`crossings.evidence.extract.extract_claims` and stores everything as
*suggested* claims in **one transaction per batch**:

* a file whose raw content is already stored is a no-op ("already stored");
* a bad file (NUL bytes, over :data:`MAX_BYTES`, not UTF-8, no text) is
  reported with the reason and skipped; the rest of the batch is stored;
* any error while writing rolls the whole batch back: nothing half-written.

Batches may run at the same time (two ``crossings evidence add`` on one
store): the duplicate check and the insert of each source happen in the
batch's write transaction, which holds the database's write lock, and the
insert itself skips a source another writer stored first (``ON CONFLICT DO
NOTHING`` on the content hash), so every document is stored exactly once.

Nothing this module reports or logs names a confidential batch's files or
documents (see :mod:`crossings.evidence.redact`) unless asked to.

Metadata (title, author, publisher, date, language) comes from the document
when it has it, else from :class:`IngestOptions`; without a title the file
name is used and without a date the date stays empty, with a warning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crossings.evidence.builtin import extraction_places, named_periods
from crossings.evidence.db import append_audit, current_actor, insert_or_skip
from crossings.evidence.extract import EXTRACTOR_VERSION, extract_claims
from crossings.evidence.extract import text as text_mod
from crossings.evidence.models import RELIABILITY_GRADES, Claim, Document, Source
from crossings.evidence.records import FileOutcome
from crossings.evidence.redact import describe_error, file_label, scrub
from crossings.evidence.store import EvidenceStore, StoreError
from crossings.evidence.types import ExtractedClaim, NamedPeriod

log = logging.getLogger(__name__)

#: Largest file read (bytes).
MAX_BYTES = 5 * 1024 * 1024
#: File types read, by suffix.
MEDIA_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
}


class IngestError(StoreError):
    """A user mistake in the batch as a whole (a path that does not exist)."""


class BatchWriteError(StoreError):
    """Writing the batch failed (after trying again); nothing of it was stored.

    The message describes the error without the values of any statement, and
    without a confidential batch's titles, names, addresses or paths.
    """


@dataclass(frozen=True)
class IngestOptions:
    """Metadata used when a document does not state its own, and how to store it.

    Attributes:
        title: Title.
        publisher: Publisher.
        author: Author.
        date: Publication date.
        url: Address the document was read from.
        language: Language code.
        confidential: Redact the source's identity in every output.
        reliability: Reliability grade A–F (``models.RELIABILITY_GRADES``).
    """

    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: dt.date | None = None
    url: str | None = None
    language: str | None = None
    confidential: bool = False
    reliability: str = "F"


@dataclass(frozen=True)
class IngestReport:
    """The outcome of one batch, file by file."""

    outcomes: tuple[FileOutcome, ...]

    def count(self, status: str) -> int:
        """How many files have this status."""
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass
class _Prepared:
    path: Path
    index: int
    raw_sha256: str
    text: str
    text_sha256: str
    media_type: str
    title: str
    author: str | None
    publisher: str | None
    date: dt.date | None
    language: str | None
    claims: list[ExtractedClaim]
    warnings: list[str] = field(default_factory=list)


def source_id_for(raw_sha256: str) -> str:
    """The id of an ingested source: ``D`` and the start of its content hash."""
    return "D" + raw_sha256[:10]


def collect_files(
    paths: Iterable[Path], *, confidential: bool = False, show_confidential: bool = False
) -> tuple[list[Path], list[FileOutcome]]:
    """Files to read: given files, and folders' supported files recursively (sorted).

    Args:
        paths: Files and folders.
        confidential: The batch is confidential: a message names a path by its
            position among the arguments, not by its name.
        show_confidential: Name paths even so.

    Returns:
        The files, and error outcomes for given files of an unsupported type.

    Raises:
        IngestError: When a path does not exist.
    """
    paths = list(paths)
    missing = [
        file_label(p, i, confidential, show=show_confidential, noun="path argument")
        for i, p in enumerate(paths, 1)
        if not p.exists()
    ]
    if missing:
        raise IngestError(f"no such file or folder: {', '.join(missing)}")
    files: list[Path] = []
    errors: list[FileOutcome] = []
    for p in paths:
        if p.is_dir():
            files.extend(
                f
                for f in sorted(p.rglob("*"))
                if f.is_file()
                and f.suffix.lower() in MEDIA_TYPES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.suffix.lower() in MEDIA_TYPES:
            files.append(p)
        else:
            found = p.suffix or (
                "no suffix" if confidential and not show_confidential else repr(p.name)
            )
            errors.append(
                FileOutcome(
                    p,
                    "error",
                    reason=f"unsupported file type {found} "
                    f"(expected {', '.join(sorted(MEDIA_TYPES))})",
                )
            )
    unique = list(dict.fromkeys(f.resolve() for f in files))
    by_resolved = {f.resolve(): f for f in files}
    return [by_resolved[f] for f in unique], errors


def _read_text(raw: bytes) -> str:
    """The file's content as text; raises ValueError with the reason when bad."""
    if not raw.strip():
        raise ValueError("empty file")
    if b"\x00" in raw:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None


def _document(content: str, media_type: str, secret: bool) -> text_mod.DocumentText:
    """The stored text and metadata of a file's content."""
    if media_type == "text/html":
        try:
            return text_mod.html_to_text(content)
        except Exception as exc:  # a parser failure on malformed HTML
            why = type(exc).__name__ if secret else describe_error(exc)
            raise ValueError(f"cannot read the HTML ({why})") from None
    return text_mod.plain_to_text(content, markdown=media_type == "text/markdown")


def _valid_spans(text: str, claims: Sequence[ExtractedClaim]) -> tuple[list[ExtractedClaim], int]:
    ok = [
        c for c in claims if 0 <= c.start <= c.end <= len(text) and text[c.start : c.end] == c.quote
    ]
    return ok, len(claims) - len(ok)


def prepare_file(
    path: Path,
    options: IngestOptions,
    places: Sequence[str],
    *,
    ask_date: Callable[[Path], dt.date | None] | None = None,
    index: int = 0,
    named: Sequence[NamedPeriod] = (),
    show_confidential: bool = False,
) -> _Prepared | FileOutcome:
    """Read, convert and extract one file; an error outcome when it is bad.

    Args:
        path: The file.
        options: The batch's metadata and confidentiality.
        places: Place names for claim extraction.
        ask_date: Asks for a missing publication date (interactive use).
        index: The file's position in the batch (names a confidential file).
        named: Events the text may date periods from (claim extraction).
        show_confidential: Name a confidential file in log lines and reasons.

    Returns:
        The prepared document, or an error outcome with the reason.
    """
    secret = options.confidential and not show_confidential
    media_type = MEDIA_TYPES[path.suffix.lower()]
    error = FileOutcome(path, "error", index=index, confidential=options.confidential)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(
                f"larger than the {MAX_BYTES // (1024 * 1024)} MB limit ({size:,} bytes)"
            )
        raw = path.read_bytes()
        content = _read_text(raw)
        doc = _document(content, media_type, secret)
    except OSError as exc:
        return dataclasses.replace(
            error, reason=f"cannot read: {exc.strerror or type(exc).__name__}"
        )
    except ValueError as exc:
        return dataclasses.replace(error, reason=str(exc))
    text: str = doc.text
    if not text.strip():
        what = "malformed or empty HTML" if media_type == "text/html" else "only whitespace"
        return dataclasses.replace(error, reason=f"no text found ({what})")
    warnings: list[str] = []
    title = doc.title or options.title
    if not title:
        title = path.name
        warnings.append("no title in the document or options: using the file name")
    date = doc.date or options.date
    if date is None and ask_date is not None:
        date = ask_date(path)
    if date is None:
        warnings.append("no publication date in the document or options: left empty")
    try:
        found = extract_claims(text, published=date, places=places, named_periods=named)
    except Exception as exc:  # the extractor is not allowed to sink the batch
        label = file_label(path, index, options.confidential, show=show_confidential)
        if secret:  # the error's text may quote the document
            log.error("claim extraction failed on %s (%s)", label, type(exc).__name__)
            why = type(exc).__name__
        else:
            log.exception("claim extraction failed on %s", label)
            why = describe_error(exc)
        return dataclasses.replace(error, reason=f"claim extraction failed ({why})")
    claims, dropped = _valid_spans(text, found)
    if dropped:
        warnings.append(
            f"{dropped} extracted claim(s) dropped: their quote does not match the stored text"
        )
    return _Prepared(
        path=path,
        index=index,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        media_type=media_type,
        title=title,
        author=doc.author or options.author,
        publisher=doc.publisher or options.publisher,
        date=date,
        language=doc.language or options.language,
        claims=claims,
        warnings=warnings,
    )


def _claim_row(source_id: str, document_id: int, n: int, c: ExtractedClaim) -> Claim:
    p = c.period
    return Claim(
        key=f"{source_id}/{n}",
        source_id=source_id,
        document_id=document_id,
        kind=c.kind,
        value=c.value,
        value_high=None,
        qualifier=c.qualifier,
        unit=c.unit,
        subject=c.subject,
        sex=c.sex,
        period_start=p.start if p else None,
        period_end=p.end if p else None,
        granularity=p.granularity if p else None,
        place=c.place,
        attributed_to=c.attribution.who if c.attribution else None,
        attribution_start=c.attribution.start if c.attribution else None,
        attribution_end=c.attribution.end if c.attribution else None,
        span_start=c.start,
        span_end=c.end,
        quote=c.quote,
        method=c.method,
        method_version=c.version or EXTRACTOR_VERSION,
        review_state="suggested",
        confidence=float(c.confidence),
        extra=dict(c.extra) or None,
    )


def store_document(
    session: Session, prep: _Prepared, options: IngestOptions, actor: str
) -> tuple[str, int] | None:
    """Write one prepared document, its claims and audit entries (inside a transaction).

    The source row is inserted with ``ON CONFLICT DO NOTHING``: when another
    writer stored the same content first, nothing is written.

    Returns:
        The source id and the number of claims stored, or ``None`` when the
        content was stored already.
    """
    sid = source_id_for(prep.raw_sha256)
    values: dict[str, Any] = {
        "id": sid,
        "title": prep.title,
        "publisher": prep.publisher,
        "author": prep.author,
        "published": prep.date,
        "date_text": prep.date.isoformat() if prep.date else None,
        "url": options.url,
        "language": prep.language,
        "retrieved": dt.datetime.now(dt.UTC).date(),
        "raw_sha256": prep.raw_sha256,
        "text_sha256": prep.text_sha256,
        "extractor_version": EXTRACTOR_VERSION,
        "reliability": options.reliability,
        "confidential": options.confidential,
        "citation": None,
        "origin": "ingested",
    }
    if not insert_or_skip(session, Source, values):
        return None
    doc = Document(
        source_id=sid,
        text=prep.text,
        text_sha256=prep.text_sha256,
        file_name=prep.path.name,
        media_type=prep.media_type,
    )
    session.add(doc)
    session.flush()
    snapshot = {
        k: values[k]
        for k in (
            "id",
            "title",
            "publisher",
            "author",
            "url",
            "language",
            "raw_sha256",
            "text_sha256",
            "extractor_version",
            "reliability",
            "confidential",
        )
    }
    snapshot["published"] = prep.date.isoformat() if prep.date else None
    append_audit(session, actor=actor, action="add-source", source_id=sid, after=snapshot)
    rows = [_claim_row(sid, doc.id, i, c) for i, c in enumerate(prep.claims, 1)]
    session.add_all(rows)
    session.flush()
    for row in rows:
        append_audit(
            session,
            actor=actor,
            action="suggest",
            claim_id=row.id,
            source_id=sid,
            after={
                "key": row.key,
                "kind": row.kind,
                "value": row.value,
                "qualifier": row.qualifier,
                "unit": row.unit,
                "subject": row.subject,
                "quote": row.quote,
                "attributed_to": row.attributed_to,
                "review_state": "suggested",
            },
        )
    return sid, len(rows)


def _stored(session: Session, raw_sha256: str) -> tuple[str, bool] | None:
    """The id of the source with this content and whether it is confidential, if stored."""
    row = session.execute(
        select(Source.id, Source.confidential).where(Source.raw_sha256 == raw_sha256)
    ).first()
    return (row[0], bool(row[1])) if row is not None else None


def _secrets(
    options: IngestOptions, prepared: Sequence[_Prepared], files: Sequence[Path]
) -> list[str]:
    """What a message about a confidential batch must not contain."""
    out: list[str | None] = [options.title, options.publisher, options.author, options.url]
    for p in prepared:
        out += [p.title, p.author, p.publisher, p.raw_sha256, p.text_sha256]
    for f in files:
        out += [str(f), f.name, str(f.resolve())]
    return [s for s in out if s]


def ingest_paths(
    store: EvidenceStore,
    paths: Iterable[Path | str],
    options: IngestOptions | None = None,
    *,
    places: Sequence[str] | None = None,
    actor: str | None = None,
    ask_date: Callable[[Path], dt.date | None] | None = None,
    named: Sequence[NamedPeriod] | None = None,
    show_confidential: bool = False,
) -> IngestReport:
    """Add files and folders to the store as one batch (one transaction).

    Args:
        store: The evidence store.
        paths: Files (``.txt``, ``.md``, ``.html``, ``.htm``) and folders.
        options: Metadata for documents that lack it; confidentiality and grade.
        places: Place names for claim extraction (default: the built-in
            scenario's and the shipped gazetteer's).
        actor: Who adds them (default: the login name).
        ask_date: Called for a document without a date (interactive use only).
        named: Events the documents date periods from, for claim extraction
            (default: the built-in evidence's, :func:`crossings.evidence.builtin.named_periods`).
        show_confidential: Name a confidential batch's files in messages and
            log lines (they are named ``[confidential file #N]`` otherwise).

    Returns:
        One outcome per file, in order.

    Raises:
        IngestError: A path does not exist, or the reliability grade is invalid.
        BatchWriteError: Writing failed (tried again after transient
            conflicts); the whole batch was rolled back.
    """
    options = options or IngestOptions()
    if options.reliability not in RELIABILITY_GRADES:
        raise IngestError(
            f"reliability must be one of {', '.join(RELIABILITY_GRADES)} "
            f"(got {options.reliability!r})"
        )
    files, outcomes = collect_files(
        (Path(p) for p in paths),
        confidential=options.confidential,
        show_confidential=show_confidential,
    )
    if places is None:
        places = extraction_places()
    if named is None:
        named = named_periods()
    prepared: list[_Prepared] = []
    results: dict[Path, FileOutcome] = {}
    seen: dict[str, _Prepared] = {}
    for i, f in enumerate(files, 1):
        prep = prepare_file(
            f,
            options,
            places,
            ask_date=ask_date,
            index=i,
            named=named,
            show_confidential=show_confidential,
        )
        if isinstance(prep, FileOutcome):
            results[f] = prep
        elif prep.raw_sha256 in seen:
            first = seen[prep.raw_sha256]
            results[f] = FileOutcome(
                f,
                "duplicate",
                source_id=source_id_for(prep.raw_sha256),
                index=i,
                confidential=options.confidential,
                same_as=first.path,
                same_as_index=first.index,
            )
        else:
            seen[prep.raw_sha256] = prep
            prepared.append(prep)
    who = actor or current_actor()

    def work(session: Session) -> dict[Path, FileOutcome]:
        written: dict[Path, FileOutcome] = {}
        # one order for every writer: no two batches wait for each other's rows
        for prep in sorted(prepared, key=lambda p: p.raw_sha256):
            stored = _stored(session, prep.raw_sha256)
            done = None if stored is not None else store_document(session, prep, options, who)
            if done is None:
                stored = stored or _stored(session, prep.raw_sha256)
                if stored is None:  # the id is taken by other content (a hash-prefix clash)
                    written[prep.path] = FileOutcome(
                        prep.path,
                        "error",
                        reason=f"source id {source_id_for(prep.raw_sha256)} is taken by "
                        "another document",
                        index=prep.index,
                        confidential=options.confidential,
                    )
                    continue
                sid, secret = stored
                written[prep.path] = FileOutcome(
                    prep.path,
                    "duplicate",
                    source_id=sid,
                    reason=f"already stored as {sid}",
                    index=prep.index,
                    confidential=options.confidential,
                    existing_confidential=secret,
                )
            else:
                written[prep.path] = FileOutcome(
                    prep.path,
                    "stored",
                    source_id=done[0],
                    claims=done[1],
                    warnings=tuple(prep.warnings),
                    index=prep.index,
                    confidential=options.confidential,
                )
        return written

    try:
        results.update(store.write(work))
    except Exception as exc:
        why = describe_error(exc)
        secret = options.confidential and not show_confidential
        if secret:
            why = scrub(why, _secrets(options, prepared, files))
        message = f"cannot write the batch to the database ({why}); nothing of it was stored"
        if secret:
            raise BatchWriteError(message) from None
        raise BatchWriteError(message) from exc
    order = [*files, *(o.path for o in outcomes)]
    for o in outcomes:
        results.setdefault(o.path, o)
    return IngestReport(
        tuple(
            dataclasses.replace(results[p], index=i, confidential=options.confidential)
            for i, p in enumerate(order, 1)
        )
    )


__all__ = [
    "MAX_BYTES",
    "MEDIA_TYPES",
    "BatchWriteError",
    "FileOutcome",
    "IngestError",
    "IngestOptions",
    "IngestReport",
    "collect_files",
    "ingest_paths",
    "prepare_file",
    "source_id_for",
    "store_document",
]
