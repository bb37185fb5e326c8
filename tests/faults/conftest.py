"""Fixtures of the fault tests: a PostgreSQL server of their own to restart and crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.private_postgres import PrivatePostgres, private_postgres, server_binaries


@pytest.fixture(scope="module")
def private_postgres_server() -> Iterator[PrivatePostgres]:
    """A started PostgreSQL server of the test module's own (never the shared one)."""
    bindir = server_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed")
    with private_postgres(bindir) as server:
        yield server
