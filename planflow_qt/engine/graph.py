"""The flow as a graph: wires, topological order (ties keep document order), cycles and loop zones."""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from planflow_qt.model.document import Flow


@dataclass
class LoopZone:
    """A round loop: its begin and end nodes and the body between them, in run order."""

    begin: str
    end: str
    body: list[str] = field(default_factory=list)


class FlowGraph:
    """Adjacency of a flow's nodes (edges to unknown nodes are ignored here; validation reports them)."""

    def __init__(self, flow: Flow):
        self.flow = flow
        self.index = {node.id: i for i, node in enumerate(flow.nodes)}
        self.succ: dict[str, set[str]] = defaultdict(set)
        self.pred: dict[str, set[str]] = defaultdict(set)
        for edge in flow.edges:
            src, dst = edge.src[0], edge.dst[0]
            if src in self.index and dst in self.index and src != dst:
                self.succ[src].add(dst)
                self.pred[dst].add(src)

    def topological_order(self, nodes: set[str] | None = None) -> list[str] | None:
        """Node ids in topological order, ties broken by document order; None when there is a cycle."""
        members = set(self.index) if nodes is None else nodes
        indegree = {n: sum(1 for p in self.pred[n] if p in members) for n in members}
        ready = [(self.index[n], n) for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, node = heapq.heappop(ready)
            order.append(node)
            for nxt in self.succ[node]:
                if nxt in members:
                    indegree[nxt] -= 1
                    if indegree[nxt] == 0:
                        heapq.heappush(ready, (self.index[nxt], nxt))
        return order if len(order) == len(members) else None

    def cycles(self) -> list[list[str]]:
        """Strongly connected groups of more than one node (each a cycle), nodes in document order."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        groups: list[list[str]] = []
        counter = 0
        for root in self.index:
            if root in index:
                continue
            work = [(root, iter(sorted(self.succ[root], key=self.index.get)))]
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                node, children = work[-1]
                child = next(children, None)
                if child is not None:
                    if child not in index:
                        index[child] = low[child] = counter
                        counter += 1
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(sorted(self.succ[child], key=self.index.get))))
                    elif child in on_stack:
                        low[node] = min(low[node], index[child])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group, key=self.index.get))
        return groups

    def descendants(self, start: str, stop: set[str] | None = None) -> set[str]:
        """Nodes reachable from `start` (not including it), not walking past nodes in `stop`."""
        seen: set[str] = set()
        todo = list(self.succ[start])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            if stop is None or node not in stop:
                todo.extend(self.succ[node])
        return seen
