"""Order use cases on a Session: take in single and bulk orders, amend, cancel, look up."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import FieldProblem
from infra.geocoding import Geocoder, GeoPoint
from infra.models import (
    Depot,
    LocationSource,
    Order,
    OrderLine,
    OrderStatus,
    OrderWindow,
    Parcel,
)
from infra.settings import OperationSettings
from orders import rules, timeline
from orders.csv_intake import read_orders_csv
from orders.cutoff import ServiceDay, service_day_for
from orders.drafts import OrderChanges, OrderDraft, WindowDraft
from orders.errors import (
    AddressNotFound,
    CoordinatesRequired,
    InvalidOrder,
    InvalidOrderRows,
    OrderNotEditable,
    OrderNotFound,
)

# Before these, an order's details may still change; afterwards the courier has it.
EDITABLE = frozenset({OrderStatus.RECEIVED, OrderStatus.PLANNABLE, OrderStatus.HELD})
CANCELLABLE = EDITABLE | {OrderStatus.PLANNED}
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Intake:
    order: Order
    service_day: ServiceDay


@dataclass(frozen=True, slots=True)
class FileIntake:
    service_day: ServiceDay
    # (CSV row number, order) in file order.
    orders: list[tuple[int, Order]]


class _LocationMissing(Exception):
    """Internal: why no coordinates could be had, before it becomes a single or a row error."""

    def __init__(self, kind: type[CoordinatesRequired | AddressNotFound], reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# 128 random bits (at least 80 are needed to make guessing hopeless, throttled or not).
TRACKING_CODE_BYTES = 16


def new_tracking_code() -> str:
    """22 base64url characters that carry TRACKING_CODE_BYTES bytes from `secrets`: short
    enough for a URL or an SMS."""
    return secrets.token_urlsafe(TRACKING_CODE_BYTES)


def _locate(
    lat: float | None, lng: float | None, address: str | None, geocoder: Geocoder | None
) -> tuple[GeoPoint, LocationSource]:
    """Raises _LocationMissing, GeocoderUnavailable."""
    if lat is not None and lng is not None:
        return GeoPoint(lat, lng), LocationSource.GIVEN
    if geocoder is None:
        raise _LocationMissing(
            CoordinatesRequired,
            "coordinates (lat and lng) are required: no geocoder is configured "
            "to look up the address",
        )
    assert address is not None  # rules.location_problems guarantees one or the other
    point = geocoder.locate(address)
    if point is None:
        raise _LocationMissing(
            AddressNotFound, "the geocoder found no place for this address; send coordinates"
        )
    return point, LocationSource.GEOCODED


def _window_rows(
    windows: Iterable[WindowDraft], service_date: date, zone: ZoneInfo
) -> list[OrderWindow]:
    return [
        OrderWindow(
            starts_at=datetime.combine(service_date, w.start, tzinfo=zone).astimezone(UTC),
            ends_at=datetime.combine(service_date, w.end, tzinfo=zone).astimezone(UTC),
        )
        for w in windows
    ]


def _timing_problems(
    windows: Sequence[WindowDraft], day: ServiceDay, operation: OperationSettings, now: datetime
) -> list[FieldProblem]:
    if rules.all_windows_over(windows, service_date=day.service_date, zone=operation.zone, now=now):
        return [FieldProblem("windows", f"every window on {day.service_date} has already ended")]
    return []


def _in_depot(draft: OrderDraft, depot_id: int) -> OrderDraft:
    return draft if draft.depot_id is not None else dataclasses.replace(draft, depot_id=depot_id)


def _missing_depots(session: Session, depot_ids: Iterable[int | None]) -> set[int]:
    wanted = {depot_id for depot_id in depot_ids if depot_id is not None}
    if not wanted:
        return set()
    found = set(session.scalars(select(Depot.id).where(Depot.id.in_(wanted))))
    return wanted - found


def _new_order(
    draft: OrderDraft,
    *,
    point: GeoPoint,
    source: LocationSource,
    day: ServiceDay,
    received_at: datetime,
    zone: ZoneInfo,
    by_user_id: int | None,
) -> Order:
    return Order(
        tracking_code=new_tracking_code(),
        reference=draft.reference,
        kind=draft.kind,
        status=OrderStatus.PLANNABLE,
        service_date=day.service_date,
        received_at=received_at,
        depot_id=draft.depot_id,
        recipient_name=draft.recipient_name,
        recipient_phone=draft.recipient_phone,
        recipient_email=draft.recipient_email,
        address=draft.address,
        lat=point.lat,
        lng=point.lng,
        location_source=source,
        service_s=draft.service_s,
        priority=draft.priority,
        handling=list(draft.handling),
        notes=draft.notes,
        created_by_id=by_user_id,
        parcels=[
            Parcel(weight_g=p.weight_g, volume_cm3=p.volume_cm3, count=p.count)
            for p in draft.parcels
        ],
        lines=[
            OrderLine(line_no=n, sku=line.sku, quantity=line.quantity)
            for n, line in enumerate(draft.lines, start=1)
        ],
        windows=_window_rows(draft.windows, day.service_date, zone),
    )


def _service_day(received_at: datetime, operation: OperationSettings) -> ServiceDay:
    return service_day_for(
        received_at,
        cutoff=operation.cutoff,
        zone=operation.zone,
        operating_weekdays=operation.operating_weekdays,
    )


def take_order(
    session: Session,
    draft: OrderDraft,
    *,
    received_at: datetime,
    operation: OperationSettings,
    geocoder: Geocoder | None,
    by_user_id: int | None = None,
    service_date: date | None = None,
) -> Intake:
    """Takes one order in, for today or (after the cut-off) the next operating day, or for the
    later `service_date` the customer chose (a booked delivery slot).

    Raises InvalidOrder, CoordinatesRequired, AddressNotFound, GeocoderUnavailable.
    """
    label = f"order {draft.reference!r}" if draft.reference else "the order"
    day = _service_day(received_at, operation)
    if service_date is not None and service_date > day.service_date:
        day = dataclasses.replace(day, service_date=service_date)
    problems = rules.draft_problems(draft)
    problems += _timing_problems(draft.windows, day, operation, received_at)
    if _missing_depots(session, [draft.depot_id]):
        problems.append(FieldProblem("depot_id", f"depot {draft.depot_id} does not exist"))
    if problems:
        raise InvalidOrder(f"{label} breaks {len(problems)} intake rule(s)", problems)
    try:
        point, source = _locate(draft.lat, draft.lng, draft.address, geocoder)
    except _LocationMissing as missing:
        field = "lat" if missing.kind is CoordinatesRequired else "address"
        raise missing.kind(
            f"{label}: {missing.reason}", [FieldProblem(field, missing.reason)]
        ) from None
    order = _new_order(
        draft,
        point=point,
        source=source,
        day=day,
        received_at=received_at,
        zone=operation.zone,
        by_user_id=by_user_id,
    )
    session.add(order)
    session.flush()
    _record_intake(session, order, by_user_id)
    return Intake(order, day)


_LOCATION_COLUMNS = frozenset({"lat", "lng", "address"})


def _csv_column(field: str) -> str:
    """The CSV column a rule's field path points at."""
    name = field.split("[", 1)[0]
    return "weight_kg" if name == "parcels" else name


