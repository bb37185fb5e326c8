"""Charts of a KPI report drawn with matplotlib (Figure objects, no pyplot or display): PNG
files or inline SVG.

Per group, a line when the groups are days (a trend), bars otherwise; breakdowns by reason are
horizontal bars over the whole period.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.kpis import By, KpiReport

# SVG text stays text (searchable, selectable, small) instead of glyph outlines.
mpl.rcParams["svg.fonttype"] = "none"

__all__ = ["CHARTS", "Figure", "render"]

SIZE_IN = (6.4, 3.2)


def _axes(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE_IN, layout="constrained")
    axes = figure.subplots()
    axes.set_title(title, fontsize=11)
    return figure, axes


def _empty(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes)


def _per_group(report: KpiReport, columns: dict[str, str], title: str, unit: str) -> Figure:
    figure, axes = _axes(title)
    data = report.summary[list(columns)].rename(columns=columns)
    if data.empty:
        _empty(axes, "no data")
    elif report.by is By.DAY:
        data.plot(ax=axes, marker="o")
    else:
        data.plot.bar(ax=axes)
    axes.set_ylabel(unit)
    axes.set_xlabel(report.by.value)
    axes.tick_params(axis="x", labelrotation=30, labelsize=8)
    return figure


def _by_reason(table: pd.DataFrame, count: str, title: str) -> Figure:
    figure, axes = _axes(title)
    totals = table.groupby("reason")[count].sum().sort_values()
    if totals.empty:
        _empty(axes, "none")
    else:
        totals.plot.barh(ax=axes, color="#d62728")
    axes.set_xlabel(count)
    axes.set_ylabel("")
    return figure


CHARTS: dict[str, Callable[[KpiReport], Figure]] = {
    "on_time": lambda r: _per_group(
        r,
        {"on_time_rate": "on time", "first_attempt_rate": "first attempt"},
        "On-time and first-attempt rate",
        "share",
    ),
    "deliveries": lambda r: _per_group(
        r,
        {"deliveries": "delivered", "failed_attempts": "failed attempts"},
        "Deliveries and failed attempts",
        "stops",
    ),
    "distance": lambda r: _per_group(
        r, {"planned_km": "planned", "driven_km": "driven"}, "Planned and driven distance", "km"
    ),
    "utilisation": lambda r: _per_group(
        r,
        {"load_utilisation": "load", "time_utilisation": "time"},
        "Vehicle utilisation",
        "share",
    ),
    "customer_service": lambda r: _per_group(
        r,
        {
            "complaints": "complaints",
            "complaints_overdue": "overdue",
            "compensations": "compensations",
        },
        "Complaints and compensation",
        "count",
    ),
    "failed_by_reason": lambda r: _by_reason(
        r.breakdowns["failed_by_reason"], "attempts", "Failed attempts by reason"
    ),
    "unserved_by_reason": lambda r: _by_reason(
        r.breakdowns["unserved_by_reason"], "orders", "Unserved orders by reason"
    ),
    "holds_by_cause": lambda r: _by_reason(
        r.breakdowns["holds_by_cause"], "holds", "Holds by cause"
    ),
}


def render(figure: Figure, fmt: str) -> bytes:
    """The figure as `png` or `svg` bytes."""
    buffer = io.BytesIO()
    # No creation date in the file: the same report gives the same bytes.
    figure.savefig(buffer, format=fmt, dpi=100, metadata={"Date": None})
    return buffer.getvalue()
