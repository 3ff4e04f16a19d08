"""The evidence store: a SQLite file or a PostgreSQL database.

``open_store()`` opens (and migrates, with the Alembic migrations shipped in
the package) the database and loads the built-in evidence on first use::

    from crossings.evidence.store import open_store
    store = open_store()                       # user data dir, or $CROSSINGS_DATA_DIR
    store = open_store("evidence.sqlite")      # a SQLite file
    store = open_store("postgresql://user@host/db")

The default file is ``evidence.sqlite`` in ``platformdirs.user_data_dir("crossings")``,
or in ``$CROSSINGS_DATA_DIR`` when that is set. Nothing happens at import time.

The store hands out frozen records (:mod:`crossings.evidence.records`). The
audit log is append-only: there is no API to change or delete an entry, and
the database refuses it (triggers created by the migration).

Several processes may use one store at once: writes are serialised and tried
again after transient conflicts, and opening, migrating and loading the
built-in evidence are safe when two processes do them together
(:mod:`crossings.evidence.db`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from crossings.evidence.builtin import load_builtin
from crossings.evidence.db import (
    FIRST_PAUSE,
    MAX_PAUSE,
    PG_WRITE_LOCK,
    WRITE_ATTEMPTS,
    Database,
    append_audit,
    current_actor,
    is_transient,
    make_engine,
)
from crossings.evidence.models import (
    AuditEntry,
    Claim,
    Document,
    ObservationLink,
    ParameterLink,
    Source,
)
from crossings.evidence.records import (
    AuditRecord,
    ClaimRecord,
    LinkedClaim,
    SourceRecord,
    parse_period,
)
from crossings.evidence.redact import describe_error

log = logging.getLogger(__name__)

ENV_DATA_DIR = "CROSSINGS_DATA_DIR"
DB_FILE = "evidence.sqlite"
MIGRATIONS = Path(__file__).with_name("migrations")

QUALIFIERS = ("exact", "about", "at least", "nearly", "over", "up to", "fewer than")
KINDS = ("count", "rate", "share", "date", "rule")
EDITABLE = (
    "kind",
    "value",
    "value_high",
    "qualifier",
    "unit",
    "subject",
    "sex",
    "period",
    "period_start",
    "period_end",
    "granularity",
    "place",
    "statement",
    "note",
    "confidence",
)


class StoreError(Exception):
    """A problem the user can fix: a bad database URL, an unknown id, a bad edit."""


class UnknownClaimError(StoreError):
    """No claim has this id or key."""


def default_data_dir() -> Path:
    """``$CROSSINGS_DATA_DIR``, else the platform's user data folder for crossings."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir("crossings"))


def database_url(db: str | Path | None = None) -> str:
    """The SQLAlchemy URL for a path, a URL, or ``None`` (the default file).

    ``postgresql://`` and ``postgres://`` URLs are given the psycopg (3) driver.

    Raises:
        StoreError: For an unsupported or malformed URL.
    """
    if db is None:
        return f"sqlite:///{default_data_dir() / DB_FILE}"
    text = str(db).strip()
    if not text:
        raise StoreError("empty database path or URL")
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser()}"
    scheme = text.split("://", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
    elif not (scheme.startswith(("sqlite", "postgresql+"))):
        raise StoreError(
            f"unsupported database URL {_masked(text)!r}: use a file path, "
            f"sqlite:///FILE or postgresql://USER@HOST/DB"
        )
    try:
        make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"malformed database URL {_masked(text)!r}: {exc}") from None
    return text


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", maxsplit=1)[-1] if "@" in url else url


