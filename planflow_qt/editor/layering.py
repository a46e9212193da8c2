"""Layered auto-layout: one column per dependency level, read left to right like the run.

A run of plan steps (prescription, isocenter, arcs, the objectives...) is a chain: each passes the plan to
the next and to nothing else. A chain stacks down one column, at most `MAX_STACK` nodes high, instead of
spreading one node per column, so a 45-node flow reads as a page rather than a row. Chains never cross a loop
boundary, so a loop's frame holds its nodes only. A test (a condition, AND / OR / NOT) stands below what it
reads, in the same column. Within a column, chains are ordered by the height of what feeds them (barycentre
sweeps, which reduce wire crossings) and the nodes of a loop come after the others.
Notes keep the nodes they held and grow to hold their loop frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import PortType, Role
from planflow_qt.engine.graph import FlowGraph, LoopZone
from planflow_qt.model.document import Flow, Note

MAX_STACK = 8
COLUMN_GAP = 90.0
ROW_GAP = 34.0
CHAIN_GAP = 56.0
DEFAULT_SIZE = (200.0, 80.0)
ZONE_PADDING = (18.0, 18.0, 18.0, 40.0)
"""Left, top, right, bottom of a loop frame around its nodes (as the canvas draws it)."""
NOTE_PADDING = 26.0
NOTE_TITLE = 28.0
NOTE_LINE = 16.0
NOTE_CHAR = 6.5
NOTE_TEXT_WIDTH = 520.0

Rect = tuple[float, float, float, float]


@dataclass
class Layout:
    """Node positions (top left) and note rectangles after a layout."""

    positions: dict[str, tuple[float, float]]
    notes: dict[int, Note]


def _chains(flow: Flow, registry: Registry, members: set[str], loops: list[LoopZone]) -> dict[str, str]:
    """Each node's plan successor when the two form a chain link (node -> next node)."""
    in_loop = {n: i for i, zone in enumerate(loops) for n in (zone.begin, zone.end, *zone.body)}
    types = {node.id: registry.get(node.type) for node in flow.nodes if node.id in members}
    consumers: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for edge in flow.edges:
        src, dst = edge.src[0], edge.dst[0]
        node_type = types.get(src)
        port = node_type.spec.output(edge.src[1]) if node_type else None
        if port is None or port.type is not PortType.PLAN or dst not in types:
            continue
        consumers.setdefault(src, []).append(dst)
        sources.setdefault(dst, []).append(src)
    links = {}
    for src, targets in consumers.items():
        if len(targets) != 1 or sources.get(targets[0]) != [src]:
            continue
        dst = targets[0]
        if (types[dst] and types[dst].spec.has(Role.LOOP_BEGIN)) or (types[src] and types[src].spec.has(Role.LOOP_END)):
            continue
        if in_loop.get(src) != in_loop.get(dst):
            continue
        links[src] = dst
    return links


def _tests(flow: Flow, registry: Registry, members: set[str]) -> set[str]:
    """Nodes that only test (conditions and logic: true / false or a number out, no plan)."""
    tests = set()
    for node in flow.nodes:
        node_type = registry.get(node.type)
        outputs = node_type.spec.outputs if node_type else ()
        if node.id in members and outputs and all(p.type in (PortType.BOOL, PortType.NUMBER) for p in outputs):
            tests.add(node.id)
    return tests


def _levels(graph: FlowGraph, order: list[str], members: set[str], links: dict[str, str],
            tests: set[str]) -> tuple[dict[str, int], list[list[str]]]:
    """Column of every node and the chains (top to bottom) that share a column. A test stands in the column
    of what it reads, below it, so the gate it drives is one column on."""
    previous = {dst: src for src, dst in links.items()}
    level: dict[str, int] = {}
    height: dict[str, int] = {}
    chain_of: dict[str, list[str]] = {}
    chains: list[list[str]] = []
    for node in order:
        preds = [p for p in graph.pred[node] if p in members and p in level]
        above = previous.get(node)
        step = 0 if node in tests else 1
        others = max((level[p] + step for p in preds if p != above), default=0)
        if above in level and height[above] < MAX_STACK and level[above] >= others:
            level[node], height[node] = level[above], height[above] + 1
            chain_of[node] = chain_of[above]
            chain_of[node].append(node)
        else:
            level[node] = max(others, level[above] + 1 if above in level else 0)
            height[node] = 1
            chain_of[node] = [node]
            chains.append(chain_of[node])
    return level, chains


