"""User accounts: dispatchers, couriers and admins who sign in (customers use tracking codes)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.base import Base, str_enum, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    COURIER = "courier"


class User(Base):
    # "user" is reserved in PostgreSQL.
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Tokens issued before this instant are refused (revoked, e.g. for a lost phone).
    tokens_revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # A dispatcher's depot: they see and change only its objects. None: not scoped (admins,
    # a head dispatcher). RESTRICT: closing a depot that still has dispatchers is refused
    # rather than silently widening what they see to every depot.
    depot_id: Mapped[int | None] = mapped_column(
        ForeignKey("depot.id", ondelete="RESTRICT"), index=True, default=None
    )