def _claim_snapshot(c: Claim) -> dict[str, Any]:
    """The reviewable fields of a claim, JSON-ready (for audit entries)."""
    return {
        "key": c.key,
        "source_id": c.source_id,
        "kind": c.kind,
        "value": c.value,
        "value_high": c.value_high,
        "qualifier": c.qualifier,
        "unit": c.unit,
        "subject": c.subject,
        "sex": c.sex,
        "period_start": c.period_start.isoformat() if c.period_start else None,
        "period_end": c.period_end.isoformat() if c.period_end else None,
        "granularity": c.granularity,
        "place": c.place,
        "attributed_to": c.attributed_to,
        "quote": c.quote,
        "statement": c.statement,
        "review_state": c.review_state,
        "confidence": c.confidence,
        "note": c.note,
    }


def _source_record(s: Source, *, file_name: str | None = None, n_claims: int = 0) -> SourceRecord:
    return SourceRecord(
        id=s.id,
        title=s.title,
        publisher=s.publisher,
        author=s.author,
        published=s.published,
        date_text=s.date_text,
        url=s.url,
        language=s.language,
        retrieved=s.retrieved,
        raw_sha256=s.raw_sha256,
        text_sha256=s.text_sha256,
        extractor_version=s.extractor_version,
        reliability=s.reliability,
        confidential=bool(s.confidential),
        citation=s.citation,
        confidence=s.confidence,
        origin=s.origin,
        note=s.note,
        file_name=file_name,
        n_claims=n_claims,
    )


def claim_record(c: Claim, s: Source) -> ClaimRecord:
    """A claim and its source as a frozen record."""
    return ClaimRecord(
        id=c.id,
        key=c.key,
        source_id=c.source_id,
        kind=c.kind,
        value=c.value,
        value_high=c.value_high,
        qualifier=c.qualifier,
        unit=c.unit,
        subject=c.subject,
        sex=c.sex,
        period_start=c.period_start,
        period_end=c.period_end,
        granularity=c.granularity,
        place=c.place,
        attributed_to=c.attributed_to,
        span_start=c.span_start,
        span_end=c.span_end,
        quote=c.quote,
        statement=c.statement,
        method=c.method,
        method_version=c.method_version,
        review_state=c.review_state,
        confidence=c.confidence,
        note=c.note,
        source_label=s.title or s.citation or s.id,
        source_reliability=s.reliability,
        source_confidential=bool(s.confidential),
        source_confidence=s.confidence,
        source_origin=s.origin,
    )


def _parse_edit(field: str, text: str) -> dict[str, Any]:
    """One ``field=value`` edit as column values; raises StoreError when invalid."""
    field = field.strip().replace("-", "_")
    text = text.strip()
    if field not in EDITABLE:
        raise StoreError(f"cannot edit '{field}': editable fields are {', '.join(EDITABLE)}")
    empty = text.lower() in ("", "none", "null", "-")
    try:
        if field in ("value", "value_high", "confidence"):
            if empty and field != "confidence":
                return {field: None}
            pct = text.endswith("%")
            num = float(text.rstrip("%").replace(",", "").replace("_", ""))
            num = num / 100 if pct else num
            if field == "confidence" and not 0 <= num <= 1:
                raise ValueError("confidence is between 0 and 1")
            return {field: num}
        if field == "period":
            p = parse_period(text)
            return {
                "period_start": p.start if p else None,
                "period_end": p.end if p else None,
                "granularity": p.granularity if p else None,
            }
        if field in ("period_start", "period_end"):
            return {field: None if empty else dt.date.fromisoformat(text)}
    except ValueError as exc:
        raise StoreError(f"bad value for {field}: {exc}") from None
    if field == "qualifier" and text not in QUALIFIERS:
        raise StoreError(f"qualifier must be one of: {', '.join(QUALIFIERS)}")
    if field == "kind" and text not in KINDS:
        raise StoreError(f"kind must be one of: {', '.join(KINDS)}")
    if field == "sex":
        if empty or text in ("total", "both"):
            return {"sex": None}
        if text not in ("female", "male"):
            raise StoreError("sex must be female, male or none")
    if field in ("subject", "unit") and empty:
        raise StoreError(f"{field} cannot be empty")
    return {field: None if empty else text}


