"""Alembic environment of the evidence store.

The store runs the migrations programmatically
(:func:`crossings.evidence.store.open_store`), passing an open connection in
``config.attributes["connection"]``; no ``alembic.ini`` is needed. Run by
hand, ``sqlalchemy.url`` of the Alembic config is used instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from crossings.evidence.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run the migrations on the given connection or on ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url in the Alembic config")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations()
