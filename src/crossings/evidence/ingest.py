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

Metadata (title, author, publisher, date, language) comes from the document
when it has it, else from :class:`IngestOptions`; without a title the file
name is used and without a date the date stays empty, with a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from crossings.evidence.extract import EXTRACTOR_VERSION, extract_claims
from crossings.evidence.extract import text as text_mod
from crossings.evidence.models import RELIABILITY_GRADES, Claim, Document, Source
from crossings.evidence.store import EvidenceStore, StoreError, append_audit, current_actor
from crossings.evidence.types import ExtractedClaim

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
class FileOutcome:
    """What happened to one file.

    Attributes:
        path: The file.
        status: ``stored``, ``duplicate`` (already stored) or ``error``.
        source_id: The source id (stored or already stored).
        claims: Number of suggested claims stored.
        reason: Why the file was not stored (errors) or of which source it is
            a duplicate.
        warnings: Missing metadata and dropped claims.
    """

    path: Path
    status: Literal["stored", "duplicate", "error"]
    source_id: str | None = None
    claims: int = 0
    reason: str | None = None
    warnings: tuple[str, ...] = ()


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


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Files to read: given files, and folders' supported files recursively (sorted).

    Returns:
        The files, and error outcomes for given files of an unsupported type.

    Raises:
        IngestError: When a path does not exist.
    """
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
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
            errors.append(
                FileOutcome(
                    p,
                    "error",
                    reason=f"unsupported file type "
                    f"'{p.suffix or p.name}' (expected "
                    f"{', '.join(sorted(MEDIA_TYPES))})",
                )
            )
    unique = list(dict.fromkeys(f.resolve() for f in files))
    by_resolved = {f.resolve(): f for f in files}
    return [by_resolved[f] for f in unique], errors


def _read_text(path: Path, raw: bytes) -> str:
    """The file's content as text; raises ValueError with the reason when bad."""
    if not raw.strip():
        raise ValueError("empty file")
    if b"\x00" in raw:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None


def _document(path: Path, content: str, media_type: str) -> Any:
    """A DocumentText (the other module's type) for a file's content."""
    if media_type == "text/html":
        try:
            return text_mod.html_to_text(content)
        except Exception as exc:  # a parser failure on malformed HTML
            raise ValueError(f"cannot read the HTML: {exc}") from None
    plain = getattr(text_mod, "plain_to_text", None)
    if plain is not None:
        return plain(content, markdown=media_type == "text/markdown")
    return text_mod.DocumentText(text=content.replace("\r\n", "\n").replace("\r", "\n"))


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
) -> _Prepared | FileOutcome:
    """Read, convert and extract one file; an error outcome when it is bad."""
    media_type = MEDIA_TYPES[path.suffix.lower()]
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(
                f"larger than the {MAX_BYTES // (1024 * 1024)} MB limit ({size:,} bytes)"
            )
        raw = path.read_bytes()
        content = _read_text(path, raw)
        doc = _document(path, content, media_type)
    except OSError as exc:
        return FileOutcome(path, "error", reason=f"cannot read: {exc.strerror or exc}")
    except ValueError as exc:
        return FileOutcome(path, "error", reason=str(exc))
    text: str = doc.text
    if not text.strip():
        what = "malformed or empty HTML" if media_type == "text/html" else "only whitespace"
        return FileOutcome(path, "error", reason=f"no text found ({what})")
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
        found = extract_claims(text, published=date, places=places)
    except Exception as exc:  # the extractor is not allowed to sink the batch
        log.exception("claim extraction failed on %s", path)
        return FileOutcome(path, "error", reason=f"claim extraction failed: {exc}")
    claims, dropped = _valid_spans(text, found)
    if dropped:
        warnings.append(
            f"{dropped} extracted claim(s) dropped: their quote does not match the stored text"
        )
    return _Prepared(
        path=path,
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


def _source_snapshot(s: Source) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "publisher": s.publisher,
        "author": s.author,
        "published": s.published.isoformat() if s.published else None,
        "url": s.url,
        "language": s.language,
        "raw_sha256": s.raw_sha256,
        "text_sha256": s.text_sha256,
        "extractor_version": s.extractor_version,
        "reliability": s.reliability,
        "confidential": s.confidential,
    }


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
) -> tuple[str, int]:
    """Write one prepared document, its claims and audit entries (inside a transaction).

    Returns:
        The source id and the number of claims stored.
    """
    sid = source_id_for(prep.raw_sha256)
    src = Source(
        id=sid,
        title=prep.title,
        publisher=prep.publisher,
        author=prep.author,
        published=prep.date,
        date_text=prep.date.isoformat() if prep.date else None,
        url=options.url,
        language=prep.language,
        retrieved=dt.datetime.now(dt.UTC).date(),
        raw_sha256=prep.raw_sha256,
        text_sha256=prep.text_sha256,
        extractor_version=EXTRACTOR_VERSION,
        reliability=options.reliability,
        confidential=options.confidential,
        citation=None,
        origin="ingested",
    )
    session.add(src)
    session.flush()
    doc = Document(
        source_id=sid,
        text=prep.text,
        text_sha256=prep.text_sha256,
        file_name=prep.path.name,
        media_type=prep.media_type,
    )
    session.add(doc)
    session.flush()
    append_audit(
        session, actor=actor, action="add-source", source_id=sid, after=_source_snapshot(src)
    )
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


def ingest_paths(
    store: EvidenceStore,
    paths: Iterable[Path | str],
    options: IngestOptions | None = None,
    *,
    places: Sequence[str] | None = None,
    actor: str | None = None,
    ask_date: Callable[[Path], dt.date | None] | None = None,
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

    Returns:
        One outcome per file, in order.

    Raises:
        IngestError: A path does not exist, or the reliability grade is invalid.
        Exception: Any error while writing, after rolling the whole batch back.
    """
    options = options or IngestOptions()
    if options.reliability not in RELIABILITY_GRADES:
        raise IngestError(
            f"reliability must be one of {', '.join(RELIABILITY_GRADES)} "
            f"(got {options.reliability!r})"
        )
    files, outcomes = collect_files(Path(p) for p in paths)
    if places is None:
        from crossings.evidence.builtin import extraction_places  # noqa: PLC0415

        places = extraction_places()
    prepared: list[_Prepared] = []
    results: dict[Path, FileOutcome] = {}
    seen: dict[str, Path] = {}
    for f in files:
        prep = prepare_file(f, options, places, ask_date=ask_date)
        if isinstance(prep, FileOutcome):
            results[f] = prep
            continue
        stored = store.has_raw_hash(prep.raw_sha256)
        if stored is not None or prep.raw_sha256 in seen:
            sid = stored or source_id_for(prep.raw_sha256)
            first = (
                f"already stored as {sid}"
                if stored
                else (f"same content as {seen[prep.raw_sha256]} in this batch")
            )
            results[f] = FileOutcome(f, "duplicate", source_id=sid, reason=first)
            continue
        seen[prep.raw_sha256] = f
        prepared.append(prep)
    who = actor or current_actor()
    with store.transaction() as session:
        for prep in prepared:
            sid, n = store_document(session, prep, options, who)
            results[prep.path] = FileOutcome(
                prep.path, "stored", source_id=sid, claims=n, warnings=tuple(prep.warnings)
            )
    for o in outcomes:
        results.setdefault(o.path, o)
    order = [*files, *(o.path for o in outcomes)]
    return IngestReport(tuple(results[p] for p in order))


__all__ = [
    "MAX_BYTES",
    "MEDIA_TYPES",
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
