"""Running the Alembic migrations and telling whether a database is at the code's revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from infra.db import READ_ONLY
from infra.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "sameday db upgrade"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the revision this code expects; the message says how to fix it."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        at = "has no schema yet" if current is None else f"is at revision {current}"
        super().__init__(
            f"the database {at}, but this version of sameday needs revision {head}: "
            f"run `{UPGRADE_COMMAND}` to migrate it"
        )


def alembic_config(settings: Settings) -> Config:
    """A Config that finds the migrations wherever the package is installed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect().execution_options(**READ_ONLY) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema_current(engine: Engine) -> None:
    """Raises SchemaOutOfDate unless the database is at the head revision."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(current, head)