@dataclass(frozen=True)
class ReviewResult:
    """What a review action did.

    Attributes:
        claim: The claim after the action.
        changed: Whether anything changed (an audit entry was appended).
    """

    claim: ClaimRecord
    changed: bool


class EvidenceStore(Database):
    """Sources, claims, links and the audit log in one database.

    Use :func:`open_store` to get one. Close it (or use it as a context
    manager) to release the connection pool. Writes go through
    :meth:`~crossings.evidence.db.Database.write` (serialised, tried again
    after transient conflicts).
    """

    def __enter__(self) -> EvidenceStore:
        return self

    def ensure_builtin(self, *, force: bool = False) -> bool:
        """Load (or refresh) the built-in evidence when it is missing or outdated.

        Returns:
            Whether anything was loaded.
        """
        return load_builtin(self, force=force)

    # ------------------------------------------------------------------ sources
    def sources(self) -> list[SourceRecord]:
        """Every source, built-in first (by id), with its number of claims."""
        with Session(self._engine) as s:
            counts = dict(
                s.execute(
                    select(Claim.source_id, func.count(Claim.id)).group_by(Claim.source_id)
                ).all()
            )
            files = dict(s.execute(select(Document.source_id, Document.file_name)).all())
            rows = s.scalars(select(Source)).all()
            out = [
                _source_record(r, file_name=files.get(r.id), n_claims=counts.get(r.id, 0))
                for r in rows
            ]
        return sorted(out, key=lambda r: (r.origin == "ingested", _natural(r.id)))

    def source(self, source_id: str) -> SourceRecord | None:
        """One source, or ``None``."""
        with Session(self._engine) as s:
            row = s.get(Source, source_id)
            if row is None:
                return None
            doc = s.scalar(select(Document).where(Document.source_id == source_id))
            n = s.scalar(select(func.count(Claim.id)).where(Claim.source_id == source_id)) or 0
            return _source_record(row, file_name=doc.file_name if doc else None, n_claims=n)

    def document_text(self, source_id: str) -> str | None:
        """The stored text of an ingested source (spans refer to it)."""
        with Session(self._engine) as s:
            return s.scalar(select(Document.text).where(Document.source_id == source_id))

    # ------------------------------------------------------------------ claims
    def claims(
        self,
        *,
        source: str | None = None,
        subject: str | None = None,
        states: Iterable[str] | None = None,
        year: int | None = None,
        ingested_first: bool = False,
    ) -> list[ClaimRecord]:
        """Claims, optionally of one source, subject, review states or year, by id.

        Args:
            source: Only this source's claims.
            subject: Only this subject.
            states: Only these review states.
            year: Only claims whose period overlaps this year (a period open at
                its start, "cumulative to", only when it ends in that year).
            ingested_first: Claims of added documents first, then the
                built-in ones (each by id).
        """
        q = select(Claim, Source).join(Source, Claim.source_id == Source.id)
        if source is not None:
            q = q.where(Claim.source_id == source)
        if subject is not None:
            q = q.where(Claim.subject == subject)
        if states is not None:
            q = q.where(Claim.review_state.in_(list(states)))
        if year is not None:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
            q = q.where(Claim.period_end.is_not(None), Claim.period_end >= first)
            q = q.where(
                ((Claim.period_start.is_(None)) & (Claim.period_end <= last))
                | (Claim.period_start <= last)
            )
        with Session(self._engine) as s:
            out = [claim_record(c, src) for c, src in s.execute(q.order_by(Claim.id))]
        if ingested_first:
            out.sort(key=lambda c: (not c.ingested, c.id))
        return out

    def claim(self, ref: str | int) -> ClaimRecord:
        """A claim by numeric id or key.

        Raises:
            UnknownClaimError: When no claim has this id or key.
        """
        with Session(self._engine) as s:
            c = self._find(s, ref)
            src = s.get(Source, c.source_id)
            assert src is not None
            return claim_record(c, src)

    @staticmethod
    def _find(session: Session, ref: str | int) -> Claim:
        text = str(ref).strip()
        c: Claim | None = None
        if text.isdigit():
            c = session.get(Claim, int(text))
        if c is None:
            c = session.scalar(select(Claim).where(Claim.key == text))
        if c is None:
            raise UnknownClaimError(
                f"no claim with id or key '{text}' (see 'crossings evidence claims')"
            )
        return c

    def review(
        self,
        ref: str | int,
        action: str,
        changes: Mapping[str, str] | None = None,
        *,
        actor: str | None = None,
    ) -> ReviewResult:
        """Accept, reject or edit a claim; every change appends an audit entry.

        Args:
            ref: Claim id or key.
            action: ``accept``, ``reject`` or ``edit``.
            changes: For ``edit``: field → new value as text (``value=2914``,
                ``period=2009``, ``sex=female``, ...).
            actor: Who does it (default: the login name).

        Returns:
            The claim after the action and whether it changed.

        Raises:
            UnknownClaimError: Unknown claim.
            StoreError: An unknown action, field or bad value.
        """
        states = {"accept": "accepted", "reject": "rejected", "edit": "edited"}
        if action not in states:
            raise StoreError(f"unknown review action '{action}' (accept, reject or edit)")
        updates: dict[str, Any] = {}
        if action == "edit":
            if not changes:
                raise StoreError("an edit needs at least one field=value")
            for k, v in changes.items():
                updates.update(_parse_edit(k, v))
        who = actor or current_actor()

        def work(s: Session) -> ReviewResult:
            c = self._find(s, ref)
            before = _claim_snapshot(c)
            for k, v in updates.items():
                setattr(c, k, v)
            c.review_state = states[action]
            after = _claim_snapshot(c)
            changed = before != after
            if changed:
                append_audit(
                    s,
                    actor=who,
                    action=action,
                    claim_id=c.id,
                    source_id=c.source_id,
                    before=before,
                    after=after,
                )
            s.flush()
            src = s.get(Source, c.source_id)
            assert src is not None
            return ReviewResult(claim_record(c, src), changed)

        return self.write(work)

    # ------------------------------------------------------------------ links
    def parameter_links(self, scenario: str) -> dict[str, list[LinkedClaim]]:
        """Every linked parameter path of a scenario → its claims."""
        q = (
            select(ParameterLink.path, ParameterLink.link, Claim, Source)
            .join(Claim, ParameterLink.claim_id == Claim.id)
            .join(Source, Claim.source_id == Source.id)
            .where(ParameterLink.scenario == scenario)
            .order_by(ParameterLink.path, Claim.id)
        )
        out: dict[str, list[LinkedClaim]] = {}
        with Session(self._engine) as s:
            for path, link, c, src in s.execute(q):
                out.setdefault(path, []).append(LinkedClaim(link, claim_record(c, src)))
        return out

    def link_parameter(
        self, ref: str | int, scenario: str, path: str, *, actor: str | None = None
    ) -> bool:
        """Link a claim to a scenario parameter by hand (kept when links are rebuilt).

        Returns:
            Whether a new link was written (an audit entry is appended).

        Raises:
            UnknownClaimError: Unknown claim.
        """
        who = actor or current_actor()

        def work(s: Session) -> bool:
            c = self._find(s, ref)
            exists = s.scalar(
                select(ParameterLink.id).where(
                    ParameterLink.scenario == scenario,
                    ParameterLink.path == path,
                    ParameterLink.claim_id == c.id,
                )
            )
            if exists is not None:
                return False
            s.add(ParameterLink(scenario=scenario, path=path, claim_id=c.id, link="manual"))
            append_audit(
                s,
                actor=who,
                action="link",
                claim_id=c.id,
                source_id=c.source_id,
                after={"scenario": scenario, "path": path},
            )
            return True

        return self.write(work)

    def link_claim(
        self,
        ref: str | int,
        scenario: str,
        *,
        observations: Iterable[tuple[str, str]] = (),
        parameters: Iterable[str] = (),
        how: str = "confirmed",
        reasons: Iterable[str] = (),
        actor: str | None = None,
    ) -> int:
        """Link a claim to observation rows and parameters of a scenario (one audit entry).

        The links are kept when the scenario's links are rebuilt (like
        ``manual`` ones); links that exist already are left as they are.

        Args:
            ref: Claim id or key.
            scenario: The scenario's name.
            observations: ``(series id, row label)`` pairs.
            parameters: Parameter paths.
            how: How the link was made (``confirmed``: proposed when the claim
                was accepted and confirmed by the reviewer; ``manual``).
            reasons: Why the links were proposed (kept in the audit entry).
            actor: Who (default: the login name).

        Returns:
            How many links were written.

        Raises:
            UnknownClaimError: Unknown claim.
        """
        who = actor or current_actor()
        obs = list(dict.fromkeys(observations))
        params = list(dict.fromkeys(parameters))

        def work(s: Session) -> int:
            c = self._find(s, ref)
            written_obs: list[dict[str, str]] = []
            written_params: list[str] = []
            for series, row in obs:
                exists = s.scalar(
                    select(ObservationLink.id).where(
                        ObservationLink.scenario == scenario,
                        ObservationLink.observation == series,
                        ObservationLink.row == row,
                        ObservationLink.claim_id == c.id,
                    )
                )
                if exists is None:
                    s.add(
                        ObservationLink(
                            scenario=scenario, observation=series, row=row, claim_id=c.id, link=how
                        )
                    )
                    written_obs.append({"observation": series, "row": row})
            for path in params:
                exists = s.scalar(
                    select(ParameterLink.id).where(
                        ParameterLink.scenario == scenario,
                        ParameterLink.path == path,
                        ParameterLink.claim_id == c.id,
                    )
                )
                if exists is None:
                    s.add(ParameterLink(scenario=scenario, path=path, claim_id=c.id, link=how))
                    written_params.append(path)
            if written_obs or written_params:
                append_audit(
                    s,
                    actor=who,
                    action="link",
                    claim_id=c.id,
                    source_id=c.source_id,
                    after={
                        "scenario": scenario,
                        "how": how,
                        "observations": written_obs,
                        "parameters": written_params,
                        "reasons": list(reasons),
                    },
                )
            return len(written_obs) + len(written_params)

        return self.write(work)

    def claim_observations(self, claim_id: int) -> list[tuple[str, str, str, str]]:
        """The observation rows a claim is linked to: (scenario, series, row, link)."""
        q = (
            select(
                ObservationLink.scenario,
                ObservationLink.observation,
                ObservationLink.row,
                ObservationLink.link,
            )
            .where(ObservationLink.claim_id == claim_id)
            .order_by(ObservationLink.scenario, ObservationLink.observation, ObservationLink.row)
        )
        with Session(self._engine) as s:
            return [(a, b, c, d) for a, b, c, d in s.execute(q)]

    def claim_parameters(self, claim_id: int) -> list[tuple[str, str, str]]:
        """The parameters a claim is linked to: (scenario, path, link)."""
        q = (
            select(ParameterLink.scenario, ParameterLink.path, ParameterLink.link)
            .where(ParameterLink.claim_id == claim_id)
            .order_by(ParameterLink.scenario, ParameterLink.path)
        )
        with Session(self._engine) as s:
            return [(a, b, c) for a, b, c in s.execute(q)]

    def observation_links(self, scenario: str) -> dict[tuple[str, str], list[LinkedClaim]]:
        """Every linked observation row ``(series id, row)`` of a scenario → its claims."""
        q = (
            select(
                ObservationLink.observation,
                ObservationLink.row,
                ObservationLink.link,
                Claim,
                Source,
            )
            .join(Claim, ObservationLink.claim_id == Claim.id)
            .join(Source, Claim.source_id == Source.id)
            .where(ObservationLink.scenario == scenario)
            .order_by(ObservationLink.observation, ObservationLink.row, Claim.id)
        )
        out: dict[tuple[str, str], list[LinkedClaim]] = {}
        with Session(self._engine) as s:
            for obs, row, link, c, src in s.execute(q):
                out.setdefault((obs, row), []).append(LinkedClaim(link, claim_record(c, src)))
        return out

    # ------------------------------------------------------------------ audit
    def audit(self, *, claim: str | int | None = None) -> list[AuditRecord]:
        """Audit entries in the order they were written (optionally of one claim)."""
        q = select(AuditEntry).order_by(AuditEntry.id)
        with Session(self._engine) as s:
            if claim is not None:
                q = q.where(AuditEntry.claim_id == self._find(s, claim).id)
            return [
                AuditRecord(
                    id=e.id,
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    claim_id=e.claim_id,
                    source_id=e.source_id,
                    before=e.before,
                    after=e.after,
                )
                for e in s.scalars(q)
            ]


