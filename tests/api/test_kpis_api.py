"""GET /kpis, /kpis.csv and /kpis.xlsx on the small hand-made day, and who may read them."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from infra.models import Role
from reports import kpis
from reports.frames import Period
from tests.factories import DAY, ZONE, auth_headers, make_user
from tests.reports.small_day import build_small_day


@pytest.fixture
def dispatcher(session, settings):
    return auth_headers(settings, make_user(session, role=Role.DISPATCHER))


def test_kpis_answer_the_days_numbers_per_courier_and_over_the_period(client, session, dispatcher):
    day = build_small_day(session)

    response = client.get(
        "/kpis",
        params={"from": DAY.isoformat(), "to": DAY.isoformat(), "by": "courier"},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["by"]) == (DAY.isoformat(), DAY.isoformat(), "courier")
    totals = body["totals"]
    assert totals["group"] == kpis.ALL
    assert (totals["deliveries"], totals["failed_attempts"]) == (3, 2)
    assert totals["on_time_rate"] == pytest.approx(0.2)
    assert totals["lateness_p90_min"] == pytest.approx(165.0)
    assert totals["csat_avg"] == pytest.approx(4.0)
    groups = {g["group"]: g for g in body["groups"]}
    assert set(groups) == {day.courier_name, kpis.NO_GROUP}
    # A ratio with nothing to divide is null, not NaN.
    assert groups[kpis.NO_GROUP]["on_time_rate"] is None
    assert groups[kpis.NO_GROUP]["unserved_orders"] == 1
    # The server's clock says 09:00: the complaint due at 16:00 is not overdue yet.
    assert (totals["complaints"], totals["compensations"]) == (4, 3)
    assert totals["complaints_overdue"] == 0
    assert totals["compensation_amount"] == pytest.approx(5.0)
    assert groups[kpis.NO_GROUP]["complaints_per_1000_deliveries"] is None
    # Every KPI the report computes reaches the JSON.
    report = kpis.compute(session, Period(DAY, DAY, ZONE), kpis.By.DAY)
    assert set(totals) == {"group", *report.summary.columns}
    assert sorted((r["reason"], r["count"]) for r in body["failed_by_reason"]) == [
        ("address_not_found", 1),
        ("not_at_home", 1),
    ]
    assert body["unserved_by_reason"] == [
        {"group": kpis.NO_GROUP, "reason": "capacity", "count": 1}
    ]
    assert {(h["reason"], h["holds"], h["orders_affected"]) for h in body["holds_by_cause"]} == {
        ("temperature_excursion", 1, 2),
        ("manual", 1, 0),
    }


def test_kpis_default_to_today_by_day(client, session, dispatcher):
    build_small_day(session)

    body = client.get("/kpis", headers=dispatcher).json()

    # The test clock stands on the small day.
    assert [g["group"] for g in body["groups"]] == [DAY.isoformat()]
    assert body["groups"][0]["deliveries"] == 3


def test_one_kpi_table_comes_as_csv(client, session, dispatcher):
    build_small_day(session)

    response = client.get(
        "/kpis.csv",
        params={"from": DAY.isoformat(), "table": "failed_by_reason"},
        headers=dispatcher,
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        "kpis-2025-03-04-2025-03-04-failed_by_reason.csv"
        in (response.headers["content-disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted((r["reason"], r["attempts"]) for r in rows) == [
        ("address_not_found", "1"),
        ("not_at_home", "1"),
    ]
    summary = client.get("/kpis.csv", params={"from": DAY.isoformat()}, headers=dispatcher)
    (row,) = csv.DictReader(io.StringIO(summary.text))
    assert (row["group"], row["deliveries"], row["on_time_rate"]) == (DAY.isoformat(), "3", "0.2")


def test_every_kpi_table_is_a_sheet_of_the_excel_workbook(client, session, dispatcher):
    build_small_day(session)

    response = client.get("/kpis.xlsx", params={"from": DAY.isoformat()}, headers=dispatcher)

    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "kpis_by_day",
        "kpis_total",
        "failed_by_reason",
        "unserved_by_reason",
        "holds_by_cause",
    ]
    sheet = book["kpis_by_day"]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, (cell.value for cell in sheet[2]), strict=True))
    assert (values["group"], values["deliveries"], values["driven_h"]) == (DAY.isoformat(), 3, 5)


def test_kpis_need_a_token_and_are_not_for_couriers(client, session, settings):
    courier = make_user(session, role=Role.COURIER)

    assert client.get("/kpis").status_code == 401
    headers = auth_headers(settings, courier)
    for path in ("/kpis", "/kpis.csv", "/kpis.xlsx"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["code"] == "role_denied"


def test_a_period_that_ends_before_it_starts_is_refused_naming_the_field(client, dispatcher):
    response = client.get(
        "/kpis", params={"from": "2025-03-05", "to": "2025-03-04"}, headers=dispatcher
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_period"
    assert body["errors"] == [{"field": "from", "reason": "must not be after 'to' (2025-03-04)"}]


def test_an_unknown_grouping_is_refused(client, dispatcher):
    response = client.get("/kpis", params={"by": "vehicle"}, headers=dispatcher)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.by"
