"""The evidence base: sources, claims and the scenario parameters they support.

Modules:

* :mod:`crossings.evidence.store`: ``open_store()`` and the store API
  (SQLite or PostgreSQL, Alembic migrations shipped in the package).
* :mod:`crossings.evidence.db`: the database under the store (engines set up
  for concurrent writers, write transactions tried again after conflicts,
  the audit log's writer), shared by the store and the built-in evidence.
* :mod:`crossings.evidence.builtin`: the built-in evidence (data in
  ``data/``: the North Korea scenario's) and the links from a scenario's
  parameters to claims.
* :mod:`crossings.evidence.ingest`: adding documents (text, markdown, HTML).
* :mod:`crossings.evidence.conflicts`: claims about the same quantity that
  disagree.
* :mod:`crossings.evidence.redact`: the one place evidence becomes output,
  with confidential sources redacted.
* :mod:`crossings.evidence.extract`: claim extraction from text.

Importing this package has no side effects; nothing is opened until
``open_store()`` is called.
"""
