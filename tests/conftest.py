"""Database fixtures: one migrated database per run, one rolled-back transaction per test.

The suite runs on a temporary SQLite file, or on PostgreSQL when SAMEDAY_DATABASE_URL names
one; there every run migrates a fresh schema of its own and drops it at the end. Under
pytest-xdist each worker process is such a run: its databases (files in its own temporary
directory, schemas of random names) are never another worker's.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.deps import get_geocoder, get_now, get_session
from infra.db import is_sqlite, make_engine, make_session_factory
from infra.migrate import upgrade
from infra.settings import Settings

ZONE = ZoneInfo("Europe/Berlin")
# A Tuesday morning, well before the 18:00 cut-off.
DEFAULT_NOW = datetime(2025, 3, 4, 9, 0, tzinfo=ZONE)


def make_settings(database_url: str, **sections: object) -> Settings:
    """Settings for tests: explicit values, a fresh signing key, no .env file."""
    values: dict[str, object] = {
        "environment": "test",
        "database": {"url": database_url},
        "security": {"secret_key": secrets.token_urlsafe(32)},
        "operation": {
            "timezone": "Europe/Berlin",
            "cutoff": "18:00",
            "operating_weekdays": [1, 2, 3, 4, 5, 6],
        },
        "geocoder": {"provider": None},
        # Tests that run plan jobs start a runner of their own on a committed database.
        "planning": {"run_jobs_in_process": False, "solver_time_limit_s": 2},
        # Tests that send notifications run a sender of their own.
        "notifications": {"send_in_process": False},
        "map": {"tile_url": ""},
        # Keys, channels and queues of its own when SAMEDAY_REDIS_URL names a Redis.
        "redis_namespace": f"sameday-test-{secrets.token_hex(6)}",
    }
    values.update(sections)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--alone",
        choices=("include", "skip", "only"),
        default="include",
        help="tests marked `alone`: run them with the others (include, the default), leave "
        "them out (skip: scripts/check's parallel run) or run only them (only: its run after)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mode = config.getoption("--alone")
    if mode == "include":
        return
    wanted = mode == "only"
    kept = [item for item in items if (item.get_closest_marker("alone") is not None) == wanted]
    left_out = [item for item in items if (item.get_closest_marker("alone") is not None) != wanted]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def postgres_url() -> str | None:
    configured = os.environ.get("SAMEDAY_DATABASE_URL")
    if configured and not is_sqlite(configured):
        return configured
    return None


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """A factory of empty databases: SQLite files, or new PostgreSQL schemas dropped at the end."""
    created: list[str] = []
    server = postgres_url()
    admin: Engine | None = create_engine(server) if server else None

    def fresh() -> str:
        if server is None or admin is None:
            directory = tmp_path_factory.mktemp("db")
            return f"sqlite:///{directory / 'sameday-test.sqlite3'}"
        schema = f"sameday_test_{secrets.token_hex(6)}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield fresh
    if admin is not None:
        # One transaction per schema: dropping them all at once takes a lock per table of every
        # schema and overflows PostgreSQL's shared lock table (max_locks_per_transaction).
        for schema in created:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def settings(fresh_database_url: Callable[[], str]) -> Settings:
    return make_settings(fresh_database_url())


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The suite's database, created by running the migrations once."""
    upgrade(settings)
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A Session inside an outer transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@dataclass
class Clock:
    now: datetime = DEFAULT_NOW


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, session: Session, clock: Clock) -> FastAPI:
    app = create_app(settings)

    def use_test_session() -> Iterator[Session]:
        # Data the test set up is kept; the request gets a savepoint of its own, as in production
        # it gets a transaction: released when it succeeds, rolled back when it fails.
        if session.in_transaction():
            session.commit()
        with session.begin():
            yield session

    app.dependency_overrides[get_session] = use_test_session
    app.dependency_overrides[get_now] = lambda: clock.now
    app.dependency_overrides[get_geocoder] = lambda: None
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@dataclass
class CommittedDatabase:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def committed_db(fresh_database_url: Callable[[], str]) -> Iterator[CommittedDatabase]:
    """A migrated database of the test module's own, where data is really committed.

    For code that owns its transactions (the plan job runner); tests sharing it keep apart by
    using days and depots of their own.
    """
    settings = make_settings(fresh_database_url())
    upgrade(settings)
    engine = make_engine(settings)
    yield CommittedDatabase(settings, engine, make_session_factory(engine))
    engine.dispose()
