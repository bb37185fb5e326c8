"""A committed database for code that owns its transactions (the plan job runner, the demo)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from infra.db import make_engine, make_session_factory
from infra.migrate import upgrade
from infra.settings import Settings
from tests.conftest import make_settings


@dataclass
class CommittedDatabase:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def committed_db(fresh_database_url: Callable[[], str]) -> Iterator[CommittedDatabase]:
    """A migrated database of this module's own, where data is really committed.

    Tests sharing it keep apart by using days and depots of their own.
    """
    settings = make_settings(fresh_database_url())
    upgrade(settings)
    engine = make_engine(settings)
    yield CommittedDatabase(settings, engine, make_session_factory(engine))
    engine.dispose()
