"""Storage: SQLAlchemy 2 models, Alembic migrations and small repositories, one brand at a time.

``storage.db.open_database(settings)`` gives an engine and a session factory with the schema
at the newest revision; the modules ``keys``, ``customers``, ``contacts``, ``drafts`` and
``brands`` hold the queries, each taking a ``Session`` and (except keys) a brand id.
"""

from storage.db import make_engine, open_database, session_factory, upgrade_to_head

__all__ = ["make_engine", "open_database", "session_factory", "upgrade_to_head"]
