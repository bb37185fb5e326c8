"""Settings: SAMEDAY_ variables with nested sections, and the secret key policy."""

from __future__ import annotations

import os
from datetime import time

import pytest
from pydantic import ValidationError

from infra.settings import Environment, Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in [n for n in os.environ if n.startswith("SAMEDAY_")]:
        monkeypatch.delenv(name)


def test_defaults_run_the_embedded_mode():
    settings = Settings()

    assert settings.database.url.startswith("sqlite:///")
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.operation.cutoff == time(18)


def test_sections_are_read_from_sameday_variables(monkeypatch):
    monkeypatch.setenv("SAMEDAY_DATABASE_URL", "postgresql+psycopg://db/sameday")
    monkeypatch.setenv("SAMEDAY_OPERATION_CUTOFF", "16:30")
    monkeypatch.setenv("SAMEDAY_OPERATION_TIMEZONE", "Europe/Tallinn")
    monkeypatch.setenv("SAMEDAY_PLANNING_SOLVER_TIME_LIMIT_S", "30")
    monkeypatch.setenv("SAMEDAY_GEOCODER_PROVIDER", "nominatim")
    monkeypatch.setenv("SAMEDAY_SECURITY_SECRET_KEY", "k" * 40)

    settings = Settings()

    assert settings.database.url == "postgresql+psycopg://db/sameday"
    assert settings.operation.cutoff == time(16, 30)
    assert settings.operation.timezone == "Europe/Tallinn"
    assert settings.planning.solver_time_limit_s == 30
    assert settings.geocoder.provider == "nominatim"
    assert settings.secret_key == "k" * 40
    assert not settings.secret_key_generated


def test_a_dot_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("SAMEDAY_OPERATION_CUTOFF=15:00\n")

    assert Settings().operation.cutoff == time(15)


def test_development_makes_up_a_key_and_says_so():
    settings = Settings()

    assert settings.secret_key_generated
    assert len(settings.secret_key) >= 32
    assert settings.secret_key not in repr(settings)


def test_production_requires_a_secret_key(monkeypatch):
    monkeypatch.setenv("SAMEDAY_ENVIRONMENT", "production")

    with pytest.raises(ValidationError, match="SAMEDAY_SECURITY_SECRET_KEY must be set"):
        Settings()


def test_a_short_secret_key_is_refused():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(security={"secret_key": "short"})


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(operation={"timezone": "Mars/Olympus"})


def test_plan_jobs_on_celery_need_a_redis_broker(monkeypatch):
    monkeypatch.setenv("SAMEDAY_PLANNING_EXECUTOR", "celery")

    with pytest.raises(ValidationError, match="SAMEDAY_REDIS_URL"):
        Settings()
    monkeypatch.setenv("SAMEDAY_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Settings().planning.executor == "celery"
