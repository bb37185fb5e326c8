"""The dispatcher's KPI dashboard: tiles, trend and breakdown charts, the groups, the day's map."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import NowDep, SessionDep, SettingsDep
from api.routers.pages import _page_actor, templates
from reports import charts, frames, kpis
from reports.frames import Period

PAGE_PATHS = frozenset({"/dashboard"})

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    by: kpis.By = kpis.By.DAY,
) -> Response:
    # Read here rather than as parameters: `from` is a Python keyword.
    actor = _page_actor(request, session, settings, now)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    zone = settings.operation.zone
    last = _day(request.query_params.get("to")) or now.astimezone(zone).date()
    first = _day(request.query_params.get("from")) or last
    period = Period.of(first, max(first, last), zone)
    # A depot-scoped dispatcher's dashboard is their depot's, as GET /kpis is.
    report = kpis.compute(session, period, by, now=now, depot_id=actor.depot_id)
    last_day = Period(period.last, period.last, zone)
    plan_ids = frames.day_plan_ids(session, last_day, depot_id=actor.depot_id)
    return templates.TemplateResponse(
        request,
        "dashboard.html.j2",
        {
            "actor": actor,
            "period": period,
            "by": by,
            "totals": report.totals,
            "groups": report.summary.reset_index().to_dict("records"),
            "columns": ["group", *report.summary.columns],
            "charts": {name: _svg(draw(report)) for name, draw in charts.CHARTS.items()},
            "map_plan_id": plan_ids[0] if plan_ids else None,
            "query": f"from={period.first}&to={period.last}&by={by.value}",
        },
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _svg(figure: charts.Figure) -> str:
    """The chart as an inline <svg> element (without the XML prologue of a file)."""
    text = charts.render(figure, "svg").decode("utf-8")
    return text[text.index("<svg") :]
