"""Idempotency records: the first outcome of a submission, replayed when the key comes again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.base import Base, utcnow


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    # A key belongs to the caller who sent it and the operation it was sent to.
    __table_args__ = (UniqueConstraint("user_id", "operation", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the request's canonical form, to tell a retry from a different request.
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
