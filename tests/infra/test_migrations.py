"""The schema comes only from migrations, matches the models, and the app insists on it."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import DateTime, inspect

from api.app import create_app
from infra.db import make_engine
from infra.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    ensure_schema_current,
    head_revision,
    upgrade,
)
from infra.models import Base
from infra.models.base import UtcDateTime
from tests.conftest import make_settings


def test_migrations_upgrade_an_empty_database_and_alembic_check_finds_nothing(
    fresh_database_url,
):
    settings = make_settings(fresh_database_url())

    upgrade(settings)

    command.check(alembic_config(settings))  # raises when models and schema differ
    engine = make_engine(settings)
    try:
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_migrations_downgrade_to_nothing_and_upgrade_again(fresh_database_url):
    settings = make_settings(fresh_database_url())
    upgrade(settings)

    command.downgrade(alembic_config(settings), "base")
    engine = make_engine(settings)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(settings)
        ensure_schema_current(engine)
    finally:
        engine.dispose()


def test_the_app_refuses_to_start_on_an_empty_database_naming_the_fix(fresh_database_url):
    app = create_app(make_settings(fresh_database_url()))

    with pytest.raises(SchemaOutOfDate, match="run `sameday db upgrade`"), TestClient(app):
        pass


def test_the_app_refuses_to_start_on_an_older_revision(fresh_database_url):
    settings = make_settings(fresh_database_url())
    upgrade(settings)
    engine = make_engine(settings)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
        with pytest.raises(SchemaOutOfDate, match="is at revision older") as refused:
            ensure_schema_current(engine)
    finally:
        engine.dispose()
    assert "sameday db upgrade" in str(refused.value)


def test_tables_are_singular_snake_case_and_instants_end_in_at():
    for table in Base.metadata.tables.values():
        assert table.name == table.name.lower()
        assert not table.name.endswith("s") or table.name.endswith("ss"), table.name
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            assert not isinstance(column.type, DateTime), f"{where}: use UtcDateTime"
            assert isinstance(column.type, UtcDateTime) == column.name.endswith("_at"), where
