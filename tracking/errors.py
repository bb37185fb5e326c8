"""Refusals of the tracking use cases, each with a stable code and the ids involved."""

from __future__ import annotations

from infra.errors import Conflict, Invalid, NotFound


class StopNotFound(NotFound):
    code = "stop_not_found"
    title = "Stop not found"


class RouteNotUnderWay(Conflict):
    code = "route_not_under_way"
    title = "The route has not departed"


class IllegalStopEvent(Conflict):
    code = "illegal_stop_event"
    title = "The event is not allowed in the stop's current state"


class ClientEventIdReused(Conflict):
    code = "client_event_id_reused"
    title = "The client event id was already used for another event"


class CourierNotFound(NotFound):
    code = "courier_not_found"
    title = "Courier not found"


class EventTimeInFuture(Invalid):
    code = "event_time_in_future"
    title = "The event's time is ahead of the server clock"