def take_order_file(
    session: Session,
    data: bytes,
    *,
    received_at: datetime,
    operation: OperationSettings,
    geocoder: Geocoder | None,
    by_user_id: int | None = None,
    only_depot_id: int | None = None,
) -> FileIntake:
    """Takes in every order of a CSV file, or none: any bad row refuses the whole file.

    With `only_depot_id` (a depot-scoped dispatcher's depot) rows without a depot are that
    depot's, and a row naming another depot is refused as if that depot did not exist.

    Raises InvalidCsv, InvalidOrderRows (listing every bad row), GeocoderUnavailable.
    """
    parsed = read_orders_csv(data)
    problems = list(parsed.problems)
    day = _service_day(received_at, operation)
    drafts = parsed.drafts
    if only_depot_id is not None:
        drafts = [(row, _in_depot(draft, only_depot_id)) for row, draft in drafts]
    missing_depots = _missing_depots(session, (d.depot_id for _, d in drafts))
    if only_depot_id is not None:
        missing_depots |= {d.depot_id for _, d in drafts if d.depot_id not in (None, only_depot_id)}
    accepted: list[tuple[int, Order]] = []
    for row, draft in drafts:
        row_problems = rules.draft_problems(draft)
        row_problems += _timing_problems(draft.windows, day, operation, received_at)
        if draft.depot_id in missing_depots:
            row_problems.append(FieldProblem("depot_id", f"depot {draft.depot_id} does not exist"))
        # A cell that did not parse is reported once, not again by the rules it then fails.
        bad = parsed.bad_columns(row)
        if bad & _LOCATION_COLUMNS:
            bad |= _LOCATION_COLUMNS
        problems += [
            FieldProblem(column, p.reason, row)
            for p in row_problems
            if (column := _csv_column(p.field)) not in bad
        ]
        if bad or row_problems:
            continue
        try:
            point, source = _locate(draft.lat, draft.lng, draft.address, geocoder)
        except _LocationMissing as missing:
            column = "lat" if missing.kind is CoordinatesRequired else "address"
            problems.append(FieldProblem(column, missing.reason, row))
            continue
        order = _new_order(
            draft,
            point=point,
            source=source,
            day=day,
            received_at=received_at,
            zone=operation.zone,
            by_user_id=by_user_id,
        )
        accepted.append((row, order))
    if problems:
        rows = len({p.row for p in problems})
        problems.sort(key=lambda p: (p.row or 0, p.field))
        raise InvalidOrderRows(
            f"{len(problems)} problem(s) in {rows} row(s); no order from the file was taken",
            problems,
        )
    session.add_all(order for _, order in accepted)
    session.flush()
    for row, order in accepted:
        _record_intake(session, order, by_user_id, row=row)
    return FileIntake(day, accepted)