def _order_columns(graph: FlowGraph, level: dict[str, int], chains: list[list[str]], loop_members: set[str],
                   tests: set[str], sizes: dict[str, tuple[float, float]]) -> dict[int, list[list[str]]]:
    """Chains per column, ordered by barycentre sweeps (down, up, down) over the wire ends' heights; the
    nodes of a loop after the others, tests after what they read."""
    columns: dict[int, list[list[str]]] = {}
    for chain in chains:
        columns.setdefault(level[chain[0]], []).append(chain)
    y_of: dict[str, float] = {}

    def place(column: list[list[str]]) -> None:
        y = 0.0
        for chain in column:
            for node in chain:
                y_of[node] = y + sizes.get(node, DEFAULT_SIZE)[1] / 2
                y += sizes.get(node, DEFAULT_SIZE)[1] + ROW_GAP
            y += CHAIN_GAP - ROW_GAP

    for column in columns.values():
        place(column)
    def barycentre(chain: list[str], neighbours: dict[str, set[str]]) -> float:
        ends = [y_of[m] for n in chain for m in neighbours[n] if m in y_of and m not in chain]
        return sum(ends) / len(ends) if ends else y_of[chain[0]]

    for neighbours in (graph.pred, graph.succ, graph.pred):
        keys = sorted(columns) if neighbours is graph.pred else sorted(columns, reverse=True)
        for key in keys:
            columns[key].sort(key=lambda c, near=neighbours: (c[0] in loop_members, c[0] in tests,
                                                               barycentre(c, near)))
            place(columns[key])
    return columns


def layered_layout(flow: Flow, registry: Registry, sizes: dict[str, tuple[float, float]],
                   loops: list[LoopZone], node_ids: list[str] | None = None,
                   origin: tuple[float, float] = (0.0, 0.0)) -> Layout:
    """Positions of the nodes (all, or `node_ids`) in layered columns, and the notes refitted (see module doc)."""
    graph = FlowGraph(flow)
    members = set(node_ids) if node_ids else set(graph.index)
    order = graph.topological_order(members) or sorted(members, key=graph.index.get)
    links = _chains(flow, registry, members, loops)
    tests = _tests(flow, registry, members)
    level, chains = _levels(graph, order, members, links, tests)
    loop_members = {n for zone in loops for n in (zone.begin, zone.end, *zone.body)}
    columns = _order_columns(graph, level, chains, loop_members, tests, sizes)
    positions: dict[str, tuple[float, float]] = {}
    x = origin[0]
    for key in sorted(columns):
        width = max(sizes.get(n, DEFAULT_SIZE)[0] for chain in columns[key] for n in chain)
        y = origin[1]
        for chain in columns[key]:
            for node in chain:
                positions[node] = (x, y)
                y += sizes.get(node, DEFAULT_SIZE)[1] + ROW_GAP
            y += CHAIN_GAP - ROW_GAP
        x += width + COLUMN_GAP
    notes = refit_notes(flow, positions, sizes, loops)
    return Layout(positions, notes)


def _node_rect(node_id: str, pos: tuple[float, float], sizes: dict[str, tuple[float, float]]) -> Rect:
    w, h = sizes.get(node_id, DEFAULT_SIZE)
    return (pos[0], pos[1], pos[0] + w, pos[1] + h)


def _union(rects: list[Rect]) -> Rect:
    return (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects), max(r[3] for r in rects))


def _text_height(note: Note, width: float) -> float:
    if not note.text:
        return 0.0
    per_line = max(int(min(width - 20, NOTE_TEXT_WIDTH) / NOTE_CHAR), 10)
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in note.text.split("\n"))
    return lines * NOTE_LINE + 8


def refit_notes(flow: Flow, positions: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]],
                loops: list[LoopZone]) -> dict[int, Note]:
    """Notes around the nodes they held before the layout (and the loop frames of those nodes), with room
    above for their title and text; notes holding none of the moved nodes stay."""
    old = {node.id: tuple(node.pos) for node in flow.nodes}
    refitted = {}
    for index, note in enumerate(flow.notes):
        x, y, w, h = note.rect
        held = [n for n in positions if n in old and _inside(_node_rect(n, old[n], sizes), (x, y, x + w, y + h))]
        if not held:
            continue
        rects = [_node_rect(n, positions[n], sizes) for n in held]
        for zone in loops:
            zone_nodes = [n for n in (zone.begin, *zone.body, zone.end) if n in positions]
            if zone.begin in held and zone_nodes:
                left, top, right, bottom = _union([_node_rect(n, positions[n], sizes) for n in zone_nodes])
                pad = ZONE_PADDING
                rects.append((left - pad[0], top - pad[1], right + pad[2], bottom + pad[3]))
        left, top, right, bottom = _union(rects)
        width = right - left + 2 * NOTE_PADDING
        head = NOTE_TITLE + _text_height(note, width) + 10
        refitted[index] = note.model_copy(update={"rect": (round(left - NOTE_PADDING, 1), round(top - head, 1),
                                                           round(width, 1),
                                                           round(bottom - top + head + NOTE_PADDING, 1))})
    return refitted


def _inside(rect: Rect, outer: Rect) -> bool:
    return outer[0] <= rect[0] and outer[1] <= rect[1] and rect[2] <= outer[2] and rect[3] <= outer[3]
