"""Reading a bulk order CSV into drafts, collecting every problem with its row and column.

One row is one order with one group of identical parcels. Row numbers count the header as
row 1, as a spreadsheet shows them. Lists inside a cell are separated by semicolons:
`windows` as `09:00-12:00;14:00-16:00`, `lines` as `SKU-1:2;SKU-2:1`, `handling` as
`chilled;fragile`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from infra.errors import FieldProblem
from infra.models import OrderKind
from orders import fields as f
from orders.drafts import LineDraft, OrderDraft, ParcelDraft, WindowDraft
from orders.errors import InvalidCsv

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

COLUMNS = (
    "reference",
    "kind",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "address",
    "lat",
    "lng",
    "weight_kg",
    "volume_l",
    "parcel_count",
    "windows",
    "service_s",
    "priority",
    "handling",
    "lines",
    "notes",
    "depot_id",
)
REQUIRED_COLUMNS = ("recipient_name", "weight_kg")


@dataclass(frozen=True, slots=True)
class CsvOrders:
    # (row number, draft) for every row; a cell that did not parse is left at its default.
    drafts: list[tuple[int, OrderDraft]]
    problems: list[FieldProblem] = field(default_factory=list)

    def bad_columns(self, row: int) -> set[str]:
        return {p.field for p in self.problems if p.row == row}


class _Row:
    """Typed access to one row's cells; a bad cell records a problem and yields None."""

    def __init__(self, number: int, cells: dict[str, str], problems: list[FieldProblem]):
        self.number = number
        self._cells = cells
        self._problems = problems

    def problem(self, column: str, reason: str) -> None:
        self._problems.append(FieldProblem(column, reason, row=self.number))

    def text(self, column: str, max_chars: int, *, required: bool = False) -> str | None:
        value = self._cells.get(column, "").strip()
        if not value:
            if required:
                self.problem(column, "is required")
            return None
        reason = f.text_problem(value, max_chars)
        if reason is not None:
            self.problem(column, reason)
            return None
        return value

    def checked(
        self, column: str, max_chars: int, check: Callable[[str], str | None]
    ) -> str | None:
        value = self.text(column, max_chars)
        if value is None:
            return None
        reason = check(value)
        if reason is not None:
            self.problem(column, reason)
            return None
        return value

    def decimal(
        self, column: str, low: float, high: float, *, required: bool = False
    ) -> float | None:
        raw = self.text(column, 40, required=required)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problem(column, f"must be a number, got {raw!r}")
            return None
        if not math.isfinite(value) or not low <= value <= high:
            self.problem(column, f"must be between {low:g} and {high:g}")
            return None
        return value

    def integer(self, column: str, low: int, high: int) -> int | None:
        raw = self.text(column, 20)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            self.problem(column, f"must be a whole number, got {raw!r}")
            return None
        if not low <= value <= high:
            self.problem(column, f"must be between {low} and {high}")
            return None
        return value

    def items(self, column: str) -> list[str]:
        raw = self.text(column, 2000)
        if raw is None:
            return []
        return [item.strip() for item in raw.split(";") if item.strip()]


