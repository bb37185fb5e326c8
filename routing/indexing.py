"""The one place that maps visits and vehicle ends to OR-Tools nodes and solver indices.

Nodes 0..n-1 are the visits in problem order; after them come the terminal nodes, one per
distinct route start or end location, plus one shared "anywhere" node for open routes whose
travel cost to and from every node is zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp

from routing.problem import Problem

ANYWHERE = -1  # location of the open-route end node


@dataclass(frozen=True)
class NodeLayout:
    # Location index of every node; ANYWHERE for the open-route end node.
    node_location: npt.NDArray[np.int64]
    visit_ids: tuple[str, ...]
    start_node: tuple[int, ...]  # per vehicle
    end_node: tuple[int, ...]  # per vehicle

    @property
    def n_nodes(self) -> int:
        return int(self.node_location.shape[0])

    @property
    def n_visits(self) -> int:
        return len(self.visit_ids)

    visit_node: dict[str, int]

    def node_of_visit(self, visit_id: str) -> int:
        return self.visit_node[visit_id]


def layout_nodes(problem: Problem) -> NodeLayout:
    locations = [visit.location for visit in problem.visits]
    terminal_node: dict[int, int] = {}

    def terminal(location: int) -> int:
        if location not in terminal_node:
            terminal_node[location] = len(locations)
            locations.append(location)
        return terminal_node[location]

    starts = tuple(terminal(v.start_location) for v in problem.vehicles)
    ends = tuple(
        terminal(ANYWHERE if v.end_location is None else v.end_location) for v in problem.vehicles
    )
    return NodeLayout(
        node_location=np.asarray(locations, dtype=np.int64),
        visit_ids=tuple(v.id for v in problem.visits),
        start_node=starts,
        end_node=ends,
        visit_node={v.id: i for i, v in enumerate(problem.visits)},
    )


def node_matrix(
    layout: NodeLayout, location_matrix: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Expand a location matrix to nodes, vectorised; the open-route node costs nothing."""
    loc = layout.node_location
    safe = np.where(loc == ANYWHERE, 0, loc)
    expanded: npt.NDArray[np.int64] = location_matrix[np.ix_(safe, safe)].astype(np.int64)
    anywhere = loc == ANYWHERE
    expanded[anywhere, :] = 0
    expanded[:, anywhere] = 0
    return expanded


class Indexer:
    """Wraps the OR-Tools index manager so no other module converts indices by hand."""

    def __init__(self, layout: NodeLayout) -> None:
        self.layout = layout
        self.manager = pywrapcp.RoutingIndexManager(
            layout.n_nodes,
            len(layout.start_node),
            list(layout.start_node),
            list(layout.end_node),
        )

    def visit_index(self, visit_id: str) -> int:
        return int(self.manager.NodeToIndex(self.layout.node_of_visit(visit_id)))

    def index_of_node(self, node: int) -> int:
        return int(self.manager.NodeToIndex(node))

    def node(self, index: int) -> int:
        return int(self.manager.IndexToNode(index))

    def visit_id_at(self, index: int) -> str | None:
        node = self.node(index)
        return self.layout.visit_ids[node] if node < self.layout.n_visits else None
