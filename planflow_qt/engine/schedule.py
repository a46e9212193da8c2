"""The run order: top-level nodes and loop zones, each loop placed once all its outside inputs are ready."""

from __future__ import annotations

import heapq
from collections import defaultdict

from planflow_qt.engine.graph import FlowGraph, LoopZone

Step = str | LoopZone


def schedule(graph: FlowGraph, loops: list[LoopZone]) -> list[Step]:
    """Steps in run order: a node id, or a loop zone whose `body` is run once per round in order.

    Each loop is condensed to one step, so nodes outside it that feed its body run before it even when
    they come later in the document. Ties keep document order. Raises ValueError on a cycle.
    """
    group: dict[str, str] = {n: n for n in graph.index}
    zones: dict[str, LoopZone] = {}
    for zone in loops:
        members = [zone.begin, *zone.body, zone.end]
        inner = graph.topological_order(set(members))
        if inner is None:
            raise ValueError(f"cycle inside the loop of {zone.begin}")
        zones[zone.begin] = LoopZone(zone.begin, zone.end, [n for n in inner if n not in (zone.begin, zone.end)])
        for member in members:
            group[member] = zone.begin
    succ: dict[str, set[str]] = defaultdict(set)
    indegree: dict[str, int] = dict.fromkeys(set(group.values()), 0)
    for src, targets in graph.succ.items():
        for dst in targets:
            a, b = group[src], group[dst]
            if a != b and b not in succ[a]:
                succ[a].add(b)
                indegree[b] += 1
    ready = [(graph.index[g], g) for g, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    steps: list[Step] = []
    while ready:
        _, key = heapq.heappop(ready)
        steps.append(zones.get(key, key))
        for nxt in succ[key]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (graph.index[nxt], nxt))
    if len(steps) != len(indegree):
        raise ValueError("the loops and the nodes around them depend on each other in a circle")
    return steps
