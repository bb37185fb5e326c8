"""`sameday demo --no-serve`: seeds a reproducible day, plans it, prints logins; reruns reuse it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from infra.db import make_engine, make_session_factory
from infra.models import Courier, Depot, Order, Plan, Shift, Vehicle
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

runner = CliRunner()


def count(url: str, model: type) -> int:
    engine = make_engine(make_settings(url))
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def test_the_demo_seeds_plans_and_reuses_its_day(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAMEDAY_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    args = ["demo", "--database-url", url, "--no-serve", "--time-limit", "2"]

    first = runner.invoke(app, args)

    assert first.exit_code == 0, first.output
    assert "Seeded 320 orders" in first.output
    assert "demo-dispatcher" in first.output
    assert "failed its inspection: out of service, not planned" in " ".join(first.output.split())
    assert "held (temperature_excursion)" in first.output
    assert "http://127.0.0.1:8000/dispatch" in first.output
    assert "http://127.0.0.1:8000/courier" in first.output
    assert count(url, Order) == 320
    assert (count(url, Depot), count(url, Vehicle), count(url, Courier)) == (2, 20, 20)
    assert count(url, Shift) == 20
    assert count(url, Plan) == 1

    second = runner.invoke(app, args)

    assert second.exit_code == 0, second.output
    assert "Reusing 320 orders" in second.output
    assert count(url, Order) == 320
    assert count(url, Plan) == 2
