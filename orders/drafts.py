"""What an order submission says, after parsing and before it is checked and stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from infra.models import OrderKind


@dataclass(frozen=True, slots=True)
class WindowDraft:
    """Local wall-clock times on the order's service date."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ParcelDraft:
    weight_g: int
    volume_cm3: int
    count: int


@dataclass(frozen=True, slots=True)
class LineDraft:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderDraft:
    recipient_name: str
    parcels: tuple[ParcelDraft, ...]
    kind: OrderKind = OrderKind.DELIVERY
    recipient_phone: str | None = None
    recipient_email: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    lines: tuple[LineDraft, ...] = ()
    windows: tuple[WindowDraft, ...] = ()
    service_s: int = 300
    priority: int = 0
    handling: tuple[str, ...] = ()
    reference: str | None = None
    notes: str | None = None
    depot_id: int | None = None


@dataclass(frozen=True, slots=True)
class OrderChanges:
    """A partial edit: None leaves a field as it is."""

    recipient_name: str | None = None
    recipient_phone: str | None = None
    recipient_email: str | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    windows: tuple[WindowDraft, ...] | None = None
    service_s: int | None = None
    priority: int | None = None
    handling: tuple[str, ...] | None = None
    notes: str | None = None
