"""KPIs for dispatchers: JSON, one table as CSV, or every table as an Excel workbook."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import DispatchActor
from api.depot_scope import DepotFilter
from api.deps import NowDep, SessionDep, SettingsDep
from api.schemas.kpis import KpiReportOut
from reports import export, kpis
from reports.frames import Period

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(tags=["kpis"])

Table = Literal["groups", "totals", "failed_by_reason", "unserved_by_reason", "holds_by_cause"]


def _report(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _actor: DispatchActor,
    depot_id: DepotFilter,
    from_: Annotated[
        date | None, Query(alias="from", description="First day; default today")
    ] = None,
    to: Annotated[date | None, Query(description="Last day, included; default `from`")] = None,
    by: Annotated[kpis.By, Query(description="Group by day, depot or courier")] = kpis.By.DAY,
) -> kpis.KpiReport:
    """The report the query asks for, of one depot with `depot_id`; dispatchers and admins
    only, a depot-scoped dispatcher of their depot."""
    zone = settings.operation.zone
    first = from_ or now.astimezone(zone).date()
    period = Period.of(first, to or first, zone)
    return kpis.compute(session, period, by, now=now, depot_id=depot_id)


ReportDep = Annotated[kpis.KpiReport, Depends(_report)]


@router.get("/kpis")
def get_kpis(report: ReportDep) -> KpiReportOut:
    """Dispatchers and admins: the KPIs of the days `from` to `to` per `by`, over the whole
    period (`totals`), and failed attempts, unserved orders and holds by reason."""
    return KpiReportOut.of(report)


@router.get("/kpis.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def get_kpis_csv(
    report: ReportDep,
    table: Annotated[Table, Query(description="Which table")] = "groups",
) -> Response:
    """Dispatchers and admins: one table of `GET /kpis` as CSV."""
    name = report.table_name(table)
    return Response(
        export.csv_text(report.tables()[name]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_stem(report)}-{name}.csv"'},
    )


@router.get(
    "/kpis.xlsx", response_class=Response, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}}
)
def get_kpis_xlsx(report: ReportDep) -> Response:
    """Dispatchers and admins: every table of `GET /kpis` in one Excel workbook."""
    return Response(
        export.xlsx_bytes(report.tables()),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{_file_stem(report)}.xlsx"'},
    )


def _file_stem(report: kpis.KpiReport) -> str:
    return f"kpis-{report.period.first}-{report.period.last}"
