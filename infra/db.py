"""Engines and sessions: built from Settings by the entry points, never at import time."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Executable

from infra.settings import Settings

SQLITE_BUSY_TIMEOUT_S = 30.0
_SQLITE_READ_ONLY = "sameday_sqlite_read_only"
# Execution options for a connection or session that only reads: on SQLite its transactions
# do not take the write lock (elsewhere they change nothing).
READ_ONLY: dict[str, Any] = {_SQLITE_READ_ONLY: True}
# A pooled connection idle longer than this is asked whether the server is still there.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "sameday_idle_since"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(settings: Settings, *, foreign_keys: bool = True) -> Engine:
    """An engine for the configured database.

    On SQLite, `foreign_keys=False` leaves foreign-key enforcement off, as Alembic's batch mode
    needs while it copies tables; the application always runs with it on.
    """
    database = settings.database
    pool: dict[str, Any] = {
        "pool_size": database.pool_size,
        "max_overflow": database.max_overflow,
        "pool_timeout": database.pool_timeout_s,
    }
    url = database.url
    if not is_sqlite(url):
        server = create_engine(url, echo=database.echo, **pool)
        ping_after_idle(server)
        return server
    if make_url(url).database in (None, "", ":memory:"):
        # An in-memory database lives in one connection: SQLAlchemy keeps it in a pool of one.
        pool = {}
    engine = create_engine(
        url,
        echo=database.echo,
        **pool,
        # Requests run in a thread pool; each connection is used by one thread at a time. A
        # writer waits this long (seconds) for another to commit before giving up.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )
    _apply_sqlite_fixes(engine, foreign_keys=foreign_keys)
    return engine


def _apply_sqlite_fixes(engine: Engine, *, foreign_keys: bool) -> None:
    # pysqlite begins transactions lazily and on its own, which breaks SAVEPOINT and makes
    # nested transactions unreliable. As the SQLAlchemy SQLite docs recommend, switch the
    # driver's transaction handling off and emit BEGIN ourselves.
    #
    # Write-ahead logging lets readers go on while one connection writes (the live pages read
    # while couriers report). Transactions take the write lock when they begin (IMMEDIATE):
    # one that read first and wrote later could otherwise find that another connection wrote
    # meanwhile, which SQLite answers at once with "database is locked", however long the busy
    # timeout. Writers queue for the lock instead; connections that only read opt out with
    # the READ_ONLY execution options.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_SQLITE_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def ping_after_idle(engine: Engine, *, idle_s: float = PING_AFTER_IDLE_S) -> None:
    """Before a connection is handed out, asks the server whether it is still there, unless it
    was given back less than `idle_s` ago (or just opened): SQLAlchemy's `pool_pre_ping` asks
    every time, a round trip that was one in four of a tracking read's. A connection in use a
    moment ago is still there but for a kill or a network fault in that moment, which the
    request then meets as an error, and which makes the pool open fresh connections. After a
    server restart every connection has been idle as long as the server was down.

    A connection that does not answer is replaced at once (the pool retries the checkout)."""

    def _idle_from_now(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    # A connection just opened is there as surely as one just given back.
    event.listen(engine, "connect", _idle_from_now)
    event.listen(engine, "checkin", _idle_from_now)

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since < idle_s:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc
            raise


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_unless_present(
    session: Session, model: type[DeclarativeBase], values: Mapping[str, Any]
) -> bool:
    """Inserts one row unless a row with the same unique key is there (stored meanwhile by a
    concurrent request, say); whether it did. One statement, where an ORM add in a savepoint
    that catches the IntegrityError takes three round trips."""
    statement = _insert_unless_present(session.get_bind().dialect.name, model)
    return session.execute(statement, dict(values)).first() is not None


@functools.cache
def _insert_unless_present(dialect: str, model: type[DeclarativeBase]) -> Executable:
    """Built once per table, its values bound at execution: the hot path of every ping, where
    building it anew cost more than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The table's own insert, not the ORM's bulk path, which costs more than the round trip.
    table = cast(Table, model.__table__)
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key)


def add_session_info(sessions: sessionmaker[Session], key: str, value: object) -> None:
    """Puts `value` in the `info` of every session `sessions` makes from now on, beside what
    others put there: `configure(info=...)` alone replaces the whole dict."""
    sessions.configure(info={**sessions.kw.get("info", {}), key: value})


def ping(session: Session) -> None:
    """Raises if the database does not answer a trivial query."""
    session.execute(text("SELECT 1"))


def read_only_session(sessions: sessionmaker[Session]) -> Session:
    """A session from `sessions` for reading only (see READ_ONLY); use it as a context manager."""
    session = sessions()
    session.connection(execution_options=READ_ONLY)
    return session
