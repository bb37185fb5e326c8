"""Idempotency keys: a retried submission gets the first outcome instead of a duplicate.

The record is written in the same transaction as the work, so a failed request leaves no
trace and may be retried with the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infra.models import IdempotencyRecord
from orders.errors import IdempotencyKeyInFlight, IdempotencyKeyReused


@dataclass(frozen=True, slots=True)
class Replay:
    """The first outcome, to be sent again as it was."""

    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Claim:
    """The key is ours: do the work, then `complete` the claim with its outcome."""

    record_id: int


def fingerprint(canonical_request: bytes) -> str:
    return hashlib.sha256(canonical_request).hexdigest()


def claim_key(
    session: Session, *, user_id: int, operation: str, key: str, request_hash: str
) -> Replay | Claim:
    """Raises IdempotencyKeyReused, IdempotencyKeyInFlight."""
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.operation == operation,
            IdempotencyRecord.key == key,
        )
    )
    if record is None:
        record = IdempotencyRecord(
            user_id=user_id, operation=operation, key=key, request_hash=request_hash
        )
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError as exc:
            # Another transaction inserted the same key and has committed meanwhile.
            raise IdempotencyKeyInFlight(
                f"idempotency key {key!r} is being used by a concurrent request; retry shortly",
                key=key,
            ) from exc
        return Claim(record.id)
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} was first used for a different {operation} request; "
            "use a new key for a new request",
            key=key,
        )
    if record.response_status is None:
        raise IdempotencyKeyInFlight(
            f"idempotency key {key!r} is being used by a request that has not finished", key=key
        )
    return Replay(record.response_status, record.response_body)


def complete_claim(session: Session, claim: Claim, *, status: int, body: Any) -> None:
    record = session.get_one(IdempotencyRecord, claim.record_id)
    record.response_status = status
    record.response_body = body
    session.flush()
