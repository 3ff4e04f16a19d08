"""The evidence base: sources, claims and the scenario parameters they support.

Modules:

* :mod:`crossings.evidence.store`: ``open_store()`` and the store API
  (SQLite or PostgreSQL, Alembic migrations shipped in the package).
* :mod:`crossings.evidence.builtin`: the built-in evidence behind the North
  Korea scenario and the links from its parameters to claims.
* :mod:`crossings.evidence.ingest`: adding documents (text, markdown, HTML).
* :mod:`crossings.evidence.conflicts`: claims about the same quantity that
  disagree.
* :mod:`crossings.evidence.redact`: the one place evidence becomes output,
  with confidential sources redacted.
* :mod:`crossings.evidence.extract`: claim extraction from text.

Importing this package has no side effects; nothing is opened until
``open_store()`` is called.
"""
