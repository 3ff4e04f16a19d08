"""The database under the evidence store: engine, write transactions, bookkeeping, audit log.

:class:`Database` is what the store (:mod:`crossings.evidence.store`) and the
built-in evidence (:mod:`crossings.evidence.builtin`, which the store loads)
both build on; it lives here so that neither has to import the other.

Writers may run at the same time (two ``crossings evidence add`` into one
SQLite file, or into one PostgreSQL database):

* SQLite runs in WAL mode (readers never wait for a writer) with a busy
  timeout, and every write transaction starts with ``BEGIN IMMEDIATE``: it
  takes the write lock before it reads anything, so a transaction never has
  to upgrade a read lock (which fails at once with "database is locked"
  instead of waiting).
* On PostgreSQL every write transaction first takes one transaction-level
  advisory lock, so writers are serialised the same way.
* :meth:`Database.write` runs a unit of work in such a transaction and runs
  it again, after a growing pause, when the database reports a transient
  conflict (locked, busy, serialisation failure, deadlock).

Engines are created with ``hide_parameters=True``: an error's text never
carries the values of a statement (a confidential source's title, say).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session

from crossings.evidence.models import AuditEntry, Meta
from crossings.evidence.redact import describe_error

log = logging.getLogger(__name__)

T = TypeVar("T")

#: SQLite waits this long (milliseconds) for another connection's lock.
BUSY_TIMEOUT_MS = 10_000
#: How often a write transaction is tried in all before its error is raised.
WRITE_ATTEMPTS = 8
#: The first pause between two tries (seconds); it doubles, up to :data:`MAX_PAUSE`.
FIRST_PAUSE = 0.05
MAX_PAUSE = 2.0
#: The PostgreSQL advisory lock that serialises writers of the evidence base.
PG_WRITE_LOCK = 0x43524F53  # "CROS"
_WRITE_OPTION = "crossings_write"
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_TRANSIENT_SQLITE = ("database is locked", "database table is locked", "database is busy")


def current_actor() -> str:
    """Who is making a change: ``$CROSSINGS_ACTOR``, else the login name."""
    env = os.environ.get("CROSSINGS_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    """Per connection: our own transaction control, foreign keys, busy timeout, WAL."""
    dbapi_conn.isolation_level = None  # BEGIN is emitted by _sqlite_begin
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:  # read-only folder, or a locked new file
            log.debug("SQLite WAL mode not set: %s", exc)
    finally:
        cur.close()


def _sqlite_begin(conn: Any) -> None:
    """``BEGIN IMMEDIATE`` for write transactions, a deferred ``BEGIN`` for reads."""
    write = bool(conn.get_execution_options().get(_WRITE_OPTION))
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for a database URL, set up for concurrent writers (see the module docstring).

    Raises:
        sqlalchemy.exc.ArgumentError: For a malformed URL.
        ImportError: When the URL's driver is not installed.
    """
    engine = create_engine(url, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is a conflict that goes away when the work is tried again."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return any(t in text for t in _TRANSIENT_SQLITE)
    return False


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    claim_id: int | None = None,
    source_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry (the only way entries are written)."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            claim_id=claim_id,
            source_id=source_id,
            before=before,
            after=after,
        )
    )


def insert_or_skip(session: Session, model: type[DeclarativeBase], values: dict[str, Any]) -> bool:
    """Insert a row unless it would break a unique constraint (``ON CONFLICT DO NOTHING``).

    The duplicate check and the insert are one statement, so two writers
    adding the same row cannot both add it.

    Returns:
        Whether the row was inserted.
    """
    table: Any = model.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: with psycopg the rowcount of this statement is -1
    return session.execute(stmt.returning(*table.primary_key.columns)).first() is not None


class Database:
    """An engine with read sessions, serialised write transactions and bookkeeping values."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and migrations)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Release the connection pool."""
        self._engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error.

        It holds the database's write lock from its start (``BEGIN IMMEDIATE``
        on SQLite, an advisory lock on PostgreSQL), waiting for another
        writer up to the busy timeout. Prefer :meth:`write`, which also tries
        again after a transient conflict.
        """
        with self._engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                if self.dialect == "postgresql":
                    session.execute(select(func.pg_advisory_xact_lock(PG_WRITE_LOCK)))
                else:
                    session.connection()  # BEGIN IMMEDIATE now, not at the first statement
                yield session

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a write transaction, again after transient conflicts.

        ``work`` may run more than once (each time in a new transaction, the
        earlier one rolled back), so it must not have effects outside the
        session.

        Args:
            work: Reads and writes through the session; its result is returned.

        Returns:
            What ``work`` returned.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: A lasting error, or a transient one
                still there after :data:`WRITE_ATTEMPTS` tries.
        """
        pause = FIRST_PAUSE
        attempt = 1
        while True:
            try:
                with self.transaction() as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt >= WRITE_ATTEMPTS or not is_transient(exc):
                    raise
                log.info(
                    "evidence database busy (%s): trying again in %.2f s (try %d of %d)",
                    describe_error(exc),
                    pause,
                    attempt + 1,
                    WRITE_ATTEMPTS,
                )
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
            attempt += 1

    def get_meta(self, key: str) -> str | None:
        """A bookkeeping value, or ``None``."""
        with Session(self._engine) as s:
            return get_meta(s, key)

    @staticmethod
    def set_meta(session: Session, key: str, value: str) -> None:
        """Set a bookkeeping value inside a transaction."""
        set_meta(session, key, value)


def get_meta(session: Session, key: str) -> str | None:
    """A bookkeeping value read in a session, or ``None``."""
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    """Set a bookkeeping value inside a transaction."""
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


__all__ = [
    "Database",
    "append_audit",
    "current_actor",
    "get_meta",
    "insert_or_skip",
    "is_transient",
    "make_engine",
    "set_meta",
]