def _record_intake(
    session: Session, order: Order, by_user_id: int | None, *, row: int | None = None
) -> None:
    payload: dict[str, object] = {
        "reference": order.reference,
        "service_date": order.service_date.isoformat(),
        "source": "single" if row is None else "csv",
    }
    if row is not None:
        payload["csv_row"] = row
    timeline.record(
        session, order.id, timeline.RECEIVED, payload, at=order.received_at, actor_id=by_user_id
    )


def get_order(session: Session, order_id: int) -> Order:
    """Raises OrderNotFound."""
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist", order_id=order_id)
    return order


def order_timeline(session: Session, order_id: int) -> list[timeline.TimelineEntry]:
    """Every event of the order as dispatchers read it. Raises OrderNotFound."""
    order = get_order(session, order_id)
    return timeline.timeline_of(session, order.id, customer_view=False)


def list_orders(
    session: Session,
    *,
    service_date: date | None = None,
    status: OrderStatus | None = None,
    depot_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Order]:
    query = select(Order).order_by(Order.id).limit(min(limit, MAX_PAGE)).offset(offset)
    if depot_id is not None:
        query = query.where(Order.depot_id == depot_id)
    if service_date is not None:
        query = query.where(Order.service_date == service_date)
    if status is not None:
        query = query.where(Order.status == status)
    return list(session.scalars(query))


def _refuse_unless(order: Order, allowed: frozenset[OrderStatus], action: str) -> None:
    if order.status not in allowed:
        raise OrderNotEditable(
            f"order {order.id} is {order.status.value} and can no longer be {action}; "
            f"only orders that are {', '.join(sorted(s.value for s in allowed))} can",
            order_id=order.id,
            status=order.status.value,
        )


def amend_order(
    session: Session,
    order_id: int,
    changes: OrderChanges,
    *,
    now: datetime,
    operation: OperationSettings,
    geocoder: Geocoder | None,
) -> Order:
    """Changes an order that has not gone out yet.

    Raises OrderNotFound, OrderNotEditable, InvalidOrder, CoordinatesRequired,
    AddressNotFound, GeocoderUnavailable.
    """
    order = get_order(session, order_id)
    _refuse_unless(order, EDITABLE, "changed")
    problems: list[FieldProblem] = []
    if changes.windows is not None:
        problems += rules.window_problems(changes.windows)
        if rules.all_windows_over(
            changes.windows, service_date=order.service_date, zone=operation.zone, now=now
        ):
            problems.append(
                FieldProblem("windows", f"every window on {order.service_date} has already ended")
            )
    if changes.handling is not None and len(set(changes.handling)) != len(changes.handling):
        problems.append(FieldProblem("handling", "lists a need twice"))
    moves = changes.address is not None or changes.lat is not None or changes.lng is not None
    if moves:
        problems += rules.location_problems(changes.lat, changes.lng, changes.address)
    if problems:
        raise InvalidOrder(f"the changes to order {order.id} break intake rules", problems)
    if moves:
        try:
            point, source = _locate(changes.lat, changes.lng, changes.address, geocoder)
        except _LocationMissing as missing:
            field = "lat" if missing.kind is CoordinatesRequired else "address"
            raise missing.kind(
                f"order {order.id}: {missing.reason}", [FieldProblem(field, missing.reason)]
            ) from None
        order.lat, order.lng, order.location_source = point.lat, point.lng, source
        if changes.address is not None:
            order.address = changes.address
    for name in ("recipient_name", "recipient_phone", "recipient_email", "service_s"):
        value = getattr(changes, name)
        if value is not None:
            setattr(order, name, value)
    if changes.priority is not None:
        order.priority = changes.priority
    if changes.notes is not None:
        order.notes = changes.notes
    if changes.handling is not None:
        order.handling = list(changes.handling)
    if changes.windows is not None:
        order.windows = _window_rows(changes.windows, order.service_date, operation.zone)
    session.flush()
    return order


def cancel_order(
    session: Session, order_id: int, *, now: datetime, by_id: int | None = None
) -> Order:
    """Raises OrderNotFound, OrderNotEditable."""
    order = get_order(session, order_id)
    if order.status is OrderStatus.CANCELLED:
        return order
    _refuse_unless(order, CANCELLABLE, "cancelled")
    timeline.record(
        session,
        order.id,
        timeline.CANCELLED,
        {"previous_status": order.status.value},
        at=now,
        actor_id=by_id,
    )
    order.status = OrderStatus.CANCELLED
    session.flush()
    return order