def _windows(row: _Row) -> tuple[WindowDraft, ...]:
    items = row.items("windows")
    if len(items) > f.MAX_WINDOWS:
        row.problem("windows", f"at most {f.MAX_WINDOWS} windows")
        return ()
    windows = []
    for item in items:
        start, sep, end = item.partition("-")
        try:
            if not sep:
                raise ValueError(item)
            windows.append(
                WindowDraft(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
            )
        except ValueError:
            row.problem("windows", f"{item!r} is not a window like 09:00-12:00")
    return tuple(windows)


def _lines(row: _Row) -> tuple[LineDraft, ...]:
    items = row.items("lines")
    if len(items) > f.MAX_LINES:
        row.problem("lines", f"at most {f.MAX_LINES} lines")
        return ()
    lines = []
    for item in items:
        sku, _, quantity = item.rpartition(":")
        sku = sku.strip()
        if not sku or not quantity.strip().isdigit():
            row.problem("lines", f"{item!r} is not a line like SKU-1:2")
            continue
        reason = f.sku_problem(sku)
        count = int(quantity)
        if reason is None and not 1 <= count <= f.MAX_QUANTITY:
            reason = f"quantity must be between 1 and {f.MAX_QUANTITY}"
        if reason is not None:
            row.problem("lines", f"{item!r}: {reason}")
            continue
        lines.append(LineDraft(sku, count))
    return tuple(lines)


def _handling(row: _Row) -> tuple[str, ...]:
    needs = row.items("handling")
    for need in needs:
        reason = f.handling_problem(need)
        if reason is not None:
            row.problem("handling", f"{need!r}: {reason}")
    if len(needs) > f.MAX_HANDLING:
        row.problem("handling", f"at most {f.MAX_HANDLING} needs")
    return tuple(needs)


def _kind(row: _Row) -> OrderKind:
    raw = row.text("kind", 20)
    if raw is None:
        return OrderKind.DELIVERY
    try:
        return OrderKind(raw.lower())
    except ValueError:
        row.problem("kind", f"must be one of {', '.join(k.value for k in OrderKind)}")
        return OrderKind.DELIVERY


def _draft(row: _Row) -> OrderDraft:
    weight_kg = row.decimal("weight_kg", 0.001, f.MAX_WEIGHT_KG, required=True)
    volume_l = row.decimal("volume_l", 0, f.MAX_VOLUME_L)
    count = row.integer("parcel_count", 1, f.MAX_PARCEL_COUNT)
    parcels: tuple[ParcelDraft, ...] = ()
    if weight_kg is not None:
        parcels = (
            ParcelDraft(
                weight_g=f.kg_to_g(weight_kg),
                volume_cm3=f.litres_to_cm3(volume_l or 0.0),
                count=count or 1,
            ),
        )
    service_s = row.integer("service_s", 0, f.MAX_SERVICE_S)
    return OrderDraft(
        reference=row.text("reference", f.MAX_REFERENCE_CHARS),
        kind=_kind(row),
        recipient_name=row.text("recipient_name", f.MAX_NAME_CHARS, required=True) or "",
        recipient_phone=row.checked("recipient_phone", f.MAX_PHONE_CHARS, f.phone_problem),
        recipient_email=row.checked("recipient_email", f.MAX_EMAIL_CHARS, f.email_problem),
        address=row.text("address", f.MAX_ADDRESS_CHARS),
        lat=row.decimal("lat", -90, 90),
        lng=row.decimal("lng", -180, 180),
        parcels=parcels,
        lines=_lines(row),
        windows=_windows(row),
        service_s=f.DEFAULT_SERVICE_S if service_s is None else service_s,
        priority=row.integer("priority", 0, f.MAX_PRIORITY) or 0,
        handling=_handling(row),
        notes=row.text("notes", f.MAX_NOTES_CHARS),
        depot_id=row.integer("depot_id", 1, 2_147_483_647),
    )


def read_orders_csv(data: bytes) -> CsvOrders:
    """Parses every row. Raises InvalidCsv when the file as a whole is unusable."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCsv(
            f"the file has {len(data)} bytes; at most {MAX_FILE_BYTES} are accepted",
            [FieldProblem("file", f"larger than {MAX_FILE_BYTES} bytes")],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCsv(
            f"the file is not UTF-8 text (byte {exc.start} is invalid)",
            [FieldProblem("file", "must be UTF-8 encoded")],
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InvalidCsv(
            f"the file is not valid CSV near line {reader.line_num}: {exc}",
            [FieldProblem("file", str(exc), row=reader.line_num)],
        ) from exc
    if not records:
        raise InvalidCsv("the file is empty", [FieldProblem("file", "has no header row")])
    header = [name.strip().lower() for name in records[0]]
    problems = [
        FieldProblem(name or f"column {i + 1}", "unknown column", row=1)
        for i, name in enumerate(header)
        if name not in COLUMNS
    ]
    problems += [
        FieldProblem(name, "required column is missing", row=1)
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if len(set(header)) != len(header):
        problems.append(FieldProblem("file", "a column appears twice", row=1))
    if problems:
        raise InvalidCsv("the header row is not usable", problems)
    body = records[1:]
    if not body:
        raise InvalidCsv("the file has no order rows", [FieldProblem("file", "no data rows")])
    if len(body) > MAX_ROWS:
        raise InvalidCsv(
            f"the file has {len(body)} rows; at most {MAX_ROWS} are accepted",
            [FieldProblem("file", f"more than {MAX_ROWS} rows")],
        )
    result = CsvOrders(drafts=[])
    for number, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            result.problems.append(
                FieldProblem(
                    "row", f"has {len(record)} cells; the header has {len(header)}", row=number
                )
            )
            continue
        draft = _draft(_Row(number, dict(zip(header, record, strict=True)), result.problems))
        result.drafts.append((number, draft))
    if not result.drafts and not result.problems:
        raise InvalidCsv("the file has no order rows", [FieldProblem("file", "no data rows")])
    return result
