"""Problem builders shared by tests and benchmarks: classic VRPTW files and synthetic city days."""

from routing.instances.city import (
    TALLINN,
    City,
    CityDay,
    Depot,
    District,
    Order,
    Parcel,
    city_problem,
    generate_city_day,
)
from routing.instances.fleet import FleetVehicle, Shift, VehicleKind
from routing.instances.solomon import (
    SCALE,
    BestKnown,
    SolomonInstance,
    instance_class,
    parse_solomon,
    read_bks,
    read_solomon,
    solomon_arcs,
)

__all__ = [
    "SCALE",
    "TALLINN",
    "BestKnown",
    "City",
    "CityDay",
    "Depot",
    "District",
    "FleetVehicle",
    "Order",
    "Parcel",
    "Shift",
    "SolomonInstance",
    "VehicleKind",
    "city_problem",
    "generate_city_day",
    "instance_class",
    "parse_solomon",
    "read_bks",
    "read_solomon",
    "solomon_arcs",
]
