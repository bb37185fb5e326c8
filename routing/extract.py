"""Reads a solved OR-Tools assignment back into Tours with a full timetable."""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp

from routing.constraints.context import ModelContext
from routing.costs import tour_cost
from routing.loads import loads_along
from routing.solution import Arrival, BreakTaken, Tour


def extract_tours(ctx: ModelContext, assignment: pywrapcp.Assignment) -> list[Tour]:
    problem, routing, indexer = ctx.problem, ctx.routing, ctx.indexer
    dimension = ctx.time_dimension
    assert dimension is not None
    tours: list[Tour] = []
    for v, vehicle in enumerate(problem.vehicles):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        if routing.IsEnd(index):
            continue
        matrix = problem.matrices[vehicle.profile]
        visit_ids: list[str] = []
        while not routing.IsEnd(index):
            visit_id = indexer.visit_id_at(index)
            assert visit_id is not None
            visit_ids.append(visit_id)
            index = assignment.Value(routing.NextVar(index))

        start_s = assignment.Value(dimension.CumulVar(routing.Start(v)))
        end_s = assignment.Value(dimension.CumulVar(routing.End(v)))
        load_at_start, load_after = loads_along(problem, visit_ids)
        arrivals: list[Arrival] = []
        location = vehicle.start_location
        departure = start_s
        distance = 0
        for visit_id, load in zip(visit_ids, load_after, strict=True):
            visit = problem.visit(visit_id)
            service_start = assignment.Value(dimension.CumulVar(indexer.visit_index(visit_id)))
            arrival = departure + int(matrix.duration_s[location, visit.location])
            distance += int(matrix.distance_m[location, visit.location])
            arrivals.append(
                Arrival(
                    visit_id=visit_id,
                    arrival_s=arrival,
                    wait_s=service_start - arrival,
                    service_start_s=service_start,
                    departure_s=service_start + visit.service_s,
                    load_after=load,
                    distance_m=distance,
                )
            )
            location = visit.location
            departure = service_start + visit.service_s
        if vehicle.end_location is not None:
            distance += int(matrix.distance_m[location, vehicle.end_location])
        breaks = tuple(
            BreakTaken(start_s=assignment.StartValue(interval), duration_s=brk.duration_s)
            for interval, brk in zip(ctx.break_intervals.get(v, []), vehicle.breaks, strict=True)
        )
        tours.append(
            Tour(
                vehicle_id=vehicle.id,
                start_s=start_s,
                end_s=end_s,
                arrivals=tuple(arrivals),
                distance_m=distance,
                load_at_start=load_at_start,
                breaks=breaks,
                cost=tour_cost(vehicle, distance, end_s - start_s),
            )
        )
    return tours
