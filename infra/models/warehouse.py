"""Warehouse: depots (stock batches, storage readings and holds come later)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from infra.models.base import Base, utcnow


class Depot(Base):
    __tablename__ = "depot"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float]
    lng: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
