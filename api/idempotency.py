"""The Idempotency-Key header: replay the first outcome of a retried submission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.auth import Actor
from orders import idempotency

REPLAY_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="Any unique string (a UUID is fine); a retry with the same key and body "
        "gets the first response instead of creating a duplicate",
    ),
]


def respond_once(
    session: Session,
    *,
    actor: Actor,
    operation: str,
    key: str | None,
    request: bytes,
    status: int,
    produce: Callable[[], BaseModel],
) -> JSONResponse:
    """Runs `produce` unless `key` was seen before for this caller and operation.

    Raises IdempotencyKeyReused, IdempotencyKeyInFlight, and whatever `produce` raises.
    """
    if key is None:
        return JSONResponse(produce().model_dump(mode="json"), status_code=status)
    claim = idempotency.claim_key(
        session,
        user_id=actor.user_id,
        operation=operation,
        key=key,
        request_hash=idempotency.fingerprint(request),
    )
    if isinstance(claim, idempotency.Replay):
        return JSONResponse(claim.body, status_code=claim.status, headers={REPLAY_HEADER: "true"})
    body = produce().model_dump(mode="json")
    idempotency.complete_claim(session, claim, status=status, body=body)
    return JSONResponse(body, status_code=status)