def _natural(text: str) -> tuple[int, str, int, str]:
    """Sort key: S1, S2, …, S10, then longer prefixes (DS, NK600, MAP)."""
    head = text.rstrip("0123456789")
    tail = text[len(head) :]
    return (len(head), head, int(tail) if tail else -1, text)


def _migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, programmatically).

    The revision is read first without a lock; only when it is behind is the
    database's write lock taken (``BEGIN IMMEDIATE`` on SQLite, the writers'
    advisory lock on PostgreSQL) and the revision read again, so two
    processes opening a new database together migrate it once. Transient
    conflicts are tried again (see :mod:`crossings.evidence.db`).
    """
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    pause = FIRST_PAUSE
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with engine.connect() as conn:
                if MigrationContext.configure(conn).get_current_revision() == head:
                    return
                conn.rollback()
                conn.execution_options(crossings_write=True)
                with conn.begin():
                    if engine.dialect.name == "postgresql":
                        conn.execute(select(func.pg_advisory_xact_lock(PG_WRITE_LOCK)))
                    if MigrationContext.configure(conn).get_current_revision() == head:
                        return
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
            return
        except SQLAlchemyError as exc:
            if attempt == WRITE_ATTEMPTS or not is_transient(exc):
                raise
            log.info("evidence database busy while migrating (%s)", describe_error(exc))
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)


def open_store(db: str | Path | None = None, *, load_builtin: bool = True) -> EvidenceStore:
    """Open (creating and migrating as needed) an evidence store.

    Args:
        db: A SQLite file path, a ``sqlite:///`` or ``postgresql://`` URL, or
            ``None`` for ``evidence.sqlite`` in the user data folder
            (``$CROSSINGS_DATA_DIR`` overrides the folder).
        load_builtin: Load the built-in evidence if missing or outdated.

    Returns:
        The store.

    Raises:
        StoreError: The URL is malformed or unsupported, or the database cannot
            be reached or migrated.
    """
    url = database_url(db)
    if url.startswith("sqlite"):
        file = make_url(url).database
        if file and file != ":memory:":
            path = Path(file)
            if path.is_dir():
                raise StoreError(f"cannot use {path} as a database: it is a folder")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {path}: {exc}") from None
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database {_masked(url)!r}: {exc}") from None
    try:
        _migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open evidence database {_masked(url)!r}: {describe_error(exc)}"
        ) from None
    store = EvidenceStore(engine)
    if load_builtin:
        try:
            store.ensure_builtin()
        except BaseException:
            store.close()
            raise
    return store


__all__ = [
    "ENV_DATA_DIR",
    "EvidenceStore",
    "ReviewResult",
    "StoreError",
    "UnknownClaimError",
    "append_audit",
    "claim_record",
    "current_actor",
    "database_url",
    "default_data_dir",
    "open_store",
]
