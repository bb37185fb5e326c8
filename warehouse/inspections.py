"""Pre-departure vehicle inspections: checklist templates, insert-only logs, repairs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.fleet import get_vehicle
from infra.errors import FieldProblem
from infra.models import (
    Inspection,
    InspectionItem,
    InspectionTemplate,
    InspectionTemplateItem,
    Shift,
    Vehicle,
    VehicleRepair,
    VehicleStatus,
    VehicleType,
)
from warehouse import rules
from warehouse.errors import (
    InspectionNotFound,
    InvalidInspection,
    NoShiftForVehicle,
    TemplateInvalid,
)


def define_template(
    session: Session,
    vehicle_type: VehicleType,
    items: Sequence[rules.ChecklistItem],
    *,
    by_id: int | None,
) -> InspectionTemplate:
    """A new version of the vehicle type's checklist; earlier versions stay for old logs.

    Raises TemplateInvalid.
    """
    problems = [
        FieldProblem(f"items[{k}].code", "appears twice")
        for k, item in enumerate(items)
        if item.code in {i.code for i in items[:k]}
    ]
    if not items:
        problems.append(FieldProblem("items", "must list at least one item"))
    if problems:
        raise TemplateInvalid(
            f"the {vehicle_type.value} checklist is not valid", problems, vehicle_type=vehicle_type
        )
    latest = session.scalar(
        select(func.max(InspectionTemplate.version)).where(
            InspectionTemplate.vehicle_type == vehicle_type
        )
    )
    template = InspectionTemplate(
        vehicle_type=vehicle_type,
        version=(latest or 0) + 1,
        created_by_id=by_id,
        items=[
            InspectionTemplateItem(
                position=k,
                code=item.code,
                label=item.label,
                critical=item.critical,
                refrigerated_only=item.refrigerated_only,
            )
            for k, item in enumerate(items, start=1)
        ],
    )
    session.add(template)
    session.flush()
    return template


def current_template(session: Session, vehicle_type: VehicleType) -> InspectionTemplate | None:
    return session.scalar(
        select(InspectionTemplate)
        .where(InspectionTemplate.vehicle_type == vehicle_type)
        .order_by(InspectionTemplate.version.desc())
        .limit(1)
    )


def checklist_for(
    session: Session, vehicle: Vehicle
) -> tuple[InspectionTemplate | None, tuple[rules.ChecklistItem, ...]]:
    """The items this vehicle is checked on: its type's template, else the default checklist."""
    template = current_template(session, vehicle.type)
    items = (
        tuple(
            rules.ChecklistItem(i.code, i.label, i.critical, i.refrigerated_only)
            for i in template.items
        )
        if template is not None
        else rules.DEFAULT_CHECKLIST
    )
    return template, rules.items_to_check(items, refrigerated=rules.is_refrigerated(vehicle.skills))


def submit_inspection(
    session: Session,
    vehicle_id: int,
    *,
    day: date,
    performed_at: datetime,
    odometer_km: int,
    results: Sequence[rules.ItemResult],
    corrects_id: int | None,
    as_courier: int | None,
    by_id: int | None,
) -> Inspection:
    """Logs a pre-departure inspection of the vehicle of a shift on `day`.

    A courier (`as_courier`) may inspect only the vehicle of their own shift. A failed critical
    item takes the vehicle out of service; a failed non-critical one is a defect and does not.
    Raises VehicleNotFound, NoShiftForVehicle, InvalidInspection.
    """
    vehicle = get_vehicle(session, vehicle_id)
    shift_query = select(Shift).where(Shift.vehicle_id == vehicle_id, Shift.day == day)
    if as_courier is not None:
        shift_query = shift_query.where(Shift.courier_id == as_courier)
    shift = session.scalar(shift_query.limit(1))
    if shift is None and as_courier is not None:
        raise NoShiftForVehicle(
            f"you have no shift in vehicle {vehicle_id} on {day}",
            vehicle_id=vehicle_id,
            day=str(day),
        )
    template, checklist = checklist_for(session, vehicle)
    outcome = rules.judge_checklist(checklist, results)
    problems = [FieldProblem("items", f"lacks checklist item {code!r}") for code in outcome.missing]
    problems += [
        FieldProblem(f"items[{k}].code", f"{r.code!r} is not on the checklist of {vehicle.code}")
        for k, r in enumerate(results)
        if r.code in outcome.unknown
    ]
    problems += [
        FieldProblem(f"items[{k}].code", "appears twice")
        for k, r in enumerate(results)
        if r.code in {x.code for x in results[:k]}
    ]
    problems += _correction_problems(session, corrects_id, vehicle_id, day)
    if corrects_id is None:
        problems += _odometer_problems(session, vehicle_id, odometer_km)
    if problems:
        raise InvalidInspection(
            f"the inspection of vehicle {vehicle.code} is not valid",
            problems,
            vehicle_id=vehicle_id,
        )
    labels = {i.code: i for i in checklist}
    inspection = Inspection(
        vehicle_id=vehicle_id,
        shift_id=shift.id if shift else None,
        courier_id=shift.courier_id if shift else None,
        template_id=template.id if template else None,
        day=day,
        performed_at=performed_at,
        odometer_km=odometer_km,
        passed=outcome.passed,
        critical_failed=bool(outcome.critical_failures),
        corrects_id=corrects_id,
        submitted_by_id=by_id,
        items=[
            InspectionItem(
                code=r.code,
                label=labels[r.code].label,
                critical=labels[r.code].critical,
                passed=r.passed,
                note=r.note,
            )
            for r in results
        ],
    )
    session.add(inspection)
    if outcome.critical_failures:
        vehicle.status = VehicleStatus.OUT_OF_SERVICE
    session.flush()
    return inspection


