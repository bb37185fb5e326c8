"""`sameday report`: the KPI tables as CSV and Excel and the charts as PNG, from the database."""

from __future__ import annotations

import csv

import openpyxl
from typer.testing import CliRunner

from cli.main import app
from reports import charts
from tests.factories import DAY
from tests.reports.small_day import build_small_day

runner = CliRunner()


def test_report_writes_every_table_the_workbook_and_the_charts(committed_db, monkeypatch, tmp_path):
    with committed_db.sessions() as session, session.begin():
        day = build_small_day(session)
    monkeypatch.setenv("SAMEDAY_DATABASE_URL", committed_db.settings.database.url)
    monkeypatch.setenv("SAMEDAY_OPERATION_TIMEZONE", "Europe/Berlin")
    out = tmp_path / "report"

    result = runner.invoke(
        app,
        [
            "report",
            "--from",
            DAY.isoformat(),
            "--to",
            DAY.isoformat(),
            "--by",
            "courier",
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "3 delivered, 2 failed attempts, on time 20%" in result.output
    tables = [
        "kpis_by_courier",
        "kpis_total",
        "failed_by_reason",
        "unserved_by_reason",
        "holds_by_cause",
    ]
    pngs = [f"{name}.png" for name in charts.CHARTS]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.csv" for t in tables] + ["kpis.xlsx", *pngs]
    )
    with (out / "kpis_by_courier.csv").open(encoding="utf-8") as rows:
        by_courier = {row["group"]: row for row in csv.DictReader(rows)}
    assert by_courier[day.courier_name]["deliveries"] == "3"
    assert openpyxl.load_workbook(out / "kpis.xlsx").sheetnames == tables
    for png in pngs:
        assert (out / png).read_bytes().startswith(b"\x89PNG")


def test_report_refuses_a_period_that_ends_before_it_starts(tmp_path):
    result = runner.invoke(
        app, ["report", "--from", "2025-03-05", "--to", "2025-03-04", "--out", str(tmp_path)]
    )

    assert result.exit_code == 2
    assert "after its end" in result.output
