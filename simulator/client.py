"""The simulator's HTTP side: one signed-in user per client, problems turned into errors."""

from __future__ import annotations

import time
from typing import Any

import httpx

# Tries of one request that the server failed (5xx), and the pause before the next one grows
# by this each time: an embedded SQLite server refuses a write now and then while its
# background threads (plan jobs, notifications) write.
ATTEMPTS = 8
RETRY_PAUSE_S = 0.25


class SimulationError(RuntimeError):
    """The simulation cannot go on; the message says why and what to do."""


class ApiError(SimulationError):
    def __init__(self, response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        self.status = response.status_code
        self.code = str(body.get("code", "")) if isinstance(body, dict) else ""
        detail = body.get("detail") if isinstance(body, dict) else None
        super().__init__(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {detail or response.text[:200]}"
        )


class ApiClient:
    """A user of the API. Signs in again when the token expired (simulated hours pass);
    without a username, someone who never signs in (a customer with a tracking code)."""

    def __init__(self, http: httpx.Client, username: str | None, password: str = "") -> None:
        self._http = http
        self.username = username
        self._password = password
        self._token: str | None = None
        self.retries = 0

    def _sign_in(self) -> None:
        response = self._http.post(
            "/auth/token", data={"username": self.username, "password": self._password}
        )
        if response.status_code != 200:
            raise SimulationError(
                f"cannot sign in as {self.username!r} ({response.status_code}); is this the "
                "demo database (`sameday demo --settable-clock`)?"
            )
        self._token = str(response.json()["access_token"])

    def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any
    ) -> httpx.Response:
        """The response when its status is in `ok`, else ApiError."""
        extra_headers = kwargs.pop("headers", {})
        for attempt in range(ATTEMPTS):
            headers = dict(extra_headers)
            if self.username is not None:
                if self._token is None:
                    self._sign_in()
                headers["Authorization"] = f"Bearer {self._token}"
            response = self._http.request(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 0 and self.username is not None:
                self._token = None
                continue
            if response.status_code >= 500 and attempt < ATTEMPTS - 1:
                # As a phone app does: every write the simulator sends is idempotent (client
                # event ids, Idempotency-Key, pings kept once), so resending is safe.
                self.retries += 1
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
                continue
            break
        if response.status_code not in ok:
            raise ApiError(response)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()