def _correction_problems(
    session: Session, corrects_id: int | None, vehicle_id: int, day: date
) -> list[FieldProblem]:
    if corrects_id is None:
        return []
    old = session.get(Inspection, corrects_id)
    if old is None or old.vehicle_id != vehicle_id or old.day != day:
        return [
            FieldProblem(
                "corrects_inspection_id", "must be an inspection of this vehicle on this day"
            )
        ]
    return []


def _odometer_problems(session: Session, vehicle_id: int, odometer_km: int) -> list[FieldProblem]:
    last = session.scalar(
        select(func.max(Inspection.odometer_km)).where(Inspection.vehicle_id == vehicle_id)
    )
    if last is not None and odometer_km < last:
        return [FieldProblem("odometer_km", f"is below the last logged reading of {last} km")]
    return []


def get_inspection(
    session: Session, inspection_id: int, *, as_courier: int | None = None
) -> Inspection:
    """Raises InspectionNotFound (also for another courier's inspection)."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or (as_courier is not None and inspection.courier_id != as_courier):
        raise InspectionNotFound(
            f"inspection {inspection_id} does not exist", inspection_id=inspection_id
        )
    return inspection


def list_inspections(
    session: Session, *, vehicle_id: int | None = None, day: date | None = None
) -> list[Inspection]:
    query = select(Inspection).order_by(Inspection.performed_at, Inspection.id)
    if vehicle_id is not None:
        query = query.where(Inspection.vehicle_id == vehicle_id)
    if day is not None:
        query = query.where(Inspection.day == day)
    return list(session.scalars(query))


def latest_inspection(session: Session, vehicle_id: int, day: date) -> Inspection | None:
    """The log that counts for the day: the most recent one (a correction supersedes)."""
    return session.scalar(
        select(Inspection)
        .where(Inspection.vehicle_id == vehicle_id, Inspection.day == day)
        .order_by(Inspection.performed_at.desc(), Inspection.id.desc())
        .limit(1)
    )


def record_repair(
    session: Session,
    vehicle_id: int,
    *,
    note: str,
    inspection_id: int | None,
    by_id: int | None,
    now: datetime,
) -> VehicleRepair:
    """Puts the vehicle back in service; it still needs a passing inspection to depart.

    Raises VehicleNotFound, InvalidInspection.
    """
    vehicle = get_vehicle(session, vehicle_id)
    if inspection_id is not None:
        failed = session.get(Inspection, inspection_id)
        if failed is None or failed.vehicle_id != vehicle_id:
            raise InvalidInspection(
                f"inspection {inspection_id} is not an inspection of vehicle {vehicle.code}",
                [FieldProblem("inspection_id", "must be an inspection of this vehicle")],
                vehicle_id=vehicle_id,
            )
    repair = VehicleRepair(
        vehicle_id=vehicle_id,
        inspection_id=inspection_id,
        note=note,
        repaired_by_id=by_id,
        repaired_at=now,
    )
    session.add(repair)
    vehicle.status = VehicleStatus.IN_SERVICE
    session.flush()
    return repair
