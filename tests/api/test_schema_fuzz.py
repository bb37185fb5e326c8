"""Schemathesis against the OpenAPI schema, once per role: no input gives a 5xx, and every
refusal is a problem+json with a stable code."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from infra.models import Role, User
from tests.factories import auth_headers, make_courier, make_user

# Examples per operation and role: the whole module stays within a couple of minutes.
MAX_EXAMPLES = 5
# A server-sent event stream stays open until its client leaves (tested on its own).
EXCLUDED_PATHS = ["/live/events"]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path=EXCLUDED_PATHS)


def _headers(session, settings, role: Role) -> dict[str, str]:
    if role is Role.COURIER:
        return auth_headers(settings, session.get_one(User, make_courier(session).user_id))
    return auth_headers(settings, make_user(session, role=role))


FUZZ_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _check(case, session, settings, role: Role) -> None:
    response = case.call(headers=_headers(session, settings, role))

    what = (case.method, case.formatted_path, response.status_code, response.content[:300])
    assert response.status_code < 500, what
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/problem+json"], what
        assert response.json()["code"], what


# One test per role (a lazily loaded schema takes no parametrized fixture).
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_input_gives_a_server_error_to_an_admin(case, session, settings):
    _check(case, session, settings, Role.ADMIN)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_input_gives_a_server_error_to_a_dispatcher(case, session, settings):
    _check(case, session, settings, Role.DISPATCHER)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_input_gives_a_server_error_to_a_courier(case, session, settings):
    _check(case, session, settings, Role.COURIER)
