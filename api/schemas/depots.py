"""Depots."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import Address, Code, Lat, Lng, Name, RequestModel, ResponseModel


class DepotIn(RequestModel):
    code: Code
    name: Name
    lat: Lat
    lng: Lng
    address: Address | None = None


class DepotOut(ResponseModel):
    id: int
    code: str
    name: str
    lat: float
    lng: float
    address: str | None
    created_at: datetime
