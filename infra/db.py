"""Engines and sessions: built from Settings by the entry points, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from infra.settings import Settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(settings: Settings, *, foreign_keys: bool = True) -> Engine:
    """An engine for the configured database.

    On SQLite, `foreign_keys=False` leaves foreign-key enforcement off, as Alembic's batch mode
    needs while it copies tables; the application always runs with it on.
    """
    url = settings.database.url
    if not is_sqlite(url):
        return create_engine(url, echo=settings.database.echo, pool_pre_ping=True)
    engine = create_engine(
        url,
        echo=settings.database.echo,
        # Requests run in a thread pool; each connection is used by one thread at a time.
        connect_args={"check_same_thread": False},
    )
    _apply_sqlite_fixes(engine, foreign_keys=foreign_keys)
    return engine


def _apply_sqlite_fixes(engine: Engine, *, foreign_keys: bool) -> None:
    # pysqlite begins transactions lazily and on its own, which breaks SAVEPOINT and makes
    # nested transactions unreliable. As the SQLAlchemy SQLite docs recommend, switch the
    # driver's transaction handling off and emit BEGIN ourselves.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(session: Session) -> None:
    """Raises if the database does not answer a trivial query."""
    session.execute(text("SELECT 1"))
